// One component, two worlds, one source: the README's line_shouter (example/line_shouter.hpp)
// runs over epoll with real TCP sockets and over the fake selector with simulated sockets, and
// does the same thing in both. The sim sockets have the member names and result types of
// tcp_stream, so the template instantiates with either without a line changed.
#include "../example/line_shouter.hpp"

#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/selector/fake.hpp>
#include <mio/sim/network.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace {

using namespace std::chrono_literals;
using fake_poll = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;

// The shapes the component relies on are the same in both worlds.
static_assert(std::is_same_v<decltype(std::declval<mio::sim::stream&>().read(std::span<char>())),
                             decltype(std::declval<mio::net::tcp_stream&>().read(std::span<char>()))>);
static_assert(std::is_same_v<decltype(std::declval<mio::sim::stream&>().write(std::span<const char>())),
                             decltype(std::declval<mio::net::tcp_stream&>().write(std::span<const char>()))>);
static_assert(std::is_same_v<decltype(std::declval<mio::sim::listener&>().accept())::value_type::second_type,
                             decltype(std::declval<mio::net::tcp_listener&>().accept())::value_type::second_type>);
static_assert(std::is_same_v<decltype(std::declval<mio::sim::datagram&>().recv_from(std::span<char>())),
                             decltype(std::declval<mio::net::udp_socket&>().recv_from(std::span<char>()))>);
static_assert(std::is_same_v<decltype(std::declval<mio::sim::stream&>().take_error()),
                             decltype(std::declval<mio::net::tcp_stream&>().take_error())>);

std::string the_line() {
    std::string line(64 * 1024, 'x');
    for (std::size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i % 26);
    line.back() = '\n';
    return line;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](char c) { return static_cast<char>(std::toupper(static_cast<unsigned char>(c))); });
    return s;
}

// The test's side, the same for both worlds: client `a` sends the line to the shouter's input,
// client `b` reads what comes out of its output. `settle` lets the world move when the
// component is finished and bytes are still on their way (real: a short sleep; sim: the clock).
template <class Poll, class Stream, class Settle>
std::pair<std::string, bool> shout(Poll& poll, Stream& in, Stream& out, Stream& a, Stream& b, Settle settle) {
    const std::string line = the_line();
    line_shouter<Poll, Stream, Stream> shouter(poll, in, out, 5s);
    if (!shouter.start()) return {"start failed", false};
    // The clients share the poll (tokens the component ignores), so that in one thread their
    // readiness ends a poll the component is blocked in, as another thread's would.
    if (!poll.registry().add(a, mio::token{10}, mio::interest::writable) ||
        !poll.registry().add(b, mio::token{11}, mio::interest::readable))
        return {"client registration failed", false};
    std::size_t sent = 0;
    std::string answer;
    char buf[8192];
    auto drain = [&] {
        while (auto n = b.read(std::span<char>(buf))) {
            if (*n == 0) break;
            answer.append(buf, *n);
        }
    };
    using state = typename decltype(shouter)::state;
    state s = state::reading;
    for (int k = 0; k < 100000 && (s == state::reading || s == state::writing); ++k) {
        if (sent < line.size())
            if (auto n = a.write(std::span<const char>(line).subspan(sent))) sent += *n;
        drain();
        auto r = shouter.step();
        if (!r) return {"step failed: " + r.error().message(), false};
        s = *r;
    }
    for (int k = 0; k < 1000 && answer.size() < line.size(); ++k) {
        settle();
        drain();
    }
    return {answer, s == state::done};
}

TEST(same_source, line_shouter_over_epoll_with_real_tcp_sockets) {
    auto poll = mio::poll::create();
    ASSERT_TRUE(poll);
    auto l = mio::net::tcp_listener::bind(*mio::net::socket_address::parse("127.0.0.1:0"));
    ASSERT_TRUE(l);
    auto a = mio::net::tcp_stream::connect(*l->local_addr());
    auto b = mio::net::tcp_stream::connect(*l->local_addr());
    ASSERT_TRUE(a && b);
    std::optional<mio::net::tcp_stream> in, out;
    for (int k = 0; k < 2000 && !(in && out); ++k) {
        if (auto c = l->accept()) {
            if (c->second == *a->local_addr()) in.emplace(std::move(c->first));
            else out.emplace(std::move(c->first));
        } else {
            std::this_thread::sleep_for(1ms);
        }
    }
    ASSERT_TRUE(in && out);
    auto [answer, done] = shout(*poll, *in, *out, *a, *b, [] { std::this_thread::sleep_for(1ms); });
    EXPECT_TRUE(done);
    EXPECT_EQ(answer.size(), the_line().size());
    EXPECT_TRUE(answer == upper(the_line()));
}

TEST(same_source, line_shouter_over_the_simulated_network) {
    auto poll = std::move(*fake_poll::create());
    auto& fake = poll.selector();
    mio::sim::network net(fake, 7);
    net.set_link({.latency = 1ms, .jitter = 1ms, .buffer = 8192});  // small: the output blocks
    auto addr = *mio::net::socket_address::parse("10.0.0.1:80");
    auto l = net.listen(addr);
    auto a = net.connect(addr);
    auto b = net.connect(addr);
    ASSERT_TRUE(l && a && b);
    fake.advance(1ms);
    std::optional<mio::sim::stream> in, out;
    while (auto c = l->accept()) {
        if (c->second == *a->local_addr()) in.emplace(std::move(c->first));
        else out.emplace(std::move(c->first));
    }
    ASSERT_TRUE(in && out);
    auto [answer, done] = shout(poll, *in, *out, *a, *b, [&] { fake.advance(1ms); });
    EXPECT_TRUE(done);
    EXPECT_EQ(answer.size(), the_line().size());
    EXPECT_TRUE(answer == upper(the_line()));
    // The slow link made the output block, so the component took its would_block path and
    // registered its output lazily, as it does over epoll when a peer reads slowly.
    bool lazy_add = false;
    for (const auto& c : fake.trace())
        lazy_add = lazy_add || (c.operation == mio::fake_operation::add && c.token == 2 && c.error == 0);
    EXPECT_TRUE(lazy_add);
    EXPECT_GT(fake.now(), 8ms) << "64 KiB through an 8 KiB window takes several round trips";
    EXPECT_EQ(fake.registrations().size(), 2u) << "the component removed both its streams";
}

}  // namespace
