// Windows errors as std::error_code: one category for Winsock (WSAE*) and Win32 (ERROR_*)
// codes, whose default_error_condition names the std::errc with the same meaning, so that
// `ec == std::errc::connection_refused` holds for WSAECONNREFUSED whatever the standard
// library's own system_category does (mingw's libstdc++ maps few of them).
#pragma once

#include <mio/detail/sys/windows/winsock.hpp>

#include <string>
#include <system_error>

namespace mio::detail::sys {

// The std::errc a Winsock or Win32 code means; errc{} (0) when none does.
constexpr std::errc errc_of_windows_code(int code) noexcept {
    switch (code) {
    case WSAEWOULDBLOCK: return std::errc::operation_would_block;
    case WSAEINPROGRESS:
    case ERROR_IO_PENDING:
    case ERROR_IO_INCOMPLETE: return std::errc::operation_in_progress;
    case WSAEALREADY: return std::errc::connection_already_in_progress;
    case WSAENOTSOCK: return std::errc::not_a_socket;
    case WSAEDESTADDRREQ: return std::errc::destination_address_required;
    case WSAEMSGSIZE: return std::errc::message_size;
    case WSAEPROTOTYPE: return std::errc::wrong_protocol_type;
    case WSAENOPROTOOPT: return std::errc::no_protocol_option;
    case WSAEPROTONOSUPPORT: return std::errc::protocol_not_supported;
    case WSAEOPNOTSUPP: return std::errc::operation_not_supported;
    case WSAEAFNOSUPPORT:
    case WSAEPFNOSUPPORT: return std::errc::address_family_not_supported;
    case WSAEADDRINUSE: return std::errc::address_in_use;
    case WSAEADDRNOTAVAIL: return std::errc::address_not_available;
    case WSAENETDOWN: return std::errc::network_down;
    case WSAENETUNREACH: return std::errc::network_unreachable;
    case WSAENETRESET: return std::errc::network_reset;
    case WSAECONNABORTED: return std::errc::connection_aborted;
    case WSAECONNRESET: return std::errc::connection_reset;
    case WSAENOBUFS: return std::errc::no_buffer_space;
    case WSAEISCONN: return std::errc::already_connected;
    case WSAENOTCONN: return std::errc::not_connected;
    case WSAESHUTDOWN: return std::errc::broken_pipe;
    case WSAETIMEDOUT:
    case ERROR_SEM_TIMEOUT:
    case WAIT_TIMEOUT: return std::errc::timed_out;
    case WSAECONNREFUSED:
    case ERROR_CONNECTION_REFUSED: return std::errc::connection_refused;
    case WSAEHOSTUNREACH:
    case WSAEHOSTDOWN: return std::errc::host_unreachable;
    case WSAEINTR: return std::errc::interrupted;
    case ERROR_OPERATION_ABORTED: return std::errc::operation_canceled;
    case WSAEBADF:
    case ERROR_INVALID_HANDLE: return std::errc::bad_file_descriptor;
    case WSAEACCES:
    case ERROR_ACCESS_DENIED: return std::errc::permission_denied;
    case WSAEFAULT: return std::errc::bad_address;
    case WSAEINVAL:
    case ERROR_INVALID_PARAMETER: return std::errc::invalid_argument;
    case WSAEMFILE:
    case ERROR_TOO_MANY_OPEN_FILES: return std::errc::too_many_files_open;
    case WSAENAMETOOLONG:
    case ERROR_FILENAME_EXCED_RANGE: return std::errc::filename_too_long;
    case WSA_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return std::errc::not_enough_memory;
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND: return std::errc::no_such_file_or_directory;
    case ERROR_ALREADY_EXISTS:
    case ERROR_FILE_EXISTS:
    case ERROR_PIPE_CONNECTED: return std::errc::file_exists;
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA:  // the pipe is being closed
    case ERROR_PIPE_NOT_CONNECTED: return std::errc::broken_pipe;
    case ERROR_PIPE_BUSY: return std::errc::device_or_resource_busy;
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED: return std::errc::not_supported;
    default: return std::errc{};
    }
}

/// The category of Winsock (WSAE*) and Win32 (ERROR_*) codes. Its messages are the system's.
class windows_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "mio.windows"; }
    std::string message(int code) const override {
        char buf[512];
        DWORD n = ::FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, nullptr,
                                   static_cast<DWORD>(code), 0, buf, sizeof buf, nullptr);
        while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '.')) --n;
        if (n == 0) return "Windows error " + std::to_string(code);
        return std::string(buf, n);
    }
    std::error_condition default_error_condition(int code) const noexcept override {
        std::errc e = errc_of_windows_code(code);
        if (e != std::errc{}) return std::make_error_condition(e);
        return {code, *this};
    }
};

/// The one instance of the Windows category.
inline const std::error_category& windows_category() noexcept {
    static const windows_category_impl c;
    return c;
}

/// A Winsock or Win32 code as a std::error_code.
inline std::error_code make_windows_error(int code) noexcept { return {code, windows_category()}; }
/// WSAGetLastError() as a std::error_code.
inline std::error_code last_socket_error() noexcept { return make_windows_error(::WSAGetLastError()); }
/// GetLastError() as a std::error_code.
inline std::error_code last_windows_error() noexcept { return make_windows_error(static_cast<int>(::GetLastError())); }
/// The library's would_block error on Windows: WSAEWOULDBLOCK, equal to std::errc::operation_would_block.
inline std::error_code would_block_error() noexcept { return make_windows_error(WSAEWOULDBLOCK); }

}  // namespace mio::detail::sys
