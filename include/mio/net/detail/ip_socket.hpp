// Calls the IP socket types (tcp_listener, tcp_stream, udp_socket) share (POSIX).
#pragma once

#include <mio/detail/fd.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/net/detail/sockaddr.hpp>
#include <mio/result.hpp>

#include <cstdint>
#include <netinet/in.h>
#include <sys/socket.h>

namespace mio::detail::ip {

inline int family_of(const net::socket_address& a) noexcept { return a.is_ipv4() ? AF_INET : AF_INET6; }

/// AF_INET or AF_INET6: the family `fd` was created with (getsockname works unbound too).
inline result<int> family(int fd) noexcept {
    raw_sockaddr r;
    if (::getsockname(fd, r.get(), &r.len) < 0) return last_error();
    return r.family();
}

/// A new non-blocking, close-on-exec socket of `type` for `addr`'s family, bound to `addr`.
inline result<owned_fd> bound_socket(const net::socket_address& addr, int type, bool reuse_address) noexcept {
    auto fd = sock::open(family_of(addr), type);
    if (!fd) return fd.error();
    owned_fd s(*fd);
    if (reuse_address) {
        auto r = sock::set_flag(s.get(), SOL_SOCKET, SO_REUSEADDR, true);
        if (!r) return r.error();
    }
    auto raw = to_sockaddr(addr);
    if (::bind(s.get(), raw.get(), raw.len) < 0) return last_error();
    return s;
}

/// The unicast TTL / hop limit: IP_TTL on IPv4 sockets, IPV6_UNICAST_HOPS on IPv6 ones.
/// Errors: invalid_argument above 255.
inline result<void> set_ttl(int fd, std::uint32_t ttl) noexcept {
    if (ttl > 255) return std::errc::invalid_argument;
    auto fam = family(fd);
    if (!fam) return fam.error();
    if (*fam == AF_INET6) return sock::set_option<int>(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, static_cast<int>(ttl));
    return sock::set_option<int>(fd, IPPROTO_IP, IP_TTL, static_cast<int>(ttl));
}

inline result<std::uint32_t> ttl(int fd) noexcept {
    auto fam = family(fd);
    if (!fam) return fam.error();
    auto v = *fam == AF_INET6 ? sock::get_option<int>(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS)
                              : sock::get_option<int>(fd, IPPROTO_IP, IP_TTL);
    if (!v) return v.error();
    return static_cast<std::uint32_t>(*v);
}

}  // namespace mio::detail::ip
