// basic_waker over every backend: coalescing, cross-thread wakes, one waker per poll,
// and registry clones used from another thread.
#include "backends.hpp"
#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

template <class B>
class waker_test : public mio_test::poll_fixture<B> {
protected:
    // Events for `t` in one poll.
    std::size_t count(mio::token t, std::optional<std::chrono::nanoseconds> timeout) {
        auto r = this->poll_->poll(this->events_, timeout);
        EXPECT_TRUE(r) << r.error().message();
        std::size_t n = 0;
        for (auto e : this->events_)
            if (e.token() == t) {
                EXPECT_TRUE(e.is_readable());
                ++n;
            }
        return n;
    }
};
TYPED_TEST_SUITE(waker_test, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(waker_test, wakes_before_a_poll_coalesce_into_one_event) {
    auto w = TypeParam::waker_type::create(this->poll_->registry(), mio::token{10});
    ASSERT_TRUE(w) << w.error().message();
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(w->wake());
    EXPECT_EQ(this->count(mio::token{10}, 1s), 1u);
    EXPECT_EQ(this->count(mio::token{10}, 10ms), 0u) << "a coalesced wake was reported twice";
    // The waker keeps working after being observed.
    ASSERT_TRUE(w->wake());
    EXPECT_EQ(this->count(mio::token{10}, 1s), 1u);
}

TYPED_TEST(waker_test, wakes_from_eight_threads_are_all_observed) {
    auto w = TypeParam::waker_type::create(this->poll_->registry(), mio::token{1});
    ASSERT_TRUE(w);
    constexpr int threads = 8, per_thread = 500;
    constexpr int total = threads * per_thread;
    std::atomic<int> sent{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t)
        pool.emplace_back([&] {
            for (int i = 0; i < per_thread; ++i) {
                sent.fetch_add(1, std::memory_order_seq_cst);
                EXPECT_TRUE(w->wake());
            }
        });
    // Every wake is followed by an event: when `seen` (read after an event) is short of the
    // total, another event must come. A lost wake shows up as a poll that times out.
    int seen = 0;
    std::size_t events = 0;
    while (seen < total) {
        std::size_t n = this->count(mio::token{1}, 5s);
        ASSERT_EQ(n <= 1, true) << "one waker reported more than once in one poll";
        if (n == 0) {
            ADD_FAILURE() << "wake lost: " << sent.load() << " sent, " << seen << " observed before the last event";
            break;
        }
        events += n;
        seen = sent.load(std::memory_order_seq_cst);
    }
    for (auto& t : pool) t.join();
    EXPECT_GE(events, 1u);
    EXPECT_LE(events, std::size_t(total)) << "more events than wakes";
}

TYPED_TEST(waker_test, one_waker_per_poll) {
    auto& reg = this->poll_->registry();
    {
        auto w1 = TypeParam::waker_type::create(reg, mio::token{1});
        ASSERT_TRUE(w1);
        auto w2 = TypeParam::waker_type::create(reg, mio::token{2});
        ASSERT_FALSE(w2);
        EXPECT_EQ(w2.error(), std::errc::file_exists);
        // A clone of the registry belongs to the same poll.
        auto clone = reg.try_clone();
        ASSERT_TRUE(clone);
        auto w3 = TypeParam::waker_type::create(*clone, mio::token{3});
        ASSERT_FALSE(w3);
        EXPECT_EQ(w3.error(), std::errc::file_exists);
        // A moved waker still holds the slot.
        auto moved = std::move(*w1);
        EXPECT_FALSE(TypeParam::waker_type::create(reg, mio::token{4}));
        ASSERT_TRUE(moved.wake());
        EXPECT_EQ(this->count(mio::token{1}, 1s), 1u);
    }
    auto again = TypeParam::waker_type::create(reg, mio::token{5});
    ASSERT_TRUE(again) << "a new waker must be possible once the first is gone";
    ASSERT_TRUE(again->wake());
    EXPECT_EQ(this->count(mio::token{5}, 1s), 1u);
}

TYPED_TEST(waker_test, cloned_registry_is_used_from_another_thread) {
    auto clone = this->poll_->registry().try_clone();
    ASSERT_TRUE(clone) << clone.error().message();
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& tx = p->first;  // clang 14 cannot capture structured bindings
    auto& rx = p->second;
    std::atomic<bool> added{false};
    std::thread t([&] {
        EXPECT_TRUE(clone->add(rx, mio::token{77}, mio::interest::readable));
        added = true;
        char c = 'x';
        EXPECT_TRUE(tx.write(std::span<const char>(&c, 1)));
    });
    std::size_t n = 0;
    for (int i = 0; i < 50 && n == 0; ++i) n = this->count(mio::token{77}, 100ms);
    t.join();
    EXPECT_TRUE(added);
    EXPECT_EQ(n, 1u) << "registration made through a clone on another thread was not seen";
    EXPECT_TRUE(this->poll_->registry().remove(rx));
}

TYPED_TEST(waker_test, waker_outliving_its_poll_is_harmless) {
    auto w = TypeParam::waker_type::create(this->poll_->registry(), mio::token{1});
    ASSERT_TRUE(w);
    this->poll_.reset();
    EXPECT_TRUE(w->wake());
}

}  // namespace
