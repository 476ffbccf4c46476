// mio::eventfd_waker: wakes through a Linux eventfd (mio's choice on Linux).
#pragma once

#include <mio/detail/fd_waker.hpp>

namespace mio {

/// Wakes a poll by writing to an eventfd registered readable. Linux and Android only.
/// Works with every selector that polls fds (epoll, poll); not with the fake selector.
/// One fd; wake() is one write(2) and allocates nothing. On poll_selector it has no fd: the
/// wake goes through the selector's own notifier (one write(2) while a poll is blocked, none
/// otherwise), as in mio's poll backend.
struct eventfd_waker : detail::fd_waker_policy<detail::sys::notifier::kind::eventfd> {};

}  // namespace mio
