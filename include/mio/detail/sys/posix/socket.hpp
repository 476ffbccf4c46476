// sys layer, POSIX: sockets. Every socket is born non-blocking and close-on-exec (in one call
// where the OS can: SOCK_NONBLOCK|SOCK_CLOEXEC, accept4; socket/accept then fcntl otherwise, or
// with MIO_FORCE_POSIX_FALLBACKS). No send raises SIGPIPE: MSG_NOSIGNAL where it exists,
// SO_NOSIGPIPE set at birth on Apple systems, which lack it. Socket options are asked for by
// name (socket_option); the per-OS spellings (keep-alive names, byte-sized multicast options on
// the BSDs, peer credentials) are chosen here and nowhere else.
#pragma once

#include <mio/detail/sys/common/sockets.hpp>
#include <mio/detail/sys/posix/io.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <arpa/inet.h>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <utility>

namespace mio::detail::sys {

// The OS's names for the types unix_address and peer_credentials hold.
using sockaddr_type = ::sockaddr;
using socklen_type = ::socklen_t;
using family_type = ::sa_family_t;
using unix_sockaddr = ::sockaddr_un;
using pid_type = ::pid_t;
using uid_type = ::uid_t;
using gid_type = ::gid_t;
inline constexpr family_type unix_family = AF_UNIX;
/// Linux (and Android) have a namespace of abstract socket names (a leading NUL byte).
inline constexpr bool has_abstract_unix_names = MIO_OS_LINUX;

namespace posix_detail {
inline int to_native(address_family f) noexcept {
    return f == address_family::ipv4 ? AF_INET : f == address_family::ipv6 ? AF_INET6 : AF_UNIX;
}
inline int to_native(socket_type t) noexcept { return t == socket_type::stream ? SOCK_STREAM : SOCK_DGRAM; }

#if defined(MSG_NOSIGNAL)
inline constexpr int no_signal = MSG_NOSIGNAL;
#else
inline constexpr int no_signal = 0;
#endif

// What a new socket needs besides O_NONBLOCK and FD_CLOEXEC: SO_NOSIGPIPE where sends cannot
// say MSG_NOSIGNAL (Apple). Closes `h` on failure.
inline result<handle> finish_socket(handle h) noexcept {
#if !defined(MSG_NOSIGNAL) && defined(SO_NOSIGPIPE)
    int one = 1;
    if (::setsockopt(h, SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one) < 0) {
        auto e = last_error();
        close(h);
        return e;
    }
#endif
    return h;
}
}  // namespace posix_detail

/// A new non-blocking, close-on-exec socket. Errors: EMFILE, ENFILE, EAFNOSUPPORT.
inline result<handle> open_socket(address_family f, socket_type t) noexcept {
#if MIO_HAS_SOCK_NONBLOCK
    int raw = ::socket(posix_detail::to_native(f), posix_detail::to_native(t) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (raw < 0) return last_error();
    result<handle> fd = raw;
#else
    int raw = ::socket(posix_detail::to_native(f), posix_detail::to_native(t), 0);
    if (raw < 0) return last_error();
    auto fd = adopt_portable(raw);
    if (!fd) return fd.error();
#endif
    return posix_detail::finish_socket(*fd);
}

/// Two connected AF_UNIX sockets (socketpair), both non-blocking and close-on-exec.
inline result<std::pair<handle, handle>> socket_pair(socket_type t) noexcept {
    int fds[2];
#if MIO_HAS_SOCK_NONBLOCK
    if (::socketpair(AF_UNIX, posix_detail::to_native(t) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) return last_error();
#else
    if (::socketpair(AF_UNIX, posix_detail::to_native(t), 0, fds) < 0) return last_error();
    if (auto a = adopt_portable(fds[0]); !a) {
        close(fds[1]);
        return a.error();
    }
    if (auto b = adopt_portable(fds[1]); !b) {
        close(fds[0]);
        return b.error();
    }
#endif
    auto a = posix_detail::finish_socket(fds[0]);
    if (!a) {
        close(fds[1]);
        return a.error();
    }
    auto b = posix_detail::finish_socket(fds[1]);
    if (!b) {
        close(fds[0]);
        return b.error();
    }
    return std::pair<handle, handle>(fds[0], fds[1]);
}

inline result<void> bind(handle h, const sockaddr_type* a, socklen_type len) noexcept { return void_result(::bind(h, a, len)); }
inline result<void> bind(handle h, const raw_sockaddr& a) noexcept { return sys::bind(h, a.get(), a.len); }

inline result<void> listen(handle h, int backlog) noexcept { return void_result(::listen(h, backlog)); }

/// connect(2); EINPROGRESS counts as success (the socket turns writable once connected).
/// Not retried on EINTR: a second connect would report EALREADY.
inline result<void> connect(handle h, const sockaddr_type* a, socklen_type len) noexcept {
    if (::connect(h, a, len) < 0 && errno != EINPROGRESS) return last_error();
    return {};
}
inline result<void> connect(handle h, const raw_sockaddr& a) noexcept { return sys::connect(h, a.get(), a.len); }

/// Takes one connection, non-blocking and close-on-exec; `peer` receives its address.
inline result<handle> accept(handle h, raw_sockaddr& peer) noexcept {
#if MIO_HAS_ACCEPT4
    int raw = ::accept4(h, peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (raw < 0) return last_error();
    result<handle> fd = raw;
#else
    int raw = ::accept(h, peer.get(), &peer.len);
    if (raw < 0) return last_error();
    auto fd = adopt_portable(raw);
    if (!fd) return fd.error();
#endif
    return posix_detail::finish_socket(*fd);
}

inline result<std::size_t> send(handle h, const void* buf, std::size_t len) noexcept {
    return size_result(::send(h, buf, len, posix_detail::no_signal));
}
inline result<std::size_t> recv(handle h, void* buf, std::size_t len, bool peek) noexcept {
    return size_result(::recv(h, buf, len, peek ? MSG_PEEK : 0));
}
inline result<std::size_t> send_to(handle h, const void* buf, std::size_t len, const sockaddr_type* to,
                                   socklen_type to_len) noexcept {
    return size_result(::sendto(h, buf, len, posix_detail::no_signal, to, to_len));
}
inline result<std::size_t> recv_from(handle h, void* buf, std::size_t len, bool peek, raw_sockaddr& from) noexcept {
    return size_result(::recvfrom(h, buf, len, peek ? MSG_PEEK : 0, from.get(), &from.len));
}
/// Gather send (sendmsg), never raising SIGPIPE.
inline result<std::size_t> send_vectored(handle h, const io_buffer* iov, int n) noexcept {
    ::msghdr msg{};
    msg.msg_iov = const_cast<io_buffer*>(iov);
    msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(n);
    return size_result(::sendmsg(h, &msg, posix_detail::no_signal));
}

inline result<void> shutdown(handle h, net::shutdown_how how) noexcept {
    int n = how == net::shutdown_how::read ? SHUT_RD : how == net::shutdown_how::write ? SHUT_WR : SHUT_RDWR;
    return void_result(::shutdown(h, n));
}

/// The address family of socket `h` (getsockname works unbound too).
inline result<address_family> family_of(handle h) noexcept {
    raw_sockaddr r;
    if (auto ok = local_name(h, r); !ok) return ok.error();
    return r.family() == AF_INET6 ? address_family::ipv6 : r.family() == AF_INET ? address_family::ipv4
                                                                                 : address_family::local;
}

/// Socket options mio sets, by name. Each maps to its level and name on this OS.
enum class socket_option {
    reuse_address,        // SO_REUSEADDR
    keepalive,            // SO_KEEPALIVE
    broadcast,            // SO_BROADCAST
    tcp_nodelay,          // TCP_NODELAY
    keepalive_idle,       // TCP_KEEPIDLE (TCP_KEEPALIVE on Apple), seconds
    keepalive_interval,   // TCP_KEEPINTVL, seconds
    keepalive_count,      // TCP_KEEPCNT
    ip_ttl,               // IP_TTL
    ipv6_unicast_hops,    // IPV6_UNICAST_HOPS
    ip_multicast_loop,    // IP_MULTICAST_LOOP (a byte on the BSDs)
    ip_multicast_ttl,     // IP_MULTICAST_TTL (a byte on the BSDs)
    ipv6_multicast_loop,  // IPV6_MULTICAST_LOOP
    ipv6_multicast_if,    // IPV6_MULTICAST_IF (an interface index)
    ipv6_multicast_hops,  // IPV6_MULTICAST_HOPS
    ipv6_only,            // IPV6_V6ONLY
};

namespace posix_detail {
struct option_spec {
    int level;
    int name;  // -1: this OS lacks it
    bool byte_sized;
};
#if MIO_OS_BSD
inline constexpr bool byte_mcast = true;  // the BSDs take a byte for IP_MULTICAST_LOOP / _TTL
#else
inline constexpr bool byte_mcast = false;
#endif
constexpr option_spec spec(socket_option o) noexcept {
    switch (o) {
    case socket_option::reuse_address: return {SOL_SOCKET, SO_REUSEADDR, false};
    case socket_option::keepalive: return {SOL_SOCKET, SO_KEEPALIVE, false};
    case socket_option::broadcast: return {SOL_SOCKET, SO_BROADCAST, false};
    case socket_option::tcp_nodelay: return {IPPROTO_TCP, TCP_NODELAY, false};
#if defined(TCP_KEEPIDLE)
    case socket_option::keepalive_idle: return {IPPROTO_TCP, TCP_KEEPIDLE, false};
#elif defined(TCP_KEEPALIVE)  // Apple
    case socket_option::keepalive_idle: return {IPPROTO_TCP, TCP_KEEPALIVE, false};
#else
    case socket_option::keepalive_idle: return {IPPROTO_TCP, -1, false};
#endif
#if defined(TCP_KEEPINTVL)
    case socket_option::keepalive_interval: return {IPPROTO_TCP, TCP_KEEPINTVL, false};
#else
    case socket_option::keepalive_interval: return {IPPROTO_TCP, -1, false};
#endif
#if defined(TCP_KEEPCNT)
    case socket_option::keepalive_count: return {IPPROTO_TCP, TCP_KEEPCNT, false};
#else
    case socket_option::keepalive_count: return {IPPROTO_TCP, -1, false};
#endif
    case socket_option::ip_ttl: return {IPPROTO_IP, IP_TTL, false};
    case socket_option::ipv6_unicast_hops: return {IPPROTO_IPV6, IPV6_UNICAST_HOPS, false};
    case socket_option::ip_multicast_loop: return {IPPROTO_IP, IP_MULTICAST_LOOP, byte_mcast};
    case socket_option::ip_multicast_ttl: return {IPPROTO_IP, IP_MULTICAST_TTL, byte_mcast};
    case socket_option::ipv6_multicast_loop: return {IPPROTO_IPV6, IPV6_MULTICAST_LOOP, false};
    case socket_option::ipv6_multicast_if: return {IPPROTO_IPV6, IPV6_MULTICAST_IF, false};
    case socket_option::ipv6_multicast_hops: return {IPPROTO_IPV6, IPV6_MULTICAST_HOPS, false};
    case socket_option::ipv6_only: return {IPPROTO_IPV6, IPV6_V6ONLY, false};
    }
    return {0, -1, false};
}
}  // namespace posix_detail

/// Whether this OS has option `o` (set_option/get_option give operation_not_supported if not).
constexpr bool has_option(socket_option o) noexcept { return posix_detail::spec(o).name >= 0; }

/// Sets an integer (or boolean: 0/1) option.
inline result<void> set_option(handle h, socket_option o, int value) noexcept {
    auto s = posix_detail::spec(o);
    if (s.name < 0) return std::errc::operation_not_supported;
    if (s.byte_sized) return common_detail::set_raw(h, s.level, s.name, static_cast<unsigned char>(value));
    return common_detail::set_raw(h, s.level, s.name, value);
}
inline result<int> get_option(handle h, socket_option o) noexcept {
    auto s = posix_detail::spec(o);
    if (s.name < 0) return std::errc::operation_not_supported;
    if (s.byte_sized) {
        auto v = common_detail::get_raw<unsigned char>(h, s.level, s.name);
        if (!v) return v.error();
        return int(*v);
    }
    return common_detail::get_raw<int>(h, s.level, s.name);
}

/// Who is at the other end of a Unix-domain stream: SO_PEERCRED on Linux (with the pid),
/// getpeereid on the BSDs and Apple (without). Errors: ENOTCONN, EBADF, operation_not_supported
/// where neither exists.
struct peer_credentials_raw {
    std::optional<pid_type> pid;
    uid_type uid;
    gid_type gid;
};
inline result<peer_credentials_raw> peer_credentials(handle h) noexcept {
#if MIO_OS_LINUX
    auto c = common_detail::get_raw<::ucred>(h, SOL_SOCKET, SO_PEERCRED);
    if (!c) return c.error();
    return peer_credentials_raw{c->pid, c->uid, c->gid};
#elif MIO_OS_BSD
    uid_type uid;
    gid_type gid;
    if (::getpeereid(h, &uid, &gid) < 0) return last_error();
    return peer_credentials_raw{std::nullopt, uid, gid};
#else
    (void)h;
    return std::errc::operation_not_supported;
#endif
}

/// The listen backlog that means "as many as the OS allows", as Rust's std and mio 1.1 pass it:
/// -1 where listen(2) reads it so (Linux, FreeBSD, OpenBSD, Apple: capped at the system's
/// maximum, net.core.somaxconn on Linux), SOMAXCONN elsewhere.
#if MIO_OS_LINUX || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__APPLE__)
inline constexpr int max_backlog = -1;
#else
inline constexpr int max_backlog = SOMAXCONN;
#endif

}  // namespace mio::detail::sys
