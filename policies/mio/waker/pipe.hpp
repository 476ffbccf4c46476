// mio::pipe_waker: wakes through a self-pipe (portable POSIX; mio's fallback).
#pragma once

#include <mio/detail/fd_waker.hpp>

namespace mio {

/// Wakes a poll by writing one byte to a non-blocking, close-on-exec pipe whose read end is
/// registered readable. Works with every selector that polls fds. Two fds; wake() is one
/// write(2); when the pipe is full it is drained first (a wake is pending anyway).
struct pipe_waker {
    template <class Selector>
    static constexpr bool supports = detail::polls_fds<Selector>;

    template <class Selector>
    using bind = detail::fd_waker<Selector, detail::sys::notifier::kind::pipe>;
};

}  // namespace mio
