// sys layer, Windows: the handle type (a SOCKET) and Winsock/Win32 errors as std::error_code
// (the mio.windows category of error.hpp, whose codes compare equal to the std::errc naming them).
#pragma once

#include <mio/detail/sys/windows/error.hpp>
#include <mio/detail/sys/windows/winsock.hpp>

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
    if (ec.category() != windows_category() && ec.category() != std::system_category()) return false;
    return ec.value() == WSAEWOULDBLOCK;
}

/// closesocket. The thread's last Winsock error is kept, so that a caller closing on an error
/// path reports the first error.
inline void close(handle h) noexcept {
    int saved = ::WSAGetLastError();
    ::closesocket(h);
    ::WSASetLastError(saved);
}

}  // namespace mio::detail::sys
