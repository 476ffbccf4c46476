// The one seam through which mio calls the OS (POSIX). Every call goes to the libc wrapper,
// never to syscall(SYS_...), so that kernel-bypass stacks which interpose on libc see it.
// Calls that mio retries on EINTR are retried here; read/write/poll are not (callers see EINTR).
#pragma once

#include <mio/result.hpp>

#include <cerrno>
#include <cstddef>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

namespace mio::detail::sys {

/// Calls f() again while it fails with EINTR.
template <class F>
inline auto retry_eintr(F f) noexcept {
    for (;;) {
        auto r = f();
        if (!(r < 0 && errno == EINTR)) return r;
    }
}

/// -1/errno as result<size_t>.
inline result<std::size_t> size_result(ssize_t n) noexcept {
    if (n < 0) [[unlikely]]
        return last_error();
    return static_cast<std::size_t>(n);
}

inline result<void> void_result(int rc) noexcept {
    if (rc < 0) [[unlikely]]
        return last_error();
    return {};
}

/// close(2). EINTR is not retried: on Linux the fd is released whatever close returns.
inline void close(int fd) noexcept {
    int saved = errno;
    ::close(fd);
    errno = saved;
}

inline result<std::size_t> read(int fd, void* buf, std::size_t len) noexcept { return size_result(::read(fd, buf, len)); }
inline result<std::size_t> write(int fd, const void* buf, std::size_t len) noexcept {
    return size_result(::write(fd, buf, len));
}
inline result<std::size_t> readv(int fd, const iovec* iov, int n) noexcept { return size_result(::readv(fd, iov, n)); }
inline result<std::size_t> writev(int fd, const iovec* iov, int n) noexcept { return size_result(::writev(fd, iov, n)); }

/// Sets or clears O_NONBLOCK.
inline result<void> set_nonblocking(int fd, bool on) noexcept {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0) return last_error();
    int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want == flags) return {};
    return void_result(::fcntl(fd, F_SETFL, want));
}

/// dup with close-on-exec.
inline result<int> dup_cloexec(int fd) noexcept {
    int r = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (r < 0) return last_error();
    return r;
}

}  // namespace mio::detail::sys
