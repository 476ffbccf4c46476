// load_client: drives load_server (or any TCP/UDP echo server on 127.0.0.1) from a separate
// process, through mio as well, and checks every byte that comes back.
//
//   load_client --port P [--udp-port U] [--connections N] [--messages M] [--max-size S]
//               [--batch B] [--resets R] [--idle I] [--early E] [--udp-clients C]
//               [--seed X] [--timeout SECONDS] [--no-barrier]
//
// Connections, all open at once (connected in windows of B, default 500):
//   normal  N of them: M messages each, of random sizes 1..S bytes (default 64 KiB), one at a
//           time; each must come back byte for byte (every byte is checked against the
//           pattern it was sent with, and summed with stream_sum). After its first message a
//           connection waits until every normal connection has had its first message echoed,
//           so the server holds all of them at once (--no-barrier turns that off, for servers
//           that cannot hold them all: the EMFILE run). After the last message it half-closes
//           (shutdown write) and must then read the end of stream: the server echoed all.
//   early   E peers that half-close right after sending one message, before reading its echo.
//   resets  R peers that start sending 64 MiB and, once echoes come back (so the server is
//           in the middle of reading and writing), close with SO_LINGER 0 (a reset).
//   idle    I peers that connect and never send; at the end each must still be open.
// UDP: C sockets send datagrams of random sizes as fast as the thread can while the TCP part
// runs; echoes are checked and losses counted (UDP may drop). Then every socket must get a
// probe echoed: the server neither crashed nor stalled.
// Prints one line of figures; exit status 0 when nothing was dropped or corrupted.
#include "echo_core.hpp"

#include <mio/mio.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/net/udp_socket.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

std::uint8_t pattern(std::uint64_t conn, std::uint64_t pos) {
    return static_cast<std::uint8_t>(((pos + 1) * 0x9e3779b1u + conn * 0x85ebca6bu) >> 17);
}

enum class kind { normal, early, reset, idle };

struct conn {
    explicit conn(mio::net::tcp_stream st, std::size_t i, kind k, std::uint32_t seed)
        : s(std::move(st)), id(i), what(k), rng(seed) {}
    mio::net::tcp_stream s;
    std::size_t id;
    kind what;
    std::minstd_rand rng;
    bool connected = false, open = true, failed = false, done = false;
    bool waiting = false;  // at the barrier after its first message
    bool shut = false, eof = false;
    std::uint32_t msg = 0;
    std::uint64_t msg_size = 0, msg_sent = 0, msg_recv = 0;
    std::uint64_t pos_sent = 0, pos_recv = 0;
    mio_stress::stream_sum sum;
    std::string why;
};

struct options {
    std::uint16_t port = 0, udp_port = 0;
    std::size_t connections = 1000, messages = 10, max_size = 64 * 1024, batch = 500;
    std::size_t resets = 0, idle = 0, early = 0, udp_clients = 0;
    std::uint32_t seed = 1;
    double timeout = 120;
    bool barrier = true;
};

struct udp_figures {
    std::uint64_t sent = 0, received = 0, corrupt = 0, probes_ok = 0;
};

// One datagram: client id, sequence number, length, then the pattern.
void udp_flood(const options& o, const std::atomic<bool>& tcp_done, udp_figures& out) {
    auto poll = mio::poll::create();
    if (!poll) return;
    mio::events events(256);
    const auto server = mio::net::socket_address(mio::net::ipv4_address::loopback, o.udp_port);
    std::vector<mio::net::udp_socket> socks;
    for (std::size_t c = 0; c < o.udp_clients; ++c) {
        auto s = mio::net::udp_socket::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, 0));
        if (!s || !s->connect(server)) return;
        if (!poll->registry().add(*s, mio::token{c}, mio::interest::readable)) return;
        socks.push_back(std::move(*s));
    }
    std::vector<std::uint32_t> seq(o.udp_clients, 0);
    std::vector<bool> probed(o.udp_clients, false);
    std::minstd_rand rng(o.seed);
    std::uint8_t buf[65536];
    auto make = [&](std::size_t c, std::uint32_t n, std::uint32_t sq) {
        std::uint32_t head[3] = {static_cast<std::uint32_t>(c), sq, n};
        std::memcpy(buf, head, sizeof head);
        for (std::uint32_t k = 12; k < n; ++k) buf[k] = pattern(c * 1000003 + sq, k);
    };
    auto receive = [&](std::size_t c, bool probing) {
        for (;;) {
            auto r = socks[c].recv(std::as_writable_bytes(std::span<std::uint8_t>(buf)));
            if (!r) return;
            std::uint32_t head[3];
            if (*r < 12) { ++out.corrupt; continue; }
            std::memcpy(head, buf, sizeof head);
            bool ok = head[0] == c && head[2] == *r;
            for (std::uint32_t k = 12; ok && k < *r; ++k) ok = buf[k] == pattern(c * 1000003 + head[1], k);
            if (!ok) { ++out.corrupt; continue; }
            ++out.received;
            if (probing && head[1] == 0xffffffffu && !probed[c]) probed[c] = true, ++out.probes_ok;
        }
    };
    // Flood while the TCP part runs (at least 1 s).
    const auto start = clock_type::now();
    while (!tcp_done.load() || clock_type::now() - start < std::chrono::seconds(1)) {
        if (clock_type::now() - start > std::chrono::duration<double>(o.timeout)) break;
        for (std::size_t c = 0; c < socks.size(); ++c) {
            for (int k = 0; k < 8; ++k) {
                std::uint32_t n = 12 + rng() % 4084;
                make(c, n, seq[c]);
                if (!socks[c].send(std::as_bytes(std::span<const std::uint8_t>(buf, n)))) break;
                ++seq[c];
                ++out.sent;
            }
        }
        if (poll->poll(events, std::chrono::nanoseconds(0)))
            for (const auto& e : events) receive(e.token().value, false);
    }
    // Let the last echoes arrive, then probe each socket until it gets an answer.
    auto settle = clock_type::now() + std::chrono::milliseconds(300);
    while (clock_type::now() < settle)
        if (poll->poll(events, std::chrono::milliseconds(50)))
            for (const auto& e : events) receive(e.token().value, false);
    for (int round = 0; round < 30 && out.probes_ok < socks.size(); ++round) {
        for (std::size_t c = 0; c < socks.size(); ++c) {
            if (probed[c]) continue;
            make(c, 64, 0xffffffffu);
            if (socks[c].send(std::as_bytes(std::span<const std::uint8_t>(buf, 64)))) ++out.sent;
        }
        auto until = clock_type::now() + std::chrono::milliseconds(100);
        while (clock_type::now() < until && out.probes_ok < socks.size())
            if (poll->poll(events, std::chrono::milliseconds(20)))
                for (const auto& e : events) receive(e.token().value, true);
    }
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        std::string_view a = argv[i];
        auto next = [&] { return i + 1 < argc ? argv[++i] : "0"; };
        auto num = [&] { return static_cast<std::size_t>(std::atoll(next())); };
        if (a == "--port") o.port = static_cast<std::uint16_t>(num());
        else if (a == "--udp-port") o.udp_port = static_cast<std::uint16_t>(num());
        else if (a == "--connections") o.connections = num();
        else if (a == "--messages") o.messages = std::max<std::size_t>(1, num());
        else if (a == "--max-size") o.max_size = std::max<std::size_t>(1, num());
        else if (a == "--batch") o.batch = std::max<std::size_t>(1, num());
        else if (a == "--resets") o.resets = num();
        else if (a == "--idle") o.idle = num();
        else if (a == "--early") o.early = num();
        else if (a == "--udp-clients") o.udp_clients = num();
        else if (a == "--seed") o.seed = static_cast<std::uint32_t>(num());
        else if (a == "--timeout") o.timeout = std::atof(next());
        else if (a == "--no-barrier") o.barrier = false;
        else return std::fprintf(stderr, "unknown option %s\n", argv[i]), 2;
    }
    std::signal(SIGPIPE, SIG_IGN);
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    const auto soft_before = lim.rlim_cur;
    lim.rlim_cur = lim.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    ::getrlimit(RLIMIT_NOFILE, &lim);
    std::printf("client: RLIMIT_NOFILE soft %llu (was %llu), hard %llu\n", (unsigned long long)lim.rlim_cur,
                (unsigned long long)soft_before, (unsigned long long)lim.rlim_max);
    std::fflush(stdout);

    const auto start = clock_type::now();
    const auto deadline = start + std::chrono::duration<double>(o.timeout);
    std::atomic<bool> tcp_done{false};
    udp_figures udp;
    std::thread udp_thread;
    if (o.udp_clients > 0 && o.udp_port != 0) udp_thread = std::thread([&] { udp_flood(o, tcp_done, udp); });

    auto poll = mio::poll::create();
    if (!poll) return std::fprintf(stderr, "poll: %s\n", poll.error().message().c_str()), 1;
    mio::events events(4096);
    const auto server = mio::net::socket_address(mio::net::ipv4_address::loopback, o.port);
    std::vector<kind> plan;
    plan.insert(plan.end(), o.connections, kind::normal);
    plan.insert(plan.end(), o.early, kind::early);
    plan.insert(plan.end(), o.resets, kind::reset);
    plan.insert(plan.end(), o.idle, kind::idle);
    std::vector<conn> conns;
    conns.reserve(plan.size());
    std::size_t connected = 0, finished = 0, waiting = 0, peak_open = 0, open_now = 0;
    std::uint64_t corrupt = 0, bytes = 0, checksum = 0, messages = 0;
    bool released = false, all_connected = false;
    std::vector<std::uint8_t> out(64 * 1024), in(64 * 1024);

    // Connections still running that are not idle, and normal ones that can no longer reach
    // the barrier.
    std::size_t busy = 0, normal_gone = 0;
    auto close_conn = [&](conn& c) {
        if (!c.open) return;
        c.open = false;
        --open_now;
        if (c.what != kind::idle) --busy;
        if (c.what == kind::normal && !c.waiting && c.msg == 0) ++normal_gone;
    };
    auto fail = [&](conn& c, std::string why) {
        if (!c.failed) c.failed = true, c.why = std::move(why);
        close_conn(c);
        ++finished;
        (void)poll->registry().remove(c.s);
        c.s = mio::net::tcp_stream::from_native(-1);
    };
    auto finish = [&](conn& c) {
        c.done = true;
        ++finished;
        close_conn(c);
        (void)poll->registry().remove(c.s);
        c.s = mio::net::tcp_stream::from_native(-1);
    };
    auto next_message = [&](conn& c) {
        c.msg_size = c.what == kind::reset ? (64u << 20) : 1 + c.rng() % o.max_size;
        c.msg_sent = c.msg_recv = 0;
    };

    // Moves bytes on one connection until it is blocked both ways.
    auto drive = [&](conn& c) {
        if (!c.open || !c.connected || c.done || c.failed) return;
        if (c.what == kind::idle) {
            auto r = c.s.read(std::as_writable_bytes(std::span<std::uint8_t>(in)));
            if (r || !mio::is_would_block(r.error())) fail(c, "idle connection closed by the server");
            return;
        }
        if (c.waiting || !all_connected) return;
        for (bool progress = true; progress;) {
            progress = false;
            while (!c.shut && c.msg_sent < c.msg_size) {
                std::size_t n = std::min<std::uint64_t>(out.size(), c.msg_size - c.msg_sent);
                for (std::size_t k = 0; k < n; ++k) out[k] = pattern(c.id, c.pos_sent + k);
                auto w = c.s.write(std::as_bytes(std::span<const std::uint8_t>(out.data(), n)));
                if (!w) {
                    if (mio::is_would_block(w.error())) break;
                    return fail(c, "write: " + w.error().message());
                }
                c.sum.add(reinterpret_cast<const std::byte*>(out.data()), *w);
                c.pos_sent += *w, c.msg_sent += *w;
                progress = true;
            }
            if (c.what == kind::early && !c.shut && c.msg_sent == c.msg_size) {
                if (!c.s.shutdown(mio::net::shutdown_how::write)) return fail(c, "shutdown");
                c.shut = true;
            }
            if (c.what == kind::reset && c.pos_recv > 0) {
                // Mid-transfer (64 MiB cannot all be in flight): data is moving both ways and
                // the server is in the middle of writing. Close with a reset.
                if (c.msg_sent >= c.msg_size) return fail(c, "reset peer: the whole message went through");
                (void)c.s.set_linger(std::chrono::seconds(0));
                return finish(c);
            }
            while (!c.eof) {
                auto r = c.s.read(std::as_writable_bytes(std::span<std::uint8_t>(in)));
                if (!r) {
                    if (mio::is_would_block(r.error())) break;
                    return fail(c, "read: " + r.error().message());
                }
                if (*r == 0) { c.eof = true; break; }
                for (std::size_t k = 0; k < *r; ++k)
                    if (in[k] != pattern(c.id, c.pos_recv + k)) ++corrupt;
                if (c.pos_recv + *r > c.pos_sent) return fail(c, "more bytes came back than were sent");
                c.pos_recv += *r, c.msg_recv += *r;
                bytes += *r;
                progress = true;
            }
            if (c.what == kind::reset) continue;
            if (c.what == kind::normal && c.msg_recv == c.msg_size && c.msg_size > 0 && !c.shut) {
                ++messages;
                ++c.msg;
                if (c.msg == o.messages) {
                    if (!c.s.shutdown(mio::net::shutdown_how::write)) return fail(c, "shutdown");
                    c.shut = true;
                } else {
                    next_message(c);
                    if (c.msg == 1 && !released && o.barrier) {
                        c.waiting = true;
                        ++waiting;
                        return;
                    }
                    progress = true;
                }
            } else if (c.what == kind::early && c.shut && c.msg_recv == c.msg_size && c.msg == 0) {
                ++messages;
                c.msg = 1;
            }
            if (c.eof) {
                if (!c.shut || c.msg_recv != c.msg_size) return fail(c, "the server closed before echoing everything");
                checksum += c.sum.value();
                return finish(c);
            }
        }
    };

    std::size_t created = 0;
    const std::size_t normal = o.connections;
    while (finished < plan.size() && clock_type::now() < deadline) {
        // Open connections in windows of `batch` pending connects.
        while (created < plan.size() && created - connected < o.batch) {
            auto s = mio::net::tcp_stream::connect(server);
            if (!s) {
                std::fprintf(stderr, "connect: %s\n", s.error().message().c_str());
                break;
            }
            conns.emplace_back(std::move(*s), created, plan[created], o.seed * 7919u + static_cast<std::uint32_t>(created));
            auto& c = conns.back();
            next_message(c);
            if (!poll->registry().add(c.s, mio::token{created}, mio::interest::readable | mio::interest::writable)) {
                fail(c, "register");
            } else {
                ++open_now;
                if (c.what != kind::idle) ++busy;
            }
            ++created;
        }
        auto r = poll->poll(events, std::chrono::milliseconds(100));
        if (!r && r.error() != std::errc::interrupted) return std::fprintf(stderr, "poll failed\n"), 1;
        for (const auto& e : events) {
            auto& c = conns[e.token().value];
            if (!c.open) continue;
            if (!c.connected && (e.is_writable() || e.is_error() || e.is_write_closed())) {
                auto err = c.s.take_error();
                if ((err && *err) || !c.s.peer_addr()) {
                    fail(c, "connect failed");
                    ++connected;
                    continue;
                }
                c.connected = true;
                ++connected;
                if (connected == plan.size() && !all_connected) {
                    all_connected = true;
                    for (auto& x : conns) drive(x);
                }
            }
            drive(c);
        }
        peak_open = std::max(peak_open, open_now);
        if (!released && all_connected && waiting + normal_gone == normal) {
            released = true;  // every normal connection is open and was served once
            for (auto& c : conns)
                if (c.waiting) c.waiting = false, drive(c);
        }
        // Idle peers are closed by us once everything else is done; check them first.
        if (busy == 0 && all_connected) {
            for (auto& c : conns)
                if (c.what == kind::idle && c.open) {
                    drive(c);  // still open?
                    if (c.open) finish(c);
                }
        }
    }
    tcp_done = true;
    if (udp_thread.joinable()) udp_thread.join();
    const double secs = std::chrono::duration<double>(clock_type::now() - start).count();

    std::size_t dropped = 0, completed = 0, idle_ok = 0, early_ok = 0, resets = 0, unfinished = 0;
    for (const auto& c : conns) {
        if (c.failed) {
            if (++dropped <= 10) std::fprintf(stderr, "connection %zu dropped: %s\n", c.id, c.why.c_str());
        } else if (!c.done) {
            if (++unfinished <= 10)
                std::fprintf(stderr, "connection %zu unfinished: msg %u sent %llu/%llu recv %llu connected %d waiting %d\n",
                             c.id, c.msg, (unsigned long long)c.msg_sent, (unsigned long long)c.msg_size,
                             (unsigned long long)c.msg_recv, c.connected, c.waiting);
        } else if (c.what == kind::normal) ++completed;
        else if (c.what == kind::early) ++early_ok;
        else if (c.what == kind::idle) ++idle_ok;
        else ++resets;
    }
    unfinished += plan.size() - conns.size();
    if (unfinished > 0)
        std::fprintf(stderr, "state: created %zu connected %zu all_connected %d waiting %zu normal_gone %zu released %d busy %zu\n",
                     created, connected, all_connected, waiting, normal_gone, released, busy);
    const double loss = udp.sent ? 100.0 * double(udp.sent - std::min(udp.sent, udp.received)) / double(udp.sent) : 0;
    std::printf(
        "client: connections=%zu held_concurrently=%zu completed=%zu messages=%llu bytes_echoed=%llu checksum=%llu "
        "dropped=%zu unfinished=%zu corrupt=%llu early_ok=%zu/%zu resets=%zu/%zu idle_ok=%zu/%zu "
        "udp_clients=%zu udp_sent=%llu udp_received=%llu udp_loss=%.2f%% udp_corrupt=%llu udp_probes_ok=%llu/%zu "
        "seconds=%.1f\n",
        plan.size(), peak_open, completed, (unsigned long long)messages, (unsigned long long)bytes,
        (unsigned long long)checksum, dropped, unfinished, (unsigned long long)corrupt, early_ok, o.early, resets,
        o.resets, idle_ok, o.idle, o.udp_clients, (unsigned long long)udp.sent, (unsigned long long)udp.received, loss,
        (unsigned long long)udp.corrupt, (unsigned long long)udp.probes_ok, o.udp_clients, secs);
    bool ok = dropped == 0 && unfinished == 0 && corrupt == 0 && completed == o.connections && early_ok == o.early &&
              idle_ok == o.idle && resets == o.resets && udp.corrupt == 0 && udp.probes_ok == o.udp_clients;
    return ok ? 0 : 1;
}

