// detail::stream_io and detail::datagram_io: the I/O calls the stream sockets (tcp_stream,
// unix_stream) and the datagram sockets (udp_socket, unix_datagram) share, written once on
// top of their socket base. Each type derives publicly, so these are part of its API.
#pragma once

#include <mio/buffer.hpp>
#include <mio/detail/sys.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <span>

namespace mio::detail {

template <class Base>
class stream_io : public Base {
public:
    /// Reads what is there into `buf`: the number of bytes, 0 at end of stream (or for an
    /// empty `buf`). Errors: would_block when nothing is buffered (the source is re-armed),
    /// ECONNRESET, ETIMEDOUT.
    // read(2) rather than recv(2) with no flags: the same on a socket, and glibc's read
    // wrapper is a few instructions shorter on the hottest call of a server.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> read(B&& buf) noexcept {
        auto b = mutable_bytes(buf);
        return this->io_.read(b.data(), b.size());
    }

    /// Like read, but the bytes stay in the socket's buffer for the next read (MSG_PEEK).
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> peek(B&& buf) noexcept {
        auto b = mutable_bytes(buf);
        return this->io_.recv(b.data(), b.size(), true);
    }

    /// Writes some of `buf` (maybe less than all: write the rest after the next writable
    /// event). Errors: would_block when the send buffer is full, EPIPE after the peer closed
    /// or after shutdown(write), ECONNRESET. Never raises SIGPIPE.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> write(const B& buf) noexcept {
        auto b = const_bytes(buf);
        return this->io_.send(b.data(), b.size());
    }

    /// Scatter read into up to 64 buffers, in order (more are ignored, as a short read).
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept { return this->io_.readv(bufs); }

    /// Gather write from up to 64 buffers, in order (more are ignored, as a short write).
    /// Uses sendmsg with MSG_NOSIGNAL, so it never raises SIGPIPE.
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept {
        return this->io_.send_vectored(bufs);
    }

    /// Closes the reading half, the writing half (the peer reads end of stream), or both.
    /// Errors: ENOTCONN.
    result<void> shutdown(net::shutdown_how how) noexcept { return sys::shutdown(this->io_.get(), how); }

protected:
    using Base::Base;
};

template <class Base>
class datagram_io : public Base {
public:
    /// Sends `buf` as one datagram to the connected peer: all of it or nothing. Errors:
    /// would_block when the queue is full, EDESTADDRREQ / ENOTCONN when not connected,
    /// ECONNREFUSED when the peer is gone, EMSGSIZE when too long.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> send(const B& buf) noexcept {
        auto b = const_bytes(buf);
        return this->io_.send(b.data(), b.size());
    }

    /// Receives one datagram from the connected peer; one longer than `buf` is cut (the rest
    /// is lost). Errors: would_block when none is queued, ECONNREFUSED.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> recv(B&& buf) noexcept {
        auto b = mutable_bytes(buf);
        return this->io_.recv(b.data(), b.size(), false);
    }

    /// Like recv, but the datagram stays queued for the next receive (MSG_PEEK).
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> peek(B&& buf) noexcept {
        auto b = mutable_bytes(buf);
        return this->io_.recv(b.data(), b.size(), true);
    }

protected:
    using Base::Base;
};

}  // namespace mio::detail
