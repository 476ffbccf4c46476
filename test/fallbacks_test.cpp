// MIO_FORCE_POSIX_FALLBACKS: the portable POSIX path (socket/accept/pipe then fcntl, as on
// macOS) really is the one taken. This program interposes the libc functions the sys layer
// calls (it calls the libc wrappers only, never syscall()) and counts them: accept4 and pipe2
// must never be called, socket/socketpair never with SOCK_NONBLOCK|SOCK_CLOEXEC, and every fd
// mio hands out must still be non-blocking and close-on-exec. A failing fcntl (injected) must
// come back as an error with no fd leaked.
#ifndef MIO_FORCE_POSIX_FALLBACKS
#  define MIO_FORCE_POSIX_FALLBACKS 1
#endif

#include "fd_count.hpp"

#include <mio/basic_poll.hpp>
#include <mio/net.hpp>
#include <mio/posix/pipe.hpp>
#include <mio/selector/poll.hpp>
#if MIO_OS_LINUX
#  include <mio/selector/epoll.hpp>
#endif
#include <mio/storage/fixed.hpp>
#include <mio/waker/pipe.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdarg>
#include <dlfcn.h>
#include <fcntl.h>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

static_assert(!MIO_HAS_ACCEPT4 && !MIO_HAS_PIPE2 && !MIO_HAS_SOCK_NONBLOCK,
              "MIO_FORCE_POSIX_FALLBACKS turns the Linux-only calls off");

namespace {
std::atomic<int> accept4_calls{0}, accept_calls{0}, pipe2_calls{0}, pipe_calls{0};
std::atomic<int> socket_calls{0}, socket_flagged{0}, socketpair_calls{0}, socketpair_flagged{0};
std::atomic<int> fail_setfd{0};  // the next n fcntl(F_SETFD) calls fail with EMFILE
std::atomic<int> getfd_calls{0};  // fcntl(F_GETFD) calls: poll_selector's EBADF check

template <class F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
    accept4_calls.fetch_add(1);
    static auto f = real<int (*)(int, sockaddr*, socklen_t*, int)>("accept4");
    return f(fd, addr, len, flags);
}
extern "C" int accept(int fd, sockaddr* addr, socklen_t* len) {
    accept_calls.fetch_add(1);
    static auto f = real<int (*)(int, sockaddr*, socklen_t*)>("accept");
    return f(fd, addr, len);
}
extern "C" int pipe2(int fds[2], int flags) noexcept {
    pipe2_calls.fetch_add(1);
    static auto f = real<int (*)(int*, int)>("pipe2");
    return f(fds, flags);
}
extern "C" int pipe(int fds[2]) noexcept {
    pipe_calls.fetch_add(1);
    static auto f = real<int (*)(int*)>("pipe");
    return f(fds);
}
extern "C" int socket(int domain, int type, int protocol) noexcept {
    socket_calls.fetch_add(1);
    if (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)) socket_flagged.fetch_add(1);
    static auto f = real<int (*)(int, int, int)>("socket");
    return f(domain, type, protocol);
}
extern "C" int socketpair(int domain, int type, int protocol, int fds[2]) noexcept {
    socketpair_calls.fetch_add(1);
    if (type & (SOCK_NONBLOCK | SOCK_CLOEXEC)) socketpair_flagged.fetch_add(1);
    static auto f = real<int (*)(int, int, int, int*)>("socketpair");
    return f(domain, type, protocol, fds);
}
extern "C" int fcntl(int fd, int cmd, ...) {
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);  // every command mio uses takes an int or nothing
    va_end(ap);
    if (cmd == F_GETFD) getfd_calls.fetch_add(1);
    if (cmd == F_SETFD) {
        int n = fail_setfd.load();
        while (n > 0 && !fail_setfd.compare_exchange_weak(n, n - 1)) {
        }
        if (n > 0) {
            errno = EMFILE;
            return -1;
        }
    }
    static auto f = real<int (*)(int, int, ...)>("fcntl");
    return f(fd, cmd, arg);
}

namespace {

using mio_test::fd_leak_check;

void expect_nonblocking_cloexec(int fd, const char* what) {
    int fl = ::fcntl(fd, F_GETFL);
    int fd_flags = ::fcntl(fd, F_GETFD);
    EXPECT_TRUE(fl >= 0 && (fl & O_NONBLOCK)) << what << " is not non-blocking";
    EXPECT_TRUE(fd_flags >= 0 && (fd_flags & FD_CLOEXEC)) << what << " is not close-on-exec";
}

class fallbacks : public fd_leak_check {
protected:
    void SetUp() override {
        for (auto* c : {&accept4_calls, &accept_calls, &pipe2_calls, &pipe_calls, &socket_calls, &socket_flagged,
                        &socketpair_calls, &socketpair_flagged})
            c->store(0);
        fail_setfd.store(0);
    }
};

TEST_F(fallbacks, tcp_uses_socket_and_accept_then_fcntl) {
    auto l = mio::net::tcp_listener::bind(*mio::net::socket_address::parse("127.0.0.1:0"));
    ASSERT_TRUE(l) << l.error().message();
    auto c = mio::net::tcp_stream::connect(*l->local_addr());
    ASSERT_TRUE(c);
    mio::result<std::pair<mio::net::tcp_stream, mio::net::socket_address>> a = std::errc::operation_would_block;
    for (int i = 0; i < 1000 && !a; ++i) {
        a = l->accept();
        if (!a) ::usleep(1000);
    }
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(accept4_calls.load(), 0);
    EXPECT_GE(accept_calls.load(), 1);  // the interposer is live: it saw the accept
    EXPECT_EQ(socket_flagged.load(), 0);
    EXPECT_EQ(socket_calls.load(), 2);
    expect_nonblocking_cloexec(l->native_handle(), "the listener");
    expect_nonblocking_cloexec(c->native_handle(), "the connecting stream");
    expect_nonblocking_cloexec(a->first.native_handle(), "the accepted stream");
    // Non-blocking indeed: nothing to read is would_block, not a hang.
    char buf[8];
    EXPECT_TRUE(mio::is_would_block(a->first.read(std::span<char>(buf)).error()));
}

TEST_F(fallbacks, pipe_uses_pipe_then_fcntl) {
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    EXPECT_EQ(pipe2_calls.load(), 0);
    EXPECT_EQ(pipe_calls.load(), 1);
    expect_nonblocking_cloexec(p->first.native_handle(), "the sender");
    expect_nonblocking_cloexec(p->second.native_handle(), "the receiver");
    char buf[4];
    EXPECT_TRUE(mio::is_would_block(p->second.read(std::span<char>(buf)).error()));
}

TEST_F(fallbacks, unix_sockets_use_socketpair_and_accept_then_fcntl) {
    auto pr = mio::net::unix_stream::pair();
    ASSERT_TRUE(pr);
    EXPECT_EQ(socketpair_calls.load(), 1);
    EXPECT_EQ(socketpair_flagged.load(), 0);
    expect_nonblocking_cloexec(pr->first.native_handle(), "a pair end");
    expect_nonblocking_cloexec(pr->second.native_handle(), "a pair end");

    std::string path = ::testing::TempDir() + "mio_fallbacks_" + std::to_string(::getpid()) + ".sock";
    ::unlink(path.c_str());
    auto l = mio::net::unix_listener::bind(path);
    ASSERT_TRUE(l) << l.error().message();
    auto c = mio::net::unix_stream::connect(path);
    ASSERT_TRUE(c);
    auto a = l->accept();
    ASSERT_TRUE(a) << a.error().message();
    EXPECT_EQ(accept4_calls.load(), 0);
    EXPECT_EQ(accept_calls.load(), 1);
    EXPECT_EQ(socket_flagged.load(), 0);
    expect_nonblocking_cloexec(a->first.native_handle(), "the accepted unix stream");
    ::unlink(path.c_str());
}

// pipe_waker's own pipe where the selector has no waker hook (epoll), and on poll(2) the
// selector's notifier, which its wakes go through: non-blocking and close-on-exec, and a wake
// reaches the poll.
template <class Selector>
void expect_pipe_waker_wakes() {
    using poll_type = mio::basic_poll<Selector, mio::fixed_storage<8>, mio::pipe_waker>;
    auto p = poll_type::create();
    ASSERT_TRUE(p);
    auto w = poll_type::waker_type::create(p->registry(), mio::token{7});
    ASSERT_TRUE(w);
    expect_nonblocking_cloexec(w->policy().native_handle(), "the waker's fd");
    const auto& cw = *w;
    ASSERT_TRUE(cw.wake());
    typename poll_type::events_type ev;
    ASSERT_TRUE(p->poll(ev, std::chrono::seconds(5)));
    bool woken = false;
    for (auto e : ev) woken = woken || e.token() == mio::token{7};
    EXPECT_TRUE(woken);
}

TEST_F(fallbacks, pipe_waker_wakes_a_poll) {
#if MIO_OS_LINUX
    expect_pipe_waker_wakes<mio::epoll_selector>();
    EXPECT_GE(pipe_calls.load(), 1);
#endif
    expect_pipe_waker_wakes<mio::poll_selector>();
    EXPECT_EQ(pipe2_calls.load(), 0);
}

// poll(2) cannot tell a closed fd until the next poll, so add asks fcntl(F_GETFD) once, as
// epoll_ctl would fail at once with EBADF; modify and remove of a registered fd, and a re-arm,
// ask nothing (only their error path tells EBADF from ENOENT).
TEST_F(fallbacks, poll_selector_checks_the_fd_only_on_add_and_error_paths) {
    auto sel = mio::poll_selector::create();
    ASSERT_TRUE(sel);
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    int fd = p->second.native_handle();
    auto calls = [] { return getfd_calls.load(); };
    int before = calls();
    ASSERT_TRUE(sel->add(fd, mio::token{1}, mio::interest::readable));
    EXPECT_EQ(calls() - before, 1);
    before = calls();
    ASSERT_TRUE(sel->modify(fd, mio::token{2}, mio::interest::readable));
    sel->rearm(fd);
    ASSERT_TRUE(sel->remove(fd));
    EXPECT_EQ(calls() - before, 0);
    EXPECT_EQ(sel->modify(fd, mio::token{2}, mio::interest::readable).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(sel->remove(fd).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(calls() - before, 2);
}

// fcntl failing after the fd was made: the error comes back and the fd is closed.
TEST_F(fallbacks, a_failing_fcntl_is_an_error_and_leaks_nothing) {
    fail_setfd.store(1);
    auto l = mio::net::tcp_listener::bind(*mio::net::socket_address::parse("127.0.0.1:0"));
    ASSERT_FALSE(l);
    EXPECT_EQ(l.error(), std::errc::too_many_files_open);

    fail_setfd.store(1);
    auto p = mio::posix::pipe();
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error(), std::errc::too_many_files_open);

    fail_setfd.store(2);  // the second end fails: the first, already set up, is closed too
    p = mio::posix::pipe();
    ASSERT_FALSE(p);

    fail_setfd.store(1);
    auto pr = mio::net::unix_stream::pair();
    ASSERT_FALSE(pr);
    EXPECT_EQ(pr.error(), std::errc::too_many_files_open);
    // fd_leak_check: every fd made before the failure was closed.
}

}  // namespace
