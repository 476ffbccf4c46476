// sys layer, shared by the POSIX and Windows families: what is the same on both because
// Winsock keeps the BSD socket names and structures. Socket addresses in the OS's form
// (sockaddr_storage) and their conversion to and from net::socket_address, the socket's own
// and peer address (getsockname, getpeername), and the socket options whose level, name and
// value type are the same everywhere (SO_LINGER, SO_ERROR, IPv4/IPv6 multicast membership).
// The families' socket.hpp include it; the options that differ per OS stay there.
#pragma once

#include <mio/detail/sys/base.hpp>
#include <mio/detail/sys/common/results.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#if MIO_SYS_WINDOWS
#  include <mio/detail/sys/windows/winsock.hpp>
#else
#  include <arpa/inet.h>
#  include <netinet/in.h>
#  include <sys/socket.h>
#endif

#include <array>
#include <optional>
#include <cstdint>
#include <cstring>
#include <variant>

namespace mio::detail::sys {

enum class address_family { ipv4, ipv6, local };
enum class socket_type { stream, datagram };

/// The length type the OS's socket calls take and fill in.
#if MIO_SYS_WINDOWS
using native_socklen = int;
#else
using native_socklen = ::socklen_t;
#endif

/// A socket address in the OS's form: storage big enough for any family, and the length in
/// use (what bind/connect/sendto take, and what accept/recvfrom fill in).
struct raw_sockaddr {
    ::sockaddr_storage storage{};
    native_socklen len = sizeof(::sockaddr_storage);

    ::sockaddr* get() noexcept { return reinterpret_cast<::sockaddr*>(&storage); }
    const ::sockaddr* get() const noexcept { return reinterpret_cast<const ::sockaddr*>(&storage); }
    int family() const noexcept { return storage.ss_family; }
};

/// getsockname / getpeername into `out`.
inline result<void> local_name(handle h, raw_sockaddr& out) noexcept { return void_result(::getsockname(h, out.get(), &out.len)); }
inline result<void> peer_name(handle h, raw_sockaddr& out) noexcept { return void_result(::getpeername(h, out.get(), &out.len)); }

/// The OS's form of `a`: a sockaddr_in or a sockaddr_in6 (flow info in network order, as the
/// kernel reads it; scope id as is).
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

/// The socket_address in `r` (its first r.len bytes). Errors: address_family_not_supported for
/// a family other than AF_INET and AF_INET6 (an AF_UNIX peer, say); invalid_argument when the
/// length is too short for the family.
inline result<net::socket_address> from_sockaddr(const raw_sockaddr& r) noexcept {
    if (r.len < static_cast<native_socklen>(sizeof r.storage.ss_family) ||
        r.len > static_cast<native_socklen>(sizeof r.storage))
        return std::errc::invalid_argument;
    if (r.storage.ss_family == AF_INET) {
        if (r.len < static_cast<native_socklen>(sizeof(::sockaddr_in))) return std::errc::invalid_argument;
        ::sockaddr_in sin;
        std::memcpy(&sin, &r.storage, sizeof sin);
        std::array<std::uint8_t, 4> o;
        std::memcpy(o.data(), &sin.sin_addr, o.size());
        return net::socket_address(net::ipv4_address(o), ntohs(sin.sin_port));
    }
    if (r.storage.ss_family == AF_INET6) {
        if (r.len < static_cast<native_socklen>(sizeof(::sockaddr_in6))) return std::errc::invalid_argument;
        ::sockaddr_in6 sin6;
        std::memcpy(&sin6, &r.storage, sizeof sin6);
        std::array<std::uint8_t, 16> o;
        std::memcpy(o.data(), &sin6.sin6_addr, o.size());
        return net::socket_address(net::ipv6_address(o), ntohs(sin6.sin6_port), ntohl(sin6.sin6_flowinfo),
                                   sin6.sin6_scope_id);
    }
    return std::errc::address_family_not_supported;
}

namespace common_detail {
// setsockopt / getsockopt of a value of type T. Winsock takes char pointers and int lengths,
// POSIX void pointers and socklen_t: a char pointer converts to both.
template <class T>
inline result<void> set_raw(handle h, int level, int name, const T& value) noexcept {
    return void_result(
        ::setsockopt(h, level, name, reinterpret_cast<const char*>(&value), static_cast<native_socklen>(sizeof value)));
}
template <class T>
inline result<T> get_raw(handle h, int level, int name) noexcept {
    T value{};
    native_socklen len = sizeof value;
    if (::getsockopt(h, level, name, reinterpret_cast<char*>(&value), &len) != 0) return last_error();
    return value;
}
inline ::in_addr to_in_addr(const std::array<std::uint8_t, 4>& o) noexcept {
    ::in_addr r{};
    std::memcpy(&r, o.data(), o.size());
    return r;
}
}  // namespace common_detail

/// SO_LINGER: nullopt turns it off, a number of seconds on.
inline result<void> set_linger(handle h, std::optional<int> seconds) noexcept {
    ::linger l{};
    if (seconds) {
        l.l_onoff = 1;
        l.l_linger = static_cast<decltype(l.l_linger)>(*seconds);  // an int; Winsock's is a u_short
    }
    return common_detail::set_raw(h, SOL_SOCKET, SO_LINGER, l);
}
inline result<std::optional<int>> linger(handle h) noexcept {
    auto l = common_detail::get_raw<::linger>(h, SOL_SOCKET, SO_LINGER);
    if (!l) return l.error();
    if (l->l_onoff == 0) return std::optional<int>{};
    return std::optional<int>(l->l_linger);
}

/// SO_ERROR: the pending error (falsy when none), clearing it.
inline result<std::error_code> take_error(handle h) noexcept {
    auto v = common_detail::get_raw<int>(h, SOL_SOCKET, SO_ERROR);
    if (!v) return v.error();
    // A bare error_code would mean failure: the pending error is the value, built in place.
    if (*v == 0) return result<std::error_code>(std::in_place);
    return result<std::error_code>(std::in_place, make_error(*v));
}

/// IP_MULTICAST_IF: the interface (by one of its addresses) IPv4 multicast leaves from.
inline result<void> set_multicast_if_v4(handle h, const std::array<std::uint8_t, 4>& iface) noexcept {
    return common_detail::set_raw(h, IPPROTO_IP, IP_MULTICAST_IF, common_detail::to_in_addr(iface));
}
/// IP_ADD_MEMBERSHIP / IP_DROP_MEMBERSHIP.
inline result<void> multicast_membership_v4(handle h, bool join, const std::array<std::uint8_t, 4>& group,
                                            const std::array<std::uint8_t, 4>& iface) noexcept {
    ::ip_mreq m{};
    m.imr_multiaddr = common_detail::to_in_addr(group);
    m.imr_interface = common_detail::to_in_addr(iface);
    return common_detail::set_raw(h, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP : IP_DROP_MEMBERSHIP, m);
}
/// IPV6_JOIN_GROUP / IPV6_LEAVE_GROUP (IPV6_ADD_MEMBERSHIP / _DROP_ on older Linux headers).
inline result<void> multicast_membership_v6(handle h, bool join, const std::array<std::uint8_t, 16>& group,
                                            unsigned ifindex) noexcept {
    ::ipv6_mreq m{};
    std::memcpy(&m.ipv6mr_multiaddr, group.data(), group.size());
    m.ipv6mr_interface = ifindex;
#if defined(IPV6_JOIN_GROUP)
    int name = join ? IPV6_JOIN_GROUP : IPV6_LEAVE_GROUP;
#else
    int name = join ? IPV6_ADD_MEMBERSHIP : IPV6_DROP_MEMBERSHIP;
#endif
    return common_detail::set_raw(h, IPPROTO_IPV6, name, m);
}

}  // namespace mio::detail::sys
