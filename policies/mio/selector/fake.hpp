// mio::fake_selector: a deterministic selector that never touches the kernel, for unit tests
// of event-driven code. Registrations are recorded, events are injected by the test, time is
// virtual, failures are scripted, and every call is traced.
//
// Semantics (the contract tests rely on; see also DESIGN.md "Fake selector details"):
//   add        EBADF for a negative handle, EEXIST when the handle is registered; else recorded.
//   modify     ENOENT when the handle is not registered; else token and interest replaced
//              (the registration keeps its place in registrations()).
//   remove     ENOENT when the handle is not registered. Pending (injected, undelivered) events
//              for its token are discarded unless another registration still uses that token,
//              so no poll that starts after remove returns an event for it.
//   close      a library socket or pipe closed while registered is forgotten with its pending
//              events (as epoll forgets a closed fd); not traced. Raw source_fd: remove first.
//   inject     ENOENT when no source (nor the waker) is registered under the token; EINVAL for
//              an all-false fake_readiness. readable/writable/priority outside the registered
//              interest are dropped (as epoll does), error/read_closed/write_closed always pass.
//              Events for one token merge into one pending event (flags OR-ed) that keeps the
//              place of the first injection; events come out in injection order.
//   select     (basic_poll::poll) a failure armed by fail_next(poll) first: returned, nothing
//              consumed, clock unchanged. Otherwise delivers at most out.size() pending events,
//              the rest stay for the next poll; the clock does not move. With nothing to deliver:
//              timeout -> now() advances by the timeout (negative counts as zero) and 0 events;
//              std::nullopt -> std::errc::resource_deadlock_would_occur (a real poll would hang).
//   wake       (fake_waker) queues a readable event for the waker's token, merged like any event
//              (so wakes coalesce), and counts it in wake_count().
//   fail_next  arms one failure per operation; the next call of that kind fails with it and
//              disarms it. Arming again replaces the armed error; a default (falsy) error_code
//              disarms.
//
// Threads: a selector and its try_clone()s share one state behind a mutex, so registry clones
// and the waker may be used from other threads while the poll thread is in poll(). Nothing
// ever blocks or sleeps. Allocation: create() allocates the state and reserves room for 256
// pending events, 64 registrations and 1024 trace records; select allocates nothing until the
// trace outgrows that (then amortised growth; clear_trace() keeps it bounded).
#pragma once

#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <system_error>
#include <vector>

#include <boost/pfr/io_fields.hpp>

namespace mio {

/// The readiness a test injects: a plain aggregate of flags, e.g.
/// `mio::fake_readiness{.readable = true, .read_closed = true}`.
struct fake_readiness {
    bool readable = false;
    bool writable = false;
    bool error = false;
    bool read_closed = false;
    bool write_closed = false;
    bool priority = false;

    friend constexpr bool operator==(const fake_readiness&, const fake_readiness&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_readiness& r) {
        return os << boost::pfr::io_fields(r);
    }
};

/// The calls of a fake selector that fail_next can make fail, and that trace() records.
enum class fake_operation : unsigned char { add, modify, remove, poll, wake };

/// Prints the operation's name ("add", "modify", ...).
inline std::ostream& operator<<(std::ostream& os, fake_operation op) {
    constexpr const char* names[] = {"add", "modify", "remove", "poll", "wake"};
    auto i = static_cast<std::size_t>(op);
    return os << (i < std::size(names) ? names[i] : "?");
}

/// One registration as the fake selector recorded it.
struct fake_registration {
    int handle;
    mio::token token;
    mio::interest interest;

    friend constexpr bool operator==(const fake_registration&, const fake_registration&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_registration& r) {
        return os << boost::pfr::io_fields(r);
    }
};

/// One traced call: a plain aggregate of integers (so it compares with == and prints with
/// operator<< or boost::pfr::io, and is the same on every run and machine). Fields that do not
/// apply to an operation are 0 (handle -1).
struct fake_call {
    fake_operation operation;
    int handle;              ///< add/modify/remove: the handle; poll/wake: -1
    std::size_t token;       ///< add/modify: the token given; remove: the token it had (0 if
                             ///< unknown); wake: the waker's token (0 if none); poll: 0
    unsigned interest;       ///< add/modify: interest::bits(); otherwise 0
    std::int64_t timeout_ns; ///< poll: the timeout, -1 for std::nullopt; otherwise 0
    std::size_t events;      ///< poll: how many events it delivered; otherwise 0
    int error;               ///< 0 on success, else the error_code's value (an errno value)
    std::int64_t at_ns;      ///< now() when the call was made

    friend constexpr bool operator==(const fake_call&, const fake_call&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_call& c) { return os << boost::pfr::io_fields(c); }
};

/// The event record a fake selector fills into basic_events: a token and its flags.
struct fake_event {
    std::size_t token = 0;
    fake_readiness readiness{};

    friend constexpr bool operator==(const fake_event&, const fake_event&) noexcept = default;
};

/// A selector for unit tests: models mio::selector with handle_type int (made-up numbers such
/// as mio::posix::source_fd{42} are fine: nothing reaches the kernel). Driven through
/// basic_poll::selector(). Not usable with eventfd_waker or pipe_waker (it polls no fds);
/// use fake_waker or no_waker. See the top of this file for the exact semantics.
class fake_selector {
public:
    using handle_type = int;
    using native_event = fake_event;
    using clock_duration = std::chrono::nanoseconds;

    /// A new selector with its own state, its clock at zero. Errors: none (std::bad_alloc
    /// propagates when exceptions are on).
    static result<fake_selector> create() { return fake_selector(std::make_shared<state>()); }

    /// A second handle on the same state (for registry clones used from other threads).
    result<fake_selector> try_clone() const { return fake_selector(s_); }

    // ---- the selector interface (called by basic_registry / basic_poll) ----

    /// Records a registration. Errors: EBADF for a negative handle, EEXIST if registered, or
    /// the error armed by fail_next(fake_operation::add).
    result<void> add(int handle, token t, interest i) {
        std::lock_guard lock(s_->m);
        auto r = [&]() -> result<void> {
            if (auto e = s_->take_failure(fake_operation::add)) return e;
            if (handle < 0) return std::errc::bad_file_descriptor;
            if (s_->find(handle) != s_->regs.end()) return std::errc::file_exists;
            s_->regs.push_back({handle, t, i});
            return {};
        }();
        s_->record({fake_operation::add, handle, t.value, i.bits(), 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

    /// Replaces a registration's token and interest. Errors: ENOENT if not registered, or the
    /// error armed by fail_next(fake_operation::modify).
    result<void> modify(int handle, token t, interest i) {
        std::lock_guard lock(s_->m);
        auto r = [&]() -> result<void> {
            if (auto e = s_->take_failure(fake_operation::modify)) return e;
            auto it = s_->find(handle);
            if (it == s_->regs.end()) return std::errc::no_such_file_or_directory;
            token old = it->token;
            it->token = t;
            it->interest = i;
            if (old != t) s_->purge_if_unused(old);
            return {};
        }();
        s_->record({fake_operation::modify, handle, t.value, i.bits(), 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

    /// Forgets a registration and its undelivered events. Errors: ENOENT if not registered,
    /// or the error armed by fail_next(fake_operation::remove).
    result<void> remove(int handle) {
        std::lock_guard lock(s_->m);
        std::size_t tok = 0;
        auto r = [&]() -> result<void> {
            auto it = s_->find(handle);
            if (it != s_->regs.end()) tok = it->token.value;
            if (auto e = s_->take_failure(fake_operation::remove)) return e;
            if (it == s_->regs.end()) return std::errc::no_such_file_or_directory;
            token old = it->token;
            s_->regs.erase(it);
            s_->purge_if_unused(old);
            return {};
        }();
        s_->record({fake_operation::remove, handle, tok, 0, 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

    /// Delivers pending events into `out` (basic_poll::poll calls this). Allocation-free while
    /// the trace has room. Errors: the one armed by fail_next(fake_operation::poll) (nothing is
    /// consumed); resource_deadlock_would_occur for std::nullopt with nothing pending.
    result<std::size_t> select(std::span<fake_event> out, std::optional<clock_duration> timeout) {
        std::lock_guard lock(s_->m);
        const auto at = s_->now.count();
        const std::int64_t timeout_ns = timeout ? timeout->count() : -1;
        auto r = [&]() -> result<std::size_t> {
            if (auto e = s_->take_failure(fake_operation::poll)) return e;
            std::size_t n = 0, used = 0;
            for (; used < s_->pending.size() && n < out.size(); ++used) {
                auto& p = s_->pending[used];
                auto i = s_->interest_of(token(p.token));
                if (!i) continue;  // defensive: remove purges, so this should not happen
                fake_readiness f = filter(p.readiness, *i);
                if (any(f)) out[n++] = {p.token, f};
            }
            s_->pending.erase(s_->pending.begin(), s_->pending.begin() + static_cast<std::ptrdiff_t>(used));
            if (n > 0) return n;
            if (!timeout) return std::errc::resource_deadlock_would_occur;
            s_->advance(*timeout);
            return std::size_t{0};
        }();
        s_->record({fake_operation::poll, -1, 0, 0, timeout_ns, r ? *r : 0, r.error().value(), at});
        return r;
    }

    static token event_token(const fake_event& e) noexcept { return token(e.token); }
    static bool is_readable(const fake_event& e) noexcept { return e.readiness.readable; }
    static bool is_writable(const fake_event& e) noexcept { return e.readiness.writable; }
    static bool is_error(const fake_event& e) noexcept { return e.readiness.error; }
    static bool is_read_closed(const fake_event& e) noexcept { return e.readiness.read_closed; }
    static bool is_write_closed(const fake_event& e) noexcept { return e.readiness.write_closed; }
    static bool is_priority(const fake_event& e) noexcept { return e.readiness.priority; }

    // ---- driving it from a test ----

    /// Queues readiness for the source registered under `t`: readable, writable and priority
    /// as `i` says. Errors: ENOENT when nothing is registered under `t`.
    result<void> inject(token t, interest i) {
        return inject(t, fake_readiness{.readable = i.is_readable(), .writable = i.is_writable(),
                                        .priority = i.is_priority()});
    }

    /// Queues readiness for the source registered under `t`; flags outside its interest are
    /// dropped (error and closed flags always pass), and a pending event for `t` absorbs it.
    /// Errors: ENOENT when nothing is registered under `t`; EINVAL when every flag is false.
    result<void> inject(token t, fake_readiness r) {
        if (!any(r)) return std::errc::invalid_argument;
        std::lock_guard lock(s_->m);
        auto i = s_->interest_of(t);
        if (!i) return std::errc::no_such_file_or_directory;
        s_->queue(t, filter(r, *i));
        return {};
    }

    /// Makes the next call of kind `op` fail with `ec` (once). A falsy `ec` disarms.
    void fail_next(fake_operation op, std::error_code ec) {
        std::lock_guard lock(s_->m);
        s_->failures[index(op)] = ec;
    }

    /// Virtual time since create(): moved only by advance() and by polls that time out.
    clock_duration now() const {
        std::lock_guard lock(s_->m);
        return s_->now;
    }

    /// Moves the virtual clock forward by `d` (negative durations are ignored: the clock is
    /// monotonic; it saturates instead of overflowing).
    void advance(clock_duration d) {
        std::lock_guard lock(s_->m);
        s_->advance(d);
    }

    /// What the library's sockets and pipes keep, so that closing a registered one forgets its
    /// registration and undelivered events, as closing an fd removes it from epoll. Not
    /// traced: the code under test made no selector call. Raw posix::source_fd has no hooks.
    source_hooks hooks() const { return source_hooks{s_, nullptr, &forget_hook}; }

    /// What is registered, in registration order (a snapshot).
    std::vector<fake_registration> registrations() const {
        std::lock_guard lock(s_->m);
        return s_->regs;
    }

    /// The interest registered under `t` (the union if several handles share it; readable for
    /// the waker's token); std::nullopt when nothing is registered under it.
    std::optional<interest> interest_of(token t) const {
        std::lock_guard lock(s_->m);
        return s_->interest_of(t);
    }

    /// Every add/modify/remove/poll/wake so far, in call order (a snapshot).
    std::vector<fake_call> trace() const {
        std::lock_guard lock(s_->m);
        return s_->trace;
    }

    /// Empties the trace (its reserved room is kept).
    void clear_trace() {
        std::lock_guard lock(s_->m);
        s_->trace.clear();
    }

    /// How many events wait for the next poll (after merging per token).
    std::size_t pending_count() const {
        std::lock_guard lock(s_->m);
        return s_->pending.size();
    }

    /// How many wakes succeeded (including coalesced ones).
    std::size_t wake_count() const {
        std::lock_guard lock(s_->m);
        return s_->wakes;
    }

    // ---- the waker's side (used by fake_waker; a test may call wake() to simulate one) ----

    /// Registers the waker's token (readable). Errors: file_exists when a waker is attached.
    result<void> attach_waker(token t) {
        std::lock_guard lock(s_->m);
        if (s_->waker) return std::errc::file_exists;
        s_->waker = t;
        return {};
    }

    /// Forgets the waker and its undelivered wake.
    void detach_waker() noexcept {
        std::lock_guard lock(s_->m);
        if (!s_->waker) return;
        token t = *s_->waker;
        s_->waker.reset();
        s_->purge_if_unused(t);
    }

    /// Queues a readable event for the waker's token (coalescing with a pending one) and counts
    /// the wake. Thread-safe. Errors: the one armed by fail_next(fake_operation::wake);
    /// ENOENT when no waker is attached.
    result<void> wake() noexcept {
        std::lock_guard lock(s_->m);
        std::size_t tok = s_->waker ? s_->waker->value : 0;
        auto r = [&]() noexcept -> result<void> {
            if (auto e = s_->take_failure(fake_operation::wake)) return e;
            if (!s_->waker) return std::errc::no_such_file_or_directory;
            // Room is reserved in create(); a queue that outgrows it may allocate here.
            s_->queue(*s_->waker, fake_readiness{.readable = true});
            ++s_->wakes;
            return {};
        }();
        s_->record({fake_operation::wake, -1, tok, 0, 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

private:
    struct pending_event {
        std::size_t token;
        fake_readiness readiness;
    };

    struct state {
        state() {
            pending.reserve(256);
            regs.reserve(64);
            trace.reserve(1024);
        }

        mutable std::mutex m;
        std::vector<fake_registration> regs;
        std::vector<pending_event> pending;
        std::vector<fake_call> trace;
        std::array<std::error_code, 5> failures{};
        std::optional<token> waker;
        clock_duration now{0};
        std::size_t wakes = 0;

        std::vector<fake_registration>::iterator find(int handle) {
            return std::find_if(regs.begin(), regs.end(), [&](const fake_registration& r) { return r.handle == handle; });
        }

        std::optional<interest> interest_of(token t) const {
            std::optional<interest> u;
            if (waker && *waker == t) u = interest::readable;
            for (const auto& r : regs)
                if (r.token == t) u = u ? (*u | r.interest) : r.interest;
            return u;
        }

        std::error_code take_failure(fake_operation op) noexcept {
            return std::exchange(failures[index(op)], std::error_code{});
        }

        void queue(token t, fake_readiness r) {
            if (!any(r)) return;  // everything was outside the interest: like epoll, no event
            for (auto& p : pending) {
                if (p.token == t.value) {
                    p.readiness = merge(p.readiness, r);
                    return;
                }
            }
            pending.push_back({t.value, r});
        }

        void purge_if_unused(token t) {
            if (interest_of(t)) return;
            std::erase_if(pending, [&](const pending_event& p) { return p.token == t.value; });
        }

        void advance(clock_duration d) noexcept {
            if (d.count() <= 0) return;
            constexpr auto max = std::numeric_limits<clock_duration::rep>::max();
            now = clock_duration(now.count() > max - d.count() ? max : now.count() + d.count());
        }

        // Within the reserved room this never allocates. Past it, growth may throw
        // std::bad_alloc, which ends the program from wake() (noexcept): acceptable for a
        // test double, and clear_trace() avoids it in long runs.
        void record(const fake_call& c) { trace.push_back(c); }
    };

    explicit fake_selector(std::shared_ptr<state> s) noexcept : s_(std::move(s)) {}

    // The library's sockets hand over their OS handle (a SOCKET on Windows); the fake knows
    // handles as ints, as they were registered.
    static void forget_hook(void* context, source_handle handle, std::uintptr_t&) noexcept {
        auto* s = static_cast<state*>(context);
        std::lock_guard lock(s->m);
        auto it = s->find(static_cast<int>(handle));
        if (it == s->regs.end()) return;
        token old = it->token;
        s->regs.erase(it);
        s->purge_if_unused(old);
    }

    static constexpr std::size_t index(fake_operation op) noexcept { return static_cast<std::size_t>(op) % 5; }
    static constexpr bool any(fake_readiness r) noexcept {
        return r.readable || r.writable || r.error || r.read_closed || r.write_closed || r.priority;
    }
    static constexpr fake_readiness merge(fake_readiness a, fake_readiness b) noexcept {
        return {a.readable || b.readable, a.writable || b.writable, a.error || b.error,
                a.read_closed || b.read_closed, a.write_closed || b.write_closed, a.priority || b.priority};
    }
    static constexpr fake_readiness filter(fake_readiness r, interest i) noexcept {
        r.readable = r.readable && i.is_readable();
        r.writable = r.writable && i.is_writable();
        r.priority = r.priority && i.is_priority();
        return r;
    }

    std::shared_ptr<state> s_;
};

}  // namespace mio
