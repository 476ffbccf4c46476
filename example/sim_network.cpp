// A client and a server over a simulated network (mio/sim/network.hpp), under virtual time.
//
// The server answers each line a client sends on a stream with "ok <line>", and each datagram
// ping with a pong. The client sends 40 numbered requests, one every 10 ms, and a ping with
// each. The link is slow (20 ms one way, up to 10 ms jitter) and loses 20% of the datagrams; at
// 200 ms the client is cut off from the server, and the link heals at 700 ms. Everything runs
// on the fake selector's clock, so a second of network time takes microseconds, and a seed
// replays a run exactly.
//
// Checks, for every seed: every request is answered, in order (streams lose nothing, a
// partition only delays them); nothing is answered while the partition lasts; some pings are
// lost, most are not; the same seed gives the same trace, bytes and clock.
//
//   sim_network --seed N   one run with seed N, printed
//   sim_network --demo     the checks over seeds 1..50; then a property that does NOT hold for
//                          every seed ("no two pings in a row are lost") is swept, the first
//                          failing seed is printed and replayed, and the replay must be identical
// Exits 0 only when every check passes.
#include <mio/basic_poll.hpp>
#include <mio/selector/fake.hpp>
#include <mio/sim/enumerate.hpp>
#include <mio/sim/network.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace std::chrono_literals;
using poll_type = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;
namespace sim = mio::sim;
using mio::interest;
using mio::token;

constexpr token listener_token{1}, server_udp_token{2}, client_token{3}, client_udp_token{4};
constexpr std::size_t first_connection_token = 100;
constexpr int requests = 40;

struct run_result {
    std::vector<std::string> answers;     // what the client received, line by line
    std::vector<std::int64_t> answer_ms;  // when each answer arrived
    std::vector<bool> pong;               // per ping: answered?
    std::int64_t end_ms = 0;
    std::uint64_t digest = 0;             // trace, bytes and clock folded together
};

struct connection {
    sim::stream s;
    std::string in, out;
};

run_result run(std::uint64_t seed) {
    run_result r;
    auto poll = std::move(*poll_type::create());
    auto& fake = poll.selector();
    sim::network net(fake, seed);
    net.set_link({.latency = 20ms, .jitter = 10ms, .loss = 0.2});
    const auto server_addr = *mio::net::socket_address::parse("10.0.0.1:7000");
    const auto client_ip = *mio::net::socket_address::parse("10.0.0.2:0");

    // The server: a listener and a datagram socket.
    auto listener = net.listen(server_addr);
    auto server_udp = net.bind(server_addr);
    if (!listener || !server_udp) return r;
    (void)poll.registry().add(*listener, listener_token, interest::readable);
    (void)poll.registry().add(*server_udp, server_udp_token, interest::readable);
    std::vector<connection> conns;

    // The client: a stream from 10.0.0.2 and a datagram socket there.
    auto client = net.connect(server_addr, client_ip);
    auto client_udp = net.bind(client_ip);
    if (!client || !client_udp) return r;
    (void)poll.registry().add(*client, client_token, interest::readable | interest::writable);
    (void)poll.registry().add(*client_udp, client_udp_token, interest::readable);
    std::string to_send, received;
    int sent = 0;
    r.pong.assign(requests, false);

    poll_type::events_type events;
    char buf[1024];
    bool partitioned = false, healed = false;
    while (fake.now() < 3s && static_cast<int>(r.answers.size()) < requests) {
        const auto now = fake.now();
        // The schedule: a request and a ping every 10 ms; the partition from 200 to 700 ms.
        if (sent < requests && now >= sent * 10ms) {
            to_send += "request " + std::to_string(sent) + "\n";
            std::string ping = std::to_string(sent);
            (void)client_udp->send_to(std::span<const char>(ping), server_addr);
            ++sent;
        }
        if (!partitioned && now >= 200ms) {
            net.partition(server_addr, client_ip);  // port 0: every port of 10.0.0.2
            partitioned = true;
        }
        if (partitioned && !healed && now >= 700ms) {
            net.heal();
            healed = true;
        }
        while (!to_send.empty()) {
            auto n = client->write(std::span<const char>(to_send));
            if (!n) break;  // would_block: not connected yet, or the buffer is full
            to_send.erase(0, *n);
        }

        // Wait for the next event, at most until the next scheduled step.
        if (!poll.poll(events, 1ms)) continue;
        for (auto e : events) {
            const auto t = e.token();
            if (t == listener_token) {
                while (auto a = listener->accept()) {
                    token ct{first_connection_token + conns.size()};
                    conns.push_back({std::move(a->first), {}, {}});
                    (void)poll.registry().add(conns.back().s, ct, interest::readable);
                }
            } else if (t == server_udp_token) {
                while (auto d = server_udp->recv_from(std::span<char>(buf))) {
                    std::string pong = "pong " + std::string(buf, d->first);
                    (void)server_udp->send_to(std::span<const char>(pong), d->second);
                }
            } else if (t == client_udp_token) {
                while (auto d = client_udp->recv_from(std::span<char>(buf))) {
                    int k = std::atoi(std::string(buf + 5, d->first - 5).c_str());
                    if (k >= 0 && k < requests) r.pong[static_cast<std::size_t>(k)] = true;
                }
            } else if (t == client_token) {
                while (auto n = client->read(std::span<char>(buf))) {
                    if (*n == 0) break;
                    received.append(buf, *n);
                }
                for (auto eol = received.find('\n'); eol != std::string::npos; eol = received.find('\n')) {
                    r.answers.push_back(received.substr(0, eol));
                    r.answer_ms.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(fake.now()).count());
                    received.erase(0, eol + 1);
                }
            } else if (t.value >= first_connection_token) {
                auto& c = conns[t.value - first_connection_token];
                while (auto n = c.s.read(std::span<char>(buf))) {
                    if (*n == 0) break;
                    c.in.append(buf, *n);
                }
                for (auto eol = c.in.find('\n'); eol != std::string::npos; eol = c.in.find('\n')) {
                    c.out += "ok " + c.in.substr(0, eol) + "\n";
                    c.in.erase(0, eol + 1);
                }
                // The answers are small: the buffer always takes them here.
                if (auto n = c.s.write(std::span<const char>(c.out))) c.out.erase(0, *n);
            }
        }
    }
    r.end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(fake.now()).count();
    for (const auto& call : fake.trace())
        r.digest = r.digest * 1099511628211u + static_cast<std::uint64_t>(call.at_ns) + call.events + call.token;
    for (const auto& a : r.answers)
        for (char ch : a) r.digest = r.digest * 31 + static_cast<unsigned char>(ch);
    return r;
}

int failures = 0;
void check(bool ok, std::string_view what, std::uint64_t seed) {
    if (!ok) {
        ++failures;
        std::cout << "  FAIL  seed " << seed << ": " << what << '\n';
    }
}

// The checks every seed must pass. Returns whether they all did.
bool check_run(std::uint64_t seed, const run_result& r, bool verbose) {
    const int before = failures;
    check(static_cast<int>(r.answers.size()) == requests, "every request answered", seed);
    bool in_order = true;
    for (std::size_t k = 0; k < r.answers.size(); ++k)
        in_order = in_order && r.answers[k] == "ok request " + std::to_string(k);
    check(in_order, "answers in order, none lost or changed", seed);
    bool quiet = true;  // nothing crosses the partition: answers stop between 200 + 2 * 30 ms and 700 ms
    for (auto ms : r.answer_ms) quiet = quiet && !(ms > 260 && ms < 720);
    check(quiet, "no answer while the partition lasts", seed);
    std::size_t pongs = 0;
    for (bool p : r.pong) pongs += p;
    check(pongs > 0 && pongs < r.pong.size(), "some pings lost, not all", seed);
    check(run(seed).digest == r.digest, "the same seed replays the same trace, bytes and clock", seed);
    if (verbose) {
        std::cout << "seed " << seed << ": " << r.answers.size() << " answers in order, the last at " << r.answer_ms.back()
                  << " ms (virtual); " << pongs << "/" << r.pong.size() << " pings answered; digest " << std::hex
                  << r.digest << std::dec << '\n';
    }
    return failures == before;
}

bool no_two_pings_lost_in_a_row(const run_result& r) {
    for (std::size_t k = 1; k < r.pong.size(); ++k)
        if (!r.pong[k] && !r.pong[k - 1] && (k * 10 < 150 || k * 10 > 750)) return false;  // outside the partition
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    std::optional<std::uint64_t> seed;
    bool demo = false;
    for (int k = 1; k < argc; ++k) {
        std::string_view a = argv[k];
        if (a == "--demo") demo = true;
        else if (a == "--seed" && k + 1 < argc) seed = std::strtoull(argv[++k], nullptr, 10);
        else {
            std::cerr << "usage: sim_network [--demo] [--seed N]\n";
            return 2;
        }
    }
    if (seed) {
        check_run(*seed, run(*seed), true);
    }
    if (demo || !seed) {
        std::cout << "50 seeds: slow lossy link, partition at 200 ms, heal at 700 ms\n";
        auto all = sim::sweep_seeds(1, 50, [](std::uint64_t s) { return check_run(s, run(s), s == 1); }, &std::cout);
        std::cout << "  " << all.runs - all.failed.size() << "/" << all.runs << " seeds pass every check\n";

        // A property that is not true: the sweep finds a seed that breaks it, and the seed
        // replays the failing run exactly, which is what makes it debuggable.
        std::cout << "sweeping a false property: no two pings in a row lost\n";
        auto fragile = sim::sweep_seeds(1, 50, [](std::uint64_t s) { return no_two_pings_lost_in_a_row(run(s)); });
        check(!fragile.failed.empty(), "the sweep finds a seed breaking the false property", 0);
        if (!fragile.failed.empty()) {
            const auto bad = fragile.failed.front();
            auto first = run(bad), again = run(bad);
            std::cout << "  seed " << bad << " breaks it (" << fragile.failed.size()
                      << " seeds of 50 do); replaying: digest " << std::hex << first.digest << " then " << again.digest
                      << std::dec << '\n';
            check(first.digest == again.digest && !no_two_pings_lost_in_a_row(again), "the failing seed replays exactly", bad);
        }
    }
    std::cout << (failures ? "FAILED" : "all checks passed") << '\n';
    return failures ? 1 : 0;
}
