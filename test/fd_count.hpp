// Counts this process's open file descriptors, to prove that a test leaked none.
#pragma once

#if defined(_WIN32)
#  include <mio/detail/sys/windows/winsock.hpp>
#else
#  include <dirent.h>
#endif

#include <gtest/gtest.h>

#include <cstddef>

namespace mio_test {

inline std::size_t open_fd_count() {
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
