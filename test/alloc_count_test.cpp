// The hot path allocates nothing: after set-up, 10,000 cycles of wake + poll + event
// iteration (and pipe read/write; loopback TCP on Windows) make no operator new and no malloc
// call, on every backend, with fixed and with dynamic storage.
//
// Counting is global (support/alloc_counter.hpp): operator new, and malloc except under
// sanitizers, whose runtimes own it.
#include "alloc_counter.hpp"
#include "backends.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

namespace {

using counts = mio_alloc::allocation_snapshot;

template <class B>
class alloc_count_test : public ::testing::Test {};
TYPED_TEST_SUITE(alloc_count_test, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(alloc_count_test, counters_see_allocations) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new cannot be replaced under clang's TSan";
    // The counters themselves must work, or the zero below proves nothing.
    counts before;
    auto* p = new int(3);
    void* m = std::malloc(16);
    counts after;
    delete p;
    std::free(m);
    EXPECT_GT(after.news, before.news);
    if (mio_alloc::counts_malloc) {
        EXPECT_GT(after.mallocs, before.mallocs);
    }
}

TYPED_TEST(alloc_count_test, wake_poll_iterate_allocate_nothing) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new cannot be replaced under clang's TSan";
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto waker = TypeParam::waker_type::create(poll->registry(), mio::token{1});
    ASSERT_TRUE(waker);
    auto pipe = mio_test::byte_channel();
    ASSERT_TRUE(pipe);
    auto& tx = pipe->first;
    auto& rx = pipe->second;
    ASSERT_TRUE(poll->registry().add(rx, mio::token{2}, mio::interest::readable));
    std::array<std::byte, 64> buf{};
    const std::array<std::byte, 8> msg{};

    auto cycle = [&](std::size_t& woken, std::size_t& readable) {
        if (!waker->wake()) return false;
        if (!tx.write(std::span<const std::byte>(msg))) return false;
        // Until the bytes are reported: one poll on Linux; on Windows the loopback bytes may
        // land after the wake-up packet, in a later poll.
        for (std::size_t seen = readable; readable == seen;) {
            if (!poll->poll(events, std::chrono::seconds(1))) return false;
            if (events.empty()) return false;
            for (auto e : events) {
                if (e.token() == mio::token{1}) ++woken;
                if (e.token() == mio::token{2} && e.is_readable()) {
                    ++readable;
                    while (rx.read(std::span<std::byte>(buf))) {
                    }
                }
            }
        }
        return true;
    };
    std::size_t woken = 0, readable = 0;
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(cycle(woken, readable));  // warm-up

    counts before;
    bool ok = true;
    for (int i = 0; i < 10'000 && ok; ++i) ok = cycle(woken, readable);
    counts after;

    ASSERT_TRUE(ok);
    EXPECT_GE(woken, 10'000u) << "the waker event must come every cycle";
    EXPECT_GE(readable, 10'000u) << "the pipe event must come every cycle";
    EXPECT_EQ(after.news - before.news, 0) << "operator new called on the hot path";
    EXPECT_EQ(after.mallocs - before.mallocs, 0) << "malloc called on the hot path";
    if (!mio_alloc::counts_malloc) std::cout << "note: malloc is not counted in this build (sanitizer runtime, or no glibc)\n";
}

}  // namespace
