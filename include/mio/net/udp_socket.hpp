// mio::net::udp_socket: a non-blocking UDP socket (mio's net::UdpSocket).
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/net/detail/ip_socket.hpp>
#include <mio/net/detail/socket_io.hpp>
#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
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
/// UDP over IPv4 carries). Sends never raise SIGPIPE.
/// Once connected, send(), recv() and peek() move datagrams to and from the peer (see
/// detail::datagram_io). Every call takes std::byte, char or unsigned char buffers
/// (mio/buffer.hpp).
/// Also has native_handle(), release(), io_state(), try_io(), local_addr(), take_error(),
/// set_ttl() and ttl() (see detail::socket_base).
class udp_socket : public detail::datagram_io<detail::ip_socket_base> {
public:
    /// A socket bound to `addr` (port 0 picks a free port; ask local_addr()). No
    /// SO_REUSEADDR, as in mio. Errors: EADDRINUSE, EACCES, EADDRNOTAVAIL, EMFILE / ENFILE.
    static result<udp_socket> bind(const socket_address& addr) noexcept {
        auto h = detail::ip::bound_socket(addr, detail::sys::socket_type::datagram, false);
        if (!h) return h.error();
        return udp_socket(h->release());
    }

    /// Adopts a UDP socket. The caller has made it non-blocking.
    static udp_socket from_native(source_handle h) noexcept { return udp_socket(h); }

    udp_socket(udp_socket&&) noexcept = default;
    udp_socket& operator=(udp_socket&&) noexcept = default;

    /// Sends `buf` as one datagram to `target`: all of it or nothing. Errors: would_block,
    /// EMSGSIZE (too long), EACCES (broadcast without set_broadcast), ENETUNREACH; on a
    /// connected socket, ECONNREFUSED from an earlier ICMP port unreachable.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> send_to(const B& buf, const socket_address& target) noexcept {
        return send_to_raw(detail::const_bytes(buf), target);
    }

    /// Receives one datagram: its length (after truncation to `buf`) and its sender.
    /// Errors: would_block when none is waiting; ECONNREFUSED on a connected socket whose
    /// peer answered an earlier send with ICMP port unreachable.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::pair<std::size_t, socket_address>> recv_from(B&& buf) noexcept {
        return recv_from_raw(detail::mutable_bytes(buf), false);
    }
    /// Like recv_from, but the datagram stays queued for the next receive.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::pair<std::size_t, socket_address>> peek_from(B&& buf) noexcept {
        return recv_from_raw(detail::mutable_bytes(buf), true);
    }

    /// Sets the default destination for send() and the only source recv() accepts
    /// datagrams from. Errors: EAFNOSUPPORT for the other IP family, ENETUNREACH.
    result<void> connect(const socket_address& addr) noexcept {
        return detail::sys::connect(io_.get(), detail::sys::to_sockaddr(addr));
    }

    /// SO_BROADCAST: whether sending to a broadcast address (255.255.255.255) is allowed.
    result<void> set_broadcast(bool on) noexcept { return detail::ip::set_flag(io_.get(), option::broadcast, on); }
    result<bool> broadcast() const noexcept { return detail::ip::get_flag(io_.get(), option::broadcast); }

    /// IP_MULTICAST_LOOP: whether this host's own group members get what it sends (default on).
    result<void> set_multicast_loop_v4(bool on) noexcept {
        return detail::ip::set_flag(io_.get(), option::ip_multicast_loop, on);
    }
    result<bool> multicast_loop_v4() const noexcept { return detail::ip::get_flag(io_.get(), option::ip_multicast_loop); }
    /// IP_MULTICAST_TTL: how far multicast datagrams go, 0-255 (default 1: this subnet only).
    /// Errors: invalid_argument above 255.
    result<void> set_multicast_ttl_v4(std::uint32_t ttl) noexcept {
        return detail::ip::set_byte_option(io_.get(), option::ip_multicast_ttl, ttl);
    }
    result<std::uint32_t> multicast_ttl_v4() const noexcept {
        return detail::ip::get_byte_option(io_.get(), option::ip_multicast_ttl);
    }
    /// IP_MULTICAST_IF: the interface (by one of its addresses) multicast is sent from;
    /// ipv4_address::any lets the routing table choose.
    result<void> set_multicast_if_v4(ipv4_address iface) noexcept {
        return detail::sys::set_multicast_if_v4(io_.get(), iface.octets());
    }

    /// IPV6_MULTICAST_LOOP (default on).
    result<void> set_multicast_loop_v6(bool on) noexcept {
        return detail::ip::set_flag(io_.get(), option::ipv6_multicast_loop, on);
    }
    result<bool> multicast_loop_v6() const noexcept {
        return detail::ip::get_flag(io_.get(), option::ipv6_multicast_loop);
    }
    /// IPV6_MULTICAST_IF: the interface index multicast is sent from (0: the routing table
    /// chooses).
    result<void> set_multicast_if_v6(unsigned ifindex) noexcept {
        return detail::sys::set_option(io_.get(), option::ipv6_multicast_if, static_cast<int>(ifindex));
    }
    /// IPV6_MULTICAST_HOPS, 0-255 (default 1). Errors: invalid_argument above 255.
    result<void> set_multicast_hops_v6(std::uint32_t hops) noexcept {
        return detail::ip::set_byte_option(io_.get(), option::ipv6_multicast_hops, hops);
    }
    result<std::uint32_t> multicast_hops_v6() const noexcept {
        return detail::ip::get_byte_option(io_.get(), option::ipv6_multicast_hops);
    }

    /// Joins multicast `group` on the interface that has address `iface` (any: the routing
    /// table picks one). Bind to the group's port on ipv4_address::any (or on the group) to
    /// receive. Errors: EINVAL (not a multicast address), ENODEV (no such interface, or no
    /// multicast route), EADDRINUSE (already joined).
    result<void> join_multicast_v4(ipv4_address group, ipv4_address iface) noexcept {
        return detail::sys::multicast_membership_v4(io_.get(), true, group.octets(), iface.octets());
    }
    /// Errors: EADDRNOTAVAIL when not joined.
    result<void> leave_multicast_v4(ipv4_address group, ipv4_address iface) noexcept {
        return detail::sys::multicast_membership_v4(io_.get(), false, group.octets(), iface.octets());
    }
    /// Joins multicast `group` on interface index `ifindex` (0: the routing table picks one).
    result<void> join_multicast_v6(ipv6_address group, unsigned ifindex) noexcept {
        return detail::sys::multicast_membership_v6(io_.get(), true, group.octets(), ifindex);
    }
    result<void> leave_multicast_v6(ipv6_address group, unsigned ifindex) noexcept {
        return detail::sys::multicast_membership_v6(io_.get(), false, group.octets(), ifindex);
    }

    /// IPV6_V6ONLY: whether an IPv6 socket refuses IPv4 (mapped) traffic. The OS accepts a
    /// change only before the socket is bound (Linux: EINVAL after), so set it on a socket
    /// adopted with from_native; bind() leaves the system default (net.ipv6.bindv6only).
    result<void> set_only_v6(bool on) noexcept { return detail::ip::set_flag(io_.get(), option::ipv6_only, on); }
    result<bool> only_v6() const noexcept { return detail::ip::get_flag(io_.get(), option::ipv6_only); }

    /// The connected peer. Errors: ENOTCONN when not connected.
    result<socket_address> peer_addr() const noexcept { return peer_address(); }

private:
    using option = detail::sys::socket_option;
    explicit udp_socket(source_handle h) noexcept : datagram_io(h) {}

    result<std::size_t> send_to_raw(std::span<const std::byte> buf, const socket_address& target) noexcept {
        auto raw = detail::sys::to_sockaddr(target);
        return io_.done(detail::sys::send_to(io_.get(), buf.data(), buf.size(), raw.get(), raw.len));
    }

    result<std::pair<std::size_t, socket_address>> recv_from_raw(std::span<std::byte> buf, bool peek) noexcept {
        detail::sys::raw_sockaddr from;
        auto n = io_.done(detail::sys::recv_from(io_.get(), buf.data(), buf.size(), peek, from));
        if (!n) return n.error();
        auto addr = detail::sys::from_sockaddr(from);
        if (!addr) return addr.error();
        return std::pair<std::size_t, socket_address>(*n, *addr);
    }
};

}  // namespace mio::net
