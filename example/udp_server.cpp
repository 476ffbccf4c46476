// A UDP echo server: every datagram goes back to whoever sent it (mio's udp_server example).
//
//   udp_server                  serve on 127.0.0.1 and a free port (printed) until Ctrl-C
//                               (try: nc -u 127.0.0.1 <port>)
//   udp_server --port 9000      serve on 127.0.0.1:9000
//   udp_server --demo [N]       also run N clients (default 100) on another thread: each sends 10
//                               datagrams, one at a time, and checks every echoed byte; exit 0 only
//                               if all came back intact
//
// What it shows: receiving until would_block (edge-triggered readiness), replies queued when
// the socket cannot send (sent on the next writable event), and that UDP may drop datagrams:
// the demo's clients send again when an echo is late.
#include "common.hpp"

#include <mio/mio.hpp>
#include <mio/net/udp_socket.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <deque>
#include <vector>

namespace {

constexpr std::size_t max_queued = 4096;  // replies waiting to be sent; beyond that, drop

struct datagram {
    std::vector<char> bytes;
    mio::net::socket_address peer;
};

// Called on every event for the socket: receive every waiting datagram, then send every
// reply the socket takes. What it does not take yet waits for the next writable event.
void serve(mio::net::udp_socket& socket, std::deque<datagram>& replies, std::size_t& dropped) {
    char buf[64 * 1024];  // as large as a UDP datagram can be
    for (;;) {
        auto r = socket.recv_from(std::span<char>(buf));
        if (!r) {
            if (!mio::is_would_block(r.error())) std::fprintf(stderr, "recv_from: %s\n", r.error().message().c_str());
            break;
        }
        if (replies.size() < max_queued) replies.push_back({std::vector<char>(buf, buf + r->first), r->second});
        else ++dropped;  // UDP may lose datagrams; its users expect that
    }
    while (!replies.empty()) {
        auto n = socket.send_to(std::span<const char>(replies.front().bytes), replies.front().peer);
        if (!n && mio::is_would_block(n.error())) break;  // the rest waits for a writable event
        replies.pop_front();  // sent, or failed for good: either way done with it
    }
}

// ---- The demo: N clients on their own thread and their own poll -------------------------

constexpr std::uint32_t datagrams_per_client = 10;

// Datagram `seq` of client `id`: its id and number, then bytes that differ per client,
// datagram and position; 8 to 1,400 bytes long.
std::vector<char> message(std::uint32_t id, std::uint32_t seq) {
    std::vector<char> m(8 + (id * 131 + seq * 977) % 1393);
    std::memcpy(m.data(), &id, 4);
    std::memcpy(m.data() + 4, &seq, 4);
    for (std::size_t k = 8; k < m.size(); ++k) m[k] = static_cast<char>((k * 7 + id * 13 + seq * 29) % 251);
    return m;
}

// True when every client got an intact echo of every datagram it sent.
bool run_clients(const mio::net::socket_address& server, std::uint32_t count) {
    struct client {
        mio::net::udp_socket socket;
        std::uint32_t seq = 0;  // the datagram waiting for its echo
        std::chrono::steady_clock::time_point sent_at{};
    };
    auto poll = mio::poll::create();
    if (!poll) return false;
    mio::events events(256);
    std::vector<client> clients;
    auto send_current = [&](std::uint32_t id) {
        clients[id].sent_at = std::chrono::steady_clock::now();
        (void)clients[id].socket.send(std::span<const char>(message(id, clients[id].seq)));  // a loss is retried
    };
    for (std::uint32_t id = 0; id < count; ++id) {
        // A connected socket: send() goes to the server, and recv() hears only the server.
        auto s = mio::net::udp_socket::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, 0));
        if (!s || !s->connect(server) || !poll->registry().add(*s, mio::token{id}, mio::interest::readable)) {
            std::fprintf(stderr, "client %u: set-up failed\n", id);
            return false;
        }
        clients.push_back(client{std::move(*s)});
        send_current(id);
    }

    std::uint32_t finished = 0;
    std::size_t resent = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(50);
    while (finished < count && std::chrono::steady_clock::now() < deadline) {
        if (auto r = poll->poll(events, std::chrono::milliseconds(50)); !r && r.error() != std::errc::interrupted)
            return false;
        for (auto event : events) {
            auto id = static_cast<std::uint32_t>(event.token().value);
            client& c = clients[id];
            char buf[2048];
            for (;;) {
                auto n = c.socket.recv(std::span<char>(buf));
                if (!n) break;  // would_block (or a transient error: the resend below covers it)
                if (c.seq == datagrams_per_client) continue;  // a late duplicate
                auto want = message(id, c.seq);
                if (*n != want.size() || std::memcmp(buf, want.data(), want.size()) != 0) continue;  // stale
                if (++c.seq == datagrams_per_client) ++finished;
                else send_current(id);
            }
        }
        // An echo that is late was probably dropped: send the datagram again.
        auto now = std::chrono::steady_clock::now();
        for (std::uint32_t id = 0; id < count; ++id)
            if (clients[id].seq < datagrams_per_client && now - clients[id].sent_at > std::chrono::milliseconds(200))
                send_current(id), ++resent;
    }
    if (finished < count) std::fprintf(stderr, "only %u of %u clients got every echo in time\n", finished, count);
    if (resent > 0) std::printf("(the clients sent %zu datagrams again after no echo came)\n", resent);
    return finished == count;
}

}  // namespace

int main(int argc, char** argv) {
    auto opts = example::parse_args(argc, argv);
    if (!opts) return 2;
    example::start_up();

    auto poll = mio::poll::create();
    if (!poll) return example::fail("poll", poll.error());
    auto socket = mio::net::udp_socket::bind(mio::net::socket_address(mio::net::ipv4_address::loopback, opts->port));
    if (!socket) return example::fail("bind", socket.error());
    auto waker = mio::waker::create(poll->registry(), example::waker_token);
    if (!waker || !poll->registry().add(*socket, example::server_token, mio::interest::readable | mio::interest::writable))
        return 1;
    auto address = *socket->local_addr();
    std::printf("echo server on %s (UDP)\n", address.to_string().c_str());
    std::fflush(stdout);  // scripts read the address from a pipe

    const auto clients = static_cast<std::uint32_t>(opts->demo_clients);
    example::demo demo(clients, *waker, [&] { return run_clients(address, clients); });

    mio::events events(128);
    std::deque<datagram> replies;
    std::size_t dropped = 0;
    example::serve_until_woken(*poll, events, [&](auto event) {
        if (event.token() == example::server_token) serve(*socket, replies, dropped);
    });

    bool demo_ok = demo.join();
    if (!demo.running()) return 0;
    std::printf("%u clients x %u datagrams (%zu dropped by the server): %s\n", clients, datagrams_per_client, dropped,
                demo_ok ? "every byte echoed intact" : "FAILED");
    return demo_ok ? 0 : 1;
}
