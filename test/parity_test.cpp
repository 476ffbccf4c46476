// mio parity (DESIGN.md "mio parity" and the listen backlog): try_io on the six I/O types,
// composite sources registered through the registry, a const wake(), listen backlogs.
// Typed over every backend; the re-arm cases matter where edges are emulated (poll(2), afd),
// where readiness is reported again only once a would_block re-armed the source. On Windows
// the socket cases (TCP, UDP) run on afd; pipes and Unix sockets stay on POSIX.
#include "backends.hpp"
#include "net_test_util.hpp"

#include <mio/net.hpp>
#if !defined(_WIN32)
#  include <mio/posix/pipe.hpp>
#endif

#include <gtest/gtest.h>

#include <cerrno>
#include <memory>
#include <set>
#include <vector>
#include <string>
#if !defined(_WIN32)
#  include <sys/socket.h>
#  include <unistd.h>
#endif
#include <type_traits>
#include <utility>

using namespace std::chrono_literals;

namespace {

// What the user's own call returns when it would block: EAGAIN on POSIX, WSAEWOULDBLOCK on
// Windows, both in the system category, as the user would build them from errno/WSAGetLastError.
std::error_code os_would_block() {
#if defined(_WIN32)
    return {WSAEWOULDBLOCK, std::system_category()};
#else
    return {EAGAIN, std::system_category()};
#endif
}

// The user's own recv(2) on a socket's handle, its error as the user would build it.
template <class S>
mio::result<std::size_t> own_recv(S& s, char* buf, int len) {
#if defined(_WIN32)
    int n = ::recv(s.native_handle(), buf, len, 0);
    if (n == SOCKET_ERROR) return std::error_code(::WSAGetLastError(), std::system_category());
#else
    ssize_t n = ::recv(s.native_handle(), buf, static_cast<std::size_t>(len), 0);
    if (n < 0) return std::error_code(errno, std::system_category());
#endif
    return static_cast<std::size_t>(n);
}

// True where edges are emulated: readiness is reported again only after a re-arm.
template <class S>
constexpr bool emulates_edges =
#if defined(_WIN32)
    std::is_same_v<S, mio::afd_selector>;
#else
    std::is_same_v<S, mio::poll_selector>;
#endif

// Each of the six types, made with a peer that can make it ready: `ready` is the end under
// test (registered with `want`), `peer` the other end.
struct tcp_case {
    static constexpr mio::interest want = mio::interest::readable;
    static auto make() {
        auto p = mio_test::connected_pair();
        return std::pair(std::move(p.server), std::move(p.client));
    }
    template <class P>
    static void poke(P& peer) { ASSERT_TRUE(peer.write(mio_test::text("x"))); }
};
struct udp_case {
    static constexpr mio::interest want = mio::interest::readable;
    static auto make() {
        auto a = mio::net::udp_socket::bind(mio_test::any_port_v4).value();
        auto b = mio::net::udp_socket::bind(mio_test::any_port_v4).value();
        EXPECT_TRUE(b.connect(a.local_addr().value()));
        return std::pair(std::move(a), std::move(b));
    }
    template <class P>
    static void poke(P& peer) { ASSERT_TRUE(peer.send(mio_test::text("x"))); }
};
#if !defined(_WIN32)
struct unix_stream_case {
    static constexpr mio::interest want = mio::interest::readable;
    static auto make() { return mio::net::unix_stream::pair().value(); }
    template <class P>
    static void poke(P& peer) { ASSERT_TRUE(peer.write(mio_test::text("x"))); }
};
struct unix_datagram_case {
    static constexpr mio::interest want = mio::interest::readable;
    static auto make() { return mio::net::unix_datagram::pair().value(); }
    template <class P>
    static void poke(P& peer) { ASSERT_TRUE(peer.send(mio_test::text("x"))); }
};
struct pipe_receiver_case {
    static constexpr mio::interest want = mio::interest::readable;
    static auto make() {
        auto p = mio::posix::pipe().value();
        return std::pair(std::move(p.second), std::move(p.first));
    }
    template <class P>
    static void poke(P& peer) { ASSERT_TRUE(peer.write(mio_test::text("x"))); }
};
struct pipe_sender_case {  // writable from the start: poke does nothing
    static constexpr mio::interest want = mio::interest::writable;
    static auto make() { return mio::posix::pipe().value(); }
    template <class P>
    static void poke(P&) {}
};
#endif

template <class B, class C>
struct combo {
    using backend = B;
    using io_case = C;
};

template <class T>
class try_io_test : public mio_test::poll_fixture<typename T::backend> {
protected:
    // Tokens of the events one poll reports within `limit`.
    int events_for(mio::token t, std::chrono::milliseconds limit) {
        int n = 0;
        EXPECT_TRUE(this->poll().poll(this->events_, limit));
        for (auto e : this->events_) n += e.token() == t;
        return n;
    }
};

#if defined(_WIN32)
using afd_fixed = mio_test::backend<mio::afd_selector, mio::fixed_storage<64>, mio::iocp_waker>;
using afd_dynamic = mio_test::backend<mio::afd_selector, mio::dynamic_storage, mio::iocp_waker>;
using try_io_cases = ::testing::Types<combo<afd_fixed, tcp_case>, combo<afd_dynamic, tcp_case>,
                                      combo<afd_fixed, udp_case>, combo<afd_dynamic, udp_case>>;
#else
using try_io_cases = ::testing::Types<
    combo<mio_test::backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>, tcp_case>,
    combo<mio_test::backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>, tcp_case>,
    combo<mio_test::backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>, udp_case>,
    combo<mio_test::backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>, udp_case>,
    combo<mio_test::backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>, unix_stream_case>,
    combo<mio_test::backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>, unix_stream_case>,
    combo<mio_test::backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>, unix_datagram_case>,
    combo<mio_test::backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>, unix_datagram_case>,
    combo<mio_test::backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>, pipe_receiver_case>,
    combo<mio_test::backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>, pipe_receiver_case>,
    combo<mio_test::backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>, pipe_sender_case>,
    combo<mio_test::backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>, pipe_sender_case>>;
#endif
TYPED_TEST_SUITE(try_io_test, try_io_cases);

// try_io hands back exactly what f returned, value or error, and calls f once.
TYPED_TEST(try_io_test, returns_what_f_returns) {
    using C = typename TypeParam::io_case;
    auto made = C::make();
    auto& s = made.first;
    int calls = 0;
    auto v = s.try_io([&]() -> mio::result<int> { ++calls; return 42; });
    ASSERT_TRUE(v);
    EXPECT_EQ(*v, 42);
    auto e = s.try_io([&]() -> mio::result<int> { ++calls; return std::errc::connection_reset; });
    EXPECT_EQ(e.error(), std::errc::connection_reset);
    EXPECT_EQ(calls, 2);
    // A move-only result and an rvalue callable.
    auto m = s.try_io([]() -> mio::result<std::unique_ptr<int>> { return std::make_unique<int>(7); });
    ASSERT_TRUE(m);
    EXPECT_EQ(**m, 7);
}

// A would_block from the user's own call re-arms the source as the library's read/write do:
// the readiness that is still there (nothing was consumed) is reported again. Without it, on
// poll(2) no second event comes.
TYPED_TEST(try_io_test, would_block_from_f_rearms_the_source) {
    using C = typename TypeParam::io_case;
    using S = typename TypeParam::backend::selector_type;
    auto made = C::make();
    auto& s = made.first;
    auto& peer = made.second;
    const mio::token t{3};
    ASSERT_TRUE(this->poll().registry().add(s, t, C::want));
    C::poke(peer);
    ASSERT_EQ(this->events_for(t, 5000ms), 1);
    if constexpr (emulates_edges<S>) {
        EXPECT_EQ(this->events_for(t, 50ms), 0) << "reported again without a re-arm";
    }
    // The OS's own EAGAIN (WSAEWOULDBLOCK), as the user's recvmsg/sendmsg would return it.
    auto r = s.try_io([]() -> mio::result<std::size_t> { return os_would_block(); });
    ASSERT_TRUE(mio::is_would_block(r.error()));
    if constexpr (emulates_edges<S>) {
        EXPECT_EQ(this->events_for(t, 5000ms), 1) << "try_io's would_block did not re-arm";
    }
    ASSERT_TRUE(this->poll().registry().remove(s));
}

// The real use: the user drains a socket with their own recv(2) through try_io, then the
// peer sends more, and the event comes on every backend (on the emulated-edge ones only
// because try_io re-armed the source on the would_block of the user's call).
TYPED_TEST(try_io_test, draining_with_the_users_own_call_then_new_data_raises_an_event) {
    using C = typename TypeParam::io_case;
    auto made = C::make();
    auto& s = made.first;
    auto& peer = made.second;
    if constexpr (!requires { s.local_addr(); }) {
        GTEST_SKIP() << "a pipe: shown on the sockets";
    } else {
        const mio::token t{4};
        ASSERT_TRUE(this->poll().registry().add(s, t, mio::interest::readable));
        C::poke(peer);
        ASSERT_EQ(this->events_for(t, 5000ms), 1);
        char buf[16];
        std::size_t got = 0;
        for (;;) {
            auto r = s.try_io([&] { return own_recv(s, buf, sizeof buf); });
            if (!r) {
                ASSERT_TRUE(mio::is_would_block(r.error())) << r.error().message();
                break;
            }
            got += *r;
        }
        EXPECT_EQ(got, 1u);
        C::poke(peer);
        EXPECT_EQ(this->events_for(t, 5000ms), 1);
    }
}

// A composite source (mio's event::Source for a wrapper): its add_to/modify_in/remove_from
// receive the registry itself and register the inner sources through it (the reading ends of
// two byte channels: pipes on POSIX, TCP streams on Windows).
template <class Registry>
struct pair_of_streams {
    using reader = mio_test::byte_channel_type::second_type;
    reader a, b;
    int calls = 0;

    template <class R>
    mio::result<void> add_to(R& r, mio::token t, mio::interest i) {
        static_assert(std::is_same_v<R, Registry>, "the registry passes itself");
        ++calls;
        if (auto x = r.add(a, t, i); !x) return x;
        if (auto x = r.add(b, mio::token{t.value + 1}, i); !x) {
            (void)r.remove(a);
            return x;
        }
        return {};
    }
    template <class R>
    mio::result<void> modify_in(R& r, mio::token t, mio::interest i) {
        ++calls;
        if (auto x = r.modify(a, t, i); !x) return x;
        return r.modify(b, mio::token{t.value + 1}, i);
    }
    template <class R>
    mio::result<void> remove_from(R& r) {
        ++calls;
        auto x = r.remove(a);
        auto y = r.remove(b);
        return x ? y : x;
    }
};

template <class Backend>
class composite_source_test : public mio_test::poll_fixture<Backend> {};
TYPED_TEST_SUITE(composite_source_test, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(composite_source_test, registers_its_inner_sources_through_the_registry) {
    using registry_type = typename TypeParam::poll_type::registry_type;
    auto c1 = mio_test::byte_channel();
    auto c2 = mio_test::byte_channel();
    ASSERT_TRUE(c1 && c2);
    pair_of_streams<registry_type> w{std::move(c1->second), std::move(c2->second)};
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(w, mio::token{10}, mio::interest::readable));
    EXPECT_EQ(w.calls, 1);
    ASSERT_TRUE(c1->first.write(mio_test::text("1")));
    ASSERT_TRUE(c2->first.write(mio_test::text("2")));
    std::set<std::size_t> seen;
    for (int i = 0; i < 50 && seen.size() < 2; ++i) {
        ASSERT_TRUE(this->poll().poll(this->events_, 100ms));
        for (auto e : this->events_) seen.insert(e.token().value);
    }
    EXPECT_EQ(seen, (std::set<std::size_t>{10, 11}));

    // The inner sources kept their debug checks: registered, so a second add is refused.
    if constexpr (MIO_DEBUG_CHECKS) {
        EXPECT_EQ(reg.add(w.a, mio::token{99}, mio::interest::readable).error(), std::errc::file_exists);
    }
    EXPECT_NE(w.a.io_state().owner(), nullptr);
    ASSERT_TRUE(reg.modify(w, mio::token{20}, mio::interest::readable | mio::interest::writable));
    EXPECT_EQ(w.calls, 2);
    seen.clear();
    for (int i = 0; i < 50 && seen.size() < 2; ++i) {
        ASSERT_TRUE(this->poll().poll(this->events_, 100ms));
        for (auto e : this->events_) seen.insert(e.token().value);
    }
    EXPECT_EQ(seen, (std::set<std::size_t>{20, 21}));
    ASSERT_TRUE(reg.remove(w));
    EXPECT_EQ(w.calls, 3);
    EXPECT_EQ(w.a.io_state().owner(), nullptr);
    EXPECT_EQ(w.b.io_state().owner(), nullptr);
    // Removing again fails as the inner removes do.
    EXPECT_FALSE(reg.remove(w));
}

// wake() is const: a const waker shared among threads wakes the poll.
TYPED_TEST(composite_source_test, wake_is_const) {
    auto w = TypeParam::waker_type::create(this->poll().registry(), mio::token{5}).value();
    const auto& cw = w;
    static_assert(std::is_same_v<decltype(cw.wake()), mio::result<void>>);
    ASSERT_TRUE(cw.wake());
    bool woken = false;
    for (int i = 0; i < 50 && !woken; ++i) {
        ASSERT_TRUE(this->poll().poll(this->events_, 100ms));
        for (auto e : this->events_) woken = woken || e.token() == mio::token{5};
    }
    EXPECT_TRUE(woken);
}

// Listen backlogs: 128 for TCP (mio 1.1, Rust's std), the OS's maximum for Unix; both take
// another (the Unix case is POSIX-only). A Unix listener refuses connections past its backlog with would_block, which
// shows the value reached listen(2).
class backlog : public mio_test::fd_leak_check {};

TEST_F(backlog, defaults_are_mios) {
    EXPECT_EQ(mio::net::tcp_listener::default_backlog, 128);
    auto l = mio::net::tcp_listener::bind(mio_test::any_port_v4, 4);
    ASSERT_TRUE(l);
    EXPECT_TRUE(mio::net::tcp_stream::connect(l->local_addr().value()));
}

#if !defined(_WIN32)
TEST_F(backlog, a_small_unix_backlog_refuses_the_overflow_and_the_default_takes_hundreds) {
    std::string path = ::testing::TempDir() + "mio_backlog_" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    {
        auto l = mio::net::unix_listener::bind(path, 2);
        ASSERT_TRUE(l) << l.error().message();
        std::vector<mio::net::unix_stream> clients;
        std::error_code refused;
        for (int i = 0; i < 20 && !refused; ++i) {
            auto c = mio::net::unix_stream::connect(path);
            if (c) clients.push_back(std::move(*c));
            else refused = c.error();
        }
        EXPECT_TRUE(mio::is_would_block(refused)) << refused.message();
        EXPECT_LE(clients.size(), 4u);  // Linux admits backlog + 1
    }
    ::unlink(path.c_str());
    {
        auto l = mio::net::unix_listener::bind(path);
        ASSERT_TRUE(l);
        std::vector<mio::net::unix_stream> clients;
        for (int i = 0; i < 300; ++i) {
            auto c = mio::net::unix_stream::connect(path);
            ASSERT_TRUE(c) << "connection " << i << ": " << c.error().message();
            clients.push_back(std::move(*c));
        }
    }
    ::unlink(path.c_str());
    auto a = mio::net::unix_address::from_abstract("mio_backlog_abstract_" + std::to_string(::getpid()));
    ASSERT_TRUE(a);
    EXPECT_TRUE(mio::net::unix_listener::bind(*a, 8));
}
#endif

}  // namespace
