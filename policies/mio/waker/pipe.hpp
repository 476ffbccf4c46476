// mio::pipe_waker: wakes through a self-pipe (portable POSIX; mio's fallback).
#pragma once

#include <mio/detail/fd_waker.hpp>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

namespace mio {

/// Wakes a poll by writing one byte to a non-blocking, close-on-exec pipe whose read end is
/// registered readable. Works with every selector that polls fds. Two fds; wake() is one
/// write(2); when the pipe is full it is drained first (a wake is pending anyway).
struct pipe_waker {
    template <class Selector>
    static constexpr bool supports = detail::polls_fds<Selector>;

    class device {
    public:
        static result<device> open() noexcept {
            int fds[2];
            if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return last_error();
            return device(fds[0], fds[1]);
        }
        int read_fd() const noexcept { return rx_.get(); }
        int signal() noexcept {
            char b = 1;
            return ::write(tx_.get(), &b, 1) < 0 ? errno : 0;
        }
        void drain() noexcept {
            char buf[256];
            while (::read(rx_.get(), buf, sizeof buf) > 0) {
            }
        }

    private:
        device(int rx, int tx) noexcept : rx_(rx), tx_(tx) {}
        detail::owned_fd rx_, tx_;
    };

    template <class Selector>
    using bind = detail::fd_waker<Selector, device>;
};

}  // namespace mio
