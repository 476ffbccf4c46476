// mio::eventfd_waker: wakes through a Linux eventfd (mio's choice on Linux).
#pragma once

#include <mio/detail/fd_waker.hpp>

namespace mio {

/// Wakes a poll by writing to an eventfd registered readable. Linux and Android only.
/// Works with every selector that polls fds (epoll, poll); not with the fake selector.
/// One fd; wake() is one write(2) and allocates nothing.
struct eventfd_waker {
    template <class Selector>
    static constexpr bool supports = detail::polls_fds<Selector>;

    template <class Selector>
    using bind = detail::fd_waker<Selector, detail::sys::notifier::kind::eventfd>;
};

}  // namespace mio
