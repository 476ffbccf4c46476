// kqueue_selector and kqueue_waker specifics: mio's flag mapping, exact timeouts, the
// registration protocol (receipts, ENOENT, EBADF, EPIPE, a second add), two events from one
// source, the kqueue fd's close-on-exec and clones, and what a close does. Built only where
// <sys/event.h> exists (the BSDs, Apple; Linux with libkqueue: the kqueue preset). Checks that
// libkqueue cannot pass say why (doc/kqueue_selector.md) and still run on a real kqueue.
#include "backends.hpp"
#include "fd_count.hpp"

#include <mio/basic_poll.hpp>
#include <mio/posix/pipe.hpp>
#include <mio/posix/source_fd.hpp>
#include <mio/selector/kqueue.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>
#include <mio/waker/kqueue.hpp>
#include <mio/waker/none.hpp>
#include <mio/waker/pipe.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <limits>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace {

using namespace std::chrono_literals;
using mio::interest;
using mio::kqueue_selector;
using mio::token;

static_assert(mio::selector<kqueue_selector>);
static_assert(mio::waker_policy<mio::kqueue_waker, kqueue_selector>);
static_assert(mio::waker_policy<mio::pipe_waker, kqueue_selector>, "pipe_waker serves kqueue too");
static_assert(mio::waker_policy<mio::no_waker, kqueue_selector>);
#if MIO_OS_LINUX
static_assert(!mio::waker_policy<mio::kqueue_waker, mio::epoll_selector>, "an EVFILT_USER event needs a kqueue");
#endif
static_assert(mio::selector_traits<kqueue_selector>::short_read_drains);
static_assert(mio::selector_traits<kqueue_selector>::close_removes == !mio_test::kqueue_is_libkqueue,
              "a real kqueue forgets a closed fd; libkqueue cannot see the close");

kqueue_selector::native_event with(int filter, unsigned flags, unsigned fflags = 0) {
    auto e = mio::detail::make_kevent(3, filter, flags, 77);
    e.fflags = fflags;
    return e;
}

TEST(kqueue_selector, event_flags_map_as_mio_maps_them) {
    EXPECT_EQ(kqueue_selector::event_token(with(EVFILT_READ, 0)), token{77});
    EXPECT_TRUE(kqueue_selector::is_readable(with(EVFILT_READ, 0)));
    EXPECT_FALSE(kqueue_selector::is_readable(with(EVFILT_WRITE, 0)));
    EXPECT_TRUE(kqueue_selector::is_readable(with(EVFILT_USER, 0))) << "the waker's event is readable";
    EXPECT_TRUE(kqueue_selector::is_writable(with(EVFILT_WRITE, 0)));
    EXPECT_FALSE(kqueue_selector::is_writable(with(EVFILT_READ, 0)));
    // error: EV_ERROR, or EV_EOF with the socket error in fflags (EV_EOF alone is a clean close).
    EXPECT_TRUE(kqueue_selector::is_error(with(EVFILT_READ, EV_ERROR)));
    EXPECT_TRUE(kqueue_selector::is_error(with(EVFILT_WRITE, EV_EOF, ECONNRESET)));
    EXPECT_FALSE(kqueue_selector::is_error(with(EVFILT_READ, EV_EOF)));
    EXPECT_FALSE(kqueue_selector::is_error(with(EVFILT_READ, 0, ECONNRESET)));
    // closed: EV_EOF on that filter only.
    EXPECT_TRUE(kqueue_selector::is_read_closed(with(EVFILT_READ, EV_EOF)));
    EXPECT_FALSE(kqueue_selector::is_read_closed(with(EVFILT_WRITE, EV_EOF)));
    EXPECT_FALSE(kqueue_selector::is_read_closed(with(EVFILT_READ, 0)));
    EXPECT_TRUE(kqueue_selector::is_write_closed(with(EVFILT_WRITE, EV_EOF)));
    EXPECT_FALSE(kqueue_selector::is_write_closed(with(EVFILT_READ, EV_EOF)));
    EXPECT_FALSE(kqueue_selector::is_write_closed(with(EVFILT_WRITE, 0)));
    EXPECT_FALSE(kqueue_selector::is_priority(with(EVFILT_READ, EV_EOF | EV_ERROR))) << "kqueue has no priority";
#if (defined(__FreeBSD__) || defined(__DragonFly__) || defined(__APPLE__)) && defined(EVFILT_AIO)
    EXPECT_TRUE(kqueue_selector::is_aio(with(EVFILT_AIO, 0)));
#endif
#if defined(__FreeBSD__) && defined(EVFILT_LIO)
    EXPECT_TRUE(kqueue_selector::is_lio(with(EVFILT_LIO, 0)));
#endif
    // Elsewhere (Linux with libkqueue has neither filter) no event is aio or lio, as in mio.
    EXPECT_FALSE(kqueue_selector::is_aio(with(EVFILT_READ, 0)));
    EXPECT_FALSE(kqueue_selector::is_lio(with(EVFILT_READ, 0)));
}

TEST(kqueue_selector, token_round_trips_through_udata) {
    constexpr std::size_t big = std::numeric_limits<std::size_t>::max() - 1;
    EXPECT_EQ(kqueue_selector::event_token(mio::detail::make_kevent(0, EVFILT_READ, 0, big)), token{big});
}

TEST(kqueue_selector, timeouts_are_an_exact_timespec) {
    using mio::detail::to_timespec;
    auto ts = to_timespec(1ns);
    EXPECT_EQ(ts.tv_sec, 0);
    EXPECT_EQ(ts.tv_nsec, 1);
    ts = to_timespec(1500ms + 7ns);
    EXPECT_EQ(ts.tv_sec, 1);
    EXPECT_EQ(ts.tv_nsec, 500'000'007);
    ts = to_timespec(-5s);
    EXPECT_EQ(ts.tv_sec, 0);
    EXPECT_EQ(ts.tv_nsec, 0) << "a negative timeout polls once";
    ts = to_timespec(std::chrono::nanoseconds::max());
    EXPECT_EQ(static_cast<std::int64_t>(ts.tv_sec), std::chrono::nanoseconds::max().count() / 1'000'000'000);
    EXPECT_EQ(ts.tv_nsec, std::chrono::nanoseconds::max().count() % 1'000'000'000);
}

using kq_poll = mio::basic_poll<kqueue_selector, mio::fixed_storage<16>, mio::kqueue_waker>;

class kqueue_test : public mio_test::fd_leak_check {
protected:
    void SetUp() override {
        auto p = kq_poll::create();
        ASSERT_TRUE(p) << p.error().message();
        poll_.emplace(std::move(*p));
    }
    void TearDown() override {
        poll_.reset();
        fd_leak_check::TearDown();
    }
    kqueue_selector& sel() { return poll_->selector(); }

    struct seen {
        std::size_t token;
        bool readable, writable, read_closed, write_closed, error;
    };
    std::vector<seen> poll_once(std::chrono::nanoseconds timeout) {
        std::vector<seen> out;
        auto r = poll_->poll(events_, timeout);
        EXPECT_TRUE(r) << r.error().message();
        for (auto e : events_)
            out.push_back({e.token().value, e.is_readable(), e.is_writable(), e.is_read_closed(), e.is_write_closed(),
                           e.is_error()});
        return out;
    }
    static std::size_t count(const std::vector<seen>& v, std::size_t t) {
        std::size_t n = 0;
        for (auto& e : v) n += e.token == t;
        return n;
    }

    std::optional<kq_poll> poll_;
    kq_poll::events_type events_;
};

// A connected Unix stream pair, closed at scope exit.
struct stream_pair {
    int fd[2] = {-1, -1};
    stream_pair() {
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fd), 0);
        for (int f : fd) ::fcntl(f, F_SETFL, O_NONBLOCK);
    }
    ~stream_pair() {
        for (int f : fd)
            if (f >= 0) ::close(f);
    }
};

TEST_F(kqueue_test, sub_millisecond_timeouts_wait_and_zero_does_not) {
    for (auto timeout : {std::chrono::nanoseconds(100us), std::chrono::nanoseconds(1500us)}) {
        auto start = std::chrono::steady_clock::now();
        EXPECT_TRUE(poll_once(timeout).empty());
        EXPECT_GE(std::chrono::steady_clock::now() - start, timeout) << timeout.count() << " ns was cut short";
    }
    auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(poll_once(0ns).empty());
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST_F(kqueue_test, the_kqueue_fd_and_its_clones_are_close_on_exec) {
    EXPECT_NE(::fcntl(sel().native_handle(), F_GETFD) & FD_CLOEXEC, 0);
    auto clone = sel().try_clone();
    ASSERT_TRUE(clone) << clone.error().message();
    EXPECT_NE(::fcntl(clone->native_handle(), F_GETFD) & FD_CLOEXEC, 0);
    if constexpr (!mio_test::kqueue_is_libkqueue) {
        EXPECT_NE(clone->native_handle(), sel().native_handle()) << "a real kqueue is cloned by dup";
    }
}

TEST_F(kqueue_test, a_clone_shares_the_registrations) {
    stream_pair s;
    auto clone = sel().try_clone();
    ASSERT_TRUE(clone);
    ASSERT_TRUE(clone->add(s.fd[0], token{4}, interest::readable));
    ASSERT_EQ(::write(s.fd[1], "x", 1), 1);
    EXPECT_EQ(count(poll_once(1s), 4), 1u);
    ASSERT_TRUE(sel().remove(s.fd[0])) << "removed through the original";
    EXPECT_EQ(clone->remove(s.fd[0]).error(), std::errc::no_such_file_or_directory);
    // A moved-from selector refuses work instead of touching fd -1's neighbours.
    kqueue_selector moved = std::move(*clone);
    EXPECT_EQ(clone->try_clone().error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(clone->add(s.fd[0], token{1}, interest::readable).error(), std::errc::bad_file_descriptor);
}

TEST_F(kqueue_test, one_source_yields_a_readable_and_a_writable_event) {
    stream_pair s;
    ASSERT_EQ(::write(s.fd[1], "x", 1), 1);
    ASSERT_TRUE(sel().add(s.fd[0], token{5}, interest::readable | interest::writable));
    auto got = poll_once(1s);
    ASSERT_EQ(count(got, 5), 2u) << "one event per filter";
    bool r = false, w = false;
    for (auto& e : got) {
        if (e.token != 5) continue;
        EXPECT_NE(e.readable, e.writable) << "each event comes from one filter";
        r |= e.readable;
        w |= e.writable;
    }
    EXPECT_TRUE(r && w);
    EXPECT_TRUE(poll_once(0ns).empty()) << "EV_CLEAR: nothing new, no event";
    ASSERT_TRUE(sel().remove(s.fd[0]));
}

TEST_F(kqueue_test, modify_adds_and_deletes_filters) {
    stream_pair s;
    ASSERT_TRUE(sel().add(s.fd[0], token{1}, interest::readable | interest::writable));
    (void)poll_once(1s);  // the first writable edge
    ASSERT_TRUE(sel().modify(s.fd[0], token{2}, interest::readable));
    ASSERT_EQ(::write(s.fd[1], "x", 1), 1);
    auto got = poll_once(1s);
    ASSERT_EQ(count(got, 2), 1u);
    EXPECT_EQ(count(got, 1), 0u) << "the new token replaced the old";
    for (auto& e : got) EXPECT_FALSE(e.writable) << "the write filter was deleted";
    // Writable only: the read filter goes, the write filter comes (and is ready at once).
    ASSERT_TRUE(sel().modify(s.fd[0], token{3}, interest::writable));
    ASSERT_EQ(::write(s.fd[1], "y", 1), 1);
    got = poll_once(1s);
    ASSERT_EQ(count(got, 3), 1u);
    for (auto& e : got) EXPECT_FALSE(e.readable) << "the read filter was deleted";
    // Half registered (write only): remove ignores the missing read filter.
    ASSERT_TRUE(sel().remove(s.fd[0]));
}

TEST_F(kqueue_test, modify_or_remove_of_an_unregistered_fd_is_enoent_and_registers_nothing) {
    stream_pair s;
    EXPECT_EQ(sel().modify(s.fd[0], token{1}, interest::readable | interest::writable).error(),
              std::errc::no_such_file_or_directory);
    EXPECT_EQ(sel().remove(s.fd[0]).error(), std::errc::no_such_file_or_directory)
        << "the failed modify left nothing behind";
    ASSERT_EQ(::write(s.fd[1], "x", 1), 1);
    EXPECT_EQ(count(poll_once(20ms), 1), 0u);
}

TEST_F(kqueue_test, a_second_add_replaces_token_and_interest_as_in_mio) {
    stream_pair s;
    ASSERT_TRUE(sel().add(s.fd[0], token{1}, interest::readable));
    ASSERT_TRUE(sel().add(s.fd[0], token{2}, interest::readable)) << "kqueue has no EEXIST (mio accepts this)";
    ASSERT_EQ(::write(s.fd[1], "x", 1), 1);
    auto got = poll_once(1s);
    EXPECT_EQ(count(got, 1), 0u);
    EXPECT_EQ(count(got, 2), 1u);
    ASSERT_TRUE(sel().remove(s.fd[0]));
}

TEST_F(kqueue_test, bad_fds_are_ebadf) {
    EXPECT_EQ(sel().add(-1, token{1}, interest::readable).error(), std::errc::bad_file_descriptor);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    ::close(fds[0]);
    ::close(fds[1]);
    EXPECT_EQ(sel().add(fds[0], token{1}, interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel().add(fds[1], token{1}, interest::writable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel().modify(fds[0], token{1}, interest::readable).error(), std::errc::bad_file_descriptor);
    if constexpr (mio_test::kqueue_is_libkqueue) {
        // libkqueue looks the filter up before the fd, so a delete finds no filter first.
        EXPECT_EQ(sel().remove(fds[0]).error(), std::errc::no_such_file_or_directory);
    } else {
        EXPECT_EQ(sel().remove(fds[0]).error(), std::errc::bad_file_descriptor);
    }
}

// Old macOS answers EPIPE when a pipe's other end is gone, yet reports the pipe's events:
// registration ignores it. Everywhere the close must show as an event.
TEST_F(kqueue_test, a_pipe_whose_other_end_is_gone_registers_and_reports_the_close) {
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    { auto tx = std::move(p->first); }
    ASSERT_TRUE(poll_->registry().add(p->second, token{6}, interest::readable));
    auto got = poll_once(1s);
    ASSERT_EQ(count(got, 6), 1u);
    EXPECT_TRUE(got[0].read_closed);
    ASSERT_TRUE(poll_->registry().modify(p->second, token{7}, interest::readable));
    ASSERT_TRUE(poll_->registry().remove(p->second));
}

// A library pipe closed while registered leaves the kqueue; the fd number, reused by a new pipe,
// registers afresh and reports under its new token only.
TEST_F(kqueue_test, a_closed_library_source_leaves_the_kqueue) {
    int reused;
    {
        auto p = mio::posix::pipe();
        ASSERT_TRUE(p);
        reused = p->second.native_handle();
        ASSERT_TRUE(poll_->registry().add(p->second, token{1}, interest::readable));
    }  // closed without remove
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    ASSERT_EQ(p->second.native_handle(), reused) << "the lowest free fd is reused";
    ASSERT_TRUE(poll_->registry().add(p->second, token{2}, interest::readable));
    char b = 1;
    ASSERT_EQ(::write(p->first.native_handle(), &b, 1), 1);
    auto got = poll_once(1s);
    EXPECT_EQ(count(got, 1), 0u);
    EXPECT_EQ(count(got, 2), 1u);
}

// A raw fd closed without remove: a real kqueue drops its filters with the close, so the reused
// number registers afresh. libkqueue cannot see the close: its stale filters swallow the new
// add (BUGS.md), which is why raw fds must be removed before close there.
TEST_F(kqueue_test, a_closed_raw_fd_leaves_a_real_kqueue) {
    int reused;
    {
        stream_pair s;
        reused = s.fd[0];
        ASSERT_TRUE(sel().add(s.fd[0], token{1}, interest::readable));
    }
    stream_pair s;
    ASSERT_EQ(s.fd[0], reused);
    ASSERT_EQ(::write(s.fd[1], "x", 1), 1);
    EXPECT_EQ(count(poll_once(20ms), 1), 0u) << "no event for a closed fd's old token";
    ASSERT_TRUE(sel().add(s.fd[0], token{2}, interest::readable));
    auto got = poll_once(100ms);
    if constexpr (mio_test::kqueue_is_libkqueue) {
        EXPECT_EQ(count(got, 2), 0u) << "libkqueue fixed the stale-filter bug: update doc/kqueue_selector.md";
    } else {
        EXPECT_EQ(count(got, 2), 1u);
    }
    (void)sel().remove(s.fd[0]);
}

TEST_F(kqueue_test, the_waker_coalesces_wakes_from_other_threads_and_unblocks_a_poll) {
    auto w = kq_poll::waker_type::create(poll_->registry(), token{9});
    ASSERT_TRUE(w) << w.error().message();
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(w->wake());
    EXPECT_EQ(count(poll_once(1s), 9), 1u);
    EXPECT_EQ(count(poll_once(0ns), 9), 0u);
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        EXPECT_TRUE(w->wake());
    });
    auto r = poll_->poll(events_, std::nullopt);
    t.join();
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(events_.size(), 1u);
    auto e = *events_.begin();
    EXPECT_EQ(e.token(), token{9});
    EXPECT_TRUE(e.is_readable());
}

TEST_F(kqueue_test, a_destroyed_waker_leaves_no_pending_wake) {
    {
        auto w = kq_poll::waker_type::create(poll_->registry(), token{9});
        ASSERT_TRUE(w);
        ASSERT_TRUE(w->wake());
    }
    EXPECT_EQ(count(poll_once(10ms), 9), 0u) << "the user event went with the waker";
    auto again = kq_poll::waker_type::create(poll_->registry(), token{10});
    ASSERT_TRUE(again) << again.error().message();
    ASSERT_TRUE(again->wake());
    EXPECT_EQ(count(poll_once(1s), 10), 1u);
}

TEST_F(kqueue_test, the_waker_outlives_its_poll_harmlessly) {
    auto w = kq_poll::waker_type::create(poll_->registry(), token{9});
    ASSERT_TRUE(w);
    poll_.reset();
    EXPECT_TRUE(w->wake()) << "the waker's clone keeps the kqueue open";
}

}  // namespace
