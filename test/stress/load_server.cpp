// load_server: the echo server the load and fault runs (test/stress/run) drive from a
// separate process (load_client). TCP echo through echo_core.hpp, UDP echo, on 127.0.0.1.
//
//   load_server [--port P] [--raise-fds] [--max-fds N] [--inject-enfile K] [--ready-file F]
//
// --raise-fds       raise RLIMIT_NOFILE to its hard limit (and print what it was)
// --max-fds N       lower it to N instead, so that accept meets EMFILE
// --inject-enfile K every K-th accept4 (or accept) fails with ENFILE (through a libc interposer in this
//                   program: the system-wide file table cannot be filled on a shared machine)
// --ready-file F    write "tcp_port udp_port" to F once listening
//
// Accept: on EMFILE/ENFILE the connection stays queued in the kernel and no new edge comes
// for it, so the server stops accepting and retries every 10 ms and after every close; it
// keeps serving the connections it has. SIGTERM/SIGINT (through a self-pipe) stop it: it
// closes everything and prints one line of statistics, including the fd count at start and
// at the end, which must match. Exit status 0 when it ends cleanly.
#include "echo_core.hpp"

#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/net/udp_socket.hpp>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

std::atomic<long> enfile_every{0};
std::atomic<long> accept_calls{0};
int stop_fd = -1;

std::size_t open_fds() {
    std::size_t n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (::readdir(d) != nullptr) ++n;
        ::closedir(d);
    }
    return n;
}

extern "C" void on_stop_signal(int) {
    char b = 1;
    [[maybe_unused]] auto r = ::write(stop_fd, &b, 1);
}

}  // namespace

// The fault seam: mio's sys layer calls the libc wrappers (never syscall()), accept4, or accept
// under MIO_FORCE_POSIX_FALLBACKS, so definitions here take their place, as a kernel-bypass
// stack's would. Only active with --inject-enfile.
namespace {
bool inject_enfile() noexcept {
    long every = enfile_every.load(std::memory_order_relaxed);
    if (every > 0 && accept_calls.fetch_add(1, std::memory_order_relaxed) % every == every - 1) {
        errno = ENFILE;
        return true;
    }
    return false;
}
}  // namespace

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
    using fn = int (*)(int, sockaddr*, socklen_t*, int);
    static fn real = reinterpret_cast<fn>(::dlsym(RTLD_NEXT, "accept4"));
    if (inject_enfile()) return -1;
    return real(fd, addr, len, flags);
}

extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
    using fn = int (*)(int, sockaddr*, socklen_t*);
    static fn real = reinterpret_cast<fn>(::dlsym(RTLD_NEXT, "accept"));
    if (inject_enfile()) return -1;
    return real(fd, addr, len);
}

int main(int argc, char** argv) {
    std::uint16_t port = 0;
    bool raise_fds = false;
    long max_fds = 0;
    const char* ready_file = nullptr;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto next = [&] { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--port") port = static_cast<std::uint16_t>(std::atoi(next()));
        else if (a == "--raise-fds") raise_fds = true;
        else if (a == "--max-fds") max_fds = std::atol(next());
        else if (a == "--inject-enfile") enfile_every = std::atol(next());
        else if (a == "--ready-file") ready_file = next();
        else {
            std::fprintf(stderr, "unknown option %s\n", argv[i]);
            return 2;
        }
    }
    std::signal(SIGPIPE, SIG_IGN);
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    const auto soft_before = lim.rlim_cur;
    if (raise_fds) lim.rlim_cur = lim.rlim_max;
    if (max_fds > 0) lim.rlim_cur = static_cast<rlim_t>(max_fds);
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) std::perror("setrlimit");
    ::getrlimit(RLIMIT_NOFILE, &lim);
    std::printf("server: RLIMIT_NOFILE soft %llu (was %llu), hard %llu\n", (unsigned long long)lim.rlim_cur,
                (unsigned long long)soft_before, (unsigned long long)lim.rlim_max);

    const std::size_t fds_start = open_fds();
    mio_stress::echo_stats stats;
    std::uint64_t accepted = 0, peak = 0, emfile = 0, enfile = 0, aborted = 0, accept_other = 0;
    std::uint64_t udp_in = 0, udp_out = 0, udp_dropped = 0, polls = 0, interrupted = 0;
    {
        auto poll = mio::poll::create();
        if (!poll) return std::fprintf(stderr, "poll: %s\n", poll.error().message().c_str()), 1;
        mio::events events(1024);
        auto stop = mio::posix::pipe();
        if (!stop) return 1;
        auto& [stop_tx, stop_rx] = *stop;
        stop_fd = stop_tx.native_handle();
        std::signal(SIGTERM, on_stop_signal);
        std::signal(SIGINT, on_stop_signal);

        auto addr = mio::net::socket_address(mio::net::ipv4_address::loopback, port);
        auto listener = mio::net::tcp_listener::bind(addr, 1024);  // load runs connect in bursts
        if (!listener) return std::fprintf(stderr, "bind: %s\n", listener.error().message().c_str()), 1;
        auto udp = mio::net::udp_socket::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, 0));
        if (!udp) return std::fprintf(stderr, "udp bind: %s\n", udp.error().message().c_str()), 1;
        constexpr mio::token listener_token{0}, udp_token{1}, stop_token{2};
        auto& reg = poll->registry();
        if (!reg.add(*listener, listener_token, mio::interest::readable) ||
            !reg.add(*udp, udp_token, mio::interest::readable) ||
            !reg.add(stop_rx, stop_token, mio::interest::readable))
            return std::fprintf(stderr, "register failed\n"), 1;
        const auto tcp_port = listener->local_addr()->port();
        const auto udp_port = udp->local_addr()->port();
        std::printf("server: listening on 127.0.0.1 tcp %u udp %u\n", tcp_port, udp_port);
        std::fflush(stdout);
        if (ready_file) {
            std::string tmp = std::string(ready_file) + ".tmp";
            if (FILE* f = std::fopen(tmp.c_str(), "w")) {
                std::fprintf(f, "%u %u\n", tcp_port, udp_port);
                std::fclose(f);
                std::rename(tmp.c_str(), ready_file);
            }
        }

        mio_stress::echo_core<mio::registry, mio::net::tcp_stream> core(reg, 16);
        bool paused = false, running = true;
        auto paused_at = std::chrono::steady_clock::now();
        auto accept_all = [&] {
            for (;;) {
                auto r = listener->accept();
                if (r) {
                    ++accepted;
                    (void)core.adopt(std::move(r->first));  // on failure closed and counted
                    continue;
                }
                auto e = r.error();
                paused = false;
                if (mio::is_would_block(e)) return;
                // Raw values, no call on the category: see mio_stress::is_errno (fds are exhausted here).
                if (mio_stress::is_errno(e, EMFILE)) ++emfile, paused = true;
                else if (mio_stress::is_errno(e, ENFILE)) ++enfile, paused = true;
                else if (mio_stress::is_errno(e, ECONNABORTED) || mio_stress::is_errno(e, EINTR)) { ++aborted; continue; }
                else ++accept_other;
                return;  // paused: retried after the next close or within 10 ms
            }
        };
        std::byte dgram[65536];
        while (running) {
            auto r = poll->poll(events, paused ? std::optional<std::chrono::nanoseconds>(std::chrono::milliseconds(10))
                                               : std::nullopt);
            ++polls;
            if (!r) {
                if (mio_stress::is_errno(r.error(), EINTR)) { ++interrupted; continue; }
                std::fprintf(stderr, "poll: %s\n", r.error().message().c_str());
                return 1;
            }
            const auto before = core.size();
            for (const auto& e : events) {
                if (e.token() == listener_token) accept_all();
                else if (e.token() == stop_token) running = false;
                else if (e.token() == udp_token) {
                    for (;;) {  // echo every datagram; one that cannot be sent now is dropped
                        auto got = udp->recv_from(std::span<std::byte>(dgram));
                        if (!got) break;
                        ++udp_in;
                        auto sent = udp->send_to(std::span<const std::byte>(dgram, got->first), got->second);
                        if (sent) ++udp_out;
                        else ++udp_dropped;
                    }
                } else {
                    core.handle(e);
                }
            }
            if (core.size() > peak) peak = core.size();
            // Paused by EMFILE/ENFILE: retry once fds may have come back (a connection
            // closed) and at least every 10 ms.
            if (paused && (core.size() < before || std::chrono::steady_clock::now() - paused_at >= std::chrono::milliseconds(10))) {
                accept_all();
                paused_at = std::chrono::steady_clock::now();
            }
        }
        stats = core.stats();
        core.close_all();
    }
    const std::size_t fds_end = open_fds();
    std::printf(
        "server: accepted=%llu peak=%llu closed_eof=%llu closed_error=%llu rejected=%llu modify_failed=%llu "
        "emfile=%llu enfile=%llu aborted=%llu accept_other=%llu bytes_in=%llu bytes_out=%llu checksum=%llu "
        "udp_in=%llu udp_out=%llu udp_dropped=%llu polls=%llu eintr=%llu fds_start=%zu fds_end=%zu\n",
        (unsigned long long)accepted, (unsigned long long)peak, (unsigned long long)stats.closed_eof,
        (unsigned long long)stats.closed_error, (unsigned long long)stats.rejected,
        (unsigned long long)stats.modify_failed, (unsigned long long)emfile, (unsigned long long)enfile,
        (unsigned long long)aborted, (unsigned long long)accept_other, (unsigned long long)stats.bytes_in,
        (unsigned long long)stats.bytes_out, (unsigned long long)stats.checksum, (unsigned long long)udp_in,
        (unsigned long long)udp_out, (unsigned long long)udp_dropped, (unsigned long long)polls,
        (unsigned long long)interrupted, fds_start, fds_end);
    return fds_end == fds_start ? 0 : 3;
}

