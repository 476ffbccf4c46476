// A Unix-domain stream echo server: every byte a client sends comes back to it.
//
//   unix_echo            serve on a socket in a new temporary directory until Ctrl-C
//                        (try: socat - UNIX-CONNECT:<the printed path>)
//   unix_echo --demo [N] also run N (default 8) clients on another thread, each sending 256 KiB and
//                        checking every echoed byte; exit 0 only if all came back intact
//
// The socket file and its directory are removed on exit.
#include <mio/mio.hpp>
#include <mio/net/unix_listener.hpp>
#include <mio/net/unix_stream.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

constexpr mio::token server_token{0};
constexpr mio::token waker_token{1};
constexpr std::size_t demo_bytes = 256 * 1024;

std::atomic<bool> interrupted{false};
extern "C" void on_signal(int) { interrupted = true; }

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
    std::size_t demo_clients = 0;  // --demo alone runs 8 clients
    if (argc >= 2 && std::string_view(argv[1]) == "--demo") demo_clients = argc == 3 ? std::strtoul(argv[2], nullptr, 10) : 8;
    if (argc > 3 || (argc >= 2 && demo_clients == 0)) {
        std::fprintf(stderr, "usage: %s [--demo N]\n", argv[0]);
        return 2;
    }

    socket_dir where;
    if (where.dir.empty()) {
        std::perror("mkdtemp");
        return 1;
    }
    auto poll = mio::poll::create();
    auto listener = mio::net::unix_listener::bind(where.path);
    if (!poll || !listener) {
        std::fprintf(stderr, "set-up failed: %s\n", (poll ? listener.error() : poll.error()).message().c_str());
        return 1;
    }
    auto waker = mio::waker::create(poll->registry(), waker_token);
    if (!waker || !poll->registry().add(*listener, server_token, mio::interest::readable)) return 1;
    std::printf("echo server on %s\n", where.path.c_str());
    std::fflush(stdout);  // scripts read the path from a pipe

    // Ctrl-C interrupts poll (EINTR is returned, not retried) and we clean up.
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);

    std::atomic<bool> demo_ok{false};
    std::thread demo;
    if (demo_clients > 0)
        demo = std::thread([&] {
            demo_ok = run_clients(where.path, demo_clients);
            (void)waker->wake();  // tell the server loop the demo is over
        });

    mio::events events(128);
    std::map<std::size_t, connection> connections;
    std::size_t next_token = 2;
    bool running = true;
    while (running && !interrupted) {
        if (auto r = poll->poll(events, std::nullopt); !r) {
            if (r.error() == std::errc::interrupted) continue;  // the loop condition decides
            std::fprintf(stderr, "poll: %s\n", r.error().message().c_str());
            break;
        }
        for (auto event : events) {
            if (event.token() == waker_token) {
                running = false;
            } else if (event.token() == server_token) {
                // Accept every waiting connection: the event fires once per new arrival edge.
                for (;;) {
                    auto accepted = listener->accept();
                    if (!accepted) {
                        if (!mio::is_would_block(accepted.error()))
                            std::fprintf(stderr, "accept: %s\n", accepted.error().message().c_str());
                        break;
                    }
                    mio::token t{next_token++};
                    auto [it, _] = connections.emplace(t.value, connection{std::move(accepted->first)});
                    if (!poll->registry().add(it->second.stream, t, mio::interest::readable | mio::interest::writable))
                        connections.erase(it);
                }
            } else if (auto it = connections.find(event.token().value); it != connections.end()) {
                if (!serve(it->second)) connections.erase(it);  // closing removes it from the poll
            }
        }
    }

    if (demo.joinable()) demo.join();
    if (demo_clients > 0) {
        std::printf("%zu clients: %s\n", demo_clients, demo_ok ? "every byte echoed intact" : "FAILED");
        return demo_ok ? 0 : 1;
    }
    return 0;
}
