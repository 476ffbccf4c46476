// UDP through the public API: udp_socket on 127.0.0.1 and ::1, registered with every backend.
// Each test checks that it leaves no file descriptor open.
#include <mio/net/udp_socket.hpp>

#include "net_test_util.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <string>
#include <type_traits>
#if !defined(_WIN32)
#  include <fcntl.h>
#  include <net/if.h>
#  include <sys/socket.h>
#endif
#include <utility>

namespace {

using namespace std::chrono_literals;
using mio::interest;
using mio::token;
using mio::net::ipv4_address;
using mio::net::ipv6_address;
using mio::net::socket_address;
using mio::net::udp_socket;
using mio_test::any_port_v4;
using mio_test::any_port_v6;
using mio_test::seen;
using mio_test::text;
using mio_test::would_block;

static_assert(!std::is_copy_constructible_v<udp_socket> && std::is_nothrow_move_constructible_v<udp_socket>);
static_assert(!std::is_copy_assignable_v<udp_socket> && std::is_nothrow_move_assignable_v<udp_socket>);

// Receives one datagram, retrying on would_block for up to `limit`.
mio::result<std::pair<std::string, socket_address>> recv_one(udp_socket& s, std::chrono::milliseconds limit = 5s) {
    std::array<char, 2048> buf;
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto r = s.recv_from(std::span<char>(buf));
        if (r) return std::pair<std::string, socket_address>(std::string(buf.data(), r->first), r->second);
        if (!mio::is_would_block(r.error()) || std::chrono::steady_clock::now() > deadline) return r.error();
        std::this_thread::sleep_for(1ms);
    }
}

// ---------------------------------------------------------------------------------------
// Without a poll
// ---------------------------------------------------------------------------------------

class udp : public mio_test::fd_leak_check {};

TEST_F(udp, bound_socket_is_nonblocking_close_on_exec_and_empty) {
    auto s = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(s) << s.error().message();
#if !defined(_WIN32)  // Windows: windows_net_test, sockets_are_overlapped_non_inheritable_and_non_blocking
    EXPECT_TRUE(::fcntl(s->native_handle(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(s->native_handle(), F_GETFD) & FD_CLOEXEC);
#endif
    auto addr = *s->local_addr();
    EXPECT_EQ(std::get<ipv4_address>(addr.ip()), ipv4_address::loopback);
    EXPECT_NE(addr.port(), 0);
    char buf[4];
    EXPECT_TRUE(would_block(s->recv_from(std::span<char>(buf))));
    EXPECT_TRUE(would_block(s->recv(std::span<char>(buf))));
    EXPECT_EQ(s->peer_addr().error(), std::errc::not_connected);
    if (mio_test::under_wine()) {
        // Wine says WSAEINVAL for a send on an unconnected datagram socket (doc/afd_selector.md).
        EXPECT_EQ(s->send(text("x")).error(), std::errc::invalid_argument);
    } else {
        EXPECT_EQ(s->send(text("x")).error(), std::errc::destination_address_required);
    }
    EXPECT_FALSE(*s->take_error());
}

TEST_F(udp, bind_to_a_port_in_use_is_address_in_use) {
    auto first = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(first);
    auto second = udp_socket::bind(*first->local_addr());
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use);
}

TEST_F(udp, options_round_trip) {
    auto s = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(s);
    // The broadcast flag.
    EXPECT_FALSE(*s->broadcast());
    ASSERT_TRUE(s->set_broadcast(true));
    EXPECT_TRUE(*s->broadcast());
    ASSERT_TRUE(s->set_broadcast(false));
    EXPECT_FALSE(*s->broadcast());
    // IPv4 multicast settings.
    EXPECT_TRUE(*s->multicast_loop_v4());
    ASSERT_TRUE(s->set_multicast_loop_v4(false));
    EXPECT_FALSE(*s->multicast_loop_v4());
    EXPECT_EQ(*s->multicast_ttl_v4(), 1u);
    ASSERT_TRUE(s->set_multicast_ttl_v4(8));
    EXPECT_EQ(*s->multicast_ttl_v4(), 8u);
    EXPECT_EQ(s->set_multicast_ttl_v4(256).error(), std::errc::invalid_argument);
    EXPECT_TRUE(s->set_multicast_if_v4(ipv4_address::loopback));
    // Unicast TTL.
    ASSERT_TRUE(s->set_ttl(33));
    EXPECT_EQ(*s->ttl(), 33u);
    EXPECT_EQ(s->set_ttl(1000).error(), std::errc::invalid_argument);
}

TEST_F(udp, v6_options_round_trip) {
    if (!mio_test::have_ipv6()) GTEST_SKIP() << "no IPv6 on this host";
    auto s = udp_socket::bind(any_port_v6);
    ASSERT_TRUE(s);
    EXPECT_TRUE(*s->multicast_loop_v6());
    ASSERT_TRUE(s->set_multicast_loop_v6(false));
    EXPECT_FALSE(*s->multicast_loop_v6());
    ASSERT_TRUE(s->set_multicast_hops_v6(4));
    EXPECT_EQ(*s->multicast_hops_v6(), 4u);
    EXPECT_EQ(s->set_multicast_hops_v6(300).error(), std::errc::invalid_argument);
    ASSERT_TRUE(s->set_ttl(12));
    EXPECT_EQ(*s->ttl(), 12u);
    EXPECT_TRUE(s->only_v6());  // readable; its value is the system default (bindv6only)

    // IPV6_V6ONLY can change only before bind: on a socket adopted unbound.
    auto fd = mio_test::new_native_socket(AF_INET6, SOCK_DGRAM);
    ASSERT_NE(fd, mio_test::invalid_native);
    auto unbound = udp_socket::from_native(fd);
    ASSERT_TRUE(unbound.set_only_v6(true));
    EXPECT_TRUE(*unbound.only_v6());
    ASSERT_TRUE(unbound.set_only_v6(false));
    EXPECT_FALSE(*unbound.only_v6());
    EXPECT_EQ(s->set_only_v6(true).error(), std::errc::invalid_argument) << "Linux refuses it once bound";
}

TEST_F(udp, peek_does_not_consume) {
    auto a = udp_socket::bind(any_port_v4);
    auto b = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(a && b);
    ASSERT_EQ(*a->send_to(text("datagram"), *b->local_addr()), 8u);

    std::array<char, 64> buf{};
    mio::result<std::pair<std::size_t, socket_address>> p = std::errc::resource_unavailable_try_again;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (would_block(p = b->peek_from(std::span<char>(buf))) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(p) << p.error().message();
    EXPECT_EQ(std::string(buf.data(), p->first), "datagram");
    EXPECT_EQ(p->second, *a->local_addr());
    // Again, with the std::byte overload and with plain peek: still there.
    std::array<std::byte, 64> bbuf{};
    auto p2 = b->peek_from(std::span<std::byte>(bbuf));
    ASSERT_TRUE(p2);
    EXPECT_EQ(p2->first, 8u);
    EXPECT_EQ(*b->peek(std::span<char>(buf)), 8u);
    // Now consume it, and only then is the socket empty.
    auto r = b->recv_from(std::span<std::byte>(bbuf));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first, 8u);
    EXPECT_EQ(std::memcmp(bbuf.data(), "datagram", 8), 0);
    EXPECT_TRUE(would_block(b->peek_from(std::span<char>(buf))));
    EXPECT_TRUE(would_block(b->recv_from(std::span<char>(buf))));
}

TEST_F(udp, a_datagram_longer_than_the_buffer_is_truncated) {
    auto a = udp_socket::bind(any_port_v4);
    auto b = udp_socket::bind(any_port_v4);
    std::string big(1000, 'z');
    ASSERT_EQ(*a->send_to(text(big), *b->local_addr()), 1000u);
    ASSERT_EQ(*a->send_to(text("next"), *b->local_addr()), 4u);
    std::array<char, 10> small{};
    mio::result<std::pair<std::size_t, socket_address>> r = std::errc::resource_unavailable_try_again;
    auto deadline = std::chrono::steady_clock::now() + 5s;
    while (would_block(r = b->recv_from(std::span<char>(small))) && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(1ms);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->first, 10u);  // the rest of it is gone
    auto next = recv_one(*b);
    ASSERT_TRUE(next);
    EXPECT_EQ(next->first, "next");
}

TEST_F(udp, release_and_from_native_hand_the_fd_over) {
    auto s = udp_socket::bind(any_port_v4);
    auto addr = *s->local_addr();
    auto fd = s->release();
    EXPECT_EQ(s->native_handle(), mio_test::invalid_native);
    auto adopted = udp_socket::from_native(fd);
    EXPECT_EQ(*adopted.local_addr(), addr);
}

// ---------------------------------------------------------------------------------------
// With a poll, over every backend
// ---------------------------------------------------------------------------------------

template <class B>
class udp_poll : public mio_test::net_fixture<B> {};
TYPED_TEST_SUITE(udp_poll, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(udp_poll, send_to_and_recv_from_round_trip_v4_and_v6) {
    for (auto where : {any_port_v4, any_port_v6}) {
        if (where.is_ipv6() && !mio_test::have_ipv6()) continue;
        SCOPED_TRACE(where.to_string());
        auto a = udp_socket::bind(where);
        auto b = udp_socket::bind(where);
        ASSERT_TRUE(a && b);
        ASSERT_TRUE(this->registry().add(*a, token{1}, interest::readable | interest::writable));
        ASSERT_TRUE(this->registry().add(*b, token{2}, interest::readable));
        ASSERT_TRUE(this->wait_for(token{1}, [](const seen& s) { return s.writable; }));

        ASSERT_EQ(*a->send_to(text("question"), *b->local_addr()), 8u);
        ASSERT_TRUE(this->wait_for(token{2}, [](const seen& s) { return s.readable; }));
        std::array<char, 64> buf;
        auto r = b->recv_from(std::span<char>(buf));
        ASSERT_TRUE(r) << r.error().message();
        EXPECT_EQ(std::string(buf.data(), r->first), "question");
        EXPECT_EQ(r->second, *a->local_addr());
        EXPECT_TRUE(would_block(b->recv_from(std::span<char>(buf))));

        ASSERT_EQ(*b->send_to(std::as_bytes(std::span(buf.data(), r->first)), r->second), 8u);  // echo
        ASSERT_TRUE(this->wait_for(token{1}, [](const seen& s) { return s.readable; }));
        auto back = a->recv_from(std::span<char>(buf));
        ASSERT_TRUE(back);
        EXPECT_EQ(std::string(buf.data(), back->first), "question");
        EXPECT_EQ(back->second, *b->local_addr());
        EXPECT_TRUE(would_block(a->recv_from(std::span<char>(buf))));
    }
}

TYPED_TEST(udp_poll, connected_send_and_recv_only_hear_the_peer) {
    auto a = udp_socket::bind(any_port_v4);
    auto b = udp_socket::bind(any_port_v4);
    auto stranger = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(a && b && stranger);
    ASSERT_TRUE(a->connect(*b->local_addr()));
    ASSERT_TRUE(b->connect(*a->local_addr()));
    EXPECT_EQ(*a->peer_addr(), *b->local_addr());
    ASSERT_TRUE(this->registry().add(*b, token{3}, interest::readable));

    ASSERT_EQ(*stranger->send_to(text("ignored"), *b->local_addr()), 7u);  // b accepts only a
    ASSERT_EQ(*a->send(text("hello")), 5u);
    ASSERT_TRUE(this->wait_for(token{3}, [](const seen& s) { return s.readable; }));
    std::array<std::byte, 16> buf;
    auto n = b->recv(std::span<std::byte>(buf));
    ASSERT_TRUE(n);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n), "hello");
    EXPECT_TRUE(would_block(b->recv(std::span<std::byte>(buf))));

    ASSERT_EQ(*b->send(std::span<const std::byte>(buf.data(), *n)), 5u);
    auto got = recv_one(*a);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, "hello");
}

// A connected socket hears of an ICMP port unreachable: an error event, and take_error (or the
// next receive) says ECONNREFUSED.
TYPED_TEST(udp_poll, connected_to_a_closed_port_reports_connection_refused) {
    socket_address closed;
    {
        auto gone = udp_socket::bind(any_port_v4);
        closed = *gone->local_addr();
    }
    auto s = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(s->connect(closed));
    ASSERT_TRUE(this->registry().add(*s, token{4}, interest::readable));
    ASSERT_EQ(*s->send(text("anyone?")), 7u);
    auto ev = this->wait_for(token{4}, [](const seen& e) { return e.error || e.readable; });
    ASSERT_TRUE(ev) << "no event after ICMP port unreachable";
    auto err = s->take_error();
    ASSERT_TRUE(err);
    if (mio_test::is_kqueue<typename TypeParam::selector_type> && mio_test::kqueue_is_libkqueue && !*err) {
        // libkqueue fills the event's fflags by reading SO_ERROR, which clears it: the error
        // was in the event and is gone from the socket. A real kqueue leaves it there
        // (doc/kqueue_selector.md).
        EXPECT_TRUE(ev->error) << *ev;
    } else {
        EXPECT_EQ(*err, std::errc::connection_refused) << err->message();
    }
    if (!mio_test::under_wine()) {
        EXPECT_FALSE(*s->take_error());
    } else {
        // Wine keeps SO_ERROR after it is read (Windows documents that reading clears it).
        EXPECT_EQ(*s->take_error(), std::errc::connection_refused);
    }
}

TYPED_TEST(udp_poll, multicast_v4_loopback_join_receive_leave) {
    const ipv4_address group(239, 255, 77, 1);
    auto rx = udp_socket::bind(socket_address(ipv4_address::any, 0));
    auto tx = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(rx && tx);
    const socket_address to(group, rx->local_addr()->port());
    // Windows (and Wine 8, in CI) loops multicast back on 127.0.0.1: this test must run there,
    // never skip. Linux containers may have no multicast on lo.
    constexpr bool must_run = mio_test::is_windows;
    if (auto j = rx->join_multicast_v4(group, ipv4_address::loopback); !j) {
        ASSERT_FALSE(must_run) << "join: " << j.error().message();
        GTEST_SKIP() << "no multicast on the loopback interface here (join: " << j.error().message() << ")";
    }
    ASSERT_TRUE(tx->set_multicast_if_v4(ipv4_address::loopback));
    ASSERT_TRUE(tx->set_multicast_loop_v4(true));
    ASSERT_TRUE(this->registry().add(*rx, token{5}, interest::readable));

    auto sent = tx->send_to(text("to the group"), to);
    if (!sent && !must_run && (sent.error() == std::errc::network_unreachable || sent.error() == std::errc::no_such_device))
        GTEST_SKIP() << "no multicast route via the loopback interface here (send: " << sent.error().message() << ")";
    ASSERT_TRUE(sent) << sent.error().message();
    ASSERT_TRUE(this->wait_for(token{5}, [](const seen& s) { return s.readable; })) << "the group datagram never came";
    auto got = recv_one(*rx);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, "to the group");
    EXPECT_EQ(got->second, *tx->local_addr());

    ASSERT_TRUE(rx->leave_multicast_v4(group, ipv4_address::loopback));
    if (mio_test::under_wine()) {
        // Wine refuses leaving a group not joined with WSAEINVAL (doc/afd_selector.md, "Wine").
        EXPECT_EQ(rx->leave_multicast_v4(group, ipv4_address::loopback).error(), std::errc::invalid_argument);
    } else {
        EXPECT_EQ(rx->leave_multicast_v4(group, ipv4_address::loopback).error(), std::errc::address_not_available);
    }
    ASSERT_TRUE(tx->send_to(text("after leaving"), to));
    for (auto t : this->tokens_during(200ms)) EXPECT_NE(t, token{5}) << "a datagram arrived after leaving the group";
    char buf[32];
    EXPECT_TRUE(would_block(rx->recv_from(std::span<char>(buf))));
}

TYPED_TEST(udp_poll, multicast_v6_join_and_leave) {
    if (!mio_test::have_ipv6()) GTEST_SKIP() << "no IPv6 on this host";
#if defined(_WIN32)
    const unsigned lo = 1;  // Windows' "Loopback Pseudo-Interface 1" (if_nametoindex would need iphlpapi)
#else
    const unsigned lo = ::if_nametoindex("lo");
    if (lo == 0) GTEST_SKIP() << "no interface named lo";
#endif
    const auto group = *ipv6_address::parse("ff02::6d69:6f");
    auto rx = udp_socket::bind(socket_address(ipv6_address::any, 0));
    auto tx = udp_socket::bind(any_port_v6);
    ASSERT_TRUE(rx && tx);
    if (auto j = rx->join_multicast_v6(group, lo); !j) GTEST_SKIP() << "IPv6 multicast join failed: " << j.error().message();
    ASSERT_TRUE(this->registry().add(*rx, token{6}, interest::readable));
    ASSERT_TRUE(tx->set_multicast_if_v6(lo));
    auto sent = tx->send_to(text("v6 group"), socket_address(group, rx->local_addr()->port(), 0, lo));
    if (sent) {
        ASSERT_TRUE(this->wait_for(token{6}, [](const seen& s) { return s.readable; }));
        auto got = recv_one(*rx);
        ASSERT_TRUE(got);
        EXPECT_EQ(got->first, "v6 group");
    } else {
        // Linux's loopback interface has no IPv6 multicast route: sending fails, joining works.
        EXPECT_TRUE(sent.error() == std::errc::network_unreachable || sent.error() == std::errc::no_such_device)
            << sent.error().message();
    }
    ASSERT_TRUE(rx->leave_multicast_v6(group, lo));
    EXPECT_FALSE(rx->leave_multicast_v6(group, lo)) << "leaving twice";
}

TYPED_TEST(udp_poll, a_moved_socket_keeps_its_registration_and_destroying_removes_it) {
    auto a = udp_socket::bind(any_port_v4);
    auto b = udp_socket::bind(any_port_v4);
    ASSERT_TRUE(this->registry().add(*b, token{7}, interest::readable));
    udp_socket moved = std::move(*b);
    ASSERT_TRUE(a->send_to(text("one"), *moved.local_addr()));
    ASSERT_TRUE(this->wait_for(token{7}));
    auto got = recv_one(moved);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, "one");
    char buf[8];
    EXPECT_TRUE(would_block(moved.recv_from(std::span<char>(buf))));  // drained: re-armed

    auto addr = *moved.local_addr();
    { auto gone = std::move(moved); }
    (void)a->send_to(text("two"), addr);
    for (auto t : this->tokens_during(150ms)) EXPECT_NE(t, token{7}) << "event for a destroyed socket";
}

}  // namespace
