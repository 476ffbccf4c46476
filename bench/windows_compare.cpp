// W1 (ping-pong latency) and W2 (echo stream throughput) of ../shared/anchors/WORKLOADS.md on
// Windows, in one process and one run: the same echo server written twice, once with this
// library (basic_poll<afd_selector>, tcp_listener, tcp_stream) and once as a plain Winsock
// select() loop (the local baseline), each driven by the same plain Winsock clients. The
// subjects alternate within every repetition; the medians and their ratio are printed.
//
//   windows_compare [--quick] [--reps K]
//
// Built by the mingw-bench preset and run under Wine by bench/windows-compare. Figures taken
// under Wine are Wine figures (Wine's AFD and select() are emulated over Linux sockets by the
// wineserver), not Windows figures.
//
// Differences from the anchors' harness, forced by running on Windows (or Wine): the server and
// its client are threads of one process rather than two processes (a Wine process takes seconds
// to start), and the W2 client is a select() loop (Windows has no epoll). The server CPU,
// instruction and syscall columns are not measured (no callgrind or perf through Wine).
#include <mio/basic_poll.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/selector/afd.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/none.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
constexpr std::size_t message_size = 64;
constexpr std::size_t read_buffer_size = 16 * 1024;

[[noreturn]] void die(const char* what, int code) {
    std::fprintf(stderr, "windows_compare: %s failed (%d)\n", what, code);
    std::exit(2);
}

// ---------------------------------------------------------------------------------------------
// Subject 1: this library (afd_selector). Reads until would_block after each event (which also
// re-arms the emulated edge), echoes at once, keeps a backlog after a short write and asks for
// writable until it is flushed.

using mio_poll = mio::basic_poll<mio::afd_selector, mio::fixed_storage<256>, mio::no_waker>;

void mio_server(std::atomic<int>& port, long nconn) {
    auto poll = mio_poll::create();
    if (!poll) die("mio poll create", poll.error().value());
    mio_poll::events_type events;
    auto listener = mio::net::tcp_listener::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, 0));
    if (!listener) die("mio bind", listener.error().value());
    const mio::token listener_token{~std::size_t{0}};
    if (!poll->registry().add(*listener, listener_token, mio::interest::readable)) die("mio add listener", 0);

    struct connection {
        mio::net::tcp_stream stream;
        std::vector<char> backlog;
        bool open = true;
    };
    std::vector<std::unique_ptr<connection>> conns;
    conns.reserve(static_cast<std::size_t>(nconn));
    static char buf[read_buffer_size];
    long closed = 0;
    port = listener->local_addr()->port();

    auto close = [&](connection& c) {
        (void)poll->registry().remove(c.stream);
        { auto gone = std::move(c.stream); }  // closed here; the moved-from stream holds nothing
        c.open = false;
        ++closed;
    };
    auto flush = [&](connection& c, mio::token t) {
        std::size_t done = 0;
        while (done < c.backlog.size()) {
            auto w = c.stream.write(std::span<const char>(c.backlog).subspan(done));
            if (!w) break;
            done += *w;
        }
        c.backlog.erase(c.backlog.begin(), c.backlog.begin() + static_cast<std::ptrdiff_t>(done));
        if (c.backlog.empty()) (void)poll->registry().modify(c.stream, t, mio::interest::readable);
    };
    auto echo = [&](connection& c, mio::token t, const char* data, std::size_t n) {
        std::size_t done = 0;
        if (c.backlog.empty()) {
            while (done < n) {
                auto w = c.stream.write(std::span<const char>(data + done, n - done));
                if (!w) break;
                done += *w;
            }
            if (done == n) return;
            (void)poll->registry().modify(c.stream, t, mio::interest::readable | mio::interest::writable);
        }
        c.backlog.insert(c.backlog.end(), data + done, data + n);
    };

    while (closed < nconn) {
        if (!poll->poll(events, std::nullopt)) die("mio poll", 0);
        for (auto e : events) {
            if (e.token() == listener_token) {
                for (;;) {
                    auto a = listener->accept();
                    if (!a) break;
                    (void)a->first.set_nodelay(true);
                    conns.push_back(std::make_unique<connection>(connection{std::move(a->first), {}, true}));
                    mio::token t{conns.size() - 1};
                    if (!poll->registry().add(conns.back()->stream, t, mio::interest::readable)) die("mio add", 0);
                }
                continue;
            }
            auto t = e.token();
            connection& c = *conns[t.value];
            if (!c.open) continue;
            if (e.is_writable() && !c.backlog.empty()) flush(c, t);
            if (!e.is_readable()) continue;
            for (;;) {
                auto r = c.stream.read(std::span<char>(buf));
                if (!r) {
                    if (!mio::is_would_block(r.error())) close(c);
                    break;
                }
                if (*r == 0) {
                    close(c);
                    break;
                }
                echo(c, t, buf, *r);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Subject 2: a plain Winsock select() loop, the same discipline (read until WSAEWOULDBLOCK,
// echo, backlog + write interest after a short write). It walks only the sockets select()
// returned (Windows' fd_set is a list of the ready sockets), the idiomatic way on Windows.

SOCKET listen_loopback(int& port) {
    SOCKET l = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (l == INVALID_SOCKET) die("socket", ::WSAGetLastError());
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("bind", ::WSAGetLastError());
    if (::listen(l, 256) != 0) die("listen", ::WSAGetLastError());
    int len = sizeof a;
    ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    u_long on = 1;
    ::ioctlsocket(l, FIONBIO, &on);
    return l;
}

void set_nodelay(SOCKET s) {
    BOOL on = TRUE;
    ::setsockopt(s, IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char*>(&on), sizeof on);
}

void select_server(std::atomic<int>& port_out, long nconn) {
    int port = 0;
    SOCKET l = listen_loopback(port);
    struct connection {
        SOCKET s;
        std::vector<char> backlog;
    };
    std::unordered_map<SOCKET, connection> conns;
    static char buf[read_buffer_size];
    long accepted = 0, closed = 0;
    port_out = port;
    fd_set rd, wr;
    while (closed < nconn) {
        FD_ZERO(&rd);
        FD_ZERO(&wr);
        if (accepted < nconn) FD_SET(l, &rd);
        for (auto& [s, c] : conns) {
            FD_SET(s, &rd);
            if (!c.backlog.empty()) FD_SET(s, &wr);
        }
        if (::select(0, &rd, &wr, nullptr, nullptr) == SOCKET_ERROR) die("select", ::WSAGetLastError());
        for (u_int i = 0; i < wr.fd_count; ++i) {
            auto& c = conns.at(wr.fd_array[i]);
            std::size_t done = 0;
            while (done < c.backlog.size()) {
                int n = ::send(c.s, c.backlog.data() + done, static_cast<int>(c.backlog.size() - done), 0);
                if (n <= 0) break;
                done += static_cast<std::size_t>(n);
            }
            c.backlog.erase(c.backlog.begin(), c.backlog.begin() + static_cast<std::ptrdiff_t>(done));
        }
        for (u_int i = 0; i < rd.fd_count; ++i) {
            SOCKET s = rd.fd_array[i];
            if (s == l) {
                for (SOCKET a; (a = ::accept(l, nullptr, nullptr)) != INVALID_SOCKET;) {
                    u_long on = 1;
                    ::ioctlsocket(a, FIONBIO, &on);
                    set_nodelay(a);
                    conns.emplace(a, connection{a, {}});
                    ++accepted;
                }
                continue;
            }
            auto& c = conns.at(s);
            bool gone = false;
            for (;;) {
                int n = ::recv(s, buf, sizeof buf, 0);
                if (n == 0 || (n < 0 && ::WSAGetLastError() != WSAEWOULDBLOCK)) {
                    gone = true;
                    break;
                }
                if (n < 0) break;
                std::size_t done = 0;
                if (c.backlog.empty()) {
                    while (done < static_cast<std::size_t>(n)) {
                        int w = ::send(s, buf + done, n - static_cast<int>(done), 0);
                        if (w <= 0) break;
                        done += static_cast<std::size_t>(w);
                    }
                }
                c.backlog.insert(c.backlog.end(), buf + done, buf + n);
            }
            if (gone) {
                ::closesocket(s);
                conns.erase(s);
                ++closed;
            }
        }
    }
    ::closesocket(l);
}

// ---------------------------------------------------------------------------------------------
// The clients: plain Winsock, the same for both subjects.

SOCKET connect_loopback(int port, bool nonblocking) {
    SOCKET s = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET) die("client socket", ::WSAGetLastError());
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<u_short>(port));
    if (::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) die("connect", ::WSAGetLastError());
    set_nodelay(s);
    if (nonblocking) {
        u_long on = 1;
        ::ioctlsocket(s, FIONBIO, &on);
    }
    return s;
}

struct w1_result {
    double p50_us, p99_us;
};

// W1: one blocking connection; `warmup` untimed round trips, then `n` timed ones, each 64 bytes
// out and the same 64 bytes (checked) back.
w1_result w1_client(int port, int n, int warmup) {
    SOCKET s = connect_loopback(port, false);
    char out[message_size], in[message_size];
    std::vector<double> rtt;
    rtt.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < warmup + n; ++i) {
        std::memset(out, 'a' + i % 26, sizeof out);
        auto start = clock_type::now();
        if (::send(s, out, sizeof out, 0) != static_cast<int>(sizeof out)) die("w1 send", ::WSAGetLastError());
        std::size_t got = 0;
        while (got < sizeof in) {
            int r = ::recv(s, in + got, static_cast<int>(sizeof in - got), 0);
            if (r <= 0) die("w1 recv", ::WSAGetLastError());
            got += static_cast<std::size_t>(r);
        }
        auto end = clock_type::now();
        if (std::memcmp(in, out, sizeof in) != 0) die("w1 echo check", i);
        if (i >= warmup) rtt.push_back(std::chrono::duration<double, std::micro>(end - start).count());
    }
    ::closesocket(s);
    std::sort(rtt.begin(), rtt.end());
    return {rtt[rtt.size() / 2], rtt[rtt.size() * 99 / 100]};
}

// W2: `c` connections, each with exactly one 64-byte message in flight; `total` messages in all,
// the first 10% untimed. Returns messages per second over the timed part.
double w2_client(int port, int c, long total) {
    struct conn {
        SOCKET s;
        char sent[message_size];
        std::size_t got = 0;
        long seq = 0;
    };
    std::vector<conn> conns(static_cast<std::size_t>(c));
    std::unordered_map<SOCKET, std::size_t> index;
    long issued = 0, done = 0;
    const long warmup = total / 10;
    auto send_next = [&](conn& k) {
        std::memset(k.sent, 'A' + k.seq % 26, sizeof k.sent);
        ++k.seq;
        k.got = 0;
        ++issued;
        // 64 bytes into an empty send buffer: whole, or the loop is broken.
        if (::send(k.s, k.sent, sizeof k.sent, 0) != static_cast<int>(sizeof k.sent)) die("w2 send", ::WSAGetLastError());
    };
    for (std::size_t i = 0; i < conns.size(); ++i) {
        conns[i].s = connect_loopback(port, true);
        index.emplace(conns[i].s, i);
    }
    for (auto& k : conns)
        if (issued < total) send_next(k);
    clock_type::time_point start{};
    char buf[message_size];
    fd_set rd;
    while (done < total) {
        FD_ZERO(&rd);
        for (auto& k : conns) FD_SET(k.s, &rd);
        if (::select(0, &rd, nullptr, nullptr, nullptr) == SOCKET_ERROR) die("w2 select", ::WSAGetLastError());
        for (u_int i = 0; i < rd.fd_count; ++i) {
            conn& k = conns[index.at(rd.fd_array[i])];
            for (;;) {
                int r = ::recv(k.s, buf, static_cast<int>(message_size - k.got), 0);
                if (r < 0 && ::WSAGetLastError() == WSAEWOULDBLOCK) break;
                if (r <= 0) die("w2 recv", ::WSAGetLastError());
                if (std::memcmp(buf, k.sent + k.got, static_cast<std::size_t>(r)) != 0) die("w2 echo check", 0);
                k.got += static_cast<std::size_t>(r);
                if (k.got < message_size) continue;
                if (++done == warmup) start = clock_type::now();
                if (issued < total) send_next(k);
                else break;
            }
        }
    }
    auto elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
    for (auto& k : conns) ::closesocket(k.s);
    return static_cast<double>(total - warmup) / elapsed;
}

// ---------------------------------------------------------------------------------------------

using server_fn = void (*)(std::atomic<int>&, long);

template <class Client>
auto run(server_fn server, long nconn, Client client) {
    std::atomic<int> port{0};
    std::thread t(server, std::ref(port), nconn);
    while (port.load() == 0) std::this_thread::yield();
    auto r = client(port.load());
    t.join();
    return r;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    int reps = 3;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--quick") quick = true;
        else if (a == "--reps" && i + 1 < argc) reps = std::max(1, std::atoi(argv[++i]));
        else {
            std::fprintf(stderr, "usage: windows_compare [--quick] [--reps K]\n");
            return 64;
        }
    }
    WSADATA wsa;
    if (::WSAStartup(MAKEWORD(2, 2), &wsa) != 0) die("WSAStartup", 0);
    const int w1_n = quick ? 2000 : 20000, w1_warmup = quick ? 200 : 1000;
    const int w2_c = 100;
    const long w2_total = quick ? 10000 : 30000;  // the anchors use 500,000: Wine is ~100x slower here

    struct subject {
        const char* name;
        server_fn server;
        std::vector<double> p50, p99, mps;
    };
    subject subjects[] = {{"mio_cpp (afd_selector)", &mio_server, {}, {}, {}},
                          {"Winsock select() loop", &select_server, {}, {}, {}}};
    for (int rep = 0; rep < reps; ++rep) {
        for (auto& s : subjects) {
            auto w1 = run(s.server, 1, [&](int port) { return w1_client(port, w1_n, w1_warmup); });
            s.p50.push_back(w1.p50_us);
            s.p99.push_back(w1.p99_us);
            std::printf("RESULT subject=\"%s\" rep=%d workload=W1 n=%d p50_us=%.1f p99_us=%.1f\n", s.name, rep + 1, w1_n,
                        w1.p50_us, w1.p99_us);
        }
        for (auto& s : subjects) {
            double mps = run(s.server, w2_c, [&](int port) { return w2_client(port, w2_c, w2_total); });
            s.mps.push_back(mps);
            std::printf("RESULT subject=\"%s\" rep=%d workload=W2 c=%d total=%ld msg_per_s=%.0f\n", s.name, rep + 1, w2_c,
                        w2_total, mps);
        }
        std::fflush(stdout);
    }
    std::printf("\nUnder %s; medians of %d interleaved repetitions (W1: %d round trips of 64 B; W2: %d connections, "
                "%ld messages of 64 B, first 10%% untimed)\n\n",
                ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") ? "Wine (Wine figures, not Windows figures)"
                                                                                       : "Windows",
                reps, w1_n, w2_c, w2_total);
    std::printf("| subject | W1 p50 us | W1 p99 us | W2 msg/s |\n|---|---:|---:|---:|\n");
    for (auto& s : subjects)
        std::printf("| %s | %.1f | %.1f | %.0f |\n", s.name, median(s.p50), median(s.p99), median(s.mps));
    std::printf("| ratio mio_cpp / select() | %.2f | %.2f | %.2f |\n", median(subjects[0].p50) / median(subjects[1].p50),
                median(subjects[0].p99) / median(subjects[1].p99), median(subjects[0].mps) / median(subjects[1].mps));
    ::WSACleanup();
    return 0;
}
