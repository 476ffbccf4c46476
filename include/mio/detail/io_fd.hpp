// detail::io_fd: an owned, registrable fd with the I/O calls sockets and pipes share.
// On would_block it tells the backend (emulated-edge backends re-arm the fd); on close it
// lets the backend forget the fd. Both are no-ops on epoll.
#pragma once

#include <mio/detail/fd.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <span>
#include <sys/uio.h>
#include <utility>

namespace mio::detail {

// At most this many buffers go to one readv/writev (a partial transfer, as POSIX allows).
inline constexpr std::size_t max_iov = 64;

class io_fd {
public:
    io_fd() noexcept = default;
    explicit io_fd(int fd) noexcept : fd_(fd) {}
    io_fd(io_fd&&) noexcept = default;
    io_fd& operator=(io_fd&& o) noexcept {
        if (this != &o) {
            close();
            state_ = std::move(o.state_);
            fd_ = std::move(o.fd_);
        }
        return *this;
    }
    ~io_fd() { close(); }

    int get() const noexcept { return fd_.get(); }
    bool valid() const noexcept { return fd_.valid(); }
    io_source_state& state() noexcept { return state_; }

    /// Gives the fd up, unclosed and still registered where it was (as mio's into_raw_fd).
    int release() noexcept {
        state_.detach();
        return fd_.release();
    }

    void close() noexcept {
        if (fd_.valid()) state_.on_close(fd_.get());
        fd_.reset();
    }

    /// Runs `op()` (a call returning ssize_t, -1/errno on failure) as one I/O operation.
    template <class Op>
    result<std::size_t> io(Op op) noexcept {
        auto n = op();
        if (n < 0) [[unlikely]]
            return failed();
        return static_cast<std::size_t>(n);
    }

    result<std::size_t> read(void* buf, std::size_t len) noexcept {
        return io([&] { return ::read(fd_.get(), buf, len); });
    }
    result<std::size_t> write(const void* buf, std::size_t len) noexcept {
        return io([&] { return ::write(fd_.get(), buf, len); });
    }
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept {
        iovec iov[max_iov];
        int n = to_iov(bufs, iov);
        return io([&] { return ::readv(fd_.get(), iov, n); });
    }
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept {
        iovec iov[max_iov];
        int n = to_iov(bufs, iov);
        return io([&] { return ::writev(fd_.get(), iov, n); });
    }

    /// errno as an error, telling the backend first when it means would_block.
    std::error_code failed() noexcept {
        int e = errno;
        if (e == EAGAIN || e == EWOULDBLOCK) state_.on_would_block(fd_.get());
        return make_errno_error(e);
    }

    template <class Span>
    static int to_iov(std::span<const Span> bufs, iovec* iov) noexcept {
        std::size_t n = std::min(bufs.size(), max_iov);
        for (std::size_t i = 0; i < n; ++i) {
            iov[i].iov_base = const_cast<std::byte*>(bufs[i].data());  // iovec is not const-correct
            iov[i].iov_len = bufs[i].size();
        }
        return static_cast<int>(n);
    }

private:
    io_source_state state_;  // before fd_: moved and destroyed around the fd it describes
    owned_fd fd_;
};

}  // namespace mio::detail
