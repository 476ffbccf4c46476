// Everything, with this platform's defaults: mio::poll, mio::events, mio::registry,
// mio::waker, plus mio::net and mio::posix (on Windows: mio::net's IP types and mio::windows,
// as DESIGN.md says; the Unix sockets and mio::posix are POSIX only).
#pragma once

#include <mio/basic_poll.hpp>
#include <mio/default_selector.hpp>
#include <mio/storage/dynamic.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/none.hpp>

#if MIO_OS_WINDOWS
#  include <mio/net/ip_address.hpp>
#  include <mio/net/socket_address.hpp>
#  include <mio/net/tcp_listener.hpp>
#  include <mio/net/tcp_stream.hpp>
#  include <mio/net/udp_socket.hpp>
#  include <mio/windows/named_pipe.hpp>
#else
#  include <mio/net.hpp>
#  include <mio/posix/pipe.hpp>
#  include <mio/posix/source_fd.hpp>
#endif
#include <mio/version.hpp>

namespace mio {

/// The platform's poll: epoll on Linux (poll(2) with MIO_FORCE_POLL_SELECTOR), heap event
/// storage sized at construction, and the platform's waker.
using poll = basic_poll<default_selector, dynamic_storage, default_waker>;
using events = poll::events_type;
using registry = poll::registry_type;
using waker = poll::waker_type;
using event = basic_event<default_selector>;

}  // namespace mio
