// Tests specific to mio::poll_selector: the emulated edge triggering (no second event
// without a re-arm; would_block, modify and wakes re-arm), registration from another thread
// while poll(2) blocks, removal, error paths, timeouts, EINTR and no allocation in select.
// The behaviour every backend shares is tested by the typed suites over mio_test::all_backends.

// The poll backend becomes the default one (checked below).
#define MIO_FORCE_POLL_SELECTOR 1

#include <mio/mio.hpp>
#include <mio/selector/poll.hpp>
#include <mio/storage/dynamic.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>
#include <mio/waker/pipe.hpp>

#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <dlfcn.h>
#include <poll.h>
#include <cstdlib>
#include <new>
#include <pthread.h>
#include <thread>
#include <type_traits>
#include <unistd.h>
#include <vector>

#include "alloc_counter.hpp"

namespace {
// poll(2) calls made by this process (the interposers below): proves that a source left
// undrained is parked after one extra poll(2) return, not polled in a busy loop.
std::atomic<long> poll_calls{0};
template <class F>
F real(const char* name) {
    return reinterpret_cast<F>(::dlsym(RTLD_NEXT, name));
}
}  // namespace

extern "C" int poll(pollfd* fds, nfds_t n, int timeout) {
    poll_calls.fetch_add(1);
    static auto f = real<int (*)(pollfd*, nfds_t, int)>("poll");
    return f(fds, n, timeout);
}
#if MIO_HAS_PPOLL
extern "C" int ppoll(pollfd* fds, nfds_t n, const timespec* timeout, const sigset_t* mask) {
    poll_calls.fetch_add(1);
    static auto f = real<int (*)(pollfd*, nfds_t, const timespec*, const sigset_t*)>("ppoll");
    return f(fds, n, timeout, mask);
}
#endif

namespace {

using namespace std::chrono_literals;

static_assert(std::is_same_v<mio::default_selector, mio::poll_selector>,
              "MIO_FORCE_POLL_SELECTOR makes poll(2) the default selector");
static_assert(mio::selector<mio::poll_selector>);
static_assert(mio::waker_policy<mio::eventfd_waker, mio::poll_selector>);
static_assert(mio::waker_policy<mio::pipe_waker, mio::poll_selector>);
static_assert(!mio::selector_traits<mio::poll_selector>::close_removes);
static_assert(std::is_default_constructible_v<mio::poll_event>);

template <class Storage, class Waker>
struct poll_backend {
    using poll_type = mio::basic_poll<mio::poll_selector, Storage, Waker>;
    using events_type = typename poll_type::events_type;
    using waker_type = typename poll_type::waker_type;
    static events_type make_events() {
        if constexpr (std::is_default_constructible_v<events_type>) return events_type{};
        else return events_type(64);
    }
};

using poll_backends = ::testing::Types<poll_backend<mio::fixed_storage<64>, mio::eventfd_waker>,
                                       poll_backend<mio::dynamic_storage, mio::pipe_waker>>;

struct poll_backend_names {
    template <class T>
    static std::string GetName(int i) {
        return i == 0 ? "fixed_eventfd" : "dynamic_pipe";
    }
};

template <class B>
class poll_selector_test : public ::testing::Test {
protected:
    typename B::poll_type poll = std::move(B::poll_type::create().value());
    typename B::events_type events = B::make_events();

    // Polls once and returns the tokens seen (in order).
    std::vector<std::size_t> tokens(std::chrono::nanoseconds timeout = 0ns) {
        auto r = poll.poll(events, timeout);
        EXPECT_TRUE(r) << r.error().message();
        std::vector<std::size_t> out;
        for (auto e : events) out.push_back(e.token().value);
        return out;
    }
};
TYPED_TEST_SUITE(poll_selector_test, poll_backends, poll_backend_names);

std::size_t write_all(mio::posix::pipe_sender& tx, std::size_t n) {
    std::vector<char> buf(n, 'x');
    auto r = tx.write(std::span<const char>(buf));
    return r ? *r : 0;
}

// Reads until would_block (which re-arms); returns bytes read.
std::size_t drain(mio::posix::pipe_receiver& rx) {
    std::size_t total = 0;
    char buf[4096];
    for (;;) {
        auto r = rx.read(std::span<char>(buf));
        if (!r) {
            EXPECT_TRUE(mio::is_would_block(r.error())) << r.error().message();
            return total;
        }
        if (*r == 0) return total;
        total += *r;
    }
}

TYPED_TEST(poll_selector_test, no_second_event_without_rearm) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{7}, mio::interest::readable));
    ASSERT_EQ(write_all(tx, 3), 3u);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{7});

    // Still readable (level) and more data arrives: no new event until re-armed.
    ASSERT_EQ(write_all(tx, 3), 3u);
    EXPECT_TRUE(this->tokens(20ms).empty());

    // A partial read that does not hit would_block does not re-arm either.
    char one[1];
    ASSERT_EQ(rx.read(std::span<char>(one)).value(), 1u);
    EXPECT_TRUE(this->tokens(0ns).empty());

    // The entry was parked by the poll that found it still readable; draining re-arms it.
    EXPECT_EQ(drain(rx), 5u);
    ASSERT_EQ(write_all(tx, 2), 2u);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{7});
}

// A delivered readable edge leaves the fd in the poll(2) set (the owner usually drains it,
// which re-arms it with no patch); one left undrained costs one more poll(2) return, which
// parks it, and no more: a 100 ms poll is not a busy loop.
TYPED_TEST(poll_selector_test, an_undrained_source_is_parked_not_polled_in_a_loop) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{7}, mio::interest::readable));
    ASSERT_EQ(write_all(tx, 3), 3u);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{7});
    long before = poll_calls.load();
    EXPECT_TRUE(this->tokens(100ms).empty());
    EXPECT_LE(poll_calls.load() - before, 2) << "one return that parks it, then one blocking poll";
    before = poll_calls.load();
    EXPECT_TRUE(this->tokens(50ms).empty());
    EXPECT_EQ(poll_calls.load() - before, 1) << "parked: the next poll blocks at once";

    // A drained source is re-armed without a patch: the next byte is reported.
    EXPECT_EQ(drain(rx), 3u);
    before = poll_calls.load();
    EXPECT_TRUE(this->tokens(0ns).empty());
    EXPECT_EQ(poll_calls.load() - before, 1);
    ASSERT_EQ(write_all(tx, 1), 1u);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{7});
}

// A re-arm from another thread: of a drained source (its entry still asks for readable: no
// wake-up needed) and of a parked one (patched, and the blocked poll woken to see it).
TYPED_TEST(poll_selector_test, rearm_from_another_thread_reaches_a_blocked_poll) {
    auto ends = mio::posix::pipe().value();  // not a structured binding: lambdas capture it (clang 14)
    auto& tx = ends.first;
    auto& rx = ends.second;
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{3}, mio::interest::readable));
    for (bool parked : {false, true}) {
        ASSERT_EQ(write_all(tx, 4), 4u);
        EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{3});
        if (parked) {
            EXPECT_TRUE(this->tokens(10ms).empty());  // finds it undrained: parks it
        }
        std::thread t([&] {
            std::this_thread::sleep_for(30ms);
            EXPECT_EQ(drain(rx), 4u);  // would_block: the re-arm
            std::this_thread::sleep_for(20ms);
            EXPECT_EQ(write_all(tx, 1), 1u);
        });
        auto start = std::chrono::steady_clock::now();
        auto got = this->tokens(5s);
        auto took = std::chrono::steady_clock::now() - start;
        t.join();
        EXPECT_EQ(got, std::vector<std::size_t>{3}) << (parked ? "parked" : "drained");
        EXPECT_LT(took, 2s);
        EXPECT_EQ(drain(rx), 1u);
    }
}

// modify with the interest it has is a re-arm (as after would_block: no patch, no wake-up),
// and the new token is the one the next event carries.
TYPED_TEST(poll_selector_test, modify_with_the_same_interest_rearms_and_changes_the_token) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    mio::posix::source_fd src{fds[0]};
    ASSERT_TRUE(this->poll.registry().add(src, mio::token{1}, mio::interest::readable));
    ASSERT_EQ(::write(fds[1], "ab", 2), 2);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{1});
    char buf[8];
    ASSERT_EQ(::read(fds[0], buf, sizeof buf), 2);  // a raw fd: drained, but not re-armed
    EXPECT_TRUE(this->tokens(0ns).empty());
    ASSERT_TRUE(this->poll.registry().modify(src, mio::token{2}, mio::interest::readable));
    EXPECT_TRUE(this->tokens(0ns).empty()) << "re-armed, nothing to read";
    ASSERT_EQ(::write(fds[1], "c", 1), 1);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{2});

    // Left undrained, then re-armed by modify: reported again, with the token given.
    EXPECT_TRUE(this->tokens(10ms).empty());
    ASSERT_TRUE(this->poll.registry().modify(src, mio::token{3}, mio::interest::readable));
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{3});

    ASSERT_TRUE(this->poll.registry().remove(src));
    ::close(fds[0]);
    ::close(fds[1]);
}

TYPED_TEST(poll_selector_test, would_block_rearms) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{1}, mio::interest::readable));
    for (int round = 0; round < 3; ++round) {
        ASSERT_EQ(write_all(tx, 10), 10u);
        EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{1}) << "round " << round;
        EXPECT_EQ(drain(rx), 10u);  // ends in would_block: re-armed
        EXPECT_TRUE(this->tokens(0ns).empty()) << "re-armed, but nothing new to read";
    }
}

TYPED_TEST(poll_selector_test, writable_side_rearms_on_would_block) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(tx, mio::token{2}, mio::interest::writable));
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{2});
    EXPECT_TRUE(this->tokens(0ns).empty()) << "still writable, but already reported";

    // Fill the pipe until would_block: that re-arms, but the pipe is full: no event.
    std::vector<char> chunk(65536, 'y');
    for (;;) {
        auto r = tx.write(std::span<const char>(chunk));
        if (!r) {
            ASSERT_TRUE(mio::is_would_block(r.error()));
            break;
        }
    }
    EXPECT_TRUE(this->tokens(0ns).empty());
    drain(rx);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{2}) << "room again after the re-arm";
}

TYPED_TEST(poll_selector_test, raw_fd_is_rearmed_by_modify_only) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    mio::posix::source_fd src{fds[0]};
    ASSERT_TRUE(this->poll.registry().add(src, mio::token{3}, mio::interest::readable));
    ASSERT_EQ(::write(fds[1], "ab", 2), 2);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{3});

    // Draining a raw fd cannot re-arm it (it has no hooks)...
    char buf[8];
    ASSERT_EQ(::read(fds[0], buf, sizeof buf), 2);
    ASSERT_EQ(::write(fds[1], "c", 1), 1);
    EXPECT_TRUE(this->tokens(20ms).empty());

    // ...modify does, and may change the token.
    ASSERT_TRUE(this->poll.registry().modify(src, mio::token{4}, mio::interest::readable));
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{4});

    ASSERT_TRUE(this->poll.registry().remove(src));
    ::close(fds[0]);
    ::close(fds[1]);
}

TYPED_TEST(poll_selector_test, modify_with_other_interest_reports_it) {
    auto [tx, rx] = mio::posix::pipe().value();
    mio::posix::source_fd src{tx.native_handle()};
    // Nothing to read on a write end: no event.
    ASSERT_TRUE(this->poll.registry().add(src, mio::token{5}, mio::interest::readable));
    EXPECT_TRUE(this->tokens(10ms).empty());
    ASSERT_TRUE(this->poll.registry().modify(src, mio::token{5}, mio::interest::writable));
    this->poll.poll(this->events, 1s).value();
    ASSERT_EQ(this->events.size(), 1u);
    auto e = *this->events.begin();
    EXPECT_TRUE(e.is_writable());
    EXPECT_FALSE(e.is_readable());
    ASSERT_TRUE(this->poll.registry().remove(src));
}

TYPED_TEST(poll_selector_test, hang_up_is_reported_once) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{9}, mio::interest::readable));
    { auto gone = std::move(tx); }
    this->poll.poll(this->events, 1s).value();
    ASSERT_EQ(this->events.size(), 1u);
    auto e = *this->events.begin();
    EXPECT_EQ(e.token(), mio::token{9});
    EXPECT_TRUE(e.is_read_closed());
    EXPECT_FALSE(e.is_writable());
    // poll(2) reports POLLHUP whatever it is asked: the emulation must not report it forever.
    EXPECT_TRUE(this->tokens(10ms).empty());
    char buf[4];
    EXPECT_EQ(rx.read(std::span<char>(buf)).value(), 0u);
    EXPECT_TRUE(this->tokens(0ns).empty());
}

TYPED_TEST(poll_selector_test, error_after_consumed_readiness_is_still_reported_once) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(tx, mio::token{3}, mio::interest::writable));
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{3});  // writable, now consumed
    { auto gone = std::move(rx); }                              // POLLERR on the write end
    this->poll.poll(this->events, 1s).value();
    ASSERT_EQ(this->events.size(), 1u);
    EXPECT_TRUE((*this->events.begin()).is_write_closed());
    EXPECT_TRUE(this->tokens(10ms).empty()) << "reported once, not on every poll";
}

TYPED_TEST(poll_selector_test, raw_fd_closed_while_registered_is_an_error_event_once) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    int raw = fds[0];
    ASSERT_TRUE(this->poll.selector().add(raw, mio::token{11}, mio::interest::readable));
    ::close(fds[0]);
    ::close(fds[1]);
    this->poll.poll(this->events, 1s).value();
    ASSERT_EQ(this->events.size(), 1u);
    EXPECT_TRUE((*this->events.begin()).is_error());
    EXPECT_TRUE(this->tokens(10ms).empty());
    // The fd is closed, but still registered: remove cleans it up.
    EXPECT_TRUE(this->poll.selector().remove(raw));
    EXPECT_EQ(this->poll.selector().remove(raw).error(), std::errc::bad_file_descriptor);
}

TYPED_TEST(poll_selector_test, closed_library_source_is_forgotten) {
    int fd;
    {
        auto [tx, rx] = mio::posix::pipe().value();
        fd = rx.native_handle();
        ASSERT_TRUE(this->poll.registry().add(rx, mio::token{1}, mio::interest::readable));
        ASSERT_EQ(write_all(tx, 1), 1u);
    }  // closed while registered and ready: the close hook removes it
    EXPECT_TRUE(this->tokens(10ms).empty());
    EXPECT_EQ(this->poll.selector().remove(fd).error(), std::errc::bad_file_descriptor);

    // The fd number is free for a new registration.
    auto [tx2, rx2] = mio::posix::pipe().value();
    ASSERT_EQ(rx2.native_handle(), fd) << "the kernel reuses the lowest free fd";
    ASSERT_TRUE(this->poll.registry().add(rx2, mio::token{2}, mio::interest::readable));
    ASSERT_EQ(write_all(tx2, 1), 1u);
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{2});
}

TYPED_TEST(poll_selector_test, remove_guarantees_no_later_event) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{1}, mio::interest::readable));
    ASSERT_EQ(write_all(tx, 1), 1u);
    ASSERT_TRUE(this->poll.registry().remove(rx));
    EXPECT_TRUE(this->tokens(10ms).empty());
    // Re-added under a new token: events carry the new one.
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{2}, mio::interest::readable));
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{2});
}

TYPED_TEST(poll_selector_test, error_paths) {
    auto& sel = this->poll.selector();
    auto [tx, rx] = mio::posix::pipe().value();
    int fd = rx.native_handle();
    EXPECT_EQ(sel.add(-1, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.modify(-1, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.remove(-1).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.modify(fd, mio::token{0}, mio::interest::readable).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(sel.remove(fd).error(), std::errc::no_such_file_or_directory);
    ASSERT_TRUE(sel.add(fd, mio::token{0}, mio::interest::readable));
    EXPECT_EQ(sel.add(fd, mio::token{0}, mio::interest::writable).error(), std::errc::file_exists);
    EXPECT_TRUE(sel.modify(fd, mio::token{1}, mio::interest::writable));
    EXPECT_TRUE(sel.remove(fd));
    EXPECT_EQ(sel.remove(fd).error(), std::errc::no_such_file_or_directory);

    int closed = ::dup(fd);
    ASSERT_GE(closed, 0);
    ::close(closed);
    EXPECT_EQ(sel.add(closed, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);

    // A moved-from selector refuses everything instead of crashing.
    auto moved = std::move(sel);
    EXPECT_EQ(sel.add(fd, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_FALSE(sel.try_clone());
    sel = std::move(moved);
    EXPECT_TRUE(sel.add(fd, mio::token{0}, mio::interest::readable));
    EXPECT_TRUE(sel.remove(fd));
}

TYPED_TEST(poll_selector_test, regular_files_are_accepted_and_ready) {
    std::FILE* f = std::tmpfile();
    ASSERT_NE(f, nullptr);
    mio::posix::source_fd src{::fileno(f)};
    ASSERT_TRUE(this->poll.registry().add(src, mio::token{6}, mio::interest::readable | mio::interest::writable));
    this->poll.poll(this->events, 1s).value();
    ASSERT_EQ(this->events.size(), 1u);
    EXPECT_TRUE((*this->events.begin()).is_readable());
    EXPECT_TRUE((*this->events.begin()).is_writable());
    ASSERT_TRUE(this->poll.registry().remove(src));
    std::fclose(f);
}

TEST(poll_selector, capacity_limits_each_poll_and_the_rest_comes_next) {
    auto poll = mio::basic_poll<mio::poll_selector, mio::fixed_storage<2>, mio::no_waker>::create().value();
    decltype(poll)::events_type small;
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    for (std::size_t i = 0; i < 5; ++i) {
        pipes.push_back(mio::posix::pipe().value());
        ASSERT_TRUE(poll.registry().add(pipes.back().second, mio::token{i}, mio::interest::readable));
        ASSERT_EQ(write_all(pipes.back().first, 1), 1u);
    }
    std::vector<int> seen(5, 0);
    std::vector<std::size_t> sizes;
    for (int round = 0; round < 3; ++round) {
        ASSERT_TRUE(poll.poll(small, 1s));
        sizes.push_back(small.size());
        for (auto e : small) ++seen.at(e.token().value);
    }
    EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 1}));
    EXPECT_EQ(seen, std::vector<int>(5, 1));
    ASSERT_TRUE(poll.poll(small, 0ns));
    EXPECT_TRUE(small.empty());
}

TYPED_TEST(poll_selector_test, add_from_another_thread_wakes_a_blocked_poll) {
    auto ends = mio::posix::pipe().value();  // not a structured binding: lambdas capture it (clang 14)
    auto& tx = ends.first;
    auto& rx = ends.second;
    ASSERT_EQ(write_all(tx, 1), 1u);  // ready before it is even registered
    auto reg = this->poll.registry().try_clone().value();
    std::thread t([&] {
        std::this_thread::sleep_for(30ms);
        EXPECT_TRUE(reg.add(rx, mio::token{42}, mio::interest::readable));
    });
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(this->poll.poll(this->events, 5s));
    auto took = std::chrono::steady_clock::now() - start;
    t.join();
    ASSERT_EQ(this->events.size(), 1u);
    EXPECT_EQ((*this->events.begin()).token(), mio::token{42});
    EXPECT_LT(took, 2s) << "the blocked poll(2) must be woken, not wait for its timeout";
}

TYPED_TEST(poll_selector_test, modify_from_another_thread_wakes_a_blocked_poll) {
    auto ends = mio::posix::pipe().value();  // not a structured binding: lambdas capture it (clang 14)
    auto& tx = ends.first;  // the receiver stays open, so the sender is writable, not broken
    ASSERT_TRUE(this->poll.registry().add(tx, mio::token{1}, mio::interest::readable));
    auto reg = this->poll.registry().try_clone().value();
    std::thread t([&] {
        std::this_thread::sleep_for(30ms);
        EXPECT_TRUE(reg.modify(tx, mio::token{8}, mio::interest::writable));
    });
    ASSERT_TRUE(this->poll.poll(this->events, std::nullopt));  // blocks until the modify
    t.join();
    ASSERT_EQ(this->events.size(), 1u);
    EXPECT_EQ((*this->events.begin()).token(), mio::token{8});
    EXPECT_TRUE((*this->events.begin()).is_writable());
}

TYPED_TEST(poll_selector_test, remove_from_another_thread_while_polling) {
    auto ends = mio::posix::pipe().value();  // not a structured binding: lambdas capture it (clang 14)
    auto& tx = ends.first;
    auto& rx = ends.second;
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{1}, mio::interest::readable));
    auto reg = this->poll.registry().try_clone().value();
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        EXPECT_TRUE(reg.remove(rx));
        (void)write_all(tx, 1);  // readiness of a removed fd: never reported
    });
    ASSERT_TRUE(this->poll.poll(this->events, 200ms));
    t.join();
    EXPECT_TRUE(this->events.empty());
    EXPECT_TRUE(this->tokens(10ms).empty());
}

TYPED_TEST(poll_selector_test, waker_wakes_a_blocked_poll_every_time) {
    auto waker = TypeParam::waker_type::create(this->poll.registry(), mio::token{99}).value();
    for (int round = 0; round < 3; ++round) {
        std::thread t([&] {
            std::this_thread::sleep_for(20ms);
            EXPECT_TRUE(waker.wake());
        });
        auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(this->poll.poll(this->events, 5s));
        auto took = std::chrono::steady_clock::now() - start;
        t.join();
        ASSERT_EQ(this->events.size(), 1u) << "round " << round;
        EXPECT_EQ((*this->events.begin()).token(), mio::token{99});
        EXPECT_TRUE((*this->events.begin()).is_readable());
        EXPECT_LT(took, 2s);
    }
    // Wakes before a poll coalesce into one event.
    ASSERT_TRUE(waker.wake());
    ASSERT_TRUE(waker.wake());
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{99});
    EXPECT_TRUE(this->tokens(0ns).empty());
}

// Tokens of every event until a poll with a zero timeout comes back empty, sorted.
template <class Poll, class Events>
std::vector<std::size_t> all_tokens(Poll& poll, Events& events) {
    std::vector<std::size_t> out;
    for (;;) {
        EXPECT_TRUE(poll.poll(events, 0ns));
        if (events.empty()) break;
        for (auto e : events) out.push_back(e.token().value);
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The private poll(2) set is patched in place: a remove moves the last registration into the
// freed entry, and the moved one keeps its fd and token.
TYPED_TEST(poll_selector_test, remove_moves_the_last_registration_and_it_keeps_its_token) {
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    for (std::size_t i = 0; i < 5; ++i) {
        pipes.push_back(mio::posix::pipe().value());
        ASSERT_TRUE(this->poll.registry().add(pipes.back().second, mio::token{i}, mio::interest::readable));
    }
    EXPECT_TRUE(this->tokens(0ns).empty());  // the copy exists before the changes below
    ASSERT_TRUE(this->poll.registry().remove(pipes[0].second));
    ASSERT_TRUE(this->poll.registry().remove(pipes[2].second));
    for (auto& p : pipes) ASSERT_EQ(write_all(p.first, 1), 1u);
    EXPECT_EQ(all_tokens(this->poll, this->events), (std::vector<std::size_t>{1, 3, 4}));
    ASSERT_TRUE(this->poll.registry().add(pipes[0].second, mio::token{10}, mio::interest::readable));
    EXPECT_EQ(all_tokens(this->poll, this->events), std::vector<std::size_t>{10});
}

// A few changes between two polls are patched one by one; more than the queue of changes holds
// (256) rebuild the copy. Either way the poll sees exactly the set as it is.
TYPED_TEST(poll_selector_test, few_and_many_changes_between_two_polls) {
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    for (std::size_t i = 0; i < 300; ++i) {
        pipes.push_back(mio::posix::pipe().value());
        ASSERT_TRUE(this->poll.registry().add(pipes.back().second, mio::token{i}, mio::interest::readable));
    }
    EXPECT_TRUE(this->tokens(0ns).empty());
    auto& reg = this->poll.registry();
    for (std::size_t changes : {10u, 290u}) {
        std::vector<std::size_t> want;
        for (std::size_t i = 0; i < pipes.size(); ++i) {
            std::size_t t = changes * 1000 + i;
            if (i < changes) ASSERT_TRUE(reg.modify(pipes[i].second, mio::token{t}, mio::interest::readable));
            else t = i < 10 ? 10000 + i : i;  // unchanged in the second round: from the first
            want.push_back(t);
            ASSERT_EQ(write_all(pipes[i].first, 1), 1u);
        }
        std::sort(want.begin(), want.end());
        EXPECT_EQ(all_tokens(this->poll, this->events), want) << changes << " changes";
        for (auto& p : pipes) (void)drain(p.second);  // re-arms every one
    }
    // Removals past the queue's size: none of the removed fds is reported.
    for (std::size_t i = 0; i < pipes.size(); i += 2) ASSERT_TRUE(reg.remove(pipes[i].second));
    for (auto& p : pipes) ASSERT_EQ(write_all(p.first, 1), 1u);
    auto got = all_tokens(this->poll, this->events);
    EXPECT_EQ(got.size(), 150u);
    for (auto t : got) EXPECT_EQ(t % 2, 1u) << t;
}

// Each handle polls its own copy: after another clone polled, this one rebuilds its copy from
// the shared set instead of patching a copy that missed changes.
TYPED_TEST(poll_selector_test, a_clone_that_polls_sees_the_set_as_it_is) {
    auto& sel = this->poll.selector();
    auto clone = sel.try_clone().value();
    std::array<mio::poll_event, 8> buf{};
    auto tokens_of = [&](mio::poll_selector& s) {
        auto n = s.select(buf, 0ns).value();
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(buf[i].token);
        return out;
    };
    auto a = mio::posix::pipe().value();
    auto b = mio::posix::pipe().value();
    auto c = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(a.second, mio::token{1}, mio::interest::readable));
    ASSERT_EQ(write_all(a.first, 1), 1u);
    EXPECT_EQ(tokens_of(sel), std::vector<std::size_t>{1});
    ASSERT_TRUE(this->poll.registry().add(b.second, mio::token{2}, mio::interest::readable));
    ASSERT_EQ(write_all(b.first, 1), 1u);
    EXPECT_EQ(tokens_of(clone), std::vector<std::size_t>{2}) << "token 1 was delivered and not re-armed";
    ASSERT_TRUE(this->poll.registry().remove(b.second));
    ASSERT_TRUE(this->poll.registry().add(c.second, mio::token{3}, mio::interest::readable));
    ASSERT_EQ(write_all(c.first, 1), 1u);
    EXPECT_EQ(tokens_of(sel), std::vector<std::size_t>{3});
    EXPECT_TRUE(tokens_of(clone).empty());
}

// A blocked poll is never left waiting for a change or a wake made while it is entering or
// leaving poll(2): the poll counts itself in before it reads the flags, the other thread sets
// its flag before it reads the count, so one of them sees the other. Raced 300 times each.
TYPED_TEST(poll_selector_test, changes_and_wakes_racing_a_poll_are_never_lost) {
    auto ends = mio::posix::pipe().value();  // not a structured binding: lambdas capture it (clang 14)
    auto& tx = ends.first;
    auto& rx = ends.second;
    ASSERT_EQ(write_all(tx, 1), 1u);  // stays readable: each modify re-arms a ready source
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{1}, mio::interest::readable));
    EXPECT_EQ(this->tokens(1s), std::vector<std::size_t>{1});
    auto reg = this->poll.registry().try_clone().value();
    auto waker = TypeParam::waker_type::create(this->poll.registry(), mio::token{2}).value();
    std::atomic<int> spins{0};  // a busy delay of a varying length, so the race hits every phase
    for (int round = 0; round < 600; ++round) {
        bool by_wake = round % 2 == 1;
        std::thread t([&] {
            for (int spin = 0; spin < round % 7 * 500; ++spin) spins.fetch_add(1, std::memory_order_relaxed);
            if (by_wake) EXPECT_TRUE(waker.wake());
            else EXPECT_TRUE(reg.modify(rx, mio::token{1}, mio::interest::readable));
        });
        auto start = std::chrono::steady_clock::now();
        ASSERT_TRUE(this->poll.poll(this->events, 10s));
        auto took = std::chrono::steady_clock::now() - start;
        t.join();
        ASSERT_LT(took, 5s) << "round " << round << ": the poll missed the " << (by_wake ? "wake" : "change");
        ASSERT_EQ(this->events.size(), 1u) << "round " << round;
        EXPECT_EQ((*this->events.begin()).token(), mio::token{by_wake ? 2u : 1u}) << "round " << round;
    }
}

// On poll(2) the eventfd and pipe wakers send their wakes through the selector's notifier:
// no fd of their own, and destroying the waker drops a wake no poll has seen yet.
TYPED_TEST(poll_selector_test, waker_uses_the_selector_notifier_and_takes_its_wake_along) {
    std::size_t before = mio_test::open_fd_count();
    {
        auto waker = TypeParam::waker_type::create(this->poll.registry(), mio::token{5}).value();
        EXPECT_EQ(mio_test::open_fd_count(), before) << "the waker opened an fd of its own";
        EXPECT_EQ(waker.policy().native_handle(), this->poll.selector().notify_handle());
        ASSERT_TRUE(waker.wake());
    }
    EXPECT_TRUE(this->tokens(0ns).empty()) << "a destroyed waker's wake was reported";
    auto waker = TypeParam::waker_type::create(this->poll.registry(), mio::token{6}).value();
    ASSERT_TRUE(waker.wake());
    EXPECT_EQ(this->tokens(0ns), std::vector<std::size_t>{6});
    EXPECT_TRUE(this->tokens(0ns).empty());
    // A moved-from waker fails instead of crashing.
    auto moved = std::move(waker);
    EXPECT_EQ(waker.wake().error(), std::errc::bad_file_descriptor);
    ASSERT_TRUE(moved.wake());
    EXPECT_EQ(this->tokens(0ns), std::vector<std::size_t>{6});
}

TYPED_TEST(poll_selector_test, no_allocation_in_select_after_warm_up) {
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    for (std::size_t i = 0; i < 16; ++i) {
        pipes.push_back(mio::posix::pipe().value());
        ASSERT_TRUE(this->poll.registry().add(pipes.back().second, mio::token{i}, mio::interest::readable));
    }
    auto waker = TypeParam::waker_type::create(this->poll.registry(), mio::token{100}).value();
    auto round = [&] {
        char c = 'z';
        std::size_t seen = 0;
        for (auto& p : pipes) (void)p.first.write(std::span<const char>(&c, 1));
        (void)waker.wake();
        while (seen < pipes.size() + 1) {
            if (!this->poll.poll(this->events, 1s) || this->events.empty()) return false;
            for (auto e : this->events) {
                ++seen;
                if (e.token().value < pipes.size()) {
                    char buf[8];
                    auto& rx = pipes[e.token().value].second;
                    while (rx.read(std::span<char>(buf))) {
                    }  // until would_block: re-arms
                }
            }
        }
        return this->poll.poll(this->events, 0ns) && this->events.empty();
    };
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new cannot be replaced under clang's TSan";
    ASSERT_TRUE(round());  // warm-up: the private copy of the set reaches its size
    mio_alloc::allocation_snapshot before;
    bool ok = true;
    for (int i = 0; i < 20 && ok; ++i) ok = round();
    mio_alloc::allocation_snapshot after;
    EXPECT_TRUE(ok);
    EXPECT_EQ(after.total() - before.total(), 0) << "select allocated after warm-up";
}

// A poll never allocates, the first one included, however the set grew since the last one:
// add grows spare room for the poll's private copy (add may allocate), and the copy takes it.
TYPED_TEST(poll_selector_test, a_growing_set_never_makes_poll_allocate) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new cannot be replaced under clang's TSan";
    auto counted_poll = [&](std::chrono::nanoseconds timeout) {
        mio_alloc::allocation_snapshot before;
        bool ok = static_cast<bool>(this->poll.poll(this->events, timeout));
        mio_alloc::allocation_snapshot after;
        EXPECT_TRUE(ok);
        return after.total() - before.total();
    };
    EXPECT_EQ(counted_poll(0ns), 0) << "the first poll";
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    pipes.reserve(300);
    char c = 'p';
    for (std::size_t i = 0; i < 300; ++i) {
        pipes.push_back(mio::posix::pipe().value());
        ASSERT_TRUE(this->poll.registry().add(pipes.back().second, mio::token{i}, mio::interest::readable));
        if (i % 50 == 49) {  // a burst of adds, as a listener accepting many at once
            ASSERT_TRUE(pipes.back().first.write(std::span<const char>(&c, 1)));
            EXPECT_EQ(counted_poll(1s), 0) << "the poll after add number " << i + 1;
            ASSERT_EQ(this->events.size(), 1u);
            EXPECT_EQ((*this->events.begin()).token(), mio::token{i});
        }
    }
}

TYPED_TEST(poll_selector_test, sub_millisecond_timeout_is_not_rounded_to_zero) {
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(this->poll.registry().add(rx, mio::token{1}, mio::interest::readable));
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(this->poll.poll(this->events, 200us));
    auto took = std::chrono::steady_clock::now() - start;
    EXPECT_TRUE(this->events.empty());
    EXPECT_GE(took, 200us);
    EXPECT_LT(took, 1s);

    start = std::chrono::steady_clock::now();
    ASSERT_TRUE(this->poll.poll(this->events, 30ms));
    took = std::chrono::steady_clock::now() - start;
    EXPECT_GE(took, 30ms);
    EXPECT_LT(took, 1s);
}

TYPED_TEST(poll_selector_test, zero_and_negative_timeouts_return_at_once) {
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(this->poll.poll(this->events, 0ns));
    ASSERT_TRUE(this->poll.poll(this->events, -5s));
    EXPECT_LT(std::chrono::steady_clock::now() - start, 500ms);
    EXPECT_TRUE(this->events.empty());
}

extern "C" void on_usr1(int) {}

TYPED_TEST(poll_selector_test, eintr_is_returned_not_retried) {
    struct sigaction sa {};
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll(2) fails with EINTR
    struct sigaction old {};
    ASSERT_EQ(::sigaction(SIGUSR1, &sa, &old), 0);
    std::atomic<bool> done{false};
    pthread_t self = ::pthread_self();
    std::thread t([&] {
        // Keep signalling: a signal that lands before ppoll is entered is simply missed.
        while (!done.load()) {
            std::this_thread::sleep_for(10ms);
            ::pthread_kill(self, SIGUSR1);
        }
    });
    auto r = this->poll.poll(this->events, 5s);
    done = true;
    t.join();
    ::sigaction(SIGUSR1, &old, nullptr);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::interrupted);
}

TYPED_TEST(poll_selector_test, no_fd_leak) {
    mio_test::fd_leak_guard guard;
    {
        auto p = TypeParam::poll_type::create().value();
        auto w = TypeParam::waker_type::create(p.registry(), mio::token{1}).value();
        auto clone = p.registry().try_clone().value();
        auto [tx, rx] = mio::posix::pipe().value();
        ASSERT_TRUE(clone.add(rx, mio::token{2}, mio::interest::readable));
        ASSERT_TRUE(w.wake());
        auto ev = TypeParam::make_events();
        ASSERT_TRUE(p.poll(ev, 1s));
        EXPECT_EQ(ev.size(), 1u);
    }
    EXPECT_EQ(guard.now(), guard.before);
}

TEST(poll_selector, event_mapping_follows_mio) {
    using s = mio::poll_selector;
    auto ev = [](int bits) { return mio::poll_event{1, static_cast<short>(bits)}; };
    EXPECT_TRUE(s::is_readable(ev(POLLIN)));
    EXPECT_TRUE(s::is_readable(ev(POLLPRI)));
    EXPECT_FALSE(s::is_readable(ev(POLLOUT)));
    EXPECT_TRUE(s::is_writable(ev(POLLOUT)));
    EXPECT_TRUE(s::is_error(ev(POLLERR)));
    EXPECT_TRUE(s::is_error(ev(POLLNVAL)));
    EXPECT_FALSE(s::is_error(ev(POLLHUP)));
    EXPECT_TRUE(s::is_read_closed(ev(POLLHUP)));
#ifdef POLLRDHUP
    EXPECT_TRUE(s::is_read_closed(ev(POLLIN | POLLRDHUP)));
    EXPECT_TRUE(s::is_read_closed(ev(POLLRDHUP)));  // alone, as mio's poll.rs
#endif
    EXPECT_FALSE(s::is_read_closed(ev(POLLIN)));
    EXPECT_TRUE(s::is_write_closed(ev(POLLHUP)));
    EXPECT_TRUE(s::is_write_closed(ev(POLLOUT | POLLERR)));
    EXPECT_TRUE(s::is_write_closed(ev(POLLERR)));
    EXPECT_FALSE(s::is_write_closed(ev(POLLIN | POLLERR)));
    EXPECT_TRUE(s::is_priority(ev(POLLPRI)));
    EXPECT_FALSE(s::is_priority(ev(POLLIN)));
    EXPECT_EQ(s::event_token(ev(0)), mio::token{1});
}

TEST(poll_selector, default_poll_is_the_poll_backend) {
    auto p = mio::poll::create().value();
    mio::events events(8);
    auto w = mio::waker::create(p.registry(), mio::token{5}).value();
    ASSERT_TRUE(w.wake());
    ASSERT_TRUE(p.poll(events, 1s));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ((*events.begin()).token(), mio::token{5});
}

}  // namespace
