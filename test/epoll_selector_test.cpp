// epoll_selector specifics: mio's flag mapping, and the epoll_wait fallback used where
// epoll_pwait2 is missing (glibc < 2.35 or Linux < 5.11), forced here through its flag.
#include <mio/basic_poll.hpp>
#include <mio/selector/epoll.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/none.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace {

using namespace std::chrono_literals;
using mio::epoll_selector;

epoll_event with(std::uint32_t flags) {
    epoll_event e{};
    e.events = flags;
    e.data.u64 = 77;
    return e;
}

TEST(epoll_selector, event_flags_map_as_mio_maps_them) {
    EXPECT_EQ(epoll_selector::event_token(with(EPOLLIN)), mio::token{77});
    EXPECT_TRUE(epoll_selector::is_readable(with(EPOLLIN)));
    EXPECT_TRUE(epoll_selector::is_readable(with(EPOLLPRI)));
    EXPECT_FALSE(epoll_selector::is_readable(with(EPOLLOUT)));
    EXPECT_TRUE(epoll_selector::is_writable(with(EPOLLOUT)));
    EXPECT_FALSE(epoll_selector::is_writable(with(EPOLLIN)));
    EXPECT_TRUE(epoll_selector::is_error(with(EPOLLERR)));
    EXPECT_FALSE(epoll_selector::is_error(with(EPOLLHUP)));
    // read_closed: EPOLLHUP, or EPOLLIN with EPOLLRDHUP (EPOLLRDHUP alone is not enough).
    EXPECT_TRUE(epoll_selector::is_read_closed(with(EPOLLHUP)));
    EXPECT_TRUE(epoll_selector::is_read_closed(with(EPOLLIN | EPOLLRDHUP)));
    EXPECT_FALSE(epoll_selector::is_read_closed(with(EPOLLRDHUP)));
    EXPECT_FALSE(epoll_selector::is_read_closed(with(EPOLLIN)));
    // write_closed: EPOLLHUP, or EPOLLOUT with EPOLLERR, or EPOLLERR alone.
    EXPECT_TRUE(epoll_selector::is_write_closed(with(EPOLLHUP)));
    EXPECT_TRUE(epoll_selector::is_write_closed(with(EPOLLOUT | EPOLLERR)));
    EXPECT_TRUE(epoll_selector::is_write_closed(with(EPOLLERR)));
    EXPECT_FALSE(epoll_selector::is_write_closed(with(EPOLLIN | EPOLLERR)));
    EXPECT_FALSE(epoll_selector::is_write_closed(with(EPOLLOUT)));
    EXPECT_TRUE(epoll_selector::is_priority(with(EPOLLPRI)));
    EXPECT_FALSE(epoll_selector::is_priority(with(EPOLLIN)));
}

// Restores the detection flag whatever the test does.
struct force_epoll_wait_fallback {
    bool before = mio::detail::epoll_pwait2_missing.exchange(true);
    ~force_epoll_wait_fallback() { mio::detail::epoll_pwait2_missing.store(before); }
};

TEST(epoll_selector, fallback_rounds_sub_millisecond_timeouts_up_never_down) {
    using poll_type = mio::basic_poll<epoll_selector, mio::fixed_storage<8>, mio::no_waker>;
    auto poll = poll_type::create();
    ASSERT_TRUE(poll);
    poll_type::events_type events;
    force_epoll_wait_fallback fallback;
    for (auto timeout : {std::chrono::nanoseconds(1), std::chrono::nanoseconds(100us), std::chrono::nanoseconds(1500us)}) {
        auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(poll->poll(events, timeout));
        auto waited = std::chrono::steady_clock::now() - start;
        EXPECT_TRUE(events.empty());
        // epoll_wait counts whole milliseconds: 1 ns and 100 us wait 1 ms, 1.5 ms waits 2 ms.
        auto rounded = std::chrono::ceil<std::chrono::milliseconds>(timeout);
        EXPECT_GE(waited, rounded) << "timeout " << timeout.count() << " ns was rounded down";
    }
    // Zero stays zero: a busy poll never sleeps.
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(poll->poll(events, 0ns));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
}

TEST(epoll_selector, nanosecond_timeouts_with_epoll_pwait2) {
#if !MIO_HAS_EPOLL_PWAIT2
    GTEST_SKIP() << "this libc has no epoll_pwait2 wrapper; the fallback is tested above";
#else
    if (mio::detail::epoll_pwait2_missing.load()) GTEST_SKIP() << "this kernel has no epoll_pwait2";
    using poll_type = mio::basic_poll<epoll_selector, mio::fixed_storage<8>, mio::no_waker>;
    auto poll = poll_type::create();
    ASSERT_TRUE(poll);
    poll_type::events_type events;
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(poll->poll(events, 300us));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 300us);
    EXPECT_FALSE(mio::detail::epoll_pwait2_missing.load()) << "epoll_pwait2 answered ENOSYS on this kernel";
#endif
}

TEST(epoll_selector, try_clone_shares_the_interest_list) {
    auto s = epoll_selector::create();
    ASSERT_TRUE(s);
    auto clone = s->try_clone();
    ASSERT_TRUE(clone);
    EXPECT_NE(clone->native_handle(), s->native_handle());
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
    ASSERT_TRUE(clone->add(fds[0], mio::token{5}, mio::interest::readable));
    auto again = s->add(fds[0], mio::token{5}, mio::interest::readable);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error(), std::errc::file_exists) << "the clone's registration is the original's";
    ASSERT_TRUE(s->remove(fds[0]));
    ::close(fds[0]);
    ::close(fds[1]);
}

}  // namespace
