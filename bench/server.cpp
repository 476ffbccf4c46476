// The W1/W2 echo server of the shared workloads (../shared/anchors/WORKLOADS.md), written
// with this library:
//
//   server PORT NCONN
//
// One thread, one poll. Listens on 127.0.0.1:PORT (SO_REUSEADDR, backlog 1024), sets
// TCP_NODELAY on every accepted connection, echoes every byte, keeps a backlog when a write
// is short and flushes it on writability, and exits 0 once NCONN connections were closed by
// their peers. Each connection is registered once, readable | writable (edge-triggered); over
// poll(2) readable only, with writable asked for while a backlog waits (writable_on_demand
// below; -DMIO_BENCH_ALWAYS_WRITABLE keeps readable | writable there too, to measure it).
//
// Read discipline: where the selector promises it (selector_traits<S>::short_read_drains:
// epoll), a read shorter than the buffer ends the read loop, because the next byte raises a
// new edge: 3 syscalls per request (poll, read, write). Over poll(2) a short read ends it too,
// and the server re-arms the connection with modify (rearm_by_modify below): 3 syscalls as
// well. Elsewhere the loop reads until would_block.
//
// With MIO_BENCH_BUSY_POLL=USECS[,BUDGET[,PREFER]] (epoll only) the epoll instance busy-polls
// (epoll_selector::set_busy_poll; see doc/busy_poll.md).
// Built with -DMIO_BENCH_SPIN (mio_bench_spin_server, mio_bench_uring_spin_server) the loop polls
// with a zero timeout and spins (the W1 spin variant: no sleeping in the kernel; over io_uring an
// empty poll makes no syscall). A compile-time choice: two instances of the loop in one program
// made g++ stop inlining poll and serve (+61 Ir per round trip), a run-time timeout costs +3.
//
// On exit it prints to stderr: "mio_bench allocs_steady=N allocs_total=M", where N counts the
// heap allocations made after the last connection was accepted (the measured phase).
#include "bench_common.hpp"
#include "bench_selector.hpp"

#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <vector>

namespace {

using selector = mio_bench::selector;
using poll_type = mio::basic_poll<selector, mio::fixed_storage<256>, mio::no_waker>;
using event = mio::basic_event<selector>;
// Over poll(2) a short read ends the read loop too, and the server re-arms the connection
// itself with registry().modify() and its unchanged interest, which poll_selector takes as a
// re-arm (no entry to patch): one read per event and 3 syscalls per request, as the
// level-triggered libevent and libev servers, instead of a second read that ends in
// would_block. (Re-arming a source is always safe over poll(2), which is level-triggered
// underneath: new bytes after the short read are reported, none are lost.)
constexpr bool rearm_by_modify = mio_bench::emulated_edges;
constexpr bool short_read_drains = mio::selector_traits<selector>::short_read_drains || rearm_by_modify;
// Emulated edges (poll(2)): a re-arm after a read's would_block re-arms the whole interest, and
// a socket registered writable is writable at once, so every round trip would pay one extra
// poll that reports writable alone (mio's poll backend does the same). There the server asks
// for writable only while a backlog waits, as the libevent and libev subjects do (their write
// watcher is added with the backlog and removed once it is flushed).
#if defined(MIO_BENCH_ALWAYS_WRITABLE)
constexpr bool writable_on_demand = false;
#else
constexpr bool writable_on_demand = mio_bench::emulated_edges;
#endif
#if defined(MIO_BENCH_SPIN)
constexpr std::optional<std::chrono::nanoseconds> loop_timeout{std::chrono::nanoseconds::zero()};
#else
constexpr std::optional<std::chrono::nanoseconds> loop_timeout{};
#endif
template <class S>
constexpr bool has_busy_poll = requires(S& s) { s.set_busy_poll({}); };

// A connection's token is its address (as a slab index would be in mio); 0 is the listener.
constexpr mio::token listener_token{0};
constexpr std::size_t read_buffer_size = 16 * 1024;

std::byte read_buffer[read_buffer_size];

bool interrupted(std::error_code ec) noexcept { return ec == std::errc::interrupted; }

[[noreturn]] void fail(const char* what, std::error_code ec) { mio_bench::die(what, ec.value()); }

struct connection {
    mio::net::tcp_stream stream;
    std::vector<std::byte> backlog;  // bytes not yet echoed (only after a short write)
    bool has_backlog = false;        // !backlog.empty(), in one byte: tested on every event
    bool asks_writable = !writable_on_demand;  // registered writable too

    // Handles one event. False when the connection is finished (end of stream or error).
    // A connection with a backlog takes the slow path; the common one tests that flag once.
    bool serve(const event& e) {
        if (has_backlog) [[unlikely]]
            return serve_backlogged(e);
        // Readable first, alone: the common case then costs one test.
        if (e.is_readable()) [[likely]]
            return on_readable();
        if (e.is_read_closed() || e.is_error()) return on_readable();
        return true;
    }

    // Reads and echoes what is there, with no backlog waiting. False when the connection is
    // finished. Inlined by force: it is the hot path, called from two places in serve().
    [[gnu::always_inline]] bool on_readable() {
        for (;;) {
            auto r = stream.read(std::span<std::byte>(read_buffer));
            if (!r) [[unlikely]] {
                if (mio::is_would_block(r.error())) return true;
                if (interrupted(r.error())) continue;
                return false;
            }
            std::size_t n = *r;
            if (n == 0) [[unlikely]]
                return false;
            auto data = std::span<const std::byte>(read_buffer, n);
            auto w = stream.write(data);
            if (!w || *w != n) [[unlikely]] {
                if (!echo_rest(w, data)) return false;
                if (has_backlog) return read_into_backlog();
            }
            if constexpr (short_read_drains) {
                if (n < read_buffer_size) [[likely]]
                    return true;  // drained: the next byte raises a new edge
            }
        }
    }

    // The slow path of serve(): flush the backlog when writable, then read into it (or echo
    // straight again once it is empty).
    [[gnu::noinline]] bool serve_backlogged(event e) {
        if (e.is_writable() && !flush()) return false;
        if (!e.is_readable() && !e.is_read_closed() && !e.is_error()) return true;
        return has_backlog ? read_into_backlog() : on_readable();
    }

    // Reads until would_block, appending to the backlog (the socket is not writable: writes
    // wait for the writable edge and flush()).
    [[gnu::noinline]] bool read_into_backlog() {
        for (;;) {
            auto r = stream.read(std::span<std::byte>(read_buffer));
            if (!r) {
                if (mio::is_would_block(r.error())) return true;
                if (interrupted(r.error())) continue;
                return false;
            }
            if (*r == 0) return false;
            keep(std::span<const std::byte>(read_buffer, *r));
            if constexpr (short_read_drains) {
                if (*r < read_buffer_size) return true;
            }
        }
    }

    // The rare rest of echo: a short write, would_block (keep the rest) or an error.
    [[gnu::noinline]] bool echo_rest(mio::result<std::size_t> w, std::span<const std::byte> data) {
        for (;;) {
            if (w) {
                data = data.subspan(*w);
                if (data.empty()) return true;
            } else if (mio::is_would_block(w.error())) {
                return keep(data);
            } else if (!interrupted(w.error())) {
                return false;
            }
            w = stream.write(data);
        }
    }

    [[gnu::noinline]] bool keep(std::span<const std::byte> data) {
        backlog.insert(backlog.end(), data.begin(), data.end());
        has_backlog = true;
        return true;
    }

    // Writes as much of the backlog as the socket takes. False on a fatal error.
    [[gnu::noinline]] bool flush() {
        std::size_t done = 0;
        while (done < backlog.size()) {
            auto w = stream.write(std::span<const std::byte>(backlog).subspan(done));
            if (w) {
                done += *w;
                continue;
            }
            if (mio::is_would_block(w.error())) break;
            if (interrupted(w.error())) continue;
            return false;
        }
        backlog.erase(backlog.begin(), backlog.begin() + static_cast<std::ptrdiff_t>(done));
        has_backlog = !backlog.empty();
        return true;
    }
};

class server {
public:
    server(poll_type poll, mio::net::tcp_listener listener, long nconn)
        : poll_(std::move(poll)), listener_(std::move(listener)), nconn_(nconn) {
        conns_.reserve(static_cast<std::size_t>(nconn));
    }

    // The event loop: returns once nconn connections were closed by their peers.
    void run() {
        long closed = 0;
        for (;;) {
            if (auto r = poll_.poll(events_, loop_timeout); !r) [[unlikely]] {
                if (interrupted(r.error())) continue;
                fail("poll", r.error());
            }
            for (auto e : events_) {
                auto* c = reinterpret_cast<connection*>(e.token().value);
                if (c == nullptr) [[unlikely]] {
                    accept_all();
                    continue;
                }
                if (!c->serve(e)) [[unlikely]] {
                    close(c);
                    if (++closed == nconn_) return;
                    continue;
                }
                if constexpr (writable_on_demand) {
                    if (c->has_backlog != c->asks_writable) [[unlikely]] {
                        ask_writable(c, e.token());  // re-arms too
                        continue;
                    }
                }
                if constexpr (rearm_by_modify) rearm(c, e.token());
            }
        }
    }

    std::uint64_t steady_from() const noexcept { return steady_from_; }

private:
    [[gnu::noinline]] void accept_all() {
        for (;;) {
            auto a = listener_.accept();
            if (!a) {
                if (mio::is_would_block(a.error())) return;
                if (interrupted(a.error()) || a.error() == std::errc::connection_aborted) continue;
                fail("accept", a.error());
            }
            auto c = std::make_unique<connection>(connection{std::move(a->first), {}});
            if (auto r = c->stream.set_nodelay(true); !r) fail("set_nodelay", r.error());
            auto t = mio::token(reinterpret_cast<std::size_t>(c.get()));
            auto i = writable_on_demand ? mio::interest::readable : mio::interest::readable | mio::interest::writable;
            if (auto r = poll_.registry().add(c->stream, t, i); !r)
                fail("add", r.error());
            conns_.push_back(std::move(c));
            steady_from_ = mio_bench::allocation_count();
        }
    }

    // Emulated edges: writable is asked for exactly while a backlog waits.
    [[gnu::noinline]] void ask_writable(connection* c, mio::token t) {
        c->asks_writable = c->has_backlog;
        auto i = c->has_backlog ? mio::interest::readable | mio::interest::writable : mio::interest::readable;
        if (auto r = poll_.registry().modify(c->stream, t, i); !r) fail("modify", r.error());
    }
    // Emulated edges: the read loop stopped at a short read (see rearm_by_modify).
    void rearm(connection* c, mio::token t) {
        auto i = c->asks_writable ? mio::interest::readable | mio::interest::writable : mio::interest::readable;
        if (auto r = poll_.registry().modify(c->stream, t, i); !r) [[unlikely]]
            fail("modify", r.error());
    }
    // Dropping the stream closes it, which also removes it from the poll.
    [[gnu::noinline]] void close(connection* c) {
        for (auto& p : conns_) {
            if (p.get() == c) {
                p.reset();
                return;
            }
        }
    }

    poll_type poll_;
    mio::net::tcp_listener listener_;
    long nconn_;
    poll_type::events_type events_;
    std::vector<std::unique_ptr<connection>> conns_;
    std::uint64_t steady_from_ = mio_bench::allocation_count();
};

}  // namespace

// MIO_BENCH_BUSY_POLL=USECS[,BUDGET[,PREFER]]: epoll only (false elsewhere).
template <class Poll>
bool set_busy_poll(Poll& poll, const char* spec) {
    if constexpr (has_busy_poll<typename Poll::selector_type>) {
        unsigned usecs = 0, budget = 8, prefer = 1;
        (void)std::sscanf(spec, "%u,%u,%u", &usecs, &budget, &prefer);
        auto r = poll.selector().set_busy_poll({usecs, static_cast<std::uint16_t>(budget), prefer != 0});
        if (!r) fail("set_busy_poll", r.error());
        return true;
    } else {
        std::fprintf(stderr, "MIO_BENCH_BUSY_POLL: this selector has no busy polling\n");
        return false;
    }
}

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s PORT NCONN\n", argv[0]);
        return 2;
    }
    auto port = static_cast<std::uint16_t>(mio_bench::arg_long(argc, argv, 1, 0));
    long nconn = mio_bench::arg_long(argc, argv, 2, 1);
    mio_bench::raise_nofile(4096);

    auto poll = poll_type::create();
    if (!poll) fail("poll", poll.error());
    if (const char* bp = std::getenv("MIO_BENCH_BUSY_POLL")) {
        if (!set_busy_poll(*poll, bp)) return 2;
    }
    auto listener = mio::net::tcp_listener::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, port), 1024);  // bursts of clients
    if (!listener) fail("bind", listener.error());
    if (auto r = poll->registry().add(*listener, listener_token, mio::interest::readable); !r) fail("add", r.error());

    auto srv = std::make_unique<server>(std::move(*poll), std::move(*listener), nconn);
    srv->run();
    std::fprintf(stderr, "mio_bench allocs_steady=%llu allocs_total=%llu\n",
                 static_cast<unsigned long long>(mio_bench::allocation_count() - srv->steady_from()),
                 static_cast<unsigned long long>(mio_bench::allocation_count()));
    return 0;
}
