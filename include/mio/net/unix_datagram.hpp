// mio::net::unix_datagram: a non-blocking Unix-domain datagram socket (mio's UnixDatagram).
#pragma once

#include <mio/detail/source_base.hpp>
#include <mio/detail/sys.hpp>
#include <mio/net/detail/socket_io.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/unix_address.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <span>
#include <string_view>
#include <utility>

namespace mio::net {

/// A Unix-domain datagram socket: bound, unbound or connected. A source: register it
/// readable and/or writable. Datagrams keep their boundaries and are never reordered.
/// Non-blocking and close-on-exec from birth; movable, not copyable; closed on destruction
/// (a bound socket file is not unlinked: the application removes it). Never raises SIGPIPE.
/// Once connected, send(), recv() and peek() move datagrams to and from the peer (see
/// detail::datagram_io). Every call takes std::byte, char or unsigned char buffers
/// (mio/buffer.hpp).
/// Also has native_handle(), release(), io_state(), try_io(), local_addr() and take_error()
/// (see detail::socket_base).
class unix_datagram : public detail::datagram_io<detail::socket_base<unix_address>> {
public:
    /// A socket bound to the socket file at `path`. Errors: address_in_use when a file is
    /// there, filename_too_long / invalid_argument for a path from_path refuses.
    static result<unix_datagram> bind(std::string_view path) noexcept {
        auto a = unix_address::from_path(path);
        if (!a) return a.error();
        return bind(*a);
    }
    /// A socket bound to `addr` (a path or an abstract name). Errors as above.
    static result<unix_datagram> bind(const unix_address& addr) noexcept { return open(&addr); }

    /// A socket bound to nothing: it can send_to, and connect; replies cannot reach it.
    static result<unix_datagram> unbound() noexcept { return open(nullptr); }

    /// Two unnamed sockets connected to each other (socketpair). Errors: EMFILE, ENFILE.
    static result<std::pair<unix_datagram, unix_datagram>> pair() noexcept {
        auto p = detail::sys::socket_pair(detail::sys::socket_type::datagram);
        if (!p) return p.error();
        return std::pair<unix_datagram, unix_datagram>(unix_datagram(p->first), unix_datagram(p->second));
    }

    /// Adopts `fd`, an AF_UNIX datagram socket; the caller has made it non-blocking.
    static unix_datagram from_native(source_handle h) noexcept { return unix_datagram(h); }

    /// Sets the default peer for send/recv; datagrams from others are then dropped.
    /// Errors: ENOENT when nothing is at `path`, connection_refused when nobody has it bound.
    result<void> connect(std::string_view path) noexcept {
        auto a = unix_address::from_path(path);
        if (!a) return a.error();
        return connect(*a);
    }
    result<void> connect(const unix_address& addr) noexcept {
        return detail::sys::connect(io_.get(), addr.native_ptr(), addr.native_size());
    }

    /// Sends one datagram to `to`. Errors: ENOENT when nothing is at the path,
    /// connection_refused when nobody has it bound, would_block when its queue is full, EISCONN
    /// on a connected socket (on some systems), and from_path's errors for a bad path.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> send_to(const B& buf, const unix_address& to) noexcept {
        return send_to_raw(detail::const_bytes(buf), to);
    }
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> send_to(const B& buf, std::string_view path) noexcept {
        auto a = unix_address::from_path(path);
        if (!a) return a.error();
        return send_to_raw(detail::const_bytes(buf), *a);
    }

    /// Receives one datagram and the sender's address (unnamed when the sender is unbound).
    /// Errors: would_block when none is queued.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::pair<std::size_t, unix_address>> recv_from(B&& buf) noexcept {
        return recv_from_raw(detail::mutable_bytes(buf), false);
    }
    /// Like recv_from, but leaves the datagram queued (MSG_PEEK).
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::pair<std::size_t, unix_address>> peek_from(B&& buf) noexcept {
        return recv_from_raw(detail::mutable_bytes(buf), true);
    }

    /// Shuts down receiving, sending or both (further sends fail with EPIPE; a blocked
    /// reader sees read-closed). Errors: ENOTCONN on some systems when not connected.
    result<void> shutdown(shutdown_how how) noexcept { return detail::sys::shutdown(io_.get(), how); }

    /// The connected peer's address. Errors: ENOTCONN when not connected.
    result<unix_address> peer_addr() const noexcept { return peer_address(); }

private:
    explicit unix_datagram(source_handle h) noexcept : datagram_io(h) {}

    static result<unix_datagram> open(const unix_address* addr) noexcept {
        auto fd = detail::unix_sock::open_bound(detail::sys::socket_type::datagram, addr);
        if (!fd) return fd.error();
        return unix_datagram(*fd);
    }

    result<std::size_t> send_to_raw(std::span<const std::byte> buf, const unix_address& to) noexcept {
        return io_.done(detail::sys::send_to(io_.get(), buf.data(), buf.size(), to.native_ptr(), to.native_size()));
    }

    result<std::pair<std::size_t, unix_address>> recv_from_raw(std::span<std::byte> buf, bool peek) noexcept {
        detail::sys::raw_sockaddr sa;
        auto n = io_.done(detail::sys::recv_from(io_.get(), buf.data(), buf.size(), peek, sa));
        if (!n) return n.error();
        auto from = detail::address_traits<unix_address>::from_raw(sa);
        if (!from) return from.error();
        return std::pair<std::size_t, unix_address>(*n, *from);
    }
};

}  // namespace mio::net
