// mio::posix::source_fd: registers a file descriptor the caller owns (mio's SourceFd).
#pragma once

#include <mio/io_source_state.hpp>

namespace mio::posix {

/// Borrows `fd` for registration; never closes it. The caller makes the fd non-blocking
/// and removes it from the registry before closing it (epoll forgets closed fds by itself;
/// other backends may not). No debug one-registry check applies to it, as in mio.
struct source_fd {
    source_handle fd;
    source_handle native_handle() const noexcept { return fd; }
};

}  // namespace mio::posix
