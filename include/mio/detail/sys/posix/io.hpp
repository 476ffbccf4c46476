// sys layer, POSIX: byte I/O on any fd, fd flags and pipes. Every call goes to the libc
// wrapper, never to syscall(SYS_...), so that kernel-bypass stacks and tests that interpose
// on libc (fault injection: EINTR, EMFILE on demand) see it. read/write are not retried on
// EINTR (callers see it, as in mio).
#pragma once

#include <mio/detail/sys/common/results.hpp>
#include <mio/detail/sys/posix/base.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <fcntl.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utility>

namespace mio::detail::sys {

/// One buffer of a scatter/gather call, in the OS's layout (struct iovec).
using io_buffer = ::iovec;
inline void set_io_buffer(io_buffer& b, const void* data, std::size_t len) noexcept {
    b.iov_base = const_cast<void*>(data);  // iovec is not const-correct
    b.iov_len = len;
}

inline result<std::size_t> read(handle h, void* buf, std::size_t len) noexcept { return size_result(::read(h, buf, len)); }
inline result<std::size_t> write(handle h, const void* buf, std::size_t len) noexcept {
    return size_result(::write(h, buf, len));
}
inline result<std::size_t> readv(handle h, const io_buffer* iov, int n) noexcept { return size_result(::readv(h, iov, n)); }
inline result<std::size_t> writev(handle h, const io_buffer* iov, int n) noexcept {
    return size_result(::writev(h, iov, n));
}

/// True while `h` names an open file (fcntl F_GETFD); false for a closed or negative fd.
inline bool is_open(handle h) noexcept { return h >= 0 && ::fcntl(h, F_GETFD) >= 0; }

/// Sets or clears O_NONBLOCK.
inline result<void> set_nonblocking(handle h, bool on) noexcept {
    int flags = ::fcntl(h, F_GETFL);
    if (flags < 0) return last_error();
    int want = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (want == flags) return {};
    return void_result(::fcntl(h, F_SETFL, want));
}

/// Makes a new fd what mio's fds are (non-blocking, close-on-exec) where the OS could not at
/// creation: the portable path of MIO_FORCE_POSIX_FALLBACKS and of macOS. Closes `h` and
/// returns the error when fcntl fails.
inline result<handle> adopt_portable(handle h) noexcept {
    auto r = void_result(::fcntl(h, F_SETFD, FD_CLOEXEC));
    if (r) r = set_nonblocking(h, true);
    if (!r) {
        close(h);
        return r.error();
    }
    return h;
}

/// dup with close-on-exec.
inline result<handle> dup_cloexec(handle h) noexcept {
    int r = ::fcntl(h, F_DUPFD_CLOEXEC, 0);
    if (r < 0) return last_error();
    return r;
}

/// A pipe, both ends non-blocking and close-on-exec: {read end, write end}. pipe2 where the
/// OS has it (MIO_HAS_PIPE2), pipe then fcntl elsewhere.
inline result<std::pair<handle, handle>> pipe() noexcept {
    int fds[2];
#if MIO_HAS_PIPE2
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) < 0) return last_error();
#else
    if (::pipe(fds) < 0) return last_error();
    auto rx = adopt_portable(fds[0]);
    if (!rx) {
        close(fds[1]);
        return rx.error();
    }
    auto tx = adopt_portable(fds[1]);
    if (!tx) {
        close(fds[0]);
        return tx.error();
    }
#endif
    return std::pair<handle, handle>(fds[0], fds[1]);
}

}  // namespace mio::detail::sys
