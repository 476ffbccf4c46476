// A Unix-domain stream echo server: every byte a client sends comes back to it.
//
//   unix_echo            serve on a socket in a new temporary directory until Ctrl-C
//                        (try: socat - UNIX-CONNECT:<the printed path>)
//   unix_echo --demo [N] also run N (default 8) clients on another thread, each sending 256 KiB and
//                        checking every echoed byte; exit 0 only if all came back intact
//
// The socket file and its directory are removed on exit.
#include "common.hpp"

#include <mio/mio.hpp>
#include <mio/net/unix_listener.hpp>
#include <mio/net/unix_stream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>  // mkdtemp
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace {

constexpr std::size_t demo_bytes = 256 * 1024;

// The socket file lives in a fresh directory; both go when this does.
struct socket_dir {
    std::string dir, path;
    socket_dir() {
        char tmpl[] = "/tmp/mio-unix-echo-XXXXXX";
        if (::mkdtemp(tmpl) == nullptr) return;
        dir = tmpl;
        path = dir + "/echo.sock";
    }
    ~socket_dir() {
        if (dir.empty()) return;
        ::unlink(path.c_str());
        ::rmdir(dir.c_str());
    }
};

// The byte at `offset` of client `id`'s message: differs per client and per position.
char pattern(std::size_t id, std::size_t offset) { return static_cast<char>((offset * 7 + id * 13) % 251); }

// One accepted client: what it sent that we have not echoed yet.
struct connection {
    mio::net::unix_stream stream;
    std::vector<char> pending{};
    bool read_closed = false;
};

// Reads all it can, then echoes all it can. Returns false when the connection is finished.
bool serve(connection& c) {
    char buf[16 * 1024];
    while (!c.read_closed) {
        auto n = c.stream.read(std::span<char>(buf));
        if (!n) {
            if (mio::is_would_block(n.error())) break;
            return false;  // reset by the peer
        }
        if (*n == 0) c.read_closed = true;
        c.pending.insert(c.pending.end(), buf, buf + *n);
    }
    while (!c.pending.empty()) {
        auto n = c.stream.write(std::span<const char>(c.pending));
        if (!n) {
            if (mio::is_would_block(n.error())) return true;  // a writable event will follow
            return false;
        }
        c.pending.erase(c.pending.begin(), c.pending.begin() + static_cast<std::ptrdiff_t>(*n));
    }
    return !c.read_closed;  // all echoed: done once the client has closed its side
}

// The demo clients, all in one poll on their own thread. True when every byte came back intact.
bool run_clients(const std::string& path, std::size_t count) {
    struct client {
        mio::net::unix_stream stream;
        std::size_t sent = 0, received = 0;
        bool done = false;
    };
    auto poll = mio::poll::create();
    if (!poll) return false;
    mio::events events(64);
    std::vector<client> clients;
    for (std::size_t i = 0; i < count; ++i) {
        auto s = mio::net::unix_stream::connect(path);
        if (!s) {
            std::fprintf(stderr, "client %zu: connect: %s\n", i, s.error().message().c_str());
            return false;
        }
        clients.push_back(client{std::move(*s)});
    }
    for (std::size_t i = 0; i < count; ++i)
        if (!poll->registry().add(clients[i].stream, mio::token{i}, mio::interest::readable | mio::interest::writable))
            return false;

    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::size_t finished = 0;
    while (finished < count && std::chrono::steady_clock::now() < deadline) {
        if (!poll->poll(events, std::chrono::milliseconds(100))) return false;
        for (auto event : events) {
            std::size_t id = event.token().value;
            client& c = clients[id];
            if (c.done) continue;
            // Send the rest of the message, a chunk at a time, then close our writing side.
            char chunk[8 * 1024];
            while (c.sent < demo_bytes) {
                std::size_t len = std::min(sizeof chunk, demo_bytes - c.sent);
                for (std::size_t k = 0; k < len; ++k) chunk[k] = pattern(id, c.sent + k);
                auto n = c.stream.write(std::span<const char>(chunk, len));
                if (!n) break;  // would_block: wait for the next writable event
                c.sent += *n;
                if (c.sent == demo_bytes) (void)c.stream.shutdown(mio::net::shutdown_how::write);
            }
            // Check every echoed byte.
            for (;;) {
                auto n = c.stream.read(std::span<char>(chunk));
                if (!n) break;  // would_block
                if (*n == 0) {
                    c.done = true;
                    ++finished;
                    if (c.received != demo_bytes) {
                        std::fprintf(stderr, "client %zu: got %zu of %zu bytes\n", id, c.received, demo_bytes);
                        return false;
                    }
                    break;
                }
                for (std::size_t k = 0; k < *n; ++k, ++c.received)
                    if (chunk[k] != pattern(id, c.received)) {
                        std::fprintf(stderr, "client %zu: byte %zu corrupted\n", id, c.received);
                        return false;
                    }
            }
        }
    }
    return finished == count;
}

}  // namespace

int main(int argc, char** argv) {
    auto opts = example::parse_args(argc, argv, {.has_port = false, .default_clients = 8});
    if (!opts) return 2;
    example::start_up();

    socket_dir where;
    if (where.dir.empty()) {
        std::perror("mkdtemp");
        return 1;
    }
    auto poll = mio::poll::create();
    if (!poll) return example::fail("poll", poll.error());
    auto listener = mio::net::unix_listener::bind(where.path);
    if (!listener) return example::fail("bind", listener.error());
    auto waker = mio::waker::create(poll->registry(), example::waker_token);
    if (!waker || !poll->registry().add(*listener, example::server_token, mio::interest::readable)) return 1;
    std::printf("echo server on %s\n", where.path.c_str());
    std::fflush(stdout);  // scripts read the path from a pipe

    example::demo demo(opts->demo_clients, *waker, [&] { return run_clients(where.path, opts->demo_clients); });

    mio::events events(128);
    std::map<std::size_t, connection> connections;
    std::size_t next_token = 2;
    example::serve_until_woken(*poll, events, [&](auto event) {
        if (event.token() == example::server_token) {
            example::accept_all(*listener, [&](auto accepted) {
                mio::token t{next_token++};
                auto [it, _] = connections.emplace(t.value, connection{std::move(accepted.first)});
                if (!poll->registry().add(it->second.stream, t, mio::interest::readable | mio::interest::writable))
                    connections.erase(it);
            });
        } else if (auto it = connections.find(event.token().value); it != connections.end()) {
            if (!serve(it->second)) connections.erase(it);  // closing removes it from the poll
        }
    });

    bool demo_ok = demo.join();
    if (!demo.running()) return 0;  // the socket file and its directory go with `where`
    std::printf("%zu clients: %s\n", opts->demo_clients, demo_ok ? "every byte echoed intact" : "FAILED");
    return demo_ok ? 0 : 1;
}
