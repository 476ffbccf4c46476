// sys layer, Windows: the handle type (a SOCKET) and Winsock/Win32 errors as std::error_code
// (the mio.windows category of error.hpp, whose codes compare equal to the std::errc naming them).
#pragma once

#include <mio/detail/category_address.hpp>
#include <mio/detail/sys/windows/error.hpp>
#include <mio/detail/sys/windows/winsock.hpp>

#include <cerrno>
#include <system_error>

namespace mio::detail::sys {

/// An OS handle: a Winsock SOCKET.
using handle = SOCKET;
inline constexpr handle invalid_handle = INVALID_SOCKET;

/// A Winsock or Win32 code as an error (compares equal to the std::errc that names it).
inline std::error_code make_error(int e) noexcept { return make_windows_error(e); }

/// WSAGetLastError() as an error.
inline std::error_code last_error() noexcept { return last_socket_error(); }

/// True for WSAEWOULDBLOCK in the mio.windows or the system category (a user's own call in try_io).
inline bool is_would_block_error(const std::error_code& ec) noexcept {
    const std::error_category* c = &ec.category();
    if (ec.value() == WSAEWOULDBLOCK) return c == &windows_category() || c == system_category_address();
    // std::errc's would-block values (mingw gives the two different values).
    return (ec.value() == EAGAIN || ec.value() == EWOULDBLOCK) && c == generic_category_address();
}

/// closesocket. The thread's last Winsock error is kept, so that a caller closing on an error
/// path reports the first error.
inline void close(handle h) noexcept {
    int saved = ::WSAGetLastError();
    ::closesocket(h);
    ::WSASetLastError(saved);
}

}  // namespace mio::detail::sys
