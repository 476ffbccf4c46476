// The one place that turns the platform into default policies (mio's sys/mod.rs).
#pragma once

#include <mio/detail/config.hpp>

#include <mio/storage/dynamic.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/none.hpp>

#if MIO_OS_LINUX && !defined(MIO_FORCE_POLL_SELECTOR)
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
