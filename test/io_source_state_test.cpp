// io_source_state: one word per source, so sockets and pipes are a handle and a pointer; the
// hooks' record on poll(2) is allocated at registration, freed on remove, close and release,
// and a failed allocation undoes the add with not_enough_memory.
#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/net/udp_socket.hpp>
#include <mio/net/unix_datagram.hpp>
#include <mio/net/unix_listener.hpp>
#include <mio/net/unix_stream.hpp>
#include <mio/posix/pipe.hpp>
#include <mio/posix/source_fd.hpp>
#include <mio/selector/epoll.hpp>
#include <mio/selector/poll.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>

#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <new>

#include <unistd.h>

// Issue 11: a source on epoll carries nothing it never uses. The handle and one word, in
// every build (the owner check of debug builds lives in that word too).
static_assert(sizeof(mio::io_source_state) == sizeof(void*));
static_assert(sizeof(mio::net::tcp_stream) <= 16);
static_assert(sizeof(mio::net::tcp_listener) <= 16);
static_assert(sizeof(mio::net::udp_socket) <= 16);
static_assert(sizeof(mio::net::unix_stream) <= 16);
static_assert(sizeof(mio::net::unix_listener) <= 16);
static_assert(sizeof(mio::net::unix_datagram) <= 16);
static_assert(sizeof(mio::posix::pipe_sender) <= 16);
static_assert(sizeof(mio::posix::pipe_receiver) <= 16);

namespace {

// The nothrow operator new that io_source_state::attach uses, made to fail on demand. The
// ordinary operator new still serves it, so delete matches under the sanitizers.
std::atomic<bool> fail_nothrow_new{false};

}  // namespace

void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    if (fail_nothrow_new.load()) return nullptr;
    try {
        return ::operator new(n);
    } catch (...) {
        return nullptr;
    }
}

namespace {

using namespace std::chrono_literals;
using epoll_poll = mio::basic_poll<mio::epoll_selector, mio::fixed_storage<8>, mio::eventfd_waker>;
using poll2_poll = mio::basic_poll<mio::poll_selector, mio::fixed_storage<8>, mio::eventfd_waker>;

template <class Poll>
bool readable_within(Poll& p, typename Poll::events_type& ev, mio::token t) {
    for (int i = 0; i < 20; ++i) {
        if (!p.poll(ev, 50ms)) return false;
        for (auto e : ev)
            if (e.token() == t && e.is_readable()) return true;
    }
    return false;
}

TEST(io_source_state, epoll_keeps_only_the_owner) {
    auto p = epoll_poll::create().value();
    auto [tx, rx] = mio::posix::pipe().value();
    EXPECT_EQ(rx.io_state().owner(), nullptr);
    ASSERT_TRUE(p.registry().add(rx, mio::token{1}, mio::interest::readable));
    EXPECT_NE(rx.io_state().owner(), nullptr);
    EXPECT_EQ(rx.io_state().slot(), 0u);
    // A move carries the registration; the moved-from source has none.
    auto moved = std::move(rx);
    EXPECT_NE(moved.io_state().owner(), nullptr);
    EXPECT_EQ(rx.io_state().owner(), nullptr);  // NOLINT(bugprone-use-after-move): the point
    ASSERT_TRUE(p.registry().remove(moved));
    EXPECT_EQ(moved.io_state().owner(), nullptr);
}

// poll(2) hands hooks to sources: the record holds the owner and the re-arm still works
// through it (a drained pipe reports its next write).
TEST(io_source_state, poll2_record_carries_owner_and_rearm) {
    auto p = poll2_poll::create().value();
    poll2_poll::events_type ev;
    auto [tx, rx] = mio::posix::pipe().value();
    ASSERT_TRUE(p.registry().add(rx, mio::token{7}, mio::interest::readable));
    EXPECT_NE(rx.io_state().owner(), nullptr);
    for (int round = 0; round < 3; ++round) {
        const char c = 'x';
        ASSERT_TRUE(tx.write(std::span<const char>(&c, 1)));
        ASSERT_TRUE(readable_within(p, ev, mio::token{7})) << "round " << round;
        char buf[8];
        ASSERT_TRUE(rx.read(std::span<char>(buf)));
        auto again = rx.read(std::span<char>(buf));
        ASSERT_FALSE(again);
        ASSERT_TRUE(mio::is_would_block(again.error()));
    }
    // Moving an attached source to a registered one frees the target's record (LeakSanitizer
    // and the fd count below would see either leak).
    auto [tx2, rx2] = mio::posix::pipe().value();
    ASSERT_TRUE(p.registry().add(rx2, mio::token{8}, mio::interest::readable));
    rx2 = std::move(rx);
    EXPECT_NE(rx2.io_state().owner(), nullptr);
    ASSERT_TRUE(p.registry().remove(rx2));
    EXPECT_EQ(rx2.io_state().owner(), nullptr);
}

// Every way out of a registration frees the record: remove, close (destruction) and release.
TEST(io_source_state, poll2_record_freed_on_remove_close_and_release) {
    const auto fds = mio_test::open_fd_count();
    {
        auto p = poll2_poll::create().value();
        for (int i = 0; i < 100; ++i) {
            auto [tx, rx] = mio::posix::pipe().value();
            ASSERT_TRUE(p.registry().add(rx, mio::token{1}, mio::interest::readable));
            ASSERT_TRUE(p.registry().add(tx, mio::token{2}, mio::interest::writable));
            ASSERT_TRUE(p.registry().remove(rx));
            // tx closes while registered: the backend forgets it and the record goes.
        }
        auto [tx, rx] = mio::posix::pipe().value();
        ASSERT_TRUE(p.registry().add(rx, mio::token{3}, mio::interest::readable));
        const int raw = rx.release();
        EXPECT_EQ(rx.io_state().owner(), nullptr);
        ASSERT_TRUE(p.registry().remove(mio::posix::source_fd{raw}));
        ::close(raw);
    }
    EXPECT_EQ(mio_test::open_fd_count(), fds);
}

// The record cannot be allocated: the add is undone and reported, nothing stays registered.
TEST(io_source_state, poll2_add_without_memory_is_undone) {
    auto p = poll2_poll::create().value();
    poll2_poll::events_type ev;
    auto [tx, rx] = mio::posix::pipe().value();
    const char c = 'x';
    ASSERT_TRUE(tx.write(std::span<const char>(&c, 1)));

    fail_nothrow_new = true;
    auto r = p.registry().add(rx, mio::token{9}, mio::interest::readable);
    fail_nothrow_new = false;
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::not_enough_memory);
    EXPECT_EQ(rx.io_state().owner(), nullptr);
    // The selector no longer has it: no event for a readable pipe, and a new add is no EEXIST.
    ASSERT_TRUE(p.poll(ev, 20ms));
    EXPECT_TRUE(ev.empty());
    ASSERT_TRUE(p.registry().add(rx, mio::token{9}, mio::interest::readable));
    EXPECT_TRUE(readable_within(p, ev, mio::token{9}));
}

// epoll has no hooks, so registration never needs that memory.
TEST(io_source_state, epoll_add_needs_no_allocation) {
    auto p = epoll_poll::create().value();
    auto [tx, rx] = mio::posix::pipe().value();
    fail_nothrow_new = true;
    auto r = p.registry().add(rx, mio::token{1}, mio::interest::readable);
    fail_nothrow_new = false;
    EXPECT_TRUE(r);
}

}  // namespace
