// sys layer, Windows: byte I/O on a socket (recv/send; WSARecv/WSASend for the vectored
// forms), the non-blocking flag, and what Windows sockets do not have (pipes and dup with
// close-on-exec are POSIX notions: operation_not_supported).
#pragma once

#include <mio/detail/sys/common/results.hpp>
#include <mio/detail/sys/windows/base.hpp>
#include <mio/result.hpp>

#include <climits>
#include <cstddef>
#include <utility>

namespace mio::detail::sys {

/// One buffer of a scatter/gather call, in Winsock's layout (WSABUF).
using io_buffer = ::WSABUF;
inline void set_io_buffer(io_buffer& b, const void* data, std::size_t len) noexcept {
    b.buf = static_cast<char*>(const_cast<void*>(data));  // WSABUF is not const-correct
    b.len = static_cast<ULONG>(len > ULONG_MAX ? ULONG_MAX : len);
}

/// recv's SOCKET_ERROR/WSAGetLastError as result<size_t>, where WSAESHUTDOWN (a read after this
/// side's own shutdown of receiving) is end of stream, 0, as POSIX reads give it (and Rust's std
/// on Windows, hence mio).
inline result<std::size_t> recv_result(long long n) noexcept {
    if (n < 0) [[unlikely]] {
        if (::WSAGetLastError() == WSAESHUTDOWN) return std::size_t{0};
        return last_error();
    }
    return static_cast<std::size_t>(n);
}

namespace windows_detail {
// Winsock lengths are ints: a larger buffer is used up to INT_MAX bytes per call.
inline int clamp_len(std::size_t len) noexcept { return len > INT_MAX ? INT_MAX : static_cast<int>(len); }
}  // namespace windows_detail

inline result<std::size_t> read(handle h, void* buf, std::size_t len) noexcept {
    return recv_result(::recv(h, static_cast<char*>(buf), windows_detail::clamp_len(len), 0));
}
inline result<std::size_t> write(handle h, const void* buf, std::size_t len) noexcept {
    return size_result(::send(h, static_cast<const char*>(buf), windows_detail::clamp_len(len), 0));
}
inline result<std::size_t> readv(handle h, const io_buffer* iov, int n) noexcept {
    DWORD got = 0, flags = 0;
    if (::WSARecv(h, const_cast<io_buffer*>(iov), static_cast<DWORD>(n), &got, &flags, nullptr, nullptr) != 0)
        return recv_result(-1);
    return static_cast<std::size_t>(got);
}
inline result<std::size_t> writev(handle h, const io_buffer* iov, int n) noexcept {
    DWORD sent = 0;
    if (::WSASend(h, const_cast<io_buffer*>(iov), static_cast<DWORD>(n), &sent, 0, nullptr, nullptr) != 0)
        return last_error();
    return static_cast<std::size_t>(sent);
}

/// True while `h` names an open socket.
inline bool is_open(handle h) noexcept {
    if (h == invalid_handle) return false;
    int type = 0, len = sizeof type;
    return ::getsockopt(h, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) == 0;
}

/// FIONBIO. Windows cannot read the flag back, so it is set whatever it was.
inline result<void> set_nonblocking(handle h, bool on) noexcept {
    u_long v = on ? 1 : 0;
    return void_result(::ioctlsocket(h, FIONBIO, &v));
}

inline result<handle> dup_cloexec(handle) noexcept { return std::errc::operation_not_supported; }
inline result<std::pair<handle, handle>> pipe() noexcept { return std::errc::operation_not_supported; }

}  // namespace mio::detail::sys
