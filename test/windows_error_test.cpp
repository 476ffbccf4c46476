// Windows error codes as std::error_code: Winsock and Win32 codes compare equal to the
// std::errc that names them, is_would_block knows every form of WSAEWOULDBLOCK, and Winsock
// starts once, by the library, from any thread.
#include <mio/detail/sys/windows/error.hpp>
#include <mio/detail/sys/windows/winsock.hpp>
#include <mio/result.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

namespace {

using mio::detail::sys::make_windows_error;

TEST(windows_error, winsock_codes_equal_the_errc_that_names_them) {
    struct row {
        int code;
        std::errc errc;
    };
    const row rows[] = {
        {WSAEWOULDBLOCK, std::errc::operation_would_block},
        {WSAECONNREFUSED, std::errc::connection_refused},
        {WSAEADDRINUSE, std::errc::address_in_use},
        {WSAEADDRNOTAVAIL, std::errc::address_not_available},
        {WSAENOTCONN, std::errc::not_connected},
        {WSAECONNRESET, std::errc::connection_reset},
        {WSAECONNABORTED, std::errc::connection_aborted},
        {WSAETIMEDOUT, std::errc::timed_out},
        {WSAEINPROGRESS, std::errc::operation_in_progress},
        {WSAEISCONN, std::errc::already_connected},
        {WSAENOTSOCK, std::errc::not_a_socket},
        {WSAEINVAL, std::errc::invalid_argument},
        {WSAEMFILE, std::errc::too_many_files_open},
        {WSAENETUNREACH, std::errc::network_unreachable},
        {WSAEHOSTUNREACH, std::errc::host_unreachable},
        {WSAEMSGSIZE, std::errc::message_size},
        {WSAEAFNOSUPPORT, std::errc::address_family_not_supported},
        {WSAENOBUFS, std::errc::no_buffer_space},
        {WSAEACCES, std::errc::permission_denied},
        {ERROR_FILE_NOT_FOUND, std::errc::no_such_file_or_directory},
        {ERROR_ACCESS_DENIED, std::errc::permission_denied},
        {ERROR_BROKEN_PIPE, std::errc::broken_pipe},
        {ERROR_PIPE_BUSY, std::errc::device_or_resource_busy},
        {ERROR_INVALID_HANDLE, std::errc::bad_file_descriptor},
    };
    for (auto [code, errc] : rows) {
        auto ec = make_windows_error(code);
        EXPECT_EQ(ec, errc) << code << ": " << ec.message();
        EXPECT_EQ(ec.default_error_condition(), std::make_error_condition(errc)) << code;
        EXPECT_STREQ(ec.category().name(), "mio.windows");
        EXPECT_FALSE(ec.message().empty());
    }
    // A code mapped to one errc is not equal to another.
    EXPECT_NE(make_windows_error(WSAECONNREFUSED), std::errc::connection_reset);
    // A code no errc names compares equal to none and keeps its own value.
    auto odd = make_windows_error(WSASYSNOTREADY);
    EXPECT_NE(odd, std::errc::invalid_argument);
    EXPECT_EQ(odd.default_error_condition().value(), WSASYSNOTREADY);
}

TEST(windows_error, is_would_block_knows_every_form) {
    EXPECT_TRUE(mio::is_would_block(mio::detail::sys::would_block_error()));
    EXPECT_TRUE(mio::is_would_block(make_windows_error(WSAEWOULDBLOCK)));
    // A plain system-category code, as a user's own call in try_io reports it.
    EXPECT_TRUE(mio::is_would_block(std::error_code(WSAEWOULDBLOCK, std::system_category())));
    EXPECT_TRUE(mio::is_would_block(std::make_error_code(std::errc::operation_would_block)));
    EXPECT_FALSE(mio::is_would_block(make_windows_error(WSAECONNRESET)));
    EXPECT_FALSE(mio::is_would_block(make_windows_error(WSAEINPROGRESS)));
    EXPECT_FALSE(mio::is_would_block(std::error_code(WSAECONNRESET, std::system_category())));
}

TEST(windows_error, a_real_refused_connect_compares_equal_to_connection_refused) {
    ASSERT_EQ(mio::detail::sys::winsock_start(), 0);
    SOCKET l = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(l, INVALID_SOCKET);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(l, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    int len = sizeof addr;
    ASSERT_EQ(::getsockname(l, reinterpret_cast<sockaddr*>(&addr), &len), 0);
    ::closesocket(l);  // bound, never listened: the port refuses
    SOCKET c = ::socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    ASSERT_NE(c, INVALID_SOCKET);
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr), sizeof addr), SOCKET_ERROR);
    auto ec = mio::detail::sys::last_socket_error();
    ::closesocket(c);
    EXPECT_EQ(ec, std::errc::connection_refused) << ec.value() << ": " << ec.message();
}

TEST(windows_error, winsock_starts_once_from_racing_threads) {
    std::atomic<int> failures{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < 8; ++i)
        ts.emplace_back([&] {
            if (mio::detail::sys::winsock_start() != 0) ++failures;
        });
    for (auto& t : ts) t.join();
    EXPECT_EQ(failures.load(), 0);
    // Started: a socket can be made.
    SOCKET s = ::socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
    EXPECT_NE(s, INVALID_SOCKET);
    ::closesocket(s);
}

}  // namespace
