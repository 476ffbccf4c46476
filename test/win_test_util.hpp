// Helpers for the Windows suites: raw Winsock sockets as sources, connected TCP pairs, and the
// handle-leak check that replaces the POSIX suites' fd count.
#pragma once

#include <mio/detail/sys/windows/winsock.hpp>

#include <gtest/gtest.h>

#include <cstddef>
#include <optional>
#include <utility>

namespace mio_test {

/// This process's open handle count.
inline DWORD open_handle_count() {
    DWORD n = 0;
    ::GetProcessHandleCount(::GetCurrentProcess(), &n);
    return n;
}

/// Base of a suite whose every test must close every handle it opened.
class handle_leak_check : public ::testing::Test {
protected:
    void TearDown() override {
        EXPECT_EQ(open_handle_count(), handles_before_) << "the test leaked a handle";
    }
    DWORD handles_before_ = open_handle_count();
};

/// Base of a suite over one poll of type Poll (created per test, dropped before the leak check).
template <class Poll>
class poll_fixture : public handle_leak_check {
protected:
    void SetUp() override {
        auto p = Poll::create();
        ASSERT_TRUE(p) << p.error().message();
        poll_.emplace(std::move(*p));
    }
    void TearDown() override {
        poll_.reset();
        handle_leak_check::TearDown();
    }
    std::optional<Poll> poll_;
    typename Poll::events_type events_;
};

/// A raw, owned Winsock socket: the smallest source (native_handle() is the SOCKET).
class raw_socket {
public:
    raw_socket() noexcept = default;
    explicit raw_socket(SOCKET s) noexcept : s_(s) {}
    raw_socket(raw_socket&& o) noexcept : s_(std::exchange(o.s_, INVALID_SOCKET)) {}
    raw_socket& operator=(raw_socket&& o) noexcept {
        if (this != &o) {
            close();
            s_ = std::exchange(o.s_, INVALID_SOCKET);
        }
        return *this;
    }
    ~raw_socket() { close(); }

    SOCKET native_handle() const noexcept { return s_; }
    explicit operator bool() const noexcept { return s_ != INVALID_SOCKET; }
    void close() noexcept {
        if (s_ != INVALID_SOCKET) ::closesocket(std::exchange(s_, INVALID_SOCKET));
    }

    /// send(2) of the whole string; the number of bytes sent or -1.
    int send(const char* data, int n) const noexcept { return ::send(s_, data, n, 0); }
    /// Reads until WSAEWOULDBLOCK; returns the bytes read, or -1 when it did not end in would_block.
    int drain() const noexcept {
        char buf[4096];
        int total = 0;
        for (;;) {
            int r = ::recv(s_, buf, sizeof buf, 0);
            if (r > 0) {
                total += r;
                continue;
            }
            if (r < 0 && ::WSAGetLastError() == WSAEWOULDBLOCK) return total;
            return r == 0 ? total : -1;
        }
    }

private:
    SOCKET s_ = INVALID_SOCKET;
};

inline void set_nonblocking(SOCKET s) {
    u_long on = 1;
    ASSERT_EQ(::ioctlsocket(s, FIONBIO, &on), 0);
}

/// A listening TCP socket on 127.0.0.1 with an OS-chosen port (non-blocking).
inline raw_socket tcp_listener(sockaddr_in& addr) {
    raw_socket l(::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
    EXPECT_TRUE(l);
    addr = {};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(l.native_handle(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    int len = sizeof addr;
    EXPECT_EQ(::getsockname(l.native_handle(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
    EXPECT_EQ(::listen(l.native_handle(), 16), 0);
    set_nonblocking(l.native_handle());
    return l;
}

/// A connected TCP pair over loopback, both ends non-blocking: {client, server}.
inline std::pair<raw_socket, raw_socket> tcp_pair() {
    sockaddr_in addr;
    raw_socket l = tcp_listener(addr);
    raw_socket c(::WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT));
    EXPECT_TRUE(c);
    EXPECT_EQ(::connect(c.native_handle(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    set_nonblocking(c.native_handle());
    SOCKET a = INVALID_SOCKET;
    for (int i = 0; i < 1000 && a == INVALID_SOCKET; ++i) {  // the listener is non-blocking
        a = ::accept(l.native_handle(), nullptr, nullptr);
        if (a == INVALID_SOCKET) ::Sleep(1);
    }
    EXPECT_NE(a, INVALID_SOCKET);
    raw_socket s(a);
    set_nonblocking(s.native_handle());
    return {std::move(c), std::move(s)};
}

}  // namespace mio_test
