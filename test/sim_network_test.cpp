// The simulated network (mio/sim/network.hpp) through its public API: every rule of time and
// delivery DESIGN.md's "Deterministic simulation" section fixes, its error paths, determinism
// and the no-allocation-per-poll promise.
#include <mio/basic_poll.hpp>
#include <mio/selector/fake.hpp>
#include <mio/sim/network.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alloc_counter.hpp"

namespace {

using namespace std::chrono_literals;
using mio::interest;
using mio::token;
using poll_type = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;
namespace sim = mio::sim;

static_assert(mio::source<sim::stream, mio::fake_selector> && mio::source<sim::listener, mio::fake_selector> &&
              mio::source<sim::datagram, mio::fake_selector>);
static_assert(std::movable<sim::stream> && !std::copyable<sim::stream>);

mio::net::socket_address addr(std::string_view s) { return *mio::net::socket_address::parse(s); }
const auto server_addr = addr("10.0.0.1:80");

std::string read_all(sim::stream& s) {
    std::string out;
    char buf[512];
    for (;;) {
        auto n = s.read(std::span<char>(buf));
        if (!n || *n == 0) return out;
        out.append(buf, *n);
    }
}

struct event_record {
    std::size_t token;
    bool readable, writable, error, read_closed;
    friend bool operator==(const event_record&, const event_record&) = default;
};

class sim_network : public ::testing::Test {
protected:
    poll_type poll = std::move(*poll_type::create());
    mio::fake_selector& fake = poll.selector();
    sim::network net{fake, 1};
    poll_type::events_type events;

    std::vector<event_record> poll_once(std::optional<std::chrono::nanoseconds> timeout) {
        auto r = poll.poll(events, timeout);
        EXPECT_TRUE(r) << r.error().message();
        std::vector<event_record> v;
        for (auto e : events) v.push_back({e.token().value, e.is_readable(), e.is_writable(), e.is_error(), e.is_read_closed()});
        return v;
    }
    bool has(const std::vector<event_record>& v, std::size_t t) {
        return std::any_of(v.begin(), v.end(), [&](const event_record& e) { return e.token == t; });
    }

    // A listener at server_addr and one established connection: {client, server side}.
    std::pair<sim::stream, sim::stream> connected(sim::listener& l) {
        auto c = net.connect(server_addr);
        EXPECT_TRUE(c);
        fake.advance(net.link_config().latency);
        auto a = l.accept();
        EXPECT_TRUE(a);
        return {std::move(*c), std::move(a->first)};
    }
};

TEST_F(sim_network, connect_is_established_after_one_latency) {
    net.set_link({.latency = 10ms});
    auto l = net.listen(server_addr);
    ASSERT_TRUE(l);
    auto c = net.connect(server_addr);
    ASSERT_TRUE(c);
    ASSERT_TRUE(poll.registry().add(*l, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(*c, token{2}, interest::readable | interest::writable));
    char x = 'x';
    EXPECT_EQ(c->write(std::span<const char>(&x, 1)).error(), std::errc::operation_would_block);
    EXPECT_TRUE(mio::is_would_block(c->write(std::span<const char>(&x, 1)).error()));
    EXPECT_EQ(c->peer_addr().error(), std::errc::not_connected);
    EXPECT_EQ(l->accept().error(), std::errc::operation_would_block);

    auto ev = poll_once(std::nullopt);  // nothing ready: the clock moves to the SYN's arrival
    EXPECT_EQ(fake.now(), 10ms);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0], (event_record{2, false, true, false, false}));
    EXPECT_EQ(ev[1], (event_record{1, true, false, false, false}));
    auto a = l->accept();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->second, *c->local_addr());
    EXPECT_EQ(*c->peer_addr(), server_addr);
    EXPECT_EQ(*a->first.local_addr(), server_addr);
    EXPECT_EQ(*a->first.peer_addr(), *c->local_addr());
    EXPECT_EQ(c->local_addr()->port(), 49152);  // the destination's IP, the first ephemeral port
    EXPECT_EQ(*c->write(std::span<const char>(&x, 1)), 1u);
    EXPECT_FALSE(*c->take_error());
}

TEST_F(sim_network, bytes_arrive_after_latency_plus_jitter_in_order) {
    net.set_link({.latency = 5ms, .jitter = 3ms});
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(poll.registry().add(s, token{7}, interest::readable));
    std::string sent;
    for (int k = 0; k < 20; ++k) {
        std::string chunk = "chunk" + std::to_string(k) + ";";
        ASSERT_EQ(*c.write(std::span<const char>(chunk)), chunk.size());
        sent += chunk;
        fake.advance(1ms);
    }
    const auto written_until = fake.now();
    std::string got;
    for (int k = 0; k < 100 && got.size() < sent.size(); ++k) {
        auto before = fake.now();
        auto ev = poll_once(1s);
        if (ev.empty()) continue;
        EXPECT_LE(fake.now() - before, 8ms);
        got += read_all(s);
    }
    EXPECT_EQ(got, sent);
    EXPECT_LE(fake.now(), written_until + 8ms);
    EXPECT_GE(fake.now(), written_until - 1ms + 5ms);
}

TEST_F(sim_network, poll_advances_to_the_earliest_arrival_within_its_timeout) {
    net.set_link({.latency = 50ms});
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(poll.registry().add(s, token{3}, interest::readable));
    const auto t0 = fake.now();
    ASSERT_TRUE(c.write(std::span<const char>("hello", 5)));
    EXPECT_TRUE(poll_once(10ms).empty());  // the arrival is beyond the timeout: all of it elapses
    EXPECT_EQ(fake.now(), t0 + 10ms);
    auto ev = poll_once(1s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(fake.now(), t0 + 50ms);  // not t0 + 10ms + 1s
    EXPECT_EQ(read_all(s), "hello");
    EXPECT_EQ(net.in_flight(), 0u);
    // Nothing in flight, nothing pending: a poll without timeout would hang.
    EXPECT_EQ(poll.poll(events, std::nullopt).error(), std::errc::resource_deadlock_would_occur);
}

TEST_F(sim_network, write_would_block_at_the_buffer_and_writable_again_as_it_drains) {
    net.set_link({.latency = 1ms, .buffer = 1000});
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(poll.registry().add(c, token{1}, interest::writable));
    (void)poll_once(0ms);  // the registration reports writable
    std::string big(1500, 'a');
    EXPECT_EQ(*c.write(std::span<const char>(big)), 1000u);
    EXPECT_EQ(c.write(std::span<const char>(big)).error(), std::errc::operation_would_block);
    fake.advance(1ms);  // arrived but unread: still counts
    EXPECT_EQ(c.write(std::span<const char>(big)).error(), std::errc::operation_would_block);
    EXPECT_TRUE(poll_once(0ms).empty());
    char buf[600];
    EXPECT_EQ(*s.read(std::span<char>(buf)), 600u);
    auto ev = poll_once(0ms);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(ev[0].writable);
    EXPECT_EQ(*c.write(std::span<const char>(big)), 600u);
}

TEST_F(sim_network, shutdown_write_and_close_give_eof_after_the_bytes_in_flight) {
    net.set_link({.latency = 2ms});
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(poll.registry().add(s, token{4}, interest::readable));
    ASSERT_TRUE(c.write(std::span<const char>("bye", 3)));
    ASSERT_TRUE(c.shutdown(mio::net::shutdown_how::write));
    EXPECT_EQ(c.write(std::span<const char>("x", 1)).error(), std::errc::broken_pipe);
    auto ev = poll_once(1s);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(ev[0].readable && ev[0].read_closed);
    char buf[16];
    EXPECT_EQ(*s.read(std::span<char>(buf)), 3u);
    EXPECT_EQ(*s.read(std::span<char>(buf)), 0u);
    // The other direction still works (half close).
    ASSERT_TRUE(s.write(std::span<const char>("ok", 2)));
    fake.advance(2ms);
    EXPECT_EQ(*c.read(std::span<char>(buf)), 2u);

    // Close with bytes in flight: the peer reads them, then 0.
    auto [c2, s2] = connected(*l);
    ASSERT_TRUE(c2.write(std::span<const char>("last words", 10)));
    { auto gone = std::move(c2); }
    fake.advance(2ms);
    EXPECT_EQ(read_all(s2), "last words");
    EXPECT_EQ(*s2.read(std::span<char>(buf)), 0u);
    // Writing to the closed end resets the writer one round trip later.
    ASSERT_TRUE(s2.write(std::span<const char>("?", 1)));
    fake.advance(4ms);
    EXPECT_EQ(s2.read(std::span<char>(buf)).error(), std::errc::connection_reset);
}

TEST_F(sim_network, reset_discards_bytes_in_flight_and_the_peer_fails_with_connection_reset) {
    net.set_link({.latency = 3ms});
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(poll.registry().add(s, token{5}, interest::readable));
    ASSERT_TRUE(c.write(std::span<const char>("lost", 4)));
    ASSERT_TRUE(c.reset());
    char buf[8];
    EXPECT_EQ(c.read(std::span<char>(buf)).error(), std::errc::not_connected);
    EXPECT_EQ(c.write(std::span<const char>("x", 1)).error(), std::errc::not_connected);
    EXPECT_EQ(c.reset().error(), std::errc::not_connected);
    EXPECT_EQ(s.read(std::span<char>(buf)).error(), std::errc::operation_would_block);  // not yet
    auto ev = poll_once(1s);
    EXPECT_EQ(fake.now(), 3ms + 3ms);  // connected() took one latency, the RST another
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(ev[0].error && ev[0].readable && ev[0].read_closed);
    EXPECT_EQ(s.read(std::span<char>(buf)).error(), std::errc::connection_reset);  // "lost" is gone
    EXPECT_EQ(*s.read(std::span<char>(buf)), 0u);
    EXPECT_EQ(s.write(std::span<const char>("x", 1)).error(), std::errc::broken_pipe);
}

TEST_F(sim_network, connect_with_nobody_listening_is_refused_after_one_latency) {
    net.set_link({.latency = 7ms});
    auto c = net.connect(addr("10.0.0.9:81"));
    ASSERT_TRUE(c);
    ASSERT_TRUE(poll.registry().add(*c, token{8}, interest::writable));
    EXPECT_EQ(c->write(std::span<const char>("x", 1)).error(), std::errc::operation_would_block);
    auto ev = poll_once(std::nullopt);
    EXPECT_EQ(fake.now(), 7ms);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(ev[0].error);
    EXPECT_EQ(*c->take_error(), std::errc::connection_refused);
    EXPECT_FALSE(*c->take_error());
    EXPECT_EQ(c->write(std::span<const char>("x", 1)).error(), std::errc::not_connected);
    EXPECT_EQ(c->peer_addr().error(), std::errc::not_connected);
    EXPECT_EQ(c->shutdown(mio::net::shutdown_how::both).error(), std::errc::not_connected);
    // A listener that went away refuses too, and so does a datagram socket's address.
    { auto l = net.listen(server_addr); }
    auto b = net.bind(addr("10.0.0.2:81"));
    auto c2 = net.connect(server_addr);
    auto c3 = net.connect(addr("10.0.0.2:81"));
    fake.advance(7ms);
    char buf[4];
    EXPECT_EQ(c2->read(std::span<char>(buf)).error(), std::errc::connection_refused);
    EXPECT_EQ(*c3->take_error(), std::errc::connection_refused);
}

TEST_F(sim_network, address_in_use_and_port_zero) {
    auto l = net.listen(server_addr);
    ASSERT_TRUE(l);
    EXPECT_EQ(net.listen(server_addr).error(), std::errc::address_in_use);
    EXPECT_EQ(net.listen(addr("0.0.0.0:80")).error(), std::errc::address_in_use);
    EXPECT_TRUE(net.listen(addr("10.0.0.2:80")));  // another IP
    auto u = net.bind(server_addr);                // UDP has its own ports
    ASSERT_TRUE(u);
    EXPECT_EQ(net.bind(server_addr).error(), std::errc::address_in_use);
    { auto moved = std::move(*l); }  // closing frees the port
    EXPECT_TRUE(net.listen(server_addr));
    auto a = net.listen(addr("10.0.0.1:0"));
    auto b = net.listen(addr("10.0.0.1:0"));
    ASSERT_TRUE(a && b);
    EXPECT_NE(a->local_addr()->port(), 0);
    EXPECT_NE(a->local_addr()->port(), b->local_addr()->port());
    auto c = net.connect(server_addr, addr("10.0.0.3:5000"));
    ASSERT_TRUE(c);
    EXPECT_EQ(*c->local_addr(), addr("10.0.0.3:5000"));
    EXPECT_EQ(net.connect(server_addr, addr("10.0.0.3:5000")).error(), std::errc::address_in_use);
    // A listener on the unspecified IP takes connections to any IP at its port.
    auto any = net.listen(addr("0.0.0.0:8080"));
    ASSERT_TRUE(any);
    auto c2 = net.connect(addr("10.0.0.7:8080"));
    fake.advance(0ns + 1ns);
    auto acc = any->accept();
    ASSERT_TRUE(acc);
    EXPECT_EQ(*acc->first.local_addr(), addr("10.0.0.7:8080"));
}

TEST_F(sim_network, a_partition_delays_stream_bytes_and_drops_datagrams_until_heal) {
    net.set_link({.latency = 4ms});
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(poll.registry().add(s, token{1}, interest::readable));
    auto u1 = net.bind(addr("10.0.0.1:53"));
    auto u2 = net.bind(addr("10.0.0.5:53"));
    ASSERT_TRUE(poll.registry().add(*u1, token{2}, interest::readable));
    net.partition(addr("10.0.0.1:0"), *c.local_addr());
    net.partition(addr("10.0.0.1:0"), addr("10.0.0.5:0"));
    ASSERT_TRUE(c.write(std::span<const char>("held", 4)));
    ASSERT_EQ(*u2->send_to(std::span<const char>("dropped", 7), *u1->local_addr()), 7u);
    EXPECT_TRUE(poll_once(1s).empty());
    EXPECT_EQ(net.in_flight(), 1u);  // the segment waits; the datagram is gone
    const auto healed_at = fake.now();
    net.heal();
    ASSERT_TRUE(u2->send_to(std::span<const char>("passes", 6), *u1->local_addr()));
    auto ev = poll_once(1s);
    EXPECT_EQ(fake.now(), healed_at + 4ms);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(read_all(s), "held");
    char buf[16];
    auto r = u1->recv_from(std::span<char>(buf));
    ASSERT_TRUE(r);
    EXPECT_EQ(std::string_view(buf, r->first), "passes");
    EXPECT_EQ(r->second, *u2->local_addr());
    EXPECT_EQ(u1->recv_from(std::span<char>(buf)).error(), std::errc::operation_would_block);
    // A connect across a partition waits for the heal too.
    net.partition(server_addr, addr("10.0.0.1:0"));
    auto c2 = net.connect(server_addr);
    fake.advance(100ms);
    EXPECT_EQ(l->accept().error(), std::errc::operation_would_block);
    net.heal();
    fake.advance(4ms);
    EXPECT_TRUE(l->accept());
}

TEST_F(sim_network, datagrams_truncate_into_a_short_buffer_and_vanish_toward_nobody) {
    net.set_link({.latency = 1ms});
    auto a = net.bind(addr("10.0.0.1:0"));
    auto b = net.bind(addr("10.0.0.2:9"));
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(a->send_to(std::span<const char>("0123456789", 10), *b->local_addr()));
    ASSERT_TRUE(a->send_to(std::span<const char>("x", 1), addr("10.0.0.2:10")));  // nobody there
    fake.advance(1ms);
    char buf[4];
    auto p = b->peek_from(std::span<char>(buf));
    ASSERT_TRUE(p);
    EXPECT_EQ(p->first, 4u);
    auto r = b->recv_from(std::span<char>(buf));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first, 4u);
    EXPECT_EQ(std::string_view(buf, 4), "0123");
    EXPECT_EQ(r->second, *a->local_addr());
    EXPECT_EQ(b->recv_from(std::span<char>(buf)).error(), std::errc::operation_would_block);  // the rest is lost
    EXPECT_EQ(net.in_flight(), 0u);
    std::vector<std::byte> huge(65508);
    EXPECT_EQ(a->send_to(std::span<const std::byte>(huge), *b->local_addr()).error(), std::errc::message_size);
}

// Received datagram payloads, in order, for a seed.
std::vector<int> lossy_run(std::uint64_t seed) {
    auto poll = std::move(*poll_type::create());
    sim::network net(poll.selector(), seed);
    net.set_link({.latency = 1ms, .jitter = 5ms, .loss = 0.3});
    auto a = net.bind(addr("10.0.0.1:1"));
    auto b = net.bind(addr("10.0.0.2:2"));
    for (int k = 0; k < 200; ++k) {
        (void)a->send_to(std::as_bytes(std::span<const int>(&k, 1)), *b->local_addr());
        poll.selector().advance(100us);
    }
    poll.selector().advance(10ms);
    std::vector<int> got;
    int v;
    while (auto r = b->recv_from(std::as_writable_bytes(std::span<int>(&v, 1)))) got.push_back(v);
    return got;
}

TEST(sim_network_seeded, datagram_loss_and_reordering_come_from_the_seed) {
    auto a = lossy_run(42);
    EXPECT_GT(a.size(), 100u);
    EXPECT_LT(a.size(), 180u);
    EXPECT_FALSE(std::is_sorted(a.begin(), a.end())) << "jitter larger than the spacing reorders";
    EXPECT_EQ(lossy_run(42), a);
    EXPECT_NE(lossy_run(43), a);
}

TEST_F(sim_network, registering_a_ready_socket_reports_it_at_the_next_poll) {
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    ASSERT_TRUE(c.write(std::span<const char>("early", 5)));
    fake.advance(1ns);
    ASSERT_TRUE(poll.registry().add(s, token{9}, interest::readable));
    auto ev = poll_once(0ms);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_TRUE(ev[0].readable);
    EXPECT_TRUE(poll_once(0ms).empty());  // edge-triggered: once
    ASSERT_TRUE(poll.registry().modify(s, token{10}, interest::readable | interest::writable));
    ev = poll_once(0ms);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0], (event_record{10, true, true, false, false}));
    // A listener with a connection waiting, registered late.
    auto c2 = net.connect(server_addr);
    fake.advance(1ns);
    ASSERT_TRUE(poll.registry().add(*l, token{11}, interest::readable));
    EXPECT_TRUE(has(poll_once(0ms), 11));
}

TEST_F(sim_network, destroying_a_registered_socket_removes_it) {
    {
        auto l = net.listen(server_addr);
        auto u = net.bind(server_addr);
        ASSERT_TRUE(poll.registry().add(*l, token{1}, interest::readable));
        ASSERT_TRUE(poll.registry().add(*u, token{2}, interest::readable));
        EXPECT_EQ(fake.registrations().size(), 2u);
    }
    EXPECT_TRUE(fake.registrations().empty());
    for (const auto& call : fake.trace()) EXPECT_NE(call.operation, mio::fake_operation::remove);
}

TEST_F(sim_network, handles_are_numbered_per_network_from_a_base_far_above_real_fds) {
    auto l = net.listen(server_addr);
    auto c = net.connect(server_addr);
    EXPECT_EQ(l->native_handle(), 1 << 30);
    EXPECT_EQ(c->native_handle(), (1 << 30) + 1);
    auto other = std::move(*poll_type::create());
    sim::network net2(other.selector());
    auto l2 = net2.listen(server_addr);
    EXPECT_EQ(l2->native_handle(), 1 << 30);
    auto moved = std::move(*l);
    EXPECT_EQ(l->native_handle(), -1);
    EXPECT_EQ(l->accept().error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(moved.native_handle(), 1 << 30);
}

TEST_F(sim_network, error_paths) {
    auto l = net.listen(server_addr);
    auto [c, s] = connected(*l);
    // ENOENT: modify/remove of a sim socket that is not registered (the registry's debug
    // check or the fake's own).
    EXPECT_EQ(poll.registry().modify(c, token{1}, interest::readable).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(poll.registry().remove(c).error(), std::errc::no_such_file_or_directory);
    // EEXIST on a second add.
    ASSERT_TRUE(poll.registry().add(c, token{1}, interest::readable));
    EXPECT_EQ(poll.registry().add(c, token{2}, interest::readable).error(), std::errc::file_exists);
    // A scripted registry failure reaches the sim socket's registration like any other.
    fake.fail_next(mio::fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
    EXPECT_EQ(poll.registry().add(s, token{2}, interest::readable).error(), std::errc::not_enough_memory);
    EXPECT_EQ(fake.registrations().size(), 1u);
    ASSERT_TRUE(poll.registry().add(s, token{2}, interest::readable));
    ASSERT_TRUE(poll.registry().remove(c));
    char buf[4];
    EXPECT_EQ(s.read(std::span<char>(buf)).error(), std::errc::operation_would_block);
    EXPECT_EQ(*s.read(std::span<char>(buf, 0)), 0u);
    ASSERT_TRUE(s.shutdown(mio::net::shutdown_how::read));
    EXPECT_EQ(*s.read(std::span<char>(buf)), 0u);
}

TEST_F(sim_network, the_simulation_allocates_nothing_per_poll) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new is not counted in this build";
    net.set_link({.latency = 1ms, .jitter = 1ms});
    auto l = net.listen(server_addr);
    auto pair = connected(*l);
    auto& c = pair.first;  // not a structured binding: clang 14 cannot capture those
    auto& s = pair.second;
    auto u1 = net.bind(addr("10.0.0.1:7"));
    auto u2 = net.bind(addr("10.0.0.2:7"));
    ASSERT_TRUE(poll.registry().add(c, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(s, token{2}, interest::readable));
    ASSERT_TRUE(poll.registry().add(*u2, token{3}, interest::readable));
    fake.set_chaos({.seed = 3, .spurious = 0.2, .split = 0.2, .delay = 0.2});
    char buf[256];
    auto round = [&] {
        for (int k = 0; k < 8; ++k) {
            (void)c.write(std::span<const char>(buf, 100));
            (void)u1->send_to(std::span<const char>(buf, 64), *u2->local_addr());
        }
        for (int k = 0; k < 20; ++k) {
            (void)poll.poll(events, 5ms);
            while (s.read(std::span<char>(buf))) {}
            while (u2->recv_from(std::span<char>(buf))) {}
        }
        fake.clear_trace();
    };
    for (int k = 0; k < 50; ++k) round();  // queues reach their largest size
    mio_alloc::allocation_snapshot before;
    for (int k = 0; k < 200; ++k) round();
    mio_alloc::allocation_snapshot after;
    EXPECT_EQ(after.total() - before.total(), 0);
}

}  // namespace
