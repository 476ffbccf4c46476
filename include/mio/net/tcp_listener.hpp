// mio::net::tcp_listener: a non-blocking listening TCP socket (mio's net::TcpListener).
#pragma once

#include <mio/detail/io_fd.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/io_source_state.hpp>
#include <mio/net/detail/ip_socket.hpp>
#include <mio/net/detail/sockaddr.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/result.hpp>

#include <cstdint>
#include <sys/socket.h>
#include <system_error>
#include <utility>

namespace mio::net {

/// A listening TCP socket: non-blocking and close-on-exec from birth, closed on destruction
/// (which also removes it from the registry it is in), movable and not copyable. A source:
/// register it with interest::readable; a readable event means connections are waiting,
/// so accept() until it fails with would_block (readiness is edge-triggered).
class tcp_listener {
public:
    /// The listen(2) backlog bind() uses, as mio's (the OS may cap it: Linux at somaxconn).
    static constexpr int backlog = 1024;

    /// Binds to `addr` and listens. SO_REUSEADDR is set (as mio does), so a restarted server
    /// can bind a port that still has connections in TIME_WAIT; a port that another socket
    /// listens on still fails. Port 0 picks a free port: ask local_addr() which.
    /// Errors: EADDRINUSE, EACCES (a privileged port), EADDRNOTAVAIL (not a local address),
    /// EMFILE / ENFILE.
    static result<tcp_listener> bind(const socket_address& addr) noexcept {
        auto fd = detail::ip::bound_socket(addr, SOCK_STREAM, true);
        if (!fd) return fd.error();
        if (::listen(fd->get(), backlog) < 0) return last_error();
        return tcp_listener(fd->release());
    }

    /// Adopts a listening socket (for example one inherited from a supervisor). The caller
    /// has made it non-blocking.
    static tcp_listener from_native(int fd) noexcept { return tcp_listener(fd); }

    tcp_listener(tcp_listener&&) noexcept = default;
    tcp_listener& operator=(tcp_listener&&) noexcept = default;

    /// Takes one waiting connection: the new stream (non-blocking, close-on-exec) and the
    /// peer's address. Errors: would_block when none is waiting; EMFILE / ENFILE when out of
    /// file descriptors (the connection stays queued: accept again once fds are freed; no new
    /// readable event comes for it); ECONNABORTED when the peer gave up first (accept again).
    result<std::pair<tcp_stream, socket_address>> accept() noexcept {
        detail::raw_sockaddr peer;
        auto fd = io_.io([&] { return ::accept4(io_.get(), peer.get(), &peer.len, SOCK_NONBLOCK | SOCK_CLOEXEC); });
        if (!fd) return fd.error();
        auto stream = tcp_stream::from_native(static_cast<int>(*fd));
        auto addr = detail::from_sockaddr(peer);
        if (!addr) return addr.error();
        return std::pair<tcp_stream, socket_address>(std::move(stream), *addr);
    }

    /// The bound address (with the port the OS chose for port 0).
    result<socket_address> local_addr() const noexcept { return detail::local_address(io_.get()); }

    /// TTL (IPv4) or hop limit (IPv6) of the connections it accepts, 1-255.
    result<void> set_ttl(std::uint32_t ttl) noexcept { return detail::ip::set_ttl(io_.get(), ttl); }
    result<std::uint32_t> ttl() const noexcept { return detail::ip::ttl(io_.get()); }

    /// The pending socket error (SO_ERROR), clearing it; falsy when there is none.
    result<std::error_code> take_error() const noexcept { return detail::sock::take_error(io_.get()); }

    /// The fd, borrowed. -1 after release() or a move.
    int native_handle() const noexcept { return io_.get(); }
    /// Gives the fd up: the listener no longer closes it. It stays registered where it was.
    int release() noexcept { return io_.release(); }
    /// Registration bookkeeping (used by the registry).
    io_source_state& io_state() noexcept { return io_.state(); }

private:
    explicit tcp_listener(int fd) noexcept : io_(fd) {}
    detail::io_fd io_;
};

}  // namespace mio::net
