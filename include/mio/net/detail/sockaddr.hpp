// Conversions between mio::net::socket_address and the OS's sockaddr_in / sockaddr_in6,
// and the getsockname / getpeername calls built on them (POSIX).
#pragma once

#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <arpa/inet.h>
#include <array>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <variant>

namespace mio::detail {

/// A socket address in the OS's form: storage big enough for any family, and the length
/// that is in use (what bind/connect/sendto take, and what accept/recvfrom fill in).
struct raw_sockaddr {
    ::sockaddr_storage storage{};
    ::socklen_t len = sizeof(::sockaddr_storage);

    ::sockaddr* get() noexcept { return reinterpret_cast<::sockaddr*>(&storage); }
    const ::sockaddr* get() const noexcept { return reinterpret_cast<const ::sockaddr*>(&storage); }
    int family() const noexcept { return storage.ss_family; }
};

/// The OS's form of `a`: a sockaddr_in or a sockaddr_in6 (flow info in network order, as
/// the kernel reads it; scope id as is).
inline raw_sockaddr to_sockaddr(const net::socket_address& a) noexcept {
    raw_sockaddr r;
    const auto ip = a.ip();
    if (const auto* v4 = std::get_if<net::ipv4_address>(&ip)) {
        ::sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_port = htons(a.port());
        auto o = v4->octets();
        std::memcpy(&sin.sin_addr, o.data(), o.size());
        std::memcpy(&r.storage, &sin, sizeof sin);
        r.len = sizeof sin;
    } else if (const auto* v6 = std::get_if<net::ipv6_address>(&ip)) {
        ::sockaddr_in6 sin6{};
        sin6.sin6_family = AF_INET6;
        sin6.sin6_port = htons(a.port());
        sin6.sin6_flowinfo = htonl(a.flowinfo());
        sin6.sin6_scope_id = a.scope_id();
        auto o = v6->octets();
        std::memcpy(&sin6.sin6_addr, o.data(), o.size());
        std::memcpy(&r.storage, &sin6, sizeof sin6);
        r.len = sizeof sin6;
    }
    return r;
}

/// The socket_address in `r` (the first r.len bytes of it). Errors: address_family_not_supported
/// for a family other than AF_INET and AF_INET6 (an AF_UNIX peer, say); invalid_argument when
/// the length is too short for the family.
inline result<net::socket_address> from_sockaddr(const raw_sockaddr& r) noexcept {
    if (r.len < static_cast<::socklen_t>(sizeof(::sa_family_t)) || r.len > sizeof r.storage)
        return std::errc::invalid_argument;
    if (r.storage.ss_family == AF_INET) {
        if (r.len < static_cast<::socklen_t>(sizeof(::sockaddr_in))) return std::errc::invalid_argument;
        ::sockaddr_in sin;
        std::memcpy(&sin, &r.storage, sizeof sin);
        std::array<std::uint8_t, 4> o;
        std::memcpy(o.data(), &sin.sin_addr, o.size());
        return net::socket_address(net::ipv4_address(o), ntohs(sin.sin_port));
    }
    if (r.storage.ss_family == AF_INET6) {
        if (r.len < static_cast<::socklen_t>(sizeof(::sockaddr_in6))) return std::errc::invalid_argument;
        ::sockaddr_in6 sin6;
        std::memcpy(&sin6, &r.storage, sizeof sin6);
        std::array<std::uint8_t, 16> o;
        std::memcpy(o.data(), &sin6.sin6_addr, o.size());
        return net::socket_address(net::ipv6_address(o), ntohs(sin6.sin6_port), ntohl(sin6.sin6_flowinfo),
                                   sin6.sin6_scope_id);
    }
    return std::errc::address_family_not_supported;
}

/// getsockname(2) as a socket_address.
inline result<net::socket_address> local_address(int fd) noexcept {
    raw_sockaddr r;
    if (::getsockname(fd, r.get(), &r.len) < 0) return last_error();
    return from_sockaddr(r);
}

/// getpeername(2) as a socket_address. Errors: ENOTCONN when not (yet) connected.
inline result<net::socket_address> peer_address(int fd) noexcept {
    raw_sockaddr r;
    if (::getpeername(fd, r.get(), &r.len) < 0) return last_error();
    return from_sockaddr(r);
}

}  // namespace mio::detail
