// mio::net::udp_socket: a non-blocking UDP socket (mio's net::UdpSocket).
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/io_fd.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/io_source_state.hpp>
#include <mio/net/detail/ip_socket.hpp>
#include <mio/net/detail/sockaddr.hpp>
#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <netinet/in.h>
#include <span>
#include <sys/socket.h>
#include <system_error>
#include <utility>

namespace mio::net {

/// A UDP socket: non-blocking and close-on-exec from birth, closed on destruction (which
/// also removes it from the registry it is in), movable and not copyable. A source: register
/// it readable (datagrams waiting) and/or writable (room to send); readiness is
/// edge-triggered, so receive until would_block.
///
/// One call moves one datagram. A datagram longer than the buffer is truncated and the rest
/// of it is lost (size buffers for the largest datagram expected; 65,507 bytes is the most
/// UDP over IPv4 carries). Sends never raise SIGPIPE (MSG_NOSIGNAL).
class udp_socket {
public:
    /// A socket bound to `addr` (port 0 picks a free port; ask local_addr()). No
    /// SO_REUSEADDR, as in mio. Errors: EADDRINUSE, EACCES, EADDRNOTAVAIL, EMFILE / ENFILE.
    static result<udp_socket> bind(const socket_address& addr) noexcept {
        auto fd = detail::ip::bound_socket(addr, SOCK_DGRAM, false);
        if (!fd) return fd.error();
        return udp_socket(fd->release());
    }

    /// Adopts a UDP socket. The caller has made it non-blocking.
    static udp_socket from_native(int fd) noexcept { return udp_socket(fd); }

    udp_socket(udp_socket&&) noexcept = default;
    udp_socket& operator=(udp_socket&&) noexcept = default;

    /// Sends `buf` as one datagram to `target`: all of it or nothing. Errors: would_block,
    /// EMSGSIZE (too long), EACCES (broadcast without set_broadcast), ENETUNREACH; on a
    /// connected socket, ECONNREFUSED from an earlier ICMP port unreachable.
    result<std::size_t> send_to(std::span<const std::byte> buf, const socket_address& target) noexcept {
        return send_to_raw(buf.data(), buf.size(), target);
    }
    result<std::size_t> send_to(std::span<const char> buf, const socket_address& target) noexcept {
        return send_to_raw(buf.data(), buf.size(), target);
    }

    /// Receives one datagram: its length (after truncation to `buf`) and its sender.
    /// Errors: would_block when none is waiting; ECONNREFUSED on a connected socket whose
    /// peer answered an earlier send with ICMP port unreachable.
    result<std::pair<std::size_t, socket_address>> recv_from(std::span<std::byte> buf) noexcept {
        return recv_from_raw(buf.data(), buf.size(), 0);
    }
    result<std::pair<std::size_t, socket_address>> recv_from(std::span<char> buf) noexcept {
        return recv_from_raw(buf.data(), buf.size(), 0);
    }
    /// Like recv_from, but the datagram stays queued for the next receive.
    result<std::pair<std::size_t, socket_address>> peek_from(std::span<std::byte> buf) noexcept {
        return recv_from_raw(buf.data(), buf.size(), MSG_PEEK);
    }
    result<std::pair<std::size_t, socket_address>> peek_from(std::span<char> buf) noexcept {
        return recv_from_raw(buf.data(), buf.size(), MSG_PEEK);
    }

    /// Sets the default destination for send() and the only source recv() accepts
    /// datagrams from. Errors: EAFNOSUPPORT for the other IP family, ENETUNREACH.
    result<void> connect(const socket_address& addr) noexcept {
        auto raw = detail::to_sockaddr(addr);
        return detail::sys::void_result(::connect(io_.get(), raw.get(), raw.len));
    }

    /// send_to / recv_from for a connected socket. Errors as theirs; EDESTADDRREQ for send()
    /// on an unconnected socket.
    result<std::size_t> send(std::span<const std::byte> buf) noexcept { return detail::sock::send(io_, buf.data(), buf.size()); }
    result<std::size_t> send(std::span<const char> buf) noexcept { return detail::sock::send(io_, buf.data(), buf.size()); }
    result<std::size_t> recv(std::span<std::byte> buf) noexcept { return detail::sock::recv(io_, buf.data(), buf.size()); }
    result<std::size_t> recv(std::span<char> buf) noexcept { return detail::sock::recv(io_, buf.data(), buf.size()); }
    result<std::size_t> peek(std::span<std::byte> buf) noexcept {
        return detail::sock::recv(io_, buf.data(), buf.size(), MSG_PEEK);
    }
    result<std::size_t> peek(std::span<char> buf) noexcept { return detail::sock::recv(io_, buf.data(), buf.size(), MSG_PEEK); }

    /// SO_BROADCAST: whether sending to a broadcast address (255.255.255.255) is allowed.
    result<void> set_broadcast(bool on) noexcept { return detail::sock::set_flag(io_.get(), SOL_SOCKET, SO_BROADCAST, on); }
    result<bool> broadcast() const noexcept { return detail::sock::get_flag(io_.get(), SOL_SOCKET, SO_BROADCAST); }

    /// IP_MULTICAST_LOOP: whether this host's own group members get what it sends (default on).
    result<void> set_multicast_loop_v4(bool on) noexcept {
        return detail::sock::set_option<mcast_int>(io_.get(), IPPROTO_IP, IP_MULTICAST_LOOP, on ? 1 : 0);
    }
    result<bool> multicast_loop_v4() const noexcept {
        auto v = detail::sock::get_option<mcast_int>(io_.get(), IPPROTO_IP, IP_MULTICAST_LOOP);
        if (!v) return v.error();
        return *v != 0;
    }
    /// IP_MULTICAST_TTL: how far multicast datagrams go, 0-255 (default 1: this subnet only).
    /// Errors: invalid_argument above 255.
    result<void> set_multicast_ttl_v4(std::uint32_t ttl) noexcept {
        if (ttl > 255) return std::errc::invalid_argument;
        return detail::sock::set_option<mcast_int>(io_.get(), IPPROTO_IP, IP_MULTICAST_TTL, static_cast<mcast_int>(ttl));
    }
    result<std::uint32_t> multicast_ttl_v4() const noexcept {
        auto v = detail::sock::get_option<mcast_int>(io_.get(), IPPROTO_IP, IP_MULTICAST_TTL);
        if (!v) return v.error();
        return static_cast<std::uint32_t>(*v);
    }
    /// IP_MULTICAST_IF: the interface (by one of its addresses) multicast is sent from;
    /// ipv4_address::any lets the routing table choose.
    result<void> set_multicast_if_v4(ipv4_address iface) noexcept {
        ::in_addr a = to_in_addr(iface);
        return detail::sock::set_option(io_.get(), IPPROTO_IP, IP_MULTICAST_IF, a);
    }

    /// IPV6_MULTICAST_LOOP (default on).
    result<void> set_multicast_loop_v6(bool on) noexcept {
        return detail::sock::set_option<unsigned>(io_.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP, on ? 1u : 0u);
    }
    result<bool> multicast_loop_v6() const noexcept {
        auto v = detail::sock::get_option<unsigned>(io_.get(), IPPROTO_IPV6, IPV6_MULTICAST_LOOP);
        if (!v) return v.error();
        return *v != 0;
    }
    /// IPV6_MULTICAST_IF: the interface index multicast is sent from (0: the routing table
    /// chooses).
    result<void> set_multicast_if_v6(unsigned ifindex) noexcept {
        return detail::sock::set_option<int>(io_.get(), IPPROTO_IPV6, IPV6_MULTICAST_IF, static_cast<int>(ifindex));
    }
    /// IPV6_MULTICAST_HOPS, 0-255 (default 1). Errors: invalid_argument above 255.
    result<void> set_multicast_hops_v6(std::uint32_t hops) noexcept {
        if (hops > 255) return std::errc::invalid_argument;
        return detail::sock::set_option<int>(io_.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS, static_cast<int>(hops));
    }
    result<std::uint32_t> multicast_hops_v6() const noexcept {
        auto v = detail::sock::get_option<int>(io_.get(), IPPROTO_IPV6, IPV6_MULTICAST_HOPS);
        if (!v) return v.error();
        return static_cast<std::uint32_t>(*v);
    }

    /// Joins multicast `group` on the interface that has address `iface` (any: the routing
    /// table picks one). Bind to the group's port on ipv4_address::any (or on the group) to
    /// receive. Errors: EINVAL (not a multicast address), ENODEV (no such interface, or no
    /// multicast route), EADDRINUSE (already joined).
    result<void> join_multicast_v4(ipv4_address group, ipv4_address iface) noexcept {
        return detail::sock::set_option(io_.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq_v4(group, iface));
    }
    /// Errors: EADDRNOTAVAIL when not joined.
    result<void> leave_multicast_v4(ipv4_address group, ipv4_address iface) noexcept {
        return detail::sock::set_option(io_.get(), IPPROTO_IP, IP_DROP_MEMBERSHIP, mreq_v4(group, iface));
    }
    /// Joins multicast `group` on interface index `ifindex` (0: the routing table picks one).
    result<void> join_multicast_v6(ipv6_address group, unsigned ifindex) noexcept {
        return detail::sock::set_option(io_.get(), IPPROTO_IPV6, join_v6_option, mreq_v6(group, ifindex));
    }
    result<void> leave_multicast_v6(ipv6_address group, unsigned ifindex) noexcept {
        return detail::sock::set_option(io_.get(), IPPROTO_IPV6, leave_v6_option, mreq_v6(group, ifindex));
    }

    /// IPV6_V6ONLY: whether an IPv6 socket refuses IPv4 (mapped) traffic. The OS accepts a
    /// change only before the socket is bound (Linux: EINVAL after), so set it on a socket
    /// adopted with from_native; bind() leaves the system default (net.ipv6.bindv6only).
    result<void> set_only_v6(bool on) noexcept { return detail::sock::set_flag(io_.get(), IPPROTO_IPV6, IPV6_V6ONLY, on); }
    result<bool> only_v6() const noexcept { return detail::sock::get_flag(io_.get(), IPPROTO_IPV6, IPV6_V6ONLY); }

    /// Unicast TTL (IPv4) or hop limit (IPv6), 1-255. Errors: invalid_argument above 255.
    result<void> set_ttl(std::uint32_t ttl) noexcept { return detail::ip::set_ttl(io_.get(), ttl); }
    result<std::uint32_t> ttl() const noexcept { return detail::ip::ttl(io_.get()); }

    /// The bound address (with the port the OS chose for port 0).
    result<socket_address> local_addr() const noexcept { return detail::local_address(io_.get()); }
    /// The connected peer. Errors: ENOTCONN when not connected.
    result<socket_address> peer_addr() const noexcept { return detail::peer_address(io_.get()); }

    /// The pending socket error (SO_ERROR), clearing it; falsy when there is none.
    result<std::error_code> take_error() const noexcept { return detail::sock::take_error(io_.get()); }

    /// The fd, borrowed. -1 after release() or a move.
    int native_handle() const noexcept { return io_.get(); }
    /// Gives the fd up: the socket no longer closes it. It stays registered where it was.
    int release() noexcept { return io_.release(); }
    /// Registration bookkeeping (used by the registry).
    io_source_state& io_state() noexcept { return io_.state(); }

private:
    explicit udp_socket(int fd) noexcept : io_(fd) {}

#if MIO_OS_BSD
    using mcast_int = unsigned char;  // the BSDs take a byte for IP_MULTICAST_LOOP / _TTL
#else
    using mcast_int = int;
#endif
#if defined(IPV6_JOIN_GROUP)
    static constexpr int join_v6_option = IPV6_JOIN_GROUP, leave_v6_option = IPV6_LEAVE_GROUP;
#else
    static constexpr int join_v6_option = IPV6_ADD_MEMBERSHIP, leave_v6_option = IPV6_DROP_MEMBERSHIP;
#endif

    static ::in_addr to_in_addr(ipv4_address a) noexcept {
        ::in_addr r{};
        auto o = a.octets();
        std::memcpy(&r, o.data(), o.size());
        return r;
    }
    static ::ip_mreq mreq_v4(ipv4_address group, ipv4_address iface) noexcept {
        ::ip_mreq m{};
        m.imr_multiaddr = to_in_addr(group);
        m.imr_interface = to_in_addr(iface);
        return m;
    }
    static ::ipv6_mreq mreq_v6(ipv6_address group, unsigned ifindex) noexcept {
        ::ipv6_mreq m{};
        auto o = group.octets();
        std::memcpy(&m.ipv6mr_multiaddr, o.data(), o.size());
        m.ipv6mr_interface = ifindex;
        return m;
    }

    result<std::size_t> send_to_raw(const void* data, std::size_t len, const socket_address& target) noexcept {
        auto raw = detail::to_sockaddr(target);
        return io_.io([&] { return ::sendto(io_.get(), data, len, MSG_NOSIGNAL, raw.get(), raw.len); });
    }

    result<std::pair<std::size_t, socket_address>> recv_from_raw(void* data, std::size_t len, int flags) noexcept {
        detail::raw_sockaddr from;
        auto n = io_.io([&] { return ::recvfrom(io_.get(), data, len, flags, from.get(), &from.len); });
        if (!n) return n.error();
        auto addr = detail::from_sockaddr(from);
        if (!addr) return addr.error();
        return std::pair<std::size_t, socket_address>(*n, *addr);
    }

    detail::io_fd io_;
};

}  // namespace mio::net
