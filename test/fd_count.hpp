// Counts this process's open file descriptors, to prove that a test leaked none.
#pragma once

#if defined(_WIN32)
#  include <mio/detail/sys/windows/winsock.hpp>
#else
#  include <dirent.h>
#endif

#if __has_include(<sys/event.h>)
#  include <sys/event.h>
#  include <unistd.h>
#endif
#if defined(LIBKQUEUE)
// libkqueue closes a closed kqueue's own fds later, on its monitoring thread; this waits for
// that, so that counts compare what the code under test left open. (libkqueue exports it.)
extern "C" void libkqueue_drain_pending_close(void);
#endif

#include <gtest/gtest.h>

#include <cstddef>

namespace mio_test {

inline std::size_t open_fd_count() {
#if defined(LIBKQUEUE)
    // From the first kqueue on, libkqueue keeps process-wide fds (its monitoring thread's):
    // open them before the first count, not inside the first test.
    static const bool libkqueue_started = [] {
        int kq = ::kqueue();
        if (kq >= 0) ::close(kq);
        return true;
    }();
    (void)libkqueue_started;
    libkqueue_drain_pending_close();
#endif
#if defined(_WIN32)
    // Windows has handles, not fds: the same leak check counts the process's handles.
    DWORD handles = 0;
    ::GetProcessHandleCount(::GetCurrentProcess(), &handles);
    return handles;
#else
    std::size_t n = 0;
    if (DIR* d = ::opendir("/proc/self/fd")) {
        while (::readdir(d) != nullptr) ++n;
        ::closedir(d);
    }
    return n;  // includes ".", ".." and the directory's own fd: compare counts, not absolutes
#endif
}

// Checks on scope exit that the fd count is back to what it was.
struct fd_leak_guard {
    std::size_t before = open_fd_count();
    std::size_t now() const { return open_fd_count(); }
};

/// Base of a suite whose every test must close every fd it opened.
class fd_leak_check : public ::testing::Test {
protected:
    void TearDown() override { EXPECT_EQ(open_fd_count(), fds_before_) << "the test leaked a file descriptor"; }
    std::size_t fds_before_ = open_fd_count();
};

}  // namespace mio_test
