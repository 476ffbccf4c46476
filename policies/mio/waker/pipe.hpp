// mio::pipe_waker: wakes through a self-pipe (portable POSIX; mio's fallback).
#pragma once

#include <mio/detail/fd_waker.hpp>

namespace mio {

/// Wakes a poll by writing one byte to a non-blocking, close-on-exec pipe whose read end is
/// registered readable. Works with every selector that polls fds. Two fds; wake() is one
/// write(2); when the pipe is full it is drained first (a wake is pending anyway). On
/// poll_selector it has no pipe: the wake goes through the selector's own notifier, as in
/// mio's poll backend.
struct pipe_waker : detail::fd_waker_policy<detail::sys::notifier::kind::pipe> {};

}  // namespace mio
