// mio::net::tcp_listener: a non-blocking listening TCP socket (mio's net::TcpListener).
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/net/detail/ip_socket.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/result.hpp>

#include <utility>

namespace mio::net {

/// A listening TCP socket: non-blocking and close-on-exec from birth, closed on destruction
/// (which also removes it from the registry it is in), movable and not copyable. A source:
/// register it with interest::readable; a readable event means connections are waiting,
/// so accept() until it fails with would_block (readiness is edge-triggered).
/// Also has native_handle(), release(), io_state(), local_addr(), take_error(), set_ttl()
/// and ttl() (see detail::socket_base).
class tcp_listener : public detail::ip_socket_base {
public:
    /// The listen(2) backlog bind(addr) uses, as mio 1.1 and Rust's std (the OS may cap it:
    /// Linux at net.core.somaxconn).
    static constexpr int default_backlog = 128;

    /// Binds to `addr` and listens with `backlog` pending connections at most (servers that
    /// take bursts of thousands of connections want 1024 or more). SO_REUSEADDR is set (as mio
    /// does), so a restarted server can bind a port that still has connections in TIME_WAIT;
    /// a port that another socket listens on still fails. Port 0 picks a free port: ask
    /// local_addr() which. Errors: EADDRINUSE, EACCES (a privileged port), EADDRNOTAVAIL (not
    /// a local address), EMFILE / ENFILE.
    static result<tcp_listener> bind(const socket_address& addr, int backlog = default_backlog) noexcept {
        auto h = detail::ip::bound_socket(addr, detail::sys::socket_type::stream, true);
        if (!h) return h.error();
        if (auto r = detail::sys::listen(h->get(), backlog); !r) return r.error();
        return tcp_listener(h->release());
    }

    /// Adopts a listening socket (for example one inherited from a supervisor). The caller
    /// has made it non-blocking.
    static tcp_listener from_native(source_handle h) noexcept { return tcp_listener(h); }

    tcp_listener(tcp_listener&&) noexcept = default;
    tcp_listener& operator=(tcp_listener&&) noexcept = default;

    /// Takes one waiting connection: the new stream (non-blocking, close-on-exec) and the
    /// peer's address. Errors: would_block when none is waiting; EMFILE / ENFILE when out of
    /// file descriptors (the connection stays queued: accept again once fds are freed; no new
    /// readable event comes for it); ECONNABORTED when the peer gave up first (accept again).
    result<std::pair<tcp_stream, socket_address>> accept() noexcept {
        detail::sys::raw_sockaddr peer;
        auto h = io_.done(detail::sys::accept(io_.get(), peer));
        if (!h) return h.error();
        auto stream = tcp_stream::from_native(*h);
        auto addr = detail::sys::from_sockaddr(peer);
        if (!addr) return addr.error();
        return std::pair<tcp_stream, socket_address>(std::move(stream), *addr);
    }

private:
    explicit tcp_listener(source_handle h) noexcept : ip_socket_base(h) {}
};

}  // namespace mio::net
