// mio::net's IP types on Windows (Winsock behind the sys layer), polled by afd_selector through
// mio::poll: the README flow, TCP echo with would_block re-armed by the library's own I/O,
// UDP, errors that compare equal to std::errc, and sockets that are overlapped, not inheritable,
// non-blocking and closed on destruction (the handle count returns to where it was).
#include "win_test_util.hpp"

#include <mio/mio.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>
#include <type_traits>

namespace {

using namespace std::chrono_literals;
using mio::net::socket_address;
using mio::net::tcp_listener;
using mio::net::tcp_stream;
using mio::net::udp_socket;

static_assert(std::is_same_v<mio::poll::selector_type, mio::afd_selector>);
static_assert(std::is_same_v<decltype(std::declval<tcp_stream&>().native_handle()), SOCKET>);

class windows_net_test : public mio_test::handle_leak_check {
protected:
    void SetUp() override {
        auto p = mio::poll::create();
        ASSERT_TRUE(p) << p.error().message();
        poll_.emplace(std::move(*p));
    }
    void TearDown() override {
        poll_.reset();
        mio_test::handle_leak_check::TearDown();
    }
    // Polls until `t` reports readable (or writable); at most ~2 s. Events a poll brings for
    // other tokens are kept for later waits.
    bool wait(std::size_t t, bool writable = false) {
        for (int i = 0; i < 20; ++i) {
            auto& s = seen_[t];
            bool& flag = writable ? s.second : s.first;
            if (flag) {
                flag = false;
                return true;
            }
            EXPECT_TRUE(poll_->poll(events, 100ms));
            for (auto e : events) {
                auto& x = seen_[e.token().value];
                x.first |= e.is_readable();
                x.second |= e.is_writable();
            }
        }
        return false;
    }
    std::map<std::size_t, std::pair<bool, bool>> seen_;  // token -> (readable, writable) not yet waited for
    std::optional<mio::poll> poll_;
    mio::events events{64};
};

socket_address loopback() { return *socket_address::parse("127.0.0.1:0"); }

TEST_F(windows_net_test, sockets_are_overlapped_non_inheritable_and_non_blocking) {
    auto l = tcp_listener::bind(loopback());
    ASSERT_TRUE(l) << l.error().message();
    DWORD flags = 0;
    ASSERT_TRUE(::GetHandleInformation(reinterpret_cast<HANDLE>(l->native_handle()), &flags));
    EXPECT_EQ(flags & HANDLE_FLAG_INHERIT, 0u) << "inheritable";
    auto a = l->accept();  // non-blocking: nobody is connecting
    ASSERT_FALSE(a);
    EXPECT_TRUE(mio::is_would_block(a.error())) << a.error().message();
    auto c = tcp_stream::connect(*l->local_addr());
    ASSERT_TRUE(c);
    ASSERT_TRUE(::GetHandleInformation(reinterpret_cast<HANDLE>(c->native_handle()), &flags));
    EXPECT_EQ(flags & HANDLE_FLAG_INHERIT, 0u);
    // Overlapped: the AFD selector accepts it (it polls any socket), and an overlapped WSARecv is
    // accepted too (WSA_FLAG_OVERLAPPED), which a non-overlapped socket would refuse with an
    // immediate wait... here it only has to be queued or complete.
    ASSERT_TRUE(poll_->registry().add(*c, mio::token{1}, mio::interest::writable));
    EXPECT_TRUE(wait(1, true));
    ASSERT_TRUE(poll_->registry().remove(*c));
}

TEST_F(windows_net_test, readme_flow_and_echo_with_rearm_by_would_block) {
    auto server = tcp_listener::bind(loopback());
    ASSERT_TRUE(server);
    auto addr = server->local_addr();
    ASSERT_TRUE(addr);
    ASSERT_TRUE(poll_->registry().add(*server, mio::token{0}, mio::interest::readable));
    auto client = tcp_stream::connect(*addr);
    ASSERT_TRUE(client) << client.error().message();
    ASSERT_TRUE(poll_->registry().add(*client, mio::token{1}, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(wait(0)) << "the listener saw no connection";
    auto accepted = server->accept();
    ASSERT_TRUE(accepted) << accepted.error().message();
    auto& [conn, peer] = *accepted;
    EXPECT_EQ(peer, *client->local_addr());
    ASSERT_TRUE(poll_->registry().add(conn, mio::token{2}, mio::interest::readable));
    ASSERT_TRUE(wait(1, true));

    for (int round = 0; round < 3; ++round) {
        std::string msg = "ping " + std::to_string(round);
        auto w = client->write(std::span<const char>(msg.data(), msg.size()));
        ASSERT_TRUE(w) << w.error().message();
        ASSERT_TRUE(wait(2)) << "round " << round << ": no readable edge (was the socket re-armed?)";
        std::string got;
        char buf[64];
        for (;;) {  // drain to would_block: that is what re-arms the emulated edge
            auto r = conn.read(std::span<char>(buf));
            if (!r) {
                ASSERT_TRUE(mio::is_would_block(r.error())) << r.error().message();
                break;
            }
            got.append(buf, *r);
        }
        EXPECT_EQ(got, msg);
    }
    // The peer's close: readable, then read returns 0.
    ASSERT_TRUE(poll_->registry().remove(*client));
    { tcp_stream gone = std::move(*client); }
    ASSERT_TRUE(wait(2));
    char b[4];
    auto r = conn.read(std::span<char>(b));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, 0u);
    ASSERT_TRUE(poll_->registry().remove(conn));
    ASSERT_TRUE(poll_->registry().remove(*server));
}

TEST_F(windows_net_test, udp_send_to_and_recv_from) {
    auto a = udp_socket::bind(loopback());
    auto b = udp_socket::bind(loopback());
    ASSERT_TRUE(a && b);
    ASSERT_TRUE(poll_->registry().add(*b, mio::token{5}, mio::interest::readable));
    auto to = b->local_addr();
    ASSERT_TRUE(to);
    char buf[16];
    auto none = b->recv_from(std::span<char>(buf));
    ASSERT_FALSE(none);
    EXPECT_TRUE(mio::is_would_block(none.error()));
    ASSERT_TRUE(a->send_to(std::span<const char>("hello", 5), *to));
    ASSERT_TRUE(wait(5));
    auto got = b->recv_from(std::span<char>(buf));
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->first, 5u);
    EXPECT_EQ(std::string(buf, 5), "hello");
    EXPECT_EQ(got->second, *a->local_addr());
    ASSERT_TRUE(a->set_broadcast(true));
    EXPECT_TRUE(*a->broadcast());
    ASSERT_TRUE(poll_->registry().remove(*b));
}

TEST_F(windows_net_test, errors_compare_equal_to_errc) {
    auto l = tcp_listener::bind(loopback());
    ASSERT_TRUE(l);
    auto busy = tcp_listener::bind(*l->local_addr());
    ASSERT_FALSE(busy);
    EXPECT_EQ(busy.error(), std::errc::address_in_use) << busy.error().message();

    auto port = l->local_addr()->port();
    { tcp_listener gone = std::move(*l); }  // nothing listens there now
    auto c = tcp_stream::connect(socket_address(mio::net::ipv4_address::loopback, port));
    ASSERT_TRUE(c) << "a non-blocking connect is in progress, not failed";
    ASSERT_TRUE(poll_->registry().add(*c, mio::token{3}, mio::interest::writable));
    std::optional<std::error_code> pending;
    for (int i = 0; i < 50 && !pending; ++i) {
        if (wait(3, true)) {
            auto e = c->take_error();
            ASSERT_TRUE(e);
            if (*e) pending = *e;
        }
    }
    ASSERT_TRUE(pending) << "the refused connect never reported";
    EXPECT_EQ(*pending, std::errc::connection_refused) << pending->message();
    auto w = c->write(std::span<const char>("x", 1));
    // Windows and Wine name this error differently (Wine 8: WSAECONNRESET); it is an error either way.
    ASSERT_FALSE(w);
    EXPECT_FALSE(mio::is_would_block(w.error())) << w.error().message();
    ASSERT_TRUE(poll_->registry().remove(*c));
}

}  // namespace
