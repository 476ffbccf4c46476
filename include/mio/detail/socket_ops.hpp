// detail::sock: the socket calls every mio::net type shares (POSIX). Sockets are born
// non-blocking and close-on-exec; sends never raise SIGPIPE (MSG_NOSIGNAL).
#pragma once

#include <mio/detail/io_fd.hpp>
#include <mio/detail/syscall.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <sys/socket.h>
#include <system_error>

namespace mio::net {
/// Which halves of a connection shutdown() closes.
enum class shutdown_how { read, write, both };
}  // namespace mio::net

namespace mio::detail::sock {

/// socket(2) with SOCK_NONBLOCK | SOCK_CLOEXEC.
inline result<int> open(int domain, int type, int protocol = 0) noexcept {
    int fd = ::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
    if (fd < 0) return last_error();
    return fd;
}

template <class T>
inline result<void> set_option(int fd, int level, int name, const T& value) noexcept {
    return sys::void_result(::setsockopt(fd, level, name, &value, sizeof value));
}

template <class T>
inline result<T> get_option(int fd, int level, int name) noexcept {
    T value{};
    socklen_t len = sizeof value;
    if (::getsockopt(fd, level, name, &value, &len) < 0) return last_error();
    return value;
}

/// An int option as a bool.
inline result<bool> get_flag(int fd, int level, int name) noexcept {
    auto v = get_option<int>(fd, level, name);
    if (!v) return v.error();
    return *v != 0;
}
inline result<void> set_flag(int fd, int level, int name, bool on) noexcept {
    return set_option<int>(fd, level, name, on ? 1 : 0);
}

/// SO_ERROR: the pending error (falsy when none), clearing it.
inline result<std::error_code> take_error(int fd) noexcept {
    auto v = get_option<int>(fd, SOL_SOCKET, SO_ERROR);
    if (!v) return v.error();
    // A bare error_code would mean failure: the pending error is the value, built in place.
    if (*v == 0) return result<std::error_code>(std::in_place);
    return result<std::error_code>(std::in_place, make_errno_error(*v));
}

inline result<void> shutdown(int fd, net::shutdown_how how) noexcept {
    int h = how == net::shutdown_how::read ? SHUT_RD : how == net::shutdown_how::write ? SHUT_WR : SHUT_RDWR;
    return sys::void_result(::shutdown(fd, h));
}

inline result<std::size_t> send(io_fd& s, const void* buf, std::size_t len, int flags = 0) noexcept {
    return s.io([&] { return ::send(s.get(), buf, len, flags | MSG_NOSIGNAL); });
}
inline result<std::size_t> recv(io_fd& s, void* buf, std::size_t len, int flags = 0) noexcept {
    return s.io([&] { return ::recv(s.get(), buf, len, flags); });
}

}  // namespace mio::detail::sock
