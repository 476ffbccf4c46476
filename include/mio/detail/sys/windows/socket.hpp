// sys layer, Windows: Winsock sockets. Every socket is born overlapped (so the AFD driver and
// completion ports can serve it) and not inheritable (WSA_FLAG_NO_HANDLE_INHERIT: Windows'
// close-on-exec), then made non-blocking; accepted sockets inherit the listener's flags and are
// made non-inheritable and non-blocking explicitly. Winsock is started by the first socket.
// Windows has no SIGPIPE, so sends need no flag. Unix-domain sockets are not offered here
// (the types exist so that mio::net compiles; every call fails with operation_not_supported).
#pragma once

#include <mio/detail/sys/common/sockets.hpp>
#include <mio/detail/sys/windows/io.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <utility>

namespace mio::detail::sys {

using sockaddr_type = ::sockaddr;
// Unsigned, as POSIX's socklen_t, so that mio::net's length checks read the same everywhere;
// Winsock's int lengths are converted at the calls.
using socklen_type = unsigned;
using family_type = ::ADDRESS_FAMILY;
/// The layout of afunix.h's sockaddr_un (unused: Unix-domain sockets are not offered).
struct unix_sockaddr {
    family_type sun_family;
    char sun_path[108];
};
using pid_type = unsigned long;
using uid_type = unsigned;
using gid_type = unsigned;
inline constexpr family_type unix_family = 1;  // AF_UNIX
inline constexpr bool has_abstract_unix_names = false;

namespace windows_detail {
inline int to_native(address_family f) noexcept {
    return f == address_family::ipv4 ? AF_INET : f == address_family::ipv6 ? AF_INET6 : 1;
}
inline int to_native(socket_type t) noexcept { return t == socket_type::stream ? SOCK_STREAM : SOCK_DGRAM; }

// Non-blocking, and not inheritable (a handle accept() made inherits the listener's flags,
// which may not include that). Closes `h` on failure.
inline result<handle> finish_socket(handle h) noexcept {
    if (!::SetHandleInformation(reinterpret_cast<HANDLE>(h), HANDLE_FLAG_INHERIT, 0)) {
        auto e = last_windows_error();
        close(h);
        return e;
    }
    if (auto r = set_nonblocking(h, true); !r) {
        close(h);
        return r.error();
    }
    return h;
}
}  // namespace windows_detail

/// A new overlapped, non-inheritable, non-blocking socket. Errors: WSAEMFILE, WSAEAFNOSUPPORT...
inline result<handle> open_socket(address_family f, socket_type t) noexcept {
    if (int e = winsock_start(); e != 0) return make_error(e);
    if (f == address_family::local) return std::errc::operation_not_supported;
    handle h = ::WSASocketW(windows_detail::to_native(f), windows_detail::to_native(t), 0, nullptr, 0,
                            WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    if (h == INVALID_SOCKET) return last_error();
    if (auto r = set_nonblocking(h, true); !r) {
        close(h);
        return r.error();
    }
    return h;
}

inline result<std::pair<handle, handle>> socket_pair(socket_type) noexcept { return std::errc::operation_not_supported; }

inline result<void> bind(handle h, const sockaddr_type* a, socklen_type len) noexcept {
    return void_result(::bind(h, a, static_cast<int>(len)));
}
inline result<void> bind(handle h, const raw_sockaddr& a) noexcept { return void_result(::bind(h, a.get(), a.len)); }

inline result<void> listen(handle h, int backlog) noexcept { return void_result(::listen(h, backlog)); }

/// connect; WSAEWOULDBLOCK (Winsock's "in progress" for a non-blocking socket) counts as
/// success: the socket turns writable once connected.
inline result<void> connect(handle h, const sockaddr_type* a, socklen_type len) noexcept {
    if (::connect(h, a, static_cast<int>(len)) != 0 && ::WSAGetLastError() != WSAEWOULDBLOCK) return last_error();
    return {};
}
inline result<void> connect(handle h, const raw_sockaddr& a) noexcept {
    return sys::connect(h, a.get(), static_cast<socklen_type>(a.len));
}

/// Takes one connection, non-blocking and not inheritable; `peer` receives its address.
inline result<handle> accept(handle h, raw_sockaddr& peer) noexcept {
    handle s = ::accept(h, peer.get(), &peer.len);
    if (s == INVALID_SOCKET) return last_error();
    return windows_detail::finish_socket(s);
}

inline result<std::size_t> send(handle h, const void* buf, std::size_t len) noexcept { return sys::write(h, buf, len); }
inline result<std::size_t> recv(handle h, void* buf, std::size_t len, bool peek) noexcept {
    return recv_result(::recv(h, static_cast<char*>(buf), windows_detail::clamp_len(len), peek ? MSG_PEEK : 0));
}
inline result<std::size_t> send_to(handle h, const void* buf, std::size_t len, const sockaddr_type* to,
                                   socklen_type to_len) noexcept {
    return size_result(
        ::sendto(h, static_cast<const char*>(buf), windows_detail::clamp_len(len), 0, to, static_cast<int>(to_len)));
}
/// recvfrom. A datagram larger than the buffer is truncated as on POSIX (Winsock reports
/// WSAEMSGSIZE with the buffer filled: the filled size is returned).
inline result<std::size_t> recv_from(handle h, void* buf, std::size_t len, bool peek, raw_sockaddr& from) noexcept {
    int n = ::recvfrom(h, static_cast<char*>(buf), windows_detail::clamp_len(len), peek ? MSG_PEEK : 0, from.get(),
                       &from.len);
    if (n < 0 && ::WSAGetLastError() == WSAEMSGSIZE) return static_cast<std::size_t>(windows_detail::clamp_len(len));
    return size_result(n);
}
inline result<std::size_t> send_vectored(handle h, const io_buffer* iov, int n) noexcept { return sys::writev(h, iov, n); }

inline result<void> shutdown(handle h, net::shutdown_how how) noexcept {
    int n = how == net::shutdown_how::read ? SD_RECEIVE : how == net::shutdown_how::write ? SD_SEND : SD_BOTH;
    return void_result(::shutdown(h, n));
}

/// The address family of socket `h` (SO_PROTOCOL_INFO works on unbound sockets, where
/// getsockname fails with WSAEINVAL).
inline result<address_family> family_of(handle h) noexcept {
    ::WSAPROTOCOL_INFOW info{};
    int len = sizeof info;
    if (::getsockopt(h, SOL_SOCKET, SO_PROTOCOL_INFOW, reinterpret_cast<char*>(&info), &len) != 0) return last_error();
    return info.iAddressFamily == AF_INET6 ? address_family::ipv6
           : info.iAddressFamily == AF_INET ? address_family::ipv4
                                            : address_family::local;
}

/// Socket options mio sets, by name (see the POSIX family for each one's meaning).
enum class socket_option {
    reuse_address, keepalive, broadcast, tcp_nodelay, keepalive_idle, keepalive_interval, keepalive_count,
    ip_ttl, ipv6_unicast_hops, ip_multicast_loop, ip_multicast_ttl, ipv6_multicast_loop, ipv6_multicast_if,
    ipv6_multicast_hops, ipv6_only,
};

namespace windows_detail {
struct option_spec {
    int level;
    int name;  // -1: not offered here
};
constexpr option_spec spec(socket_option o) noexcept {
    switch (o) {
    // SO_REUSEADDR on Windows lets another socket steal a bound port: never set. Rust's std and
    // mio leave it off on Windows too (exclusive use is the default).
    case socket_option::reuse_address: return {SOL_SOCKET, -1};
    case socket_option::keepalive: return {SOL_SOCKET, SO_KEEPALIVE};
    case socket_option::broadcast: return {SOL_SOCKET, SO_BROADCAST};
    case socket_option::tcp_nodelay: return {IPPROTO_TCP, TCP_NODELAY};
    case socket_option::keepalive_idle: return {IPPROTO_TCP, -1};
    case socket_option::keepalive_interval: return {IPPROTO_TCP, -1};
    case socket_option::keepalive_count: return {IPPROTO_TCP, -1};
    case socket_option::ip_ttl: return {IPPROTO_IP, IP_TTL};
    case socket_option::ipv6_unicast_hops: return {IPPROTO_IPV6, IPV6_UNICAST_HOPS};
    case socket_option::ip_multicast_loop: return {IPPROTO_IP, IP_MULTICAST_LOOP};
    case socket_option::ip_multicast_ttl: return {IPPROTO_IP, IP_MULTICAST_TTL};
    case socket_option::ipv6_multicast_loop: return {IPPROTO_IPV6, IPV6_MULTICAST_LOOP};
    case socket_option::ipv6_multicast_if: return {IPPROTO_IPV6, IPV6_MULTICAST_IF};
    case socket_option::ipv6_multicast_hops: return {IPPROTO_IPV6, IPV6_MULTICAST_HOPS};
    case socket_option::ipv6_only: return {IPPROTO_IPV6, IPV6_V6ONLY};
    }
    return {0, -1};
}
}  // namespace windows_detail

constexpr bool has_option(socket_option o) noexcept { return windows_detail::spec(o).name >= 0; }

/// Sets an integer (or boolean: 0/1) option; Winsock takes a DWORD for all of these.
inline result<void> set_option(handle h, socket_option o, int value) noexcept {
    auto s = windows_detail::spec(o);
    if (s.name < 0) return std::errc::operation_not_supported;
    return common_detail::set_raw(h, s.level, s.name, static_cast<DWORD>(value));
}
inline result<int> get_option(handle h, socket_option o) noexcept {
    auto s = windows_detail::spec(o);
    if (s.name < 0) return std::errc::operation_not_supported;
    auto v = common_detail::get_raw<DWORD>(h, s.level, s.name);
    if (!v) return v.error();
    return static_cast<int>(*v);
}

struct peer_credentials_raw {
    std::optional<pid_type> pid;
    uid_type uid;
    gid_type gid;
};
inline result<peer_credentials_raw> peer_credentials(handle) noexcept { return std::errc::operation_not_supported; }

inline constexpr int max_backlog = SOMAXCONN;

}  // namespace mio::detail::sys
