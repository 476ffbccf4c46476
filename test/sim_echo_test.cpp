// The echo component of the fault tests (test/stress/echo_core.hpp) over the simulated
// network: clients and server talk through sim sockets under virtual time, with jitter,
// chaos and partitions drawn from a seed. What holds for every seed and every enumerated fault:
// no client ever receives a byte it did not send, in order; a run without faults echoes every
// byte and ends with a clean end of stream; with a fault, a connection that goes away goes away
// visibly; every run ends (no hang). Same seed, same run: trace, bytes and clock.
#include "stress/echo_core.hpp"

#include <mio/basic_poll.hpp>
#include <mio/detail/sim_random.hpp>
#include <mio/selector/fake.hpp>
#include <mio/sim/enumerate.hpp>
#include <mio/sim/network.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using poll_type = mio::basic_poll<mio::fake_selector, mio::fixed_storage<16>, mio::fake_waker>;
using registry_type = poll_type::registry_type;
namespace sim = mio::sim;

const auto server_addr = *mio::net::socket_address::parse("10.0.0.1:7");
constexpr mio::token listener_token{1};

std::uint8_t pattern(std::size_t client, std::uint64_t i) {
    return static_cast<std::uint8_t>((i * 2654435761u + client * 40503u) >> 11);
}

struct options {
    std::uint64_t seed = 1;
    bool chaos = true;
    bool partitions = true;
    std::size_t clients = 3;
    std::size_t bytes = 100000;  // per client
};

struct outcome {
    bool finished = false;         // every client saw its connection end
    bool intact = true;            // no client received a byte it did not send
    bool complete = true;          // every client received everything and a clean end of stream
    bool server_started = true;    // the listener registered
    std::uint64_t bytes = 0, digest = 0;
    std::int64_t clock_ns = 0;
    std::size_t polls = 0, partitions = 0;
};

outcome run_echo(const options& o, sim::fault_injector* fault = nullptr) {
    outcome out;
    auto poll = std::move(*poll_type::create());
    auto& fake = poll.selector();
    if (fault) fault->arm(fake);
    sim::network net(fake, o.seed);
    net.set_link({.latency = 1ms, .jitter = 2ms, .buffer = 8192});
    if (o.chaos) fake.set_chaos({.seed = o.seed, .spurious = 0.1, .split = 0.2, .delay = 0.2});
    mio::detail::sim_random rng(o.seed ^ 0x5eed);

    auto l = net.listen(server_addr);
    if (!l || !poll.registry().add(*l, listener_token, mio::interest::readable)) {
        out.server_started = false;  // reported to the caller: visible, nothing to check
        out.finished = true;
        out.complete = false;
        return out;
    }
    mio_stress::echo_core<registry_type, sim::stream> core(poll.registry(), 100);

    struct client {
        sim::stream s;
        std::uint64_t sent = 0, received = 0;
        bool shut = false, done = false, clean_eof = false;
    };
    std::vector<client> clients;
    for (std::size_t k = 0; k < o.clients; ++k) clients.push_back({std::move(*net.connect(server_addr))});

    poll_type::events_type events;
    std::optional<std::chrono::nanoseconds> partitioned_until;
    std::uint8_t buf[4096];
    while (fake.now() < 60s) {
        // Partitions come and go between the server and one client.
        if (o.partitions) {
            if (!partitioned_until && rng.chance(0.05)) {
                auto& c = clients[rng.below(clients.size())];
                if (auto a = c.s.local_addr()) net.partition(server_addr, *a);
                partitioned_until = fake.now() + std::chrono::milliseconds(1 + rng.below(50));
                ++out.partitions;
            } else if (partitioned_until && fake.now() >= *partitioned_until) {
                net.heal();
                partitioned_until.reset();
            }
        }
        ++out.polls;
        if (poll.poll(events, 5ms)) {
            for (auto e : events) {
                if (e.token() != listener_token) {
                    core.handle(e);
                    continue;
                }
                while (auto a = l->accept()) (void)core.adopt(std::move(a->first));
            }
        }
        // The clients: write what the buffer takes, read and check the echo, then shut down.
        bool all_done = true;
        for (std::size_t k = 0; k < clients.size(); ++k) {
            auto& c = clients[k];
            if (c.done) continue;
            while (c.sent < o.bytes) {
                std::size_t n = std::min<std::size_t>(sizeof buf, o.bytes - c.sent);
                for (std::size_t i = 0; i < n; ++i) buf[i] = pattern(k, c.sent + i);
                auto w = c.s.write(std::as_bytes(std::span<const std::uint8_t>(buf, n)));
                if (!w) break;
                c.sent += *w;
            }
            if (c.sent == o.bytes && !c.shut && c.s.shutdown(mio::net::shutdown_how::write)) c.shut = true;
            for (;;) {
                auto r = c.s.read(std::as_writable_bytes(std::span<std::uint8_t>(buf)));
                if (!r) {
                    if (!mio::is_would_block(r.error())) c.done = true;  // reset, refused: visible
                    break;
                }
                if (*r == 0) {
                    c.done = true;
                    c.clean_eof = true;
                    break;
                }
                for (std::size_t i = 0; i < *r; ++i) {
                    if (buf[i] != pattern(k, c.received + i)) out.intact = false;
                    out.digest = out.digest * 1099511628211u + buf[i];
                }
                c.received += *r;
            }
            all_done = all_done && c.done;
        }
        if (all_done) {
            out.finished = true;
            break;
        }
    }
    for (auto& c : clients) {
        out.bytes += c.received;
        if (c.received > c.sent) out.intact = false;
        if (!(c.clean_eof && c.received == o.bytes)) out.complete = false;
    }
    out.clock_ns = fake.now().count();
    for (const auto& call : fake.trace())
        out.digest = out.digest * 31 + static_cast<std::uint64_t>(call.at_ns) + call.events * 7 + call.token;
    core.close_all();
    return out;
}

TEST(sim_echo, every_byte_is_echoed_over_a_slow_jittery_link_with_chaos_and_partitions) {
    auto r = run_echo({.seed = 11});
    EXPECT_TRUE(r.finished);
    EXPECT_TRUE(r.intact);
    EXPECT_TRUE(r.complete);
    EXPECT_EQ(r.bytes, 3u * 100000u);
    EXPECT_GT(r.partitions, 0u);
    EXPECT_GT(r.clock_ns, 0);
}

TEST(sim_echo, the_same_seed_gives_the_same_trace_bytes_and_clock_and_another_seed_differs) {
    auto a = run_echo({.seed = 5});
    auto b = run_echo({.seed = 5});
    auto c = run_echo({.seed = 6});
    EXPECT_EQ(a.digest, b.digest);
    EXPECT_EQ(a.clock_ns, b.clock_ns);
    EXPECT_EQ(a.polls, b.polls);
    EXPECT_TRUE(a.complete && c.complete);
    EXPECT_NE(a.digest, c.digest);
    EXPECT_NE(a.clock_ns, c.clock_ns);
}

// The seed sweep: nothing lost on streams, whatever jitter, chaos and partitions the seed draws.
// A failing seed is printed; run_echo({.seed = N}) replays it exactly.
// MIO_SIM_SEEDS sets how many (default 40; CI's reliability stage sweeps 1000); MIO_SIM_SEED=N
// runs seed N alone, to replay a failure.
TEST(sim_echo, seed_sweep_nothing_lost_under_chaos_and_partitions) {
    const char* count = std::getenv("MIO_SIM_SEEDS");
    const char* one = std::getenv("MIO_SIM_SEED");
    const std::uint64_t first = one ? std::strtoull(one, nullptr, 10) : 1;
    const std::size_t seeds = one ? 1 : count ? std::strtoull(count, nullptr, 10) : 40;
    auto report = sim::sweep_seeds(first, seeds, [](std::uint64_t seed) {
        auto r = run_echo({.seed = seed});
        return r.finished && r.intact && r.complete;
    }, &std::cerr);
    EXPECT_TRUE(report.ok()) << report.failed.size() << " seeds failed (printed above)";
    EXPECT_EQ(report.runs, seeds);
}

// Fault enumeration: each registry call and each poll the scenario makes fails once, in its
// own run, until a run makes fewer calls than the fault's n.
class sim_echo_faults : public ::testing::TestWithParam<mio::fake_operation> {};

TEST_P(sim_echo_faults, every_call_failed_once_loses_nothing_and_ends_visibly) {
    const auto op = GetParam();
    const auto ec = std::make_error_code(std::errc::not_enough_memory);
    std::size_t incomplete = 0;
    auto report = sim::enumerate_faults(op, ec, [&](sim::fault_injector& f) {
        auto r = run_echo({.seed = 3, .chaos = false, .partitions = false}, &f);
        if (!r.complete) ++incomplete;
        if (!f.fired()) return r.finished && r.intact && r.complete;  // the last run: no fault
        return r.finished && r.intact;
    }, 10000, &std::cerr);
    EXPECT_TRUE(report.exhausted) << "more than 10000 calls of " << op;
    EXPECT_TRUE(report.failed.empty()) << report.failed.size() << " failing runs (printed above)";
    EXPECT_GT(report.faults, 0u) << "the scenario never calls " << op;
    std::cout << "fault enumeration on " << op << ": " << report.faults << " faults, " << incomplete
              << " runs dropped a connection visibly\n";
}

std::string op_name(const ::testing::TestParamInfo<mio::fake_operation>& info) {
    std::ostringstream os;
    os << info.param;
    return os.str();
}

INSTANTIATE_TEST_SUITE_P(ops, sim_echo_faults,
                         ::testing::Values(mio::fake_operation::add, mio::fake_operation::modify,
                                           mio::fake_operation::remove, mio::fake_operation::poll),
                         op_name);

}  // namespace
