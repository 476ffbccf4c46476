// sys layer, shared by the POSIX and Windows families: an OS call's return value as a
// result. Both report failure the BSD way (a negative return, the reason in errno or
// WSAGetLastError), and each family's base.hpp turns that reason into last_error().
#pragma once

#include <mio/detail/sys/base.hpp>
#include <mio/result.hpp>

#include <cstddef>

namespace mio::detail::sys {

/// A byte count, or -1 (SOCKET_ERROR) and the OS's error, as result<size_t>.
/// 0 (end of stream, or nothing to send) shares the test of errors on the way out: the common
/// outcome, some bytes, then reaches the caller known to be non-zero, and a caller's own
/// end-of-stream test (`*r == 0`) folds away on that path (W1 over epoll: 70 -> 67 Ir).
inline result<std::size_t> size_result(std::ptrdiff_t n) noexcept {
    if (n <= 0) [[unlikely]] {
        if (n == 0) return std::size_t{0};
        return last_error();
    }
    return static_cast<std::size_t>(n);
}
/// 0, or -1 (SOCKET_ERROR) and the OS's error, as result<void>.
inline result<void> void_result(int rc) noexcept {
    if (rc < 0) [[unlikely]]
        return last_error();
    return {};
}

}  // namespace mio::detail::sys
