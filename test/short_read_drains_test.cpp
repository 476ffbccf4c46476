// selector_traits<S>::short_read_drains: the promise that a short read from a stream socket
// proves it drained, so that new data raises a new event without a read ending in would_block.
// Checked on every backend that makes the promise; the others must not make it by accident.
//
// On Windows (afd_selector, which does not make the promise) the same steps check the opposite:
// edges are emulated there, so after a short read new data raises no event until a read ends in
// would_block; a backend that claimed short_read_drains would lose that data's wake-up.
#include "backends.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#if defined(_WIN32)
#  include <mio/net/tcp_stream.hpp>
#else
#  include <mio/posix/source_fd.hpp>
#  include <sys/socket.h>
#  include <unistd.h>
#endif

namespace {

using namespace std::chrono_literals;

// A selector that says nothing about short reads gets the safe default.
struct silent_selector {
    using handle_type = int;
    using native_event = int;
};
static_assert(!mio::selector_traits<silent_selector>::short_read_drains);
#if defined(_WIN32)
static_assert(!mio::selector_traits<mio::afd_selector>::short_read_drains);
#else
static_assert(mio::selector_traits<mio::epoll_selector>::short_read_drains);

struct socket_pair {
    int fd[2] = {-1, -1};
    socket_pair() { EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fd), 0); }
    ~socket_pair() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
};
#endif

template <class B>
class short_read_drains_test : public ::testing::Test {};
TYPED_TEST_SUITE(short_read_drains_test, mio_test::all_backends, mio_test::backend_names);

template <class Events>
bool readable_event(const Events& ev, std::size_t token) {
    for (auto e : ev)
        if (e.token().value == token && e.is_readable()) return true;
    return false;
}

TYPED_TEST(short_read_drains_test, new_data_after_a_short_read_raises_a_new_event) {
    using traits = mio::selector_traits<typename TypeParam::selector_type>;
    if constexpr (!traits::short_read_drains) {
#if defined(_WIN32)
        auto p = TypeParam::poll_type::create();
        ASSERT_TRUE(p) << p.error().message();
        auto ev = TypeParam::make_events();
        auto ch = mio_test::byte_channel();  // a loopback TCP connection: {writer, reader}
        ASSERT_TRUE(ch);
        auto& [tx, rx] = *ch;
        ASSERT_TRUE(p->registry().add(rx, mio::token(5), mio::interest::readable));
        std::array<char, 64> buf{};
        ASSERT_EQ(*tx.write(std::span<const char>("0123456789", 10)), 10u);
        ASSERT_TRUE(p->poll(ev, 1s));
        ASSERT_TRUE(readable_event(ev, 5));
        ASSERT_EQ(*rx.read(std::span<char>(buf)), 10u);  // short, not to would_block
        ASSERT_EQ(*tx.write(std::span<const char>("abc", 3)), 3u);
        ASSERT_TRUE(p->poll(ev, 100ms));
        EXPECT_FALSE(readable_event(ev, 5)) << "a short read re-armed the emulated edge";
        // The read that ends in would_block re-arms it: the next data is reported again.
        ASSERT_EQ(*rx.read(std::span<char>(buf)), 3u);
        auto wb = rx.read(std::span<char>(buf));
        ASSERT_TRUE(!wb && mio::is_would_block(wb.error()));
        ASSERT_EQ(*tx.write(std::span<const char>("de", 2)), 2u);
        ASSERT_TRUE(p->poll(ev, 1s));
        EXPECT_TRUE(readable_event(ev, 5));
        ASSERT_TRUE(p->registry().remove(rx));
#else
        GTEST_SKIP() << "this backend does not promise it";
#endif
    } else {
#if !defined(_WIN32)
        auto p = TypeParam::poll_type::create();
        ASSERT_TRUE(p) << p.error().message();
        auto ev = TypeParam::make_events();
        socket_pair s;
        mio::posix::source_fd src{s.fd[0]};
        ASSERT_TRUE(p->registry().add(src, mio::token(5), mio::interest::readable));

        std::array<char, 64> buf{};
        for (int round = 0; round < 3; ++round) {
            ASSERT_EQ(::write(s.fd[1], "0123456789", 10), 10);
            ASSERT_TRUE(p->poll(ev, 1s));
            ASSERT_TRUE(readable_event(ev, 5)) << "round " << round;
            // Short read (10 of 64): stop here, without the read that would end in EAGAIN.
            ASSERT_EQ(::read(s.fd[0], buf.data(), buf.size()), 10);
        }
        // Nothing new: no event.
        ASSERT_TRUE(p->poll(ev, 0ns));
        EXPECT_FALSE(readable_event(ev, 5));
        // End of stream after a short read is a new event too.
        ::close(s.fd[1]);
        s.fd[1] = -1;
        ASSERT_TRUE(p->poll(ev, 1s));
        bool closed = false;
        for (auto e : ev)
            if (e.token().value == 5) closed = e.is_read_closed();
        EXPECT_TRUE(closed);
        EXPECT_EQ(::read(s.fd[0], buf.data(), buf.size()), 0);
#endif
    }
}

}  // namespace
