// The sys layer's "unsupported platform" shell (MIO_SYS_SHELL), run rather than only compiled:
// mio.hpp builds with the shell's default policies, and every call that would reach the OS
// fails with operation_not_supported (no crash, no handle made), as mio's sys/shell does.
#define MIO_SYS_SHELL 1

#include <mio/mio.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <system_error>
#include <type_traits>

namespace {

constexpr auto unsupported = std::errc::operation_not_supported;

static_assert(std::is_same_v<mio::default_selector, mio::shell_selector>);
static_assert(std::is_same_v<mio::default_waker, mio::shell_waker>);
static_assert(mio::selector<mio::shell_selector>);

TEST(shell, poll_and_waker_are_unsupported) {
    auto poll = mio::poll::create();
    ASSERT_FALSE(poll);
    EXPECT_EQ(poll.error(), unsupported);

    auto s = mio::shell_selector::create();
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), unsupported);
}

TEST(shell, sockets_and_pipes_are_unsupported) {
    auto addr = mio::net::socket_address(mio::net::ipv4_address::loopback, 0);
    auto listener = mio::net::tcp_listener::bind(addr);
    ASSERT_FALSE(listener);
    EXPECT_EQ(listener.error(), unsupported);
    auto stream = mio::net::tcp_stream::connect(addr);
    ASSERT_FALSE(stream);
    EXPECT_EQ(stream.error(), unsupported);
    auto udp = mio::net::udp_socket::bind(addr);
    ASSERT_FALSE(udp);
    EXPECT_EQ(udp.error(), unsupported);
    auto pipe = mio::posix::pipe();
    ASSERT_FALSE(pipe);
    EXPECT_EQ(pipe.error(), unsupported);
}

TEST(shell, io_on_an_adopted_handle_is_unsupported) {
    // The byte-buffer template takes every buffer kind, and the shell fails each call.
    auto s = mio::net::tcp_stream::from_native(3);
    std::array<std::byte, 4> bytes{};
    char chars[4] = {};
    EXPECT_EQ(s.read(bytes).error(), unsupported);
    EXPECT_EQ(s.read(chars).error(), unsupported);
    EXPECT_EQ(s.write(std::string_view("abc")).error(), unsupported);
    (void)s.release();
}

}  // namespace
