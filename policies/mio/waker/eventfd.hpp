// mio::eventfd_waker: wakes through a Linux eventfd (mio's choice on Linux).
#pragma once

#include <mio/detail/fd_waker.hpp>

#include <cerrno>
#include <cstdint>
#include <sys/eventfd.h>
#include <unistd.h>

namespace mio {

/// Wakes a poll by writing to an eventfd registered readable. Linux and Android only.
/// Works with every selector that polls fds (epoll, poll); not with the fake selector.
/// One fd; wake() is one write(2) and allocates nothing.
struct eventfd_waker {
    template <class Selector>
    static constexpr bool supports = detail::polls_fds<Selector>;

    class device {
    public:
        static result<device> open() noexcept {
            int fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
            if (fd < 0) return last_error();
            return device(fd);
        }
        int read_fd() const noexcept { return fd_.get(); }
        int signal() noexcept {
            std::uint64_t one = 1;
            return ::write(fd_.get(), &one, sizeof one) < 0 ? errno : 0;
        }
        void drain() noexcept {
            std::uint64_t count;
            (void)::read(fd_.get(), &count, sizeof count);
        }

    private:
        explicit device(int fd) noexcept : fd_(fd) {}
        detail::owned_fd fd_;
    };

    template <class Selector>
    using bind = detail::fd_waker<Selector, device>;
};

}  // namespace mio
