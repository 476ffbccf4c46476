// What the three echo servers (tcp_server, udp_server, unix_echo) share: their command line
// (--port P, --demo [N]), the start-up (open-file limit, Ctrl-C), the demo's client thread
// that wakes the server loop when it is done, and the loop itself. What differs per OS is in
// platform.hpp.
#pragma once

#include "platform.hpp"

#include <mio/mio.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>

namespace example {

/// The server's source and the waker that ends its loop.
inline constexpr mio::token server_token{0};
inline constexpr mio::token waker_token{1};

/// The command line of an echo server.
struct options {
    std::uint16_t port = 0;         // 0: a free port (the servers print the one they got)
    std::size_t demo_clients = 0;   // 0: no demo, serve until Ctrl-C
};

/// What a server accepts on its command line.
struct option_rules {
    bool has_port = true;               // --port P (not for a Unix socket)
    std::size_t default_clients = 100;  // --demo without N
    std::size_t max_clients = 100000;
};

/// Parses `[--port P] [--demo [N]]`; prints the usage and returns nothing on a bad one.
inline std::optional<options> parse_args(int argc, char** argv, option_rules rules = {}) {
    options o;
    bool ok = true;
    for (int i = 1; i < argc && ok; ++i) {
        std::string_view arg = argv[i];
        bool has_number = i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9';
        if (rules.has_port && arg == "--port" && has_number) {
            unsigned long p = std::strtoul(argv[++i], nullptr, 10);
            ok = p <= 65535;
            o.port = static_cast<std::uint16_t>(p);
        } else if (arg == "--demo") {
            o.demo_clients = has_number ? std::strtoul(argv[++i], nullptr, 10) : rules.default_clients;
            ok = o.demo_clients > 0 && o.demo_clients <= rules.max_clients;
        } else {
            ok = false;
        }
    }
    if (ok) return o;
    std::fprintf(stderr, "usage: %s %s[--demo [N]]\n", argv[0], rules.has_port ? "[--port P] " : "");
    return std::nullopt;
}

/// Prints "what: the error" and returns the exit status of a failed start-up.
inline int fail(const char* what, std::error_code e) {
    std::fprintf(stderr, "%s: %s\n", what, e.message().c_str());
    return 1;
}

inline std::atomic<bool> interrupted{false};
extern "C" inline void stop_on_signal(int) { interrupted = true; }

/// Start-up shared by the servers: as many open files as allowed (each connection is one here
/// and one in the demo's client), and Ctrl-C makes poll return EINTR and the loop end.
inline void start_up() {
    raise_open_file_limit();
    on_interrupt(stop_on_signal);
}

/// The demo's clients, run on their own thread; when they are done they wake the server's loop.
class demo {
public:
    /// Starts `run_clients()` (returns true when every check passed) unless `clients` is 0.
    template <class F>
    demo(std::size_t clients, const mio::waker& waker, F run_clients) : clients_(clients) {
        if (clients_ == 0) return;
        thread_ = std::thread([this, &waker, run = std::move(run_clients)]() mutable {
            ok_ = run();
            (void)waker.wake();  // tell the server loop that the demo is over
        });
    }
    demo(const demo&) = delete;
    demo& operator=(const demo&) = delete;
    ~demo() { join(); }

    bool running() const { return clients_ > 0; }
    /// Waits for the clients; true when they all passed.
    bool join() {
        if (thread_.joinable()) thread_.join();
        return ok_;
    }

private:
    std::size_t clients_;
    std::atomic<bool> ok_{false};
    std::thread thread_;
};

/// Polls until the waker (waker_token) fires or Ctrl-C, handing every other event to
/// `on_event`. A signal interrupts poll with EINTR: the loop then checks `interrupted`.
template <class Poll, class Events, class F>
void serve_until_woken(Poll& poll, Events& events, F on_event) {
    bool running = true;
    while (running && !interrupted) {
        if (auto r = poll.poll(events, std::nullopt); !r) {
            if (r.error() == std::errc::interrupted) continue;  // the loop condition decides
            std::fprintf(stderr, "poll: %s\n", r.error().message().c_str());
            break;
        }
        for (auto event : events) {
            if (event.token() == waker_token) running = false;
            else on_event(event);
        }
    }
}

/// Accepts every waiting connection (one readable event may stand for many), handing each
/// (stream, address) pair to `on_accepted`. Errors other than would_block (EMFILE and the
/// like) are printed; the next event tries again.
template <class Listener, class F>
void accept_all(Listener& listener, F on_accepted) {
    for (;;) {
        auto a = listener.accept();
        if (!a) {
            if (!mio::is_would_block(a.error())) std::fprintf(stderr, "accept: %s\n", a.error().message().c_str());
            return;
        }
        on_accepted(std::move(*a));
    }
}

}  // namespace example
