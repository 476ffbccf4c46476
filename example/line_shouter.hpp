// line_shouter: the component of the README's fake-selector section, in a header so that one
// source serves three programs: example/fake_selector_test.cpp (over epoll with pipes, and the
// fake selector with scripted streams), example/sim_network.cpp and test/sim_same_source_test.cpp
// (over epoll with TCP sockets, and over the simulated network). It reads one line and writes
// it back upper-cased, registers its output only when a write would block, and gives up after
// an idle timeout. It knows nothing about epoll, the fake or the simulation.
#pragma once

#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/selector/fake.hpp>
#include <mio/token.hpp>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

// The one place that differs between production and tests: where "now" comes from. With the
// fake selector, time is the selector's virtual clock, so timeouts are tested without sleeping.
template <class Poll>
std::chrono::nanoseconds now_of(Poll& poll) {
    if constexpr (std::is_same_v<typename Poll::selector_type, mio::fake_selector>)
        return poll.selector().now();
    else
        return std::chrono::steady_clock::now().time_since_epoch();
}

template <class Poll, class Input, class Output>
class line_shouter {
public:
    enum class state { reading, writing, done, idle_timeout, peer_closed };
    static constexpr mio::token input_token{1}, output_token{2};

    line_shouter(Poll& poll, Input& in, Output& out, std::chrono::nanoseconds idle_timeout)
        : poll_(poll), in_(in), out_(out), idle_timeout_(idle_timeout), events_(make_events()) {}

    /// Registers the input. Errors: the registry's (ENOMEM, EEXIST, ...).
    mio::result<void> start() {
        auto r = poll_.registry().add(in_, input_token, mio::interest::readable);
        if (r) last_activity_ = now_of(poll_);
        return r;
    }

    /// One poll and what follows from it. EINTR is retried on the next step; on any other
    /// error, or once finished, both streams are removed from the registry.
    mio::result<state> step() {
        auto idle = now_of(poll_) - last_activity_;
        if (idle >= idle_timeout_) return finish(state::idle_timeout);
        auto polled = poll_.poll(events_, idle_timeout_ - idle);
        if (!polled) {
            if (polled.error() == std::errc::interrupted) {
                ++interruptions_;
                return state_;
            }
            return fail(polled.error());
        }
        for (auto e : events_) {
            if (e.token() == input_token && state_ == state::reading) {
                if (auto r = on_readable(); !r) return fail(r.error());
            }
            if (e.token() == output_token && e.is_writable()) {
                if (auto r = flush(); !r) return fail(r.error());
            }
        }
        if (state_ == state::done || state_ == state::peer_closed) return finish(state_);
        if (now_of(poll_) - last_activity_ >= idle_timeout_) return finish(state::idle_timeout);
        return state_;
    }

    /// Steps until finished.
    mio::result<state> run() {
        for (;;) {
            auto s = step();
            if (!s || (*s != state::reading && *s != state::writing)) return s;
        }
    }

    std::size_t interruptions() const { return interruptions_; }

private:
    using events_type = typename Poll::events_type;
    static events_type make_events() {
        if constexpr (std::is_default_constructible_v<events_type>) return events_type{};
        else return events_type(16);
    }

    // Edge-triggered: read until would_block (or the end of the line).
    mio::result<void> on_readable() {
        char buf[4096];
        for (;;) {
            auto n = in_.read(std::span<char>(buf));
            if (!n) return mio::is_would_block(n.error()) ? mio::result<void>{} : n.error();
            if (*n == 0) {
                state_ = state::peer_closed;
                return {};
            }
            last_activity_ = now_of(poll_);
            std::string_view got(buf, *n);
            auto eol = got.find('\n');
            for (char c : got.substr(0, eol == got.npos ? got.size() : eol + 1))
                pending_.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
            if (eol != got.npos) {
                state_ = state::writing;
                return flush();
            }
        }
    }

    // Writes until done or would_block; on the first would_block, asks to hear of writability.
    mio::result<void> flush() {
        while (written_ < pending_.size()) {
            auto n = out_.write(std::span<const char>(pending_).subspan(written_));
            if (!n) {
                if (!mio::is_would_block(n.error())) return n.error();
                if (output_registered_) return {};
                auto r = poll_.registry().add(out_, output_token, mio::interest::writable);
                if (r) output_registered_ = true;
                return r;
            }
            written_ += *n;
            last_activity_ = now_of(poll_);
        }
        if (state_ == state::writing) state_ = state::done;
        return {};
    }

    void unregister() {
        if (input_registered()) (void)poll_.registry().remove(in_);
        if (output_registered_) (void)poll_.registry().remove(out_);
        output_registered_ = false;
        stopped_ = true;
    }
    bool input_registered() const { return !stopped_; }
    mio::result<state> finish(state s) {
        unregister();
        state_ = s;
        return s;
    }
    mio::result<state> fail(std::error_code ec) {
        unregister();
        return ec;
    }

    Poll& poll_;
    Input& in_;
    Output& out_;
    std::chrono::nanoseconds idle_timeout_;
    events_type events_;
    state state_ = state::reading;
    std::string pending_;
    std::size_t written_ = 0;
    std::chrono::nanoseconds last_activity_{};
    bool output_registered_ = false;
    bool stopped_ = false;
    std::size_t interruptions_ = 0;
};

