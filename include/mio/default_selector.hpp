// mio::default_selector and mio::default_waker: the platform's selector and waker policies,
// the ones mio::poll (mio.hpp) is made of. The one place that turns the platform into default
// policies (mio's sys/mod.rs):
//   Linux                     epoll_selector + eventfd_waker (poll_selector with MIO_FORCE_POLL_SELECTOR)
//   Windows                   afd_selector + iocp_waker
//   macOS, the BSDs           kqueue_selector + kqueue_waker (pipe_waker without EVFILT_USER)
//   other POSIX systems       poll_selector + pipe_waker
//   the shell (MIO_SYS_SHELL) shell_selector + shell_waker: compiles, fails at run time
#pragma once

#include <mio/detail/config.hpp>


#if !MIO_SYS_POSIX && !MIO_SYS_WINDOWS
#  include <mio/selector/shell.hpp>
#  include <mio/waker/shell.hpp>
namespace mio {
using default_selector = shell_selector;
using default_waker = shell_waker;
}  // namespace mio
#elif MIO_OS_LINUX && !defined(MIO_FORCE_POLL_SELECTOR)
#  include <mio/selector/epoll.hpp>
#  include <mio/waker/eventfd.hpp>
namespace mio {
using default_selector = epoll_selector;
using default_waker = eventfd_waker;
}  // namespace mio
#elif MIO_OS_LINUX
#  include <mio/selector/poll.hpp>
#  include <mio/waker/eventfd.hpp>
namespace mio {
using default_selector = poll_selector;
using default_waker = eventfd_waker;
}  // namespace mio
#elif MIO_OS_WINDOWS
#  include <mio/selector/afd.hpp>
#  include <mio/waker/iocp.hpp>
namespace mio {
using default_selector = afd_selector;
using default_waker = iocp_waker;
}  // namespace mio
#elif MIO_OS_BSD && !defined(MIO_FORCE_POLL_SELECTOR)
#  include <mio/selector/kqueue.hpp>
#  include <mio/waker/kqueue.hpp>
#  if defined(EVFILT_USER) && defined(NOTE_TRIGGER)
namespace mio {
using default_selector = kqueue_selector;
using default_waker = kqueue_waker;
}  // namespace mio
#  else
#    include <mio/waker/pipe.hpp>
namespace mio {
using default_selector = kqueue_selector;
using default_waker = pipe_waker;  // OpenBSD before EVFILT_USER
}  // namespace mio
#  endif
#else
#  include <mio/selector/poll.hpp>
#  include <mio/waker/pipe.hpp>
namespace mio {
using default_selector = poll_selector;
using default_waker = pipe_waker;
}  // namespace mio
#endif
