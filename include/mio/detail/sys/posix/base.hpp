// sys layer, POSIX: the handle type and errno as std::error_code.
#pragma once

#include <mio/detail/category_address.hpp>
#include <mio/detail/sys/posix/no_plt.hpp>

#include <cerrno>
#include <system_error>
#include <unistd.h>

namespace mio::detail::sys {

/// An OS handle: a file descriptor.
using handle = int;
inline constexpr handle invalid_handle = -1;

/// The errno value `e` as an error in the generic category (so it compares equal to std::errc).
inline std::error_code make_error(int e) noexcept { return {e, std::generic_category()}; }

/// The current errno as an error.
inline std::error_code last_error() noexcept { return make_error(errno); }

/// True when `ec` is an OS "try again" code (EAGAIN / EWOULDBLOCK) in the generic or system
/// category. The value first, then the category's address (no call: see base.hpp).
inline bool is_would_block_error(const std::error_code& ec) noexcept {
    if (ec.value() != EAGAIN && ec.value() != EWOULDBLOCK) return false;
    const std::error_category* c = &ec.category();
    return c == generic_category_address() || c == system_category_address();
}

/// close(2). EINTR is not retried: on Linux the fd is released whatever close returns.
/// errno is kept, so that a caller closing on an error path reports the first error.
inline void close(handle h) noexcept {
    int saved = errno;
    ::close(h);
    errno = saved;
}

}  // namespace mio::detail::sys
