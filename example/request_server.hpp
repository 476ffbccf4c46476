// The event loop shared by resp_server and http_server: one thread, one mio::poll, a TCP
// listener on 127.0.0.1, and connections that carry request/reply protocols. The protocol
// (example/resp.hpp, example/http.hpp) only turns buffered bytes into replies; everything
// about sockets lives here:
//
// - edge-triggered readiness: a connection reads until would_block (or, where the selector
//   promises it, until a read comes back short: selector_traits<S>::short_read_drains);
// - partial requests: unparsed bytes stay in the connection's input buffer for the next read;
// - pipelining: every complete request in the buffer is answered, in order, into one output
//   buffer that goes out in one write;
// - partial writes: what the socket does not take waits for a writable event, and while more
//   than `high_water` bytes wait, the connection is not read from (the client must read first);
// - limits: a request larger than `max_request` bytes is refused by the protocol and the
//   connection closed; with `request_timeout`, a request still incomplete after that long
//   (a slowloris client) is refused the same way;
// - closing after a reply (an error, `Connection: close`): the reply is flushed, our side is
//   shut down, and what the client still sends is read and dropped until it closes or for at
//   most `linger` (closing a socket with unread input would send a reset, and the reset can
//   destroy the reply before the client reads it).
//
// Allocation: a connection's buffers start small and grow by doubling to the largest request
// or reply backlog seen; after that, serving a request allocates nothing here.
#pragma once

#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace example {

/// A growable byte buffer with a consumed prefix: bytes [begin, end) are live.
class byte_buffer {
public:
    explicit byte_buffer(std::size_t initial = 4096) : data_(new char[initial]), capacity_(initial) {}

    std::string_view view() const noexcept { return {data_.get() + begin_, end_ - begin_}; }
    std::size_t size() const noexcept { return end_ - begin_; }
    bool empty() const noexcept { return begin_ == end_; }
    std::size_t capacity() const noexcept { return capacity_; }

    void consume(std::size_t n) noexcept {
        begin_ += n;
        if (begin_ == end_) begin_ = end_ = 0;
    }
    void clear() noexcept { begin_ = end_ = 0; }

    /// Free space at the end, after moving live bytes to the front and, if that leaves less
    /// than `want` bytes, doubling the capacity (never beyond `limit` unless already there).
    std::span<char> space(std::size_t want, std::size_t limit) {
        if (capacity_ - end_ >= want) return {data_.get() + end_, capacity_ - end_};
        if (begin_ > 0) {
            std::memmove(data_.get(), data_.get() + begin_, end_ - begin_);
            end_ -= begin_;
            begin_ = 0;
        }
        if (capacity_ - end_ < want && capacity_ < limit) reserve(std::max(capacity_ * 2, end_ + want));
        return {data_.get() + end_, capacity_ - end_};
    }
    void commit(std::size_t n) noexcept { end_ += n; }

    void append(std::string_view s) {
        if (capacity_ - end_ < s.size()) (void)space(s.size(), static_cast<std::size_t>(-1));
        std::memcpy(data_.get() + end_, s.data(), s.size());
        end_ += s.size();
    }
    /// Appends `n` in decimal.
    void append_number(long long n) {
        char digits[24];
        char* p = digits + sizeof digits;
        unsigned long long u = n < 0 ? 0ULL - static_cast<unsigned long long>(n) : static_cast<unsigned long long>(n);
        do {
            *--p = static_cast<char>('0' + u % 10);
            u /= 10;
        } while (u != 0);
        if (n < 0) *--p = '-';
        append(std::string_view(p, static_cast<std::size_t>(digits + sizeof digits - p)));
    }

private:
    void reserve(std::size_t capacity) {
        std::unique_ptr<char[]> bigger(new char[capacity]);
        std::memcpy(bigger.get(), data_.get() + begin_, end_ - begin_);
        end_ -= begin_;
        begin_ = 0;
        data_ = std::move(bigger);
        capacity_ = capacity;
    }

    std::unique_ptr<char[]> data_;
    std::size_t capacity_;
    std::size_t begin_ = 0, end_ = 0;
};

/// What a protocol's handle() did with the buffered input.
struct handled {
    std::size_t consumed = 0;  ///< bytes of complete requests, now answered
    bool close = false;        ///< the protocol ends the connection after the replies so far
};

/// Tuning of a request_server. Defaults suit the benchmarks and the demos.
struct server_options {
    std::uint16_t port = 0;                      ///< 0: any free port (see local_addr())
    std::size_t max_request = 1 << 20;           ///< larger requests are refused
    std::size_t high_water = 1 << 20;            ///< unsent reply bytes above which reading pauses
    std::chrono::milliseconds request_timeout{};  ///< 0: none; else the longest an incomplete request may wait
    std::chrono::milliseconds linger{2000};      ///< longest wait for the client to close after our close
};

/// Counters, for the demos and the tests; readable from any thread while the server runs.
struct server_stats {
    std::atomic<std::size_t> accepted{0}, closed{0}, refused{0}, timed_out{0};
};

/// A request/reply server over one poll. `Protocol` provides (see resp.hpp, http.hpp):
///   handled handle(std::string_view input, byte_buffer& out);  // answer complete requests
///   void refuse_oversized(byte_buffer& out);                  // reply to a request > max_request
///   void refuse_slow(byte_buffer& out);                       // reply to a request past request_timeout
///   void on_wake();                                           // once per poll wake-up (clocks)
template <class Protocol>
class request_server {
public:
    /// Binds 127.0.0.1:options.port and prepares the poll; returns an error when either fails.
    static mio::result<std::unique_ptr<request_server>> create(Protocol& protocol, server_options options) {
        auto poll = mio::poll::create();
        if (!poll) return poll.error();
        auto listener = mio::net::tcp_listener::bind(
            mio::net::socket_address(mio::net::ipv4_address::loopback, options.port));
        if (!listener) return listener.error();
        auto waker = mio::waker::create(poll->registry(), waker_token);
        if (!waker) return waker.error();
        if (auto r = poll->registry().add(*listener, listener_token, mio::interest::readable); !r)
            return r.error();
        return std::unique_ptr<request_server>(
            new request_server(protocol, options, std::move(*poll), std::move(*listener), std::move(*waker)));
    }

    mio::net::socket_address local_addr() const { return *listener_.local_addr(); }

    /// Serves until stop() is called (from any thread) or `keep_going` returns false (it is
    /// asked after every wake-up: a signal flag, say). Returns the poll's error if it fails.
    template <class KeepGoing>
    mio::result<void> run(KeepGoing keep_going) {
        // Wake at least this often when something may expire (timeouts, lingering closes).
        const auto tick = std::chrono::milliseconds(100);
        while (!stopping_ && keep_going()) {
            std::optional<std::chrono::milliseconds> timeout;
            if (options_.request_timeout.count() > 0 || lingering_ > 0) timeout = tick;
            if (auto r = poll_.poll(events_, timeout); !r) {
                if (r.error() == std::errc::interrupted) continue;
                return r.error();
            }
            now_ = clock::now();
            protocol_.on_wake();
            for (auto e : events_) {
                const std::size_t t = e.token().value;
                if (t == listener_token.value) {
                    accept_all();
                } else if (t == waker_token.value) {
                    stopping_ = true;
                } else if (t - first_connection < slots_.size() && slots_[t - first_connection]) {
                    connection& c = *slots_[t - first_connection];
                    if (!serve(c, e.is_readable(), e.is_read_closed() || e.is_error())) drop(t - first_connection);
                }
            }
            if (timeout && now_ - last_sweep_ >= tick) sweep();
        }
        return {};
    }
    mio::result<void> run() {
        return run([] { return true; });
    }

    /// Makes run() return soon; safe from any thread.
    mio::result<void> stop() { return waker_.wake(); }

    const server_stats& stats() const noexcept { return stats_; }
    /// Connections open now; readable from any thread.
    std::size_t open_connections() const noexcept { return stats_.accepted - stats_.closed; }

private:
    using clock = std::chrono::steady_clock;
    static constexpr mio::token listener_token{0};
    static constexpr mio::token waker_token{1};
    static constexpr std::size_t first_connection = 2;  // token of slot 0
    static constexpr bool short_read_drains = mio::selector_traits<mio::default_selector>::short_read_drains;

    enum class state : unsigned char { serving, closing, lingering };

    struct connection {
        explicit connection(mio::net::tcp_stream s) : stream(std::move(s)) {}
        mio::net::tcp_stream stream;
        byte_buffer in, out;
        state st = state::serving;
        bool read_paused = false;      // stopped reading without seeing would_block (backpressure)
        clock::time_point since{};     // serving: when the incomplete request began; lingering: when it began
        std::size_t lingered = 0;      // bytes dropped while lingering
    };

    request_server(Protocol& protocol, server_options options, mio::poll poll, mio::net::tcp_listener listener,
                   mio::waker waker)
        : protocol_(protocol),
          options_(options),
          poll_(std::move(poll)),
          listener_(std::move(listener)),
          waker_(std::move(waker)),
          events_(1024) {}

    void accept_all() {
        for (;;) {
            auto a = listener_.accept();
            if (!a) {
                if (mio::is_would_block(a.error())) return;
                if (a.error() == std::errc::connection_aborted || a.error() == std::errc::interrupted) continue;
                // EMFILE and the like: the backlog keeps the client until an fd frees up.
                std::fprintf(stderr, "accept: %s\n", a.error().message().c_str());
                return;
            }
            (void)a->first.set_nodelay(true);  // replies are small and must not wait for Nagle
            std::size_t slot;
            if (!free_.empty()) {
                slot = free_.back();
                free_.pop_back();
            } else {
                slot = slots_.size();
                slots_.emplace_back();
            }
            slots_[slot] = std::make_unique<connection>(std::move(a->first));
            if (!poll_.registry().add(slots_[slot]->stream, mio::token{slot + first_connection},
                                      mio::interest::readable | mio::interest::writable)) {
                slots_[slot].reset();
                free_.push_back(slot);
                continue;
            }
            ++stats_.accepted;
        }
    }

    void drop(std::size_t slot) {
        if (slots_[slot]->st == state::lingering) --lingering_;
        slots_[slot].reset();  // closing the socket removes it from the poll
        free_.push_back(slot);
        ++stats_.closed;
    }

    // One event for `c`. False when the connection is finished. `closed_too`: the event also
    // says the client closed or failed; then a short read does not prove the socket drained
    // (the end of stream came with the last bytes, and no further edge announces it).
    bool serve(connection& c, bool readable, bool closed_too) {
        if (!flush(c)) return false;
        if (c.st == state::lingering) return readable || closed_too ? linger_read(c) : true;
        if (c.st == state::closing) return c.out.empty() ? start_lingering(c) : true;
        if (readable || closed_too || c.read_paused) {
            if (!read_all(c, closed_too)) return false;
            if (!flush(c)) return false;
            if (c.st == state::closing && c.out.empty()) return start_lingering(c);
        }
        return true;
    }

    // Reads until the socket is drained or the reply backlog is too large, answering
    // requests as they complete. False on end of stream (with nothing left to send) or error.
    bool read_all(connection& c, bool until_would_block) {
        c.read_paused = false;
        for (;;) {
            if (c.out.size() > options_.high_water) {
                // Wait for the client to read; the writable event that follows resumes us.
                c.read_paused = true;
                return true;
            }
            auto space = c.in.space(1024, options_.max_request);
            if (space.empty()) {  // a full buffer and no complete request in it
                ++stats_.refused;
                protocol_.refuse_oversized(c.out);
                c.st = state::closing;
                return true;
            }
            auto n = c.stream.read(space);
            if (!n) {
                if (mio::is_would_block(n.error())) return true;
                if (n.error() == std::errc::interrupted) continue;
                return false;
            }
            if (*n == 0) {  // the client closed its side: send what is owed, then close
                c.st = state::closing;
                return !c.out.empty();
            }
            c.in.commit(*n);
            handled h = protocol_.handle(c.in.view(), c.out);
            c.in.consume(h.consumed);
            if (h.close) {
                c.in.clear();
                c.st = state::closing;
                return true;
            }
            // The clock of request_timeout runs from the start of the request now incomplete,
            // so a client that streams pipelined requests is never cut off.
            if (c.in.empty()) c.since = {};
            else if (h.consumed > 0 || c.since == clock::time_point{}) c.since = now_;
            if constexpr (short_read_drains) {
                if (*n < space.size() && !until_would_block) return true;  // drained: the next byte raises a new edge
            }
        }
    }

    // Writes what the socket takes. False on a write error (the client went away).
    bool flush(connection& c) {
        while (!c.out.empty()) {
            auto w = c.stream.write(std::span<const char>(c.out.view().data(), c.out.size()));
            if (!w) {
                if (mio::is_would_block(w.error())) return true;
                if (w.error() == std::errc::interrupted) continue;
                return false;
            }
            c.out.consume(*w);
        }
        return true;
    }

    bool start_lingering(connection& c) {
        if (!c.stream.shutdown(mio::net::shutdown_how::write)) return false;
        c.st = state::lingering;
        c.since = now_;
        ++lingering_;
        return linger_read(c);
    }

    // Drops what the client still sends; false (close now) at its end of stream, on an error,
    // or once it has sent more than a request's worth.
    bool linger_read(connection& c) {
        char sink[4096];
        for (;;) {
            auto n = c.stream.read(std::span<char>(sink));
            if (!n) return mio::is_would_block(n.error()) || n.error() == std::errc::interrupted;
            if (*n == 0) return false;
            c.lingered += *n;
            if (c.lingered > options_.max_request) return false;
        }
    }

    // Expires lingering connections and, with request_timeout, requests that take too long.
    void sweep() {
        last_sweep_ = now_;
        for (std::size_t slot = 0; slot < slots_.size(); ++slot) {
            connection* c = slots_[slot].get();
            if (!c) continue;
            if (c->st == state::lingering) {
                if (now_ - c->since >= options_.linger) drop(slot);
            } else if (c->st == state::serving && options_.request_timeout.count() > 0 &&
                       c->since != clock::time_point{} && now_ - c->since >= options_.request_timeout) {
                ++stats_.timed_out;
                protocol_.refuse_slow(c->out);
                c->in.clear();
                c->st = state::closing;
                if (!serve(*c, false, false)) drop(slot);
            }
        }
    }

    Protocol& protocol_;
    server_options options_;
    mio::poll poll_;
    mio::net::tcp_listener listener_;
    mio::waker waker_;
    mio::events events_;
    std::vector<std::unique_ptr<connection>> slots_;  // token - first_connection -> connection
    std::vector<std::size_t> free_;                   // empty slots, reused first
    std::size_t lingering_ = 0;
    bool stopping_ = false;
    clock::time_point now_ = clock::now(), last_sweep_ = now_;
    server_stats stats_;
};

/// The command line both servers share: `--port P`, `--demo`, `--request-timeout-ms T`.
struct command_line {
    server_options options;
    bool demo = false;
};

inline std::optional<command_line> parse_command_line(int argc, char** argv, server_options defaults = {}) {
    command_line cl{defaults};
    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto number = [&](unsigned long max) -> std::optional<unsigned long> {
            if (i + 1 >= argc) return std::nullopt;
            char* end = nullptr;
            unsigned long v = std::strtoul(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *end != '\0' || v > max) return std::nullopt;
            return v;
        };
        if (arg == "--port") {
            auto p = number(65535);
            if (!p) return std::nullopt;
            cl.options.port = static_cast<std::uint16_t>(*p);
        } else if (arg == "--request-timeout-ms") {
            auto t = number(86'400'000);
            if (!t) return std::nullopt;
            cl.options.request_timeout = std::chrono::milliseconds(*t);
        } else if (arg == "--demo") {
            cl.demo = true;
        } else {
            return std::nullopt;
        }
    }
    return cl;
}

namespace detail {
inline std::atomic<bool> interrupted{false};
extern "C" inline void on_signal(int) { interrupted = true; }
}  // namespace detail

/// The main() both servers share: serves on options.port until SIGINT/SIGTERM, printing
/// "<name> on <address>" first (scripts read it from a pipe). With `demo`, runs
/// `run_demo(address)` on another thread, stops when it returns, and exits 0 only if it
/// returned true.
template <class Protocol, class Demo>
int serve_main(const char* name, Protocol& protocol, const server_options& options, bool demo, Demo run_demo) {
    auto server = request_server<Protocol>::create(protocol, options);
    if (!server) return std::fprintf(stderr, "%s: %s\n", name, server.error().message().c_str()), 1;
    const auto address = (*server)->local_addr();
    std::printf("%s on %s\n", name, address.to_string().c_str());
    std::fflush(stdout);

    struct sigaction sa {};
    sa.sa_handler = detail::on_signal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);  // a client that closes early is an error code, not a signal

    std::atomic<bool> demo_ok{false};
    std::thread demo_thread;
    if (demo)
        demo_thread = std::thread([&] {
            demo_ok = run_demo(address);
            (void)(*server)->stop();
        });
    auto r = (*server)->run([] { return !detail::interrupted.load(); });
    if (demo_thread.joinable()) demo_thread.join();
    if (!r) return std::fprintf(stderr, "%s: poll: %s\n", name, r.error().message().c_str()), 1;
    if (!demo) return 0;
    const auto& st = (*server)->stats();
    std::printf("%s: %zu connections, %zu refused: %s\n", name, st.accepted.load(), st.refused.load(), demo_ok ? "ok" : "FAILED");
    return demo_ok ? 0 : 1;
}

/// A blocking-style client for the demos, over its own poll: sends a request and waits,
/// bounded in time, for an exact reply.
class demo_client {
public:
    static std::optional<demo_client> connect(const mio::net::socket_address& server) {
        auto poll = mio::poll::create();
        if (!poll) return std::nullopt;
        auto s = mio::net::tcp_stream::connect(server);
        if (!s || !poll->registry().add(*s, mio::token{0}, mio::interest::readable | mio::interest::writable))
            return std::nullopt;
        return demo_client(std::move(*poll), std::move(*s));
    }

    /// Sends `request` (in pieces of `chunk` bytes, to exercise partial requests), then reads
    /// until `expected.size()` bytes came; true if they are `expected`. Prints what differs.
    bool exchange(std::string_view request, std::string_view expected, std::size_t chunk = static_cast<std::size_t>(-1)) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        std::size_t sent = 0;
        std::string got;
        while (got.size() < expected.size() && std::chrono::steady_clock::now() < deadline) {
            while (sent < request.size()) {
                auto piece = request.substr(sent, chunk);
                auto w = stream_.write(std::span<const char>(piece.data(), piece.size()));
                if (!w) break;  // would_block (or an error the read below reports)
                sent += *w;
                if (chunk != static_cast<std::size_t>(-1)) break;  // one piece per round
            }
            char buf[16384];
            for (;;) {
                auto n = stream_.read(std::span<char>(buf));
                if (!n) break;
                if (*n == 0) {
                    closed_ = true;
                    break;
                }
                got.append(buf, *n);
            }
            if (closed_ || got.size() >= expected.size()) break;
            (void)poll_.poll(events_, std::chrono::milliseconds(sent < request.size() ? 1 : 50));
        }
        std::string want(expected);
        if (mask_dates_) {
            mask_date(got);
            mask_date(want);
        }
        if (got != want) {
            std::fprintf(stderr, "demo: sent %.60s...\n  expected %zu bytes: %.80s\n  got %zu bytes: %.80s\n",
                         std::string(request).c_str(), expected.size(), std::string(expected).c_str(), got.size(),
                         got.c_str());
            return false;
        }
        return true;
    }

    /// Compare HTTP replies with every Date header's value taken out (it depends on the second).
    void mask_dates(bool on) noexcept { mask_dates_ = on; }

    /// True when the server closes the connection within a few seconds (and sends nothing more).
    bool closed_by_server() {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!closed_ && std::chrono::steady_clock::now() < deadline) {
            char buf[256];
            auto n = stream_.read(std::span<char>(buf));
            if (n && *n == 0) closed_ = true;
            else if (n) return false;
            else if (!mio::is_would_block(n.error())) closed_ = true;  // a reset is a close too
            else (void)poll_.poll(events_, std::chrono::milliseconds(50));
        }
        return closed_;
    }

private:
    demo_client(mio::poll p, mio::net::tcp_stream s) : poll_(std::move(p)), stream_(std::move(s)), events_(8) {}
    mio::poll poll_;
    mio::net::tcp_stream stream_;
    mio::events events_;
    bool closed_ = false;
    bool mask_dates_ = false;

    static void mask_date(std::string& s) {
        for (std::size_t at = s.find("\r\nDate: "); at != std::string::npos; at = s.find("\r\nDate: ", at + 1)) {
            std::size_t from = at + 8, to = s.find("\r\n", from);
            if (to == std::string::npos) break;
            s.erase(from, to - from);
        }
    }
};

}  // namespace example
