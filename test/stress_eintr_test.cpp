// EINTR (issue 6): a signal handler installed without SA_RESTART and a timer that fires
// every 100 us while an event loop relays a byte stream. mio's rule, kept here: poll()
// retries nothing on EINTR but returns std::errc::interrupted so the caller sees it; the
// loop polls again and nothing is lost.
//
// Which calls can see EINTR at all: only the ones that sleep. poll (epoll_wait,
// epoll_pwait2, ppoll) does, and returns EINTR. The I/O calls on non-blocking sockets and
// pipes never sleep, so they cannot be interrupted; epoll_ctl does not sleep either; the
// wakers' write is non-blocking and retried on EINTR anyway (detail::fd_waker). The relay
// below counts EINTR from every call it makes and asserts the signals really landed inside
// poll().
#include "backends.hpp"
#include "fd_count.hpp"

#include <mio/net/unix_stream.hpp>
#include <mio/posix/pipe.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <optional>
#include <pthread.h>
#include <random>
#include <sys/time.h>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;

std::atomic<std::uint64_t> signals_delivered{0};
static_assert(std::atomic<std::uint64_t>::is_always_lock_free);

extern "C" void count_signal(int) { signals_delivered.fetch_add(1, std::memory_order_relaxed); }

// Installs the SIGALRM handler without SA_RESTART (so sleeping calls fail with EINTR) and
// arms ITIMER_REAL every `interval`; undoes both on destruction.
class signal_storm {
public:
    explicit signal_storm(std::chrono::microseconds interval, bool repeat = true) {
        struct sigaction sa {};
        sa.sa_handler = count_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;  // no SA_RESTART
        ok_ = ::sigaction(SIGALRM, &sa, &old_) == 0;
        itimerval t{};
        t.it_value.tv_sec = static_cast<time_t>(interval.count() / 1'000'000);
        t.it_value.tv_usec = static_cast<suseconds_t>(interval.count() % 1'000'000);
        if (repeat) t.it_interval = t.it_value;
        ok_ = ok_ && ::setitimer(ITIMER_REAL, &t, nullptr) == 0;
    }
    ~signal_storm() {
        itimerval off{};
        ::setitimer(ITIMER_REAL, &off, nullptr);
        ::sigaction(SIGALRM, &old_, nullptr);
    }
    bool ok() const { return ok_; }

private:
    struct sigaction old_ {};
    bool ok_ = false;
};

// Helper threads keep SIGALRM blocked so that it lands on the polling thread.
void block_sigalrm() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGALRM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// The byte at stream position i (the consumer checks every one).
constexpr std::uint8_t pattern(std::uint64_t i) { return static_cast<std::uint8_t>((i * 2654435761u) >> 13); }

template <class B>
class stress_eintr : public ::testing::Test {};
TYPED_TEST_SUITE(stress_eintr, mio_test::all_backends, mio_test::backend_names);

// poll() with no timeout and nothing ready returns interrupted when a signal arrives, and
// so does a poll with a long timeout: EINTR is not retried (as in mio).
TYPED_TEST(stress_eintr, poll_returns_interrupted_and_is_not_retried) {
    using B = TypeParam;
    auto poll = B::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = B::make_events();
    auto waker = B::waker_type::create(poll->registry(), mio::token{1});
    ASSERT_TRUE(waker);
    for (std::optional<std::chrono::nanoseconds> timeout :
         {std::optional<std::chrono::nanoseconds>{}, std::optional<std::chrono::nanoseconds>{std::chrono::seconds(5)}}) {
        signal_storm once(std::chrono::milliseconds(20), false);
        ASSERT_TRUE(once.ok());
        auto start = clock_type::now();
        auto r = poll->poll(events, timeout);
        auto took = clock_type::now() - start;
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), std::errc::interrupted);
        EXPECT_LT(took, std::chrono::seconds(2));
        EXPECT_TRUE(events.empty());
        // The loop carries on: a wake is still delivered by the next poll.
        ASSERT_TRUE(waker->wake());
        ASSERT_TRUE(poll->poll(events, std::chrono::seconds(2)));
        ASSERT_EQ(events.size(), 1u);
        EXPECT_EQ((*events.begin()).token(), mio::token{1});
    }
}

// A producer thread writes a patterned stream into a pipe; the loop relays it into a Unix
// stream socket through a 256 KiB buffer; a consumer thread checks every byte. SIGALRM fires
// every 100 us at the polling thread the whole time. The producer also wakes the poll and
// waits for the wake to be seen.
TYPED_TEST(stress_eintr, relay_under_signal_storm_loses_nothing) {
    using B = TypeParam;
    constexpr std::uint64_t total = 64u << 20;
    constexpr auto deadline = std::chrono::seconds(30);
    constexpr mio::token in_token{1}, out_token{2}, waker_token{3};
    mio_test::fd_leak_guard fds;
    std::uint64_t polls = 0, interrupted = 0, io_eintr = 0, relayed = 0, wake_events = 0;
    std::atomic<std::uint64_t> consumed{0}, mismatches{0}, wakes{0}, wake_ack{0};
    std::atomic<bool> consumer_done{false}, lost_wake{false};
    {
        auto poll = B::poll_type::create();
        ASSERT_TRUE(poll);
        auto events = B::make_events();
        auto waker = B::waker_type::create(poll->registry(), waker_token);
        ASSERT_TRUE(waker);
        auto p = mio::posix::pipe();
        ASSERT_TRUE(p);
        auto [in_tx, in_rx] = std::move(*p);
        auto s = mio::net::unix_stream::pair();
        ASSERT_TRUE(s);
        auto [out, sink] = std::move(*s);
        ASSERT_TRUE(poll->registry().add(in_rx, in_token, mio::interest::readable));
        ASSERT_TRUE(poll->registry().add(out, out_token, mio::interest::writable));

        std::thread producer([&, tx = std::move(in_tx)]() mutable {
            block_sigalrm();
            std::minstd_rand rng(42);
            std::vector<std::uint8_t> chunk(64 * 1024);
            std::uint64_t sent = 0;
            auto give_up = clock_type::now() + deadline;
            while (sent < total && clock_type::now() < give_up) {
                std::size_t n = std::min<std::uint64_t>(1 + rng() % chunk.size(), total - sent);
                for (std::size_t k = 0; k < n; ++k) chunk[k] = pattern(sent + k);
                std::size_t off = 0;
                while (off < n && clock_type::now() < give_up) {
                    auto w = tx.write(std::as_bytes(std::span<const std::uint8_t>(chunk.data() + off, n - off)));
                    if (w) off += *w;
                    else std::this_thread::sleep_for(std::chrono::microseconds(50));
                }
                sent += off;
                if (rng() % 8 == 0) {  // a wake, which must be seen
                    auto id = wakes.fetch_add(1) + 1;
                    (void)waker->wake();
                    auto until = clock_type::now() + std::chrono::seconds(5);
                    while (wake_ack.load() < id && clock_type::now() < until) std::this_thread::yield();
                    if (wake_ack.load() < id) lost_wake = true;
                }
            }
            // tx closes here: the relay sees the end of the stream.
        });
        std::thread consumer([&, rx = std::move(sink)]() mutable {
            block_sigalrm();
            std::vector<std::uint8_t> buf(64 * 1024);
            std::uint64_t got = 0;
            auto give_up = clock_type::now() + deadline;
            while (clock_type::now() < give_up) {
                auto r = rx.read(std::as_writable_bytes(std::span<std::uint8_t>(buf)));
                if (!r) {
                    std::this_thread::sleep_for(std::chrono::microseconds(20));
                    continue;
                }
                if (*r == 0) break;
                for (std::size_t k = 0; k < *r; ++k)
                    if (buf[k] != pattern(got + k)) mismatches.fetch_add(1);
                got += *r;
                consumed.store(got);
            }
            consumer_done = true;
        });

        {
            signal_storm storm(std::chrono::microseconds(100));
            ASSERT_TRUE(storm.ok());
            std::vector<std::uint8_t> ring(256 * 1024);
            std::size_t head = 0, size = 0;  // bytes [head, head + size) modulo the ring
            bool in_eof = false, out_closed = false;
            auto give_up = clock_type::now() + deadline;
            while (!consumer_done.load() && clock_type::now() < give_up) {
                auto r = poll->poll(events, std::chrono::milliseconds(100));
                ++polls;
                if (!r) {
                    ASSERT_EQ(r.error(), std::errc::interrupted) << r.error().message();
                    ++interrupted;
                    continue;  // the loop carries on: the next poll reports what is pending
                }
                for (const auto& e : events) {
                    if (e.token() == waker_token) {
                        ++wake_events;
                        wake_ack.store(wakes.load());
                    }
                }
                // Edge-triggered: move bytes until both sides are blocked (would_block, a full
                // or empty buffer with the other side blocked) so that an edge must follow.
                for (bool progress = true; progress;) {
                    progress = false;
                    while (!in_eof && size < ring.size()) {
                        std::size_t tail = (head + size) % ring.size();
                        std::size_t room = std::min(ring.size() - size, ring.size() - tail);
                        auto n = in_rx.read(std::as_writable_bytes(std::span<std::uint8_t>(ring.data() + tail, room)));
                        if (!n) {
                            if (n.error() == std::errc::interrupted) { ++io_eintr; continue; }
                            ASSERT_TRUE(mio::is_would_block(n.error())) << n.error().message();
                            break;
                        }
                        if (*n == 0) in_eof = true;
                        size += *n;
                        progress = progress || *n > 0;
                    }
                    while (size > 0) {
                        std::size_t len = std::min(size, ring.size() - head);
                        auto n = out.write(std::as_bytes(std::span<const std::uint8_t>(ring.data() + head, len)));
                        if (!n) {
                            if (n.error() == std::errc::interrupted) { ++io_eintr; continue; }
                            ASSERT_TRUE(mio::is_would_block(n.error())) << n.error().message();
                            break;
                        }
                        head = (head + *n) % ring.size();
                        size -= *n;
                        relayed += *n;
                        progress = progress || *n > 0;
                    }
                }
                if (in_eof && size == 0 && !out_closed) {
                    ASSERT_TRUE(out.shutdown(mio::net::shutdown_how::write));
                    out_closed = true;
                }
            }
        }
        producer.join();
        consumer.join();
    }
    EXPECT_EQ(consumed.load(), total) << "bytes lost";
    EXPECT_EQ(relayed, total);
    EXPECT_EQ(mismatches.load(), 0u) << "bytes corrupted";
    EXPECT_FALSE(lost_wake.load()) << "a wake was not seen";
    EXPECT_GT(wake_events, 0u);
    EXPECT_GT(interrupted, 0u) << "no signal landed inside poll: the test proved nothing";
    EXPECT_EQ(io_eintr, 0u) << "non-blocking I/O should never be interrupted";
    EXPECT_EQ(fds.now(), fds.before) << "fd leaked";
    std::cout << "stress_eintr " << mio_test::backend_name(static_cast<const B*>(nullptr)) << ": " << total
              << " bytes relayed and checked, " << signals_delivered.load() << " signals so far, " << polls
              << " polls, " << interrupted << " returned EINTR, " << wake_events << " wake events for "
              << wakes.load() << " wakes, I/O EINTR " << io_eintr << "\n";
}

}  // namespace
