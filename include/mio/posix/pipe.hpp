// mio::posix::pipe(): a non-blocking, close-on-exec unidirectional pipe (mio's unix::pipe).
#pragma once

#include <mio/buffer.hpp>
#include <mio/detail/source_base.hpp>
#include <mio/detail/sys.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <span>
#include <utility>

namespace mio::detail {
// What both ends of a pipe are: an owned, registrable fd (native_handle, release, io_state,
// try_io from source_base) that can be made blocking.
class pipe_end : public source_base {
public:
    /// Makes the fd blocking (false) or non-blocking (true).
    result<void> set_nonblocking(bool on) noexcept { return sys::set_nonblocking(io_.get(), on); }

protected:
    using source_base::source_base;
};
}  // namespace mio::detail

namespace mio::posix {

class pipe_sender;
class pipe_receiver;
result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept;

/// The writing end of a pipe. A source (register it writable). Writing after the receiver
/// closed fails with EPIPE and raises SIGPIPE unless the application ignores SIGPIPE.
/// Also has native_handle(), release(), io_state(), try_io() and set_nonblocking() (see
/// detail::pipe_end).
class pipe_sender : public detail::pipe_end {
public:
    /// Adopts `fd`; the caller has made it non-blocking.
    static pipe_sender from_native(source_handle h) noexcept { return pipe_sender(h); }

    /// Writes some of `buf`. Errors: would_block when the pipe is full, EPIPE when closed.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> write(const B& buf) noexcept {
        auto b = detail::const_bytes(buf);
        return io_.write(b.data(), b.size());
    }
    /// Writes from up to 64 buffers in order.
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept { return io_.writev(bufs); }

private:
    friend result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept;
    explicit pipe_sender(source_handle h) noexcept : pipe_end(h) {}
};

/// The reading end of a pipe. A source (register it readable). read returns 0 once every
/// sender is closed and the pipe is empty.
/// Also has native_handle(), release(), io_state(), try_io() and set_nonblocking().
class pipe_receiver : public detail::pipe_end {
public:
    /// Adopts `fd`; the caller has made it non-blocking.
    static pipe_receiver from_native(source_handle h) noexcept { return pipe_receiver(h); }

    /// Reads into `buf`. Errors: would_block when the pipe is empty.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> read(B&& buf) noexcept {
        auto b = detail::mutable_bytes(buf);
        return io_.read(b.data(), b.size());
    }
    /// Reads into up to 64 buffers in order.
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept { return io_.readv(bufs); }

private:
    friend result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept;
    explicit pipe_receiver(source_handle h) noexcept : pipe_end(h) {}
};

/// A new pipe, both ends non-blocking and close-on-exec (pipe2, or pipe then fcntl where the
/// OS lacks pipe2 or MIO_FORCE_POSIX_FALLBACKS is defined). Errors: EMFILE, ENFILE.
inline result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept {
    auto p = detail::sys::pipe();
    if (!p) return p.error();
    return std::pair<pipe_sender, pipe_receiver>(pipe_sender(p->second), pipe_receiver(p->first));
}

}  // namespace mio::posix
