// The public contract of DESIGN.md, spelled as an outside user would spell it: every name and
// shape the design fixes is used here, so a rename or a changed signature fails this build.
#include <mio/mio.hpp>
#include <mio/selector/epoll.hpp>
#include <mio/selector/fake.hpp>
#include <mio/selector/poll.hpp>
#include <mio/storage/dynamic.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>
#include <mio/waker/fake.hpp>
#include <mio/waker/none.hpp>
#include <mio/waker/pipe.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <sstream>
#include <type_traits>
#include <unordered_set>
#include <variant>

namespace {

using namespace std::chrono_literals;

// Concepts: every shipped policy models its concept; a waker that cannot work with a selector does not.
static_assert(mio::selector<mio::epoll_selector>);
static_assert(mio::selector<mio::poll_selector>);
static_assert(mio::selector<mio::fake_selector>);
static_assert(mio::event_storage<mio::fixed_storage<1>>);
static_assert(mio::event_storage<mio::dynamic_storage>);
static_assert(mio::waker_policy<mio::no_waker, mio::epoll_selector>);
static_assert(mio::waker_policy<mio::no_waker, mio::poll_selector>);
static_assert(mio::waker_policy<mio::no_waker, mio::fake_selector>);
static_assert(mio::waker_policy<mio::eventfd_waker, mio::epoll_selector>);
static_assert(mio::waker_policy<mio::pipe_waker, mio::poll_selector>);
static_assert(mio::waker_policy<mio::fake_waker, mio::fake_selector>);
static_assert(!mio::waker_policy<mio::eventfd_waker, mio::fake_selector>);
static_assert(!mio::waker_policy<mio::fake_waker, mio::epoll_selector>);
static_assert(mio::source<mio::posix::source_fd, mio::epoll_selector>);
static_assert(mio::source<mio::posix::pipe_receiver, mio::poll_selector>);
static_assert(mio::source<mio::net::tcp_stream, mio::epoll_selector>);
static_assert(mio::source<mio::net::unix_datagram, mio::fake_selector>);
static_assert(!mio::source<int, mio::epoll_selector>);

// The defaults, and waker_type only where there is a waker.
#ifndef MIO_FORCE_POLL_SELECTOR
static_assert(std::is_same_v<mio::default_selector, mio::epoll_selector>);
#else
static_assert(std::is_same_v<mio::default_selector, mio::poll_selector>);
#endif
static_assert(std::is_same_v<mio::poll, mio::basic_poll<mio::default_selector, mio::dynamic_storage, mio::default_waker>>);
static_assert(std::is_same_v<mio::events, mio::poll::events_type>);
static_assert(std::is_same_v<mio::registry, mio::poll::registry_type>);
static_assert(std::is_same_v<mio::waker, mio::poll::waker_type>);
template <class P>
concept has_waker_type = requires { typename P::waker_type; };
static_assert(!has_waker_type<mio::basic_poll<mio::epoll_selector, mio::fixed_storage<8>, mio::no_waker>>);
static_assert(has_waker_type<mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>>);

// Movable, and sockets not copyable.
template <class T>
constexpr bool movable_only = std::is_move_constructible_v<T> && std::is_move_assignable_v<T> &&
                              !std::is_copy_constructible_v<T> && !std::is_copy_assignable_v<T>;
static_assert(std::is_move_constructible_v<mio::poll> && std::is_move_assignable_v<mio::poll>);
static_assert(std::is_move_constructible_v<mio::events> && std::is_move_assignable_v<mio::events>);
static_assert(std::is_move_constructible_v<mio::result<mio::net::tcp_stream>>);
static_assert(movable_only<mio::waker>);
static_assert(movable_only<mio::net::tcp_listener> && movable_only<mio::net::tcp_stream>);
static_assert(movable_only<mio::net::udp_socket> && movable_only<mio::net::unix_listener>);
static_assert(movable_only<mio::net::unix_stream> && movable_only<mio::net::unix_datagram>);
static_assert(movable_only<mio::posix::pipe_sender> && movable_only<mio::posix::pipe_receiver>);

// interest and token in constant expressions; interest has no default constructor.
constexpr mio::interest both = mio::interest::readable | mio::interest::writable;
static_assert(both.is_readable() && both.is_writable() && !both.remove(both).has_value());
static_assert(!std::is_default_constructible_v<mio::interest>);
static_assert(mio::interest::priority.is_priority());  // Linux has it
constexpr mio::token server_token{0};
static_assert(server_token.value == 0 && server_token < mio::token{1});
static_assert(!std::is_convertible_v<std::size_t, mio::token>, "token's constructor is explicit");

TEST(design_shapes, the_readme_flow_with_platform_defaults) {
    auto poll = mio::poll::create();
    ASSERT_TRUE(poll);
    mio::events events(128);
    EXPECT_EQ(events.capacity(), 128u);
    EXPECT_TRUE(events.empty());

    auto addr = mio::net::socket_address::parse("127.0.0.1:0");  // result<socket_address>
    ASSERT_TRUE(addr);
    auto listener = mio::net::tcp_listener::bind(*addr);  // result<tcp_listener>
    ASSERT_TRUE(listener);
    ASSERT_TRUE(poll->registry().add(*listener, mio::token{0}, mio::interest::readable));
    auto local = listener->local_addr();
    ASSERT_TRUE(local);
    auto client = mio::net::tcp_stream::connect(*local);
    ASSERT_TRUE(client);
    ASSERT_TRUE(poll->registry().add(*client, mio::token{1}, mio::interest::readable | mio::interest::writable));

    bool accepted = false, writable = false;
    std::optional<mio::net::tcp_stream> server_side;
    for (int i = 0; i < 100 && !(accepted && writable); ++i) {
        ASSERT_TRUE(poll->poll(events, 100ms));
        for (auto event : events) {
            if (event.token() == mio::token{0}) {
                auto [stream, peer] = *listener->accept();  // result<std::pair<tcp_stream, socket_address>>
                EXPECT_EQ(peer, *client->local_addr());
                server_side.emplace(std::move(stream));
                accepted = true;
            } else if (event.token() == mio::token{1}) {
                writable = writable || event.is_writable();
                EXPECT_FALSE(event.is_error());
            }
        }
    }
    ASSERT_TRUE(accepted && writable);
    ASSERT_TRUE(client->take_error());
    EXPECT_FALSE(*client->take_error()) << "no pending error on a connected stream";

    const char hello[] = "hello";
    auto w = client->write(std::span<const char>(hello, 5));
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, 5u);
    std::array<std::byte, 16> buf{};
    mio::result<std::size_t> n = std::errc::resource_unavailable_try_again;
    for (int i = 0; i < 100 && !n; ++i) {
        (void)poll->poll(events, 10ms);
        n = server_side->read(std::span<std::byte>(buf));  // result<std::size_t>
    }
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 5u);
    ASSERT_TRUE(client->shutdown(mio::net::shutdown_how::write));
    mio::result<std::size_t> eof = std::errc::resource_unavailable_try_again;
    for (int i = 0; i < 100 && !eof; ++i) {
        (void)poll->poll(events, 10ms);
        eof = server_side->read(std::span<std::byte>(buf));
    }
    ASSERT_TRUE(eof);
    EXPECT_EQ(*eof, 0u) << "0 at end of stream";
    auto again = server_side->read(std::span<std::byte>(buf));
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, 0u);
}

TEST(design_shapes, udp_unix_pipe_and_source_fd) {
    auto udp = mio::net::udp_socket::bind(*mio::net::socket_address::parse("127.0.0.1:0"));
    ASSERT_TRUE(udp);
    auto to = udp->local_addr();
    ASSERT_TRUE(to);
    const std::array<std::byte, 3> msg{std::byte{1}, std::byte{2}, std::byte{3}};
    ASSERT_TRUE(udp->send_to(std::span<const std::byte>(msg), *to));
    std::array<std::byte, 8> buf{};
    mio::result<std::pair<std::size_t, mio::net::socket_address>> got = std::errc::resource_unavailable_try_again;
    for (int i = 0; i < 1000 && !got; ++i) got = udp->recv_from(buf);
    ASSERT_TRUE(got);
    auto [n2, from] = *got;
    EXPECT_EQ(n2, 3u);
    EXPECT_EQ(from, *to);

    auto [a, b] = *mio::net::unix_stream::pair();
    ASSERT_TRUE(a.write(std::span<const char>("x", 1)));
    auto [d1, d2] = *mio::net::unix_datagram::pair();
    (void)d1;
    (void)d2;
    auto [tx, rx] = *mio::posix::pipe();  // pipe_sender, pipe_receiver
    ASSERT_TRUE(tx.write(std::span<const char>("y", 1)));

    auto poll = mio::poll::create();
    ASSERT_TRUE(poll);
    mio::posix::source_fd src{rx.native_handle()};  // borrows the fd, never closes it
    ASSERT_TRUE(poll->registry().add(src, mio::token{3}, mio::interest::readable));
    mio::events events(8);
    ASSERT_TRUE(poll->poll(events, 1s));
    ASSERT_EQ(events.size(), 1u);
    auto e = *events.begin();
    EXPECT_EQ(e.token(), mio::token{3});
    EXPECT_TRUE(e.is_readable());
    // Every accessor exists everywhere.
    EXPECT_FALSE(e.is_writable() || e.is_error() || e.is_read_closed() || e.is_write_closed() || e.is_priority() ||
                 e.is_aio() || e.is_lio());
    std::ostringstream os;
    os << e << events;
    EXPECT_FALSE(os.str().empty());
    ASSERT_TRUE(poll->registry().remove(src));
}

TEST(design_shapes, addresses) {
    constexpr mio::net::ipv4_address lo(127, 0, 0, 1);
    static_assert(lo.octets()[0] == 127 && lo.octets()[3] == 1, "constexpr-constructible");
    EXPECT_EQ(lo, mio::net::ipv4_address::loopback);
    EXPECT_EQ(lo.octets(), (std::array<std::uint8_t, 4>{127, 0, 0, 1}));
    EXPECT_EQ(mio::net::ipv4_address::parse("10.1.2.3")->to_string(), "10.1.2.3");
    EXPECT_EQ(mio::net::ipv6_address::parse("::1").value(), mio::net::ipv6_address::loopback);
    mio::net::socket_address v4(lo, 80);
    mio::net::socket_address v6(mio::net::ipv6_address::loopback, 8080, 0, 0);
    EXPECT_TRUE(v4.is_ipv4());
    EXPECT_TRUE(v6.is_ipv6());
    EXPECT_EQ(v6.port(), 8080);
    v6.set_port(9);
    EXPECT_EQ(v6.port(), 9);
    EXPECT_TRUE(std::holds_alternative<mio::net::ipv4_address>(v4.ip()));
    EXPECT_EQ(mio::net::socket_address::parse(v6.to_string()).value(), v6);
    auto scoped = mio::net::socket_address::parse("[fe80::1%2]:80");
    ASSERT_TRUE(scoped);
    EXPECT_EQ(scoped->scope_id(), 2u);
    EXPECT_EQ(mio::net::socket_address::parse("1.2.3.4:99999").error(), std::errc::invalid_argument);
    std::unordered_set<mio::net::socket_address> set{v4, v4, v6};
    EXPECT_EQ(set.size(), 2u);
    std::ostringstream os;
    os << v4;
    EXPECT_EQ(os.str(), "127.0.0.1:80");

    auto path = mio::net::unix_address::from_path("/tmp/x.sock");
    ASSERT_TRUE(path);
    EXPECT_EQ(path->pathname(), std::optional<std::string_view>("/tmp/x.sock"));
    auto abstract = mio::net::unix_address::from_abstract("name");
    ASSERT_TRUE(abstract);
    EXPECT_EQ(abstract->abstract_name(), std::optional<std::string_view>("name"));
    EXPECT_FALSE(abstract->is_unnamed());
    EXPECT_EQ(mio::net::unix_address::from_path(std::string(200, 'a')).error(), std::errc::filename_too_long);
}

TEST(design_shapes, fake_selector_script) {
    using fake_poll = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;
    auto poll = fake_poll::create();
    ASSERT_TRUE(poll);
    fake_poll::events_type events;
    auto& fake = poll->selector();
    mio::posix::source_fd src{42};  // a made-up fd: the fake never touches the kernel
    ASSERT_TRUE(poll->registry().add(src, mio::token{1}, mio::interest::readable));
    EXPECT_EQ(fake.inject(mio::token{2}, mio::interest::readable).error(), std::errc::no_such_file_or_directory);
    ASSERT_TRUE(fake.inject(mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(fake.inject(mio::token{1}, mio::fake_readiness{.readable = true, .read_closed = true}));
    ASSERT_TRUE(poll->poll(events, 0ns));
    ASSERT_EQ(events.size(), 1u) << "injections for one token merge";
    EXPECT_TRUE(events.begin().operator*().is_read_closed());
    for (auto& r : fake.registrations()) {
        EXPECT_EQ(r.handle, 42);
        EXPECT_EQ(r.token, mio::token{1});
        EXPECT_EQ(r.interest, mio::interest::readable);
    }
    EXPECT_EQ(fake.interest_of(mio::token{1}), mio::interest::readable);
    fake.fail_next(mio::fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
    mio::posix::source_fd other{43};
    EXPECT_EQ(poll->registry().add(other, mio::token{5}, mio::interest::readable).error(), std::errc::not_enough_memory);
    auto before = fake.now();
    ASSERT_TRUE(poll->poll(events, 30s));
    EXPECT_EQ(fake.now() - before, std::chrono::nanoseconds(30s));
    fake.advance(std::chrono::seconds{30});
    EXPECT_EQ(fake.now() - before, std::chrono::nanoseconds(60s));
    EXPECT_EQ(poll->poll(events, std::nullopt).error(), std::errc::resource_deadlock_would_occur);
    auto waker = fake_poll::waker_type::create(poll->registry(), mio::token{9});
    ASSERT_TRUE(waker);
    ASSERT_TRUE(waker->wake());
    EXPECT_EQ(fake.wake_count(), 1u);
    EXPECT_FALSE(fake.trace().empty());
}

}  // namespace
