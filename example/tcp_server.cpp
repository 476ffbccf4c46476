// A TCP echo server: every byte a client sends comes back to it (mio's tcp_server example,
// echoing instead of greeting).
//
//   tcp_server                  serve on 127.0.0.1 and a free port (printed) until Ctrl-C
//                               (try: nc 127.0.0.1 <port>)
//   tcp_server --port 9000      serve on 127.0.0.1:9000
//   tcp_server --demo [N]       also run N clients (default 100) on another thread: each sends a
//                               message (16 KiB to 8 MiB), then reads the echo and checks every byte;
//                               exit 0 only if all came back intact
//   (--port and --demo combine; the demo's clients are plain mio sockets on a second poll)
//
// What it shows: edge-triggered readiness (read and write until would_block), partial writes
// (a per-connection backlog of bytes not yet echoed), backpressure (a client that does not
// read its echo is not read from either), clients that close, and a waker to stop the loop.
#include "common.hpp"

#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t max_backlog = 8 << 20;  // stop reading from a client this far behind

// One accepted client, and what it sent that we have not echoed yet: backlog[echoed...].
struct connection {
    mio::net::tcp_stream stream;
    std::vector<char> backlog{};
    std::size_t echoed = 0;
    bool read_closed = false;
};

// Called on every event for a client. Reads and echoes until the socket would block (only
// then does a new event come: readiness is edge-triggered). Returns false when the
// connection is finished: the client closed and got all its bytes back, or it failed.
bool serve(connection& c, std::size_t& blocked_writes) {
    char buf[64 * 1024];
    bool writable = true;
    for (;;) {
        // Echo the backlog. A partial write leaves the rest for the next writable event.
        while (writable && c.echoed < c.backlog.size()) {
            auto n = c.stream.write(std::span<const char>(c.backlog).subspan(c.echoed));
            if (!n && !mio::is_would_block(n.error())) return false;  // reset by the client
            if (!n) {
                writable = false;
                ++blocked_writes;
            } else {
                c.echoed += *n;
            }
        }
        if (c.echoed > c.backlog.size() / 2) {  // drop what was echoed, a large part at a time
            c.backlog.erase(c.backlog.begin(), c.backlog.begin() + static_cast<std::ptrdiff_t>(c.echoed));
            c.echoed = 0;
        }
        if (c.read_closed) return c.echoed < c.backlog.size();  // finished once all is echoed
        if (c.backlog.size() - c.echoed >= max_backlog) return true;  // wait until the client reads
        auto n = c.stream.read(std::span<char>(buf));
        if (!n) return mio::is_would_block(n.error());  // would_block: wait for the next event
        if (*n == 0) c.read_closed = true;              // the client closed its writing side
        else c.backlog.insert(c.backlog.end(), buf, buf + *n);
    }
}

// ---- The demo: N clients on their own thread and their own poll -------------------------

char pattern(std::size_t id, std::size_t offset) { return static_cast<char>((offset * 7 + id * 13) % 251); }
// 16-64 KiB; 8 MiB for every hundredth client, more than the OS buffers on loopback, so the
// server's writes must wait (but no more than max_backlog, or a client that sends everything
// before reading could stall its connection).
std::size_t message_size(std::size_t id) {
    return id % 100 == 0 ? max_backlog : 16 * 1024 + (id * 7919) % (48 * 1024);
}

// True when every client got its whole message back, byte for byte, then end of stream.
bool run_clients(const mio::net::socket_address& server, std::size_t count) {
    struct client {
        mio::net::tcp_stream stream;
        std::size_t sent = 0, received = 0;
        bool done = false;
    };
    auto poll = mio::poll::create();
    if (!poll) return false;
    mio::events events(256);
    std::vector<client> clients;
    clients.reserve(count);
    for (std::size_t id = 0; id < count; ++id) {
        auto s = mio::net::tcp_stream::connect(server);  // completes in the background
        if (!s || !poll->registry().add(*s, mio::token{id}, mio::interest::readable | mio::interest::writable)) {
            std::fprintf(stderr, "client %zu: connect failed\n", id);
            return false;
        }
        clients.push_back(client{std::move(*s)});
    }

    std::size_t finished = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(50);
    while (finished < count && std::chrono::steady_clock::now() < deadline) {
        if (auto r = poll->poll(events, std::chrono::milliseconds(100)); !r && r.error() != std::errc::interrupted)
            return false;
        for (auto event : events) {
            const std::size_t id = event.token().value;
            client& c = clients[id];
            if (c.done) continue;
            // Send the rest of the message, then close our writing side.
            const std::size_t size = message_size(id);
            char chunk[16 * 1024];
            while (c.sent < size) {
                std::size_t len = std::min(sizeof chunk, size - c.sent);
                for (std::size_t k = 0; k < len; ++k) chunk[k] = pattern(id, c.sent + k);
                auto n = c.stream.write(std::span<const char>(chunk, len));
                if (!n && mio::is_would_block(n.error())) break;  // wait for a writable event
                if (!n) {
                    std::fprintf(stderr, "client %zu: write: %s\n", id, n.error().message().c_str());
                    return false;
                }
                c.sent += *n;
                if (c.sent == size) (void)c.stream.shutdown(mio::net::shutdown_how::write);
            }
            // Only then read the echo (as a request/response client would), so that the server
            // must keep a backlog. Check every byte; end of stream means the server is done.
            while (c.sent == size) {
                auto n = c.stream.read(std::span<char>(chunk));
                if (!n && mio::is_would_block(n.error())) break;
                if (!n || (*n == 0 && c.received != size)) {
                    std::fprintf(stderr, "client %zu: got %zu of %zu bytes back\n", id, c.received, size);
                    return false;
                }
                if (*n == 0) {
                    c.done = true;
                    ++finished;
                    break;
                }
                for (std::size_t k = 0; k < *n; ++k, ++c.received)
                    if (chunk[k] != pattern(id, c.received)) {
                        std::fprintf(stderr, "client %zu: byte %zu is wrong\n", id, c.received);
                        return false;
                    }
            }
        }
    }
    if (finished < count) std::fprintf(stderr, "only %zu of %zu clients finished in time\n", finished, count);
    return finished == count;
}

}  // namespace

int main(int argc, char** argv) {
    auto opts = example::parse_args(argc, argv);
    if (!opts) return 2;
    example::start_up();

    auto poll = mio::poll::create();
    if (!poll) return example::fail("poll", poll.error());
    auto listener = mio::net::tcp_listener::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, opts->port), 1024);  // --demo 1000 connects in a burst
    if (!listener) return example::fail("bind", listener.error());
    auto waker = mio::waker::create(poll->registry(), example::waker_token);
    if (!waker || !poll->registry().add(*listener, example::server_token, mio::interest::readable)) return 1;
    auto address = *listener->local_addr();
    std::printf("echo server on %s\n", address.to_string().c_str());
    std::fflush(stdout);  // scripts read the address from a pipe

    example::demo demo(opts->demo_clients, *waker, [&] { return run_clients(address, opts->demo_clients); });

    mio::events events(1024);
    std::unordered_map<std::size_t, connection> connections;
    std::size_t next_token = 2, accepted = 0, blocked_writes = 0;
    example::serve_until_woken(*poll, events, [&](auto event) {
        if (event.token() == example::server_token) {
            example::accept_all(*listener, [&](auto a) {
                mio::token t{next_token++};
                auto& c = connections.emplace(t.value, connection{std::move(a.first)}).first->second;
                if (!poll->registry().add(c.stream, t, mio::interest::readable | mio::interest::writable))
                    connections.erase(t.value);
                ++accepted;
            });
        } else if (auto it = connections.find(event.token().value); it != connections.end()) {
            if (!serve(it->second, blocked_writes)) connections.erase(it);  // closing removes it from the poll
        }
    });

    bool demo_ok = demo.join();
    if (!demo.running()) return 0;
    std::printf("%zu clients (%zu accepted, %zu writes waited for the client): %s\n", opts->demo_clients, accepted,
                blocked_writes, demo_ok ? "every byte echoed intact" : "FAILED");
    return demo_ok ? 0 : 1;
}
