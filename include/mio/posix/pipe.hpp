// mio::posix::pipe(): a non-blocking, close-on-exec unidirectional pipe (mio's unix::pipe).
#pragma once

#include <mio/detail/io_fd.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <fcntl.h>
#include <span>
#include <unistd.h>
#include <utility>

namespace mio::detail {
// What both ends of a pipe are: an owned, registrable fd.
class pipe_end {
public:
    /// Makes the fd blocking (false) or non-blocking (true).
    result<void> set_nonblocking(bool on) noexcept { return sys::set_nonblocking(io_.get(), on); }
    /// The fd, borrowed.
    int native_handle() const noexcept { return io_.get(); }
    /// Gives the fd up without closing it.
    int release() noexcept { return io_.release(); }
    /// Registration bookkeeping (see io_source_state).
    io_source_state& io_state() noexcept { return io_.state(); }

protected:
    explicit pipe_end(int fd) noexcept : io_(fd) {}
    io_fd io_;
};
}  // namespace mio::detail

namespace mio::posix {

class pipe_sender;
class pipe_receiver;
result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept;

/// The writing end of a pipe. A source (register it writable). Writing after the receiver
/// closed fails with EPIPE and raises SIGPIPE unless the application ignores SIGPIPE.
class pipe_sender : public detail::pipe_end {
public:
    /// Adopts `fd`; the caller has made it non-blocking.
    static pipe_sender from_native(int fd) noexcept { return pipe_sender(fd); }

    /// Writes some of `buf`. Errors: would_block when the pipe is full, EPIPE when closed.
    result<std::size_t> write(std::span<const std::byte> buf) noexcept { return io_.write(buf.data(), buf.size()); }
    result<std::size_t> write(std::span<const char> buf) noexcept { return io_.write(buf.data(), buf.size()); }
    /// Writes from up to 64 buffers in order.
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept { return io_.writev(bufs); }

private:
    friend result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept;
    explicit pipe_sender(int fd) noexcept : pipe_end(fd) {}
};

/// The reading end of a pipe. A source (register it readable). read returns 0 once every
/// sender is closed and the pipe is empty.
class pipe_receiver : public detail::pipe_end {
public:
    /// Adopts `fd`; the caller has made it non-blocking.
    static pipe_receiver from_native(int fd) noexcept { return pipe_receiver(fd); }

    /// Reads into `buf`. Errors: would_block when the pipe is empty.
    result<std::size_t> read(std::span<std::byte> buf) noexcept { return io_.read(buf.data(), buf.size()); }
    result<std::size_t> read(std::span<char> buf) noexcept { return io_.read(buf.data(), buf.size()); }
    /// Reads into up to 64 buffers in order.
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept { return io_.readv(bufs); }

private:
    friend result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept;
    explicit pipe_receiver(int fd) noexcept : pipe_end(fd) {}
};

/// A new pipe, both ends non-blocking and close-on-exec. Errors: EMFILE, ENFILE.
inline result<std::pair<pipe_sender, pipe_receiver>> pipe() noexcept {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return last_error();
    return std::pair<pipe_sender, pipe_receiver>(pipe_sender(fds[1]), pipe_receiver(fds[0]));
}

}  // namespace mio::posix
