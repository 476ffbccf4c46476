// detail::owned_fd: a file descriptor closed exactly once, on destruction.
#pragma once

#include <mio/detail/syscall.hpp>

#include <utility>

namespace mio::detail {

class owned_fd {
public:
    owned_fd() noexcept = default;
    explicit owned_fd(int fd) noexcept : fd_(fd) {}
    owned_fd(owned_fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    owned_fd& operator=(owned_fd&& o) noexcept {
        if (this != &o) reset(std::exchange(o.fd_, -1));
        return *this;
    }
    owned_fd(const owned_fd&) = delete;
    owned_fd& operator=(const owned_fd&) = delete;
    ~owned_fd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    explicit operator bool() const noexcept { return valid(); }
    /// Gives the fd up without closing it.
    int release() noexcept { return std::exchange(fd_, -1); }
    /// Closes the current fd (if any) and takes `fd`.
    void reset(int fd = -1) noexcept {
        if (fd_ >= 0) sys::close(fd_);
        fd_ = fd;
    }

private:
    int fd_ = -1;
};

}  // namespace mio::detail
