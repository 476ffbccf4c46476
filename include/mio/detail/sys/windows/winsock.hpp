// The Windows headers, included once and in the right order (winsock2 before windows.h),
// and Winsock's start-up, done once per process by the library itself.
#pragma once

#ifndef WIN32_LEAN_AND_MEAN
#  define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#  define NOMINMAX
#endif

// clang-format off
#include <winsock2.h>
#include <ws2tcpip.h>
#include <mswsock.h>
#include <windows.h>
// clang-format on

namespace mio::detail::sys {

/// Starts Winsock 2.2 once per process; returns 0 or the WSA error code. Thread-safe: a
/// function-local static is initialised exactly once even when threads race (C++11). The
/// matching WSACleanup runs at exit, after every static destructor that may still close sockets
/// has run (statics are destroyed in reverse order of construction).
inline int winsock_start() noexcept {
    struct starter {
        int error;
        starter() noexcept {
            WSADATA data;
            error = ::WSAStartup(MAKEWORD(2, 2), &data);
        }
        ~starter() {
            if (error == 0) ::WSACleanup();
        }
        starter(const starter&) = delete;
        starter& operator=(const starter&) = delete;
    };
    static const starter s;
    return s.error;
}

}  // namespace mio::detail::sys
