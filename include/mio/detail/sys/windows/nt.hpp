// The NT and AFD pieces the afd_selector needs that the Windows SDK does not document and
// mingw-w64's headers partly lack: the AFD poll request (IOCTL_AFD_POLL and its structures),
// NtCancelIoFileEx, and the \Device\Afd name. Layouts as the Windows driver kit and wepoll
// describe them; they have not changed since Windows Vista.
#pragma once

#include <mio/detail/sys/windows/winsock.hpp>

#include <winternl.h>

#include <cstdint>
#include <initializer_list>

extern "C" {
// ntdll exports it on every Windows since Vista; mingw's winternl.h does not declare it.
NTSTATUS NTAPI NtCancelIoFileEx(HANDLE file, PIO_STATUS_BLOCK request, PIO_STATUS_BLOCK status);
}

namespace mio::detail::sys {

// NTSTATUS values (ntstatus.h would clash with winnt.h's subset).
inline constexpr NTSTATUS status_success = 0;
inline constexpr NTSTATUS status_pending = 0x00000103;
inline constexpr NTSTATUS status_cancelled = static_cast<NTSTATUS>(0xC0000120);
inline constexpr NTSTATUS status_not_found = static_cast<NTSTATUS>(0xC0000225);

// The AFD driver's poll request: completes when one of `events` holds for the socket.
inline constexpr ULONG ioctl_afd_poll = 0x00012024;

// AFD event bits (afd.h of the driver kit).
inline constexpr std::uint32_t afd_poll_receive = 0x0001;
inline constexpr std::uint32_t afd_poll_receive_expedited = 0x0002;
inline constexpr std::uint32_t afd_poll_send = 0x0004;
inline constexpr std::uint32_t afd_poll_disconnect = 0x0008;
inline constexpr std::uint32_t afd_poll_abort = 0x0010;
inline constexpr std::uint32_t afd_poll_local_close = 0x0020;
inline constexpr std::uint32_t afd_poll_accept = 0x0080;
inline constexpr std::uint32_t afd_poll_connect_fail = 0x0100;

struct afd_poll_handle_info {
    HANDLE handle;
    ULONG events;
    NTSTATUS status;
};

// One socket per request (the driver takes an array; one keeps requests independent).
struct afd_poll_info {
    LARGE_INTEGER timeout;
    ULONG number_of_handles;
    ULONG exclusive;
    afd_poll_handle_info handles[1];
};

/// Opens a new handle on the AFD driver (\Device\Afd\Mio: any name below \Device\Afd works)
/// for overlapped I/O, bound to `port` with completion key 0. Errors: the NT status mapped to
/// a Win32 code.
inline DWORD open_afd_helper(HANDLE port, HANDLE& out) noexcept {
    static constexpr wchar_t name[] = L"\\Device\\Afd\\Mio";
    UNICODE_STRING path;
    path.Length = static_cast<USHORT>(sizeof name - sizeof(wchar_t));
    path.MaximumLength = static_cast<USHORT>(sizeof name);
    path.Buffer = const_cast<PWSTR>(name);
    OBJECT_ATTRIBUTES attrs;
    InitializeObjectAttributes(&attrs, &path, 0, nullptr, nullptr);
    IO_STATUS_BLOCK iosb{};
    HANDLE h = nullptr;
    NTSTATUS st = ::NtCreateFile(&h, SYNCHRONIZE, &attrs, &iosb, nullptr, 0, FILE_SHARE_READ | FILE_SHARE_WRITE,
                                 FILE_OPEN, 0, nullptr, 0);
    if (st != status_success) return ::RtlNtStatusToDosError(st);
    if (::CreateIoCompletionPort(h, port, 0, 0) == nullptr) {
        DWORD e = ::GetLastError();
        ::CloseHandle(h);
        return e;
    }
    // Completions still go to the port; the handle's event is not signalled (less work).
    if (!::SetFileCompletionNotificationModes(h, FILE_SKIP_SET_EVENT_ON_HANDLE)) {
        DWORD e = ::GetLastError();
        ::CloseHandle(h);
        return e;
    }
    out = h;
    return 0;
}

/// The base provider socket of `s`, bypassing layered service providers (LSPs) whose handles
/// the AFD driver does not know. SIO_BASE_HANDLE first; some LSPs fail it, so then the
/// handles the select/poll paths would use (SIO_BSP_HANDLE_SELECT, _POLL, then SIO_BSP_HANDLE).
/// Returns INVALID_SOCKET with WSAGetLastError() set when `s` is not a socket.
inline SOCKET base_socket(SOCKET s) noexcept {
    for (DWORD ioctl : {DWORD(SIO_BASE_HANDLE), DWORD(SIO_BSP_HANDLE_SELECT), DWORD(SIO_BSP_HANDLE_POLL),
                        DWORD(SIO_BSP_HANDLE)}) {
        SOCKET base = INVALID_SOCKET;
        DWORD bytes = 0;
        if (::WSAIoctl(s, ioctl, nullptr, 0, &base, sizeof base, &bytes, nullptr, nullptr) != SOCKET_ERROR &&
            base != INVALID_SOCKET)
            return base;
        if (::WSAGetLastError() == WSAENOTSOCK) return INVALID_SOCKET;
    }
    return INVALID_SOCKET;
}

}  // namespace mio::detail::sys
