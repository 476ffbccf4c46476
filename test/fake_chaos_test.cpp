// The fake selector's second part: fail_nth and call_count, seeded chaos (spurious, split,
// delay), and its timer queue (the scheduling mechanism the simulated network runs on).
#include <mio/basic_poll.hpp>
#include <mio/posix/source_fd.hpp>
#include <mio/selector/fake.hpp>
#include <mio/sim/enumerate.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using mio::fake_operation;
using mio::fake_readiness;
using mio::interest;
using mio::token;
using poll_type = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;

const auto enomem = std::make_error_code(std::errc::not_enough_memory);

struct delivered {
    std::size_t token;
    fake_readiness r;
    friend bool operator==(const delivered&, const delivered&) = default;
};

class chaos : public ::testing::Test {
protected:
    poll_type poll = std::move(*poll_type::create());
    mio::fake_selector& fake = poll.selector();
    poll_type::events_type events;
    mio::posix::source_fd a{10}, b{11}, c{12};

    void SetUp() override {
        ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable | interest::writable));
        ASSERT_TRUE(poll.registry().add(b, token{2}, interest::readable));
        ASSERT_TRUE(poll.registry().add(c, token{3}, interest::writable));
    }
    std::vector<delivered> poll_once(std::optional<std::chrono::nanoseconds> t = 0ms) {
        EXPECT_TRUE(poll.poll(events, t));
        std::vector<delivered> v;
        for (auto e : events)
            v.push_back({e.token().value, {e.is_readable(), e.is_writable(), e.is_error(), e.is_read_closed(),
                                           e.is_write_closed(), e.is_priority()}});
        return v;
    }
};

TEST_F(chaos, fail_nth_fails_exactly_the_nth_call_and_call_count_counts_every_call) {
    EXPECT_EQ(fake.call_count(fake_operation::add), 3u);
    mio::posix::source_fd d{20}, e{21}, f{22};
    fake.fail_nth(fake_operation::add, 2, enomem);
    EXPECT_TRUE(poll.registry().add(d, token{4}, interest::readable));
    EXPECT_EQ(poll.registry().add(e, token{5}, interest::readable).error(), std::errc::not_enough_memory);
    EXPECT_TRUE(poll.registry().add(e, token{5}, interest::readable));  // once
    EXPECT_EQ(fake.call_count(fake_operation::add), 6u);                // the failed one counts
    // Arming again replaces; n == 0 or a falsy error disarms.
    fake.fail_nth(fake_operation::remove, 1, enomem);
    fake.fail_nth(fake_operation::remove, 3, enomem);
    EXPECT_TRUE(poll.registry().remove(d));
    EXPECT_TRUE(poll.registry().remove(e));
    fake.fail_nth(fake_operation::modify, 0, enomem);
    EXPECT_TRUE(poll.registry().modify(a, token{1}, interest::readable));
    fake.fail_nth(fake_operation::poll, 1, {});
    EXPECT_TRUE(poll.poll(events, 0ms));
    ASSERT_TRUE(poll.registry().add(f, token{6}, interest::readable));
    EXPECT_EQ(poll.registry().remove(f).error(), std::errc::not_enough_memory) << "the third remove since arming";
    EXPECT_EQ(fake.call_count(fake_operation::remove), 3u);
}

TEST_F(chaos, fail_next_is_fail_nth_one_and_every_operation_is_counted) {
    fake.fail_next(fake_operation::poll, enomem);
    EXPECT_EQ(poll.poll(events, 0ms).error(), std::errc::not_enough_memory);
    EXPECT_TRUE(poll.poll(events, 0ms));
    auto w = poll_type::waker_type::create(poll.registry(), token{9});
    ASSERT_TRUE(w);
    fake.fail_nth(fake_operation::wake, 2, enomem);
    EXPECT_TRUE(w->wake());
    EXPECT_FALSE(w->wake());
    EXPECT_TRUE(poll.registry().modify(b, token{2}, interest::readable));
    EXPECT_EQ(fake.call_count(fake_operation::poll), 2u);
    EXPECT_EQ(fake.call_count(fake_operation::wake), 2u);
    EXPECT_EQ(fake.call_count(fake_operation::modify), 1u);
    EXPECT_EQ(fake.call_count(fake_operation::remove), 0u);
    EXPECT_EQ(fake.wake_count(), 1u);
}

TEST_F(chaos, spurious_events_stay_within_the_interest_and_never_decide_the_clock) {
    fake.set_chaos({.seed = 5, .spurious = 1.0});
    std::size_t extra = 0;
    for (int k = 0; k < 200; ++k) {
        auto before = fake.now();
        auto v = poll_once(1s);
        ASSERT_EQ(v.size(), 1u);  // one spurious event per poll
        EXPECT_EQ(fake.now(), before + 1s) << "a spurious event does not end the wait early";
        const auto& e = v[0];
        if (e.token == 2) { EXPECT_FALSE(e.r.writable); }
        if (e.token == 3) { EXPECT_FALSE(e.r.readable); }
        EXPECT_TRUE(e.r.readable != e.r.writable);
        ++extra;
    }
    EXPECT_EQ(extra, 200u);
    // A spurious event rides along with real ones, merged when it hits the same token.
    ASSERT_TRUE(fake.inject(token{2}, interest::readable));
    auto v = poll_once();
    EXPECT_GE(v.size(), 1u);
    EXPECT_LE(v.size(), 2u);
    EXPECT_EQ(v[0].token, 2u);
}

TEST_F(chaos, delay_holds_pending_events_without_moving_the_clock) {
    fake.set_chaos({.seed = 1, .delay = 1.0});
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    for (int k = 0; k < 5; ++k) {
        EXPECT_TRUE(poll_once(1s).empty());
        EXPECT_EQ(fake.now(), 0ns) << "held back: the poll returns, the clock stays";
    }
    EXPECT_EQ(fake.pending_count(), 1u);
    fake.set_chaos({});
    auto v = poll_once();
    ASSERT_EQ(v.size(), 1u);
    EXPECT_TRUE(v[0].r.readable);
    // With a chance below 1, every event arrives eventually and none is lost or duplicated.
    fake.set_chaos({.seed = 2, .delay = 0.5});
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    ASSERT_TRUE(fake.inject(token{2}, interest::readable));
    ASSERT_TRUE(fake.inject(token{3}, interest::writable));
    std::vector<std::size_t> seen;
    for (int k = 0; k < 100 && seen.size() < 3; ++k)
        for (auto& e : poll_once()) seen.push_back(e.token);
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::size_t>{1, 2, 3}));
}

TEST_F(chaos, split_delivers_an_events_flags_over_two_polls_once) {
    fake.set_chaos({.seed = 9, .split = 1.0});
    const fake_readiness all{.readable = true, .writable = true, .error = true, .read_closed = true};
    ASSERT_TRUE(fake.inject(token{1}, all));
    auto first = poll_once();
    ASSERT_EQ(first.size(), 1u);
    auto second = poll_once();
    ASSERT_EQ(second.size(), 1u) << "the rest comes whole on the next poll: split applies once";
    EXPECT_TRUE(poll_once().empty());
    const auto& x = first[0].r;
    const auto& y = second[0].r;
    EXPECT_EQ((fake_readiness{x.readable || y.readable, x.writable || y.writable, x.error || y.error,
                              x.read_closed || y.read_closed, false, false}),
              all);
    EXPECT_FALSE((x.readable && y.readable) || (x.writable && y.writable) || (x.error && y.error));
    // One flag cannot split.
    ASSERT_TRUE(fake.inject(token{2}, interest::readable));
    EXPECT_EQ(poll_once().size(), 1u);
}

std::vector<delivered> chaotic_run(std::uint64_t seed) {
    auto poll = std::move(*poll_type::create());
    auto& fake = poll.selector();
    std::vector<mio::posix::source_fd> fds;
    for (int k = 0; k < 6; ++k) fds.push_back(mio::posix::source_fd{100 + k});
    for (std::size_t k = 0; k < fds.size(); ++k)
        (void)poll.registry().add(fds[k], token{k}, interest::readable | interest::writable);
    fake.set_chaos({.seed = seed, .spurious = 0.3, .split = 0.3, .delay = 0.3});
    poll_type::events_type events;
    std::vector<delivered> out;
    for (int k = 0; k < 300; ++k) {
        (void)fake.inject(token{static_cast<std::size_t>(k % 6)},
                          fake_readiness{.readable = k % 2 == 0, .writable = true, .read_closed = k % 5 == 0});
        (void)poll.poll(events, 1ms);
        for (auto e : events)
            out.push_back({e.token().value, {e.is_readable(), e.is_writable(), e.is_error(), e.is_read_closed(),
                                             e.is_write_closed(), false}});
    }
    out.push_back({999, {}});
    out.back().token = static_cast<std::size_t>(fake.now().count());
    return out;
}

TEST(chaos_seeded, the_same_seed_replays_the_same_run_and_set_chaos_restarts_the_generator) {
    auto a = chaotic_run(77);
    EXPECT_EQ(chaotic_run(77), a);
    EXPECT_NE(chaotic_run(78), a);
    // Restarting: the same fake, the same seed set twice, gives the same draws.
    auto poll = std::move(*poll_type::create());
    auto& fake = poll.selector();
    mio::posix::source_fd s{1};
    ASSERT_TRUE(poll.registry().add(s, token{1}, interest::readable | interest::writable));
    poll_type::events_type events;
    auto draws = [&] {
        fake.set_chaos({.seed = 4, .spurious = 0.5});
        std::vector<bool> v;
        for (int k = 0; k < 64; ++k) {
            (void)poll.poll(events, 1ms);
            v.push_back(!events.empty());
        }
        return v;
    };
    auto first = draws();
    EXPECT_EQ(draws(), first);
    EXPECT_NE(std::count(first.begin(), first.end(), true), 0);
    EXPECT_NE(std::count(first.begin(), first.end(), false), 0);
}

// ---- timers ----

struct timer_log {
    mio::fake_selector* fake;
    std::vector<std::pair<std::uint64_t, std::int64_t>> fired;  // (arg, now in ns)
    static void fn(void* self, std::uint64_t arg) noexcept {
        auto* t = static_cast<timer_log*>(self);
        t->fired.emplace_back(arg, t->fake->now().count());
        if (arg == 7) (void)t->fake->inject(token{2}, interest::readable);  // timers may inject
    }
};

TEST_F(chaos, timers_run_in_time_then_scheduling_order_from_advance_and_poll) {
    timer_log log{&fake, {}};
    fake.schedule(5ms, &timer_log::fn, &log, 1);
    fake.schedule(2ms, &timer_log::fn, &log, 2);
    fake.schedule(5ms, &timer_log::fn, &log, 3);
    fake.schedule(9ms, &timer_log::fn, &log, 7);
    EXPECT_EQ(fake.timer_count(), 4u);
    fake.advance(6ms);
    EXPECT_EQ(log.fired, (std::vector<std::pair<std::uint64_t, std::int64_t>>{{2, 2000000}, {1, 5000000}, {3, 5000000}}));
    EXPECT_EQ(fake.now(), 6ms);
    // A poll whose timeout ends before the next timer: the whole timeout elapses.
    EXPECT_TRUE(poll_once(1ms).empty());
    EXPECT_EQ(fake.now(), 7ms);
    // One that covers it: the clock stops at the timer, which injects; the poll delivers.
    auto v = poll_once(1s);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(v[0].token, 2u);
    EXPECT_EQ(fake.now(), 9ms);
    // poll(nullopt) runs the next timer; with none left and nothing pending it fails.
    fake.schedule(20ms, &timer_log::fn, &log, 8);
    fake.schedule(30ms, &timer_log::fn, &log, 7);
    v = poll_once(std::nullopt);  // timer 8 injects nothing: on to timer 7
    EXPECT_EQ(fake.now(), 30ms);
    ASSERT_EQ(v.size(), 1u);
    EXPECT_EQ(poll.poll(events, std::nullopt).error(), std::errc::resource_deadlock_would_occur);
    // A time already past runs at the next poll; cancel_timers drops a context's timers.
    fake.schedule(1ms, &timer_log::fn, &log, 9);
    EXPECT_TRUE(poll_once().empty());
    EXPECT_EQ(log.fired.back(), (std::pair<std::uint64_t, std::int64_t>{9, 30000000}));
    fake.schedule(40ms, &timer_log::fn, &log, 10);
    fake.cancel_timers(&log);
    EXPECT_EQ(fake.timer_count(), 0u);
    fake.advance(1s);
    EXPECT_EQ(log.fired.back().first, 9u);
    // A failed poll runs no timer.
    fake.schedule(fake.now(), &timer_log::fn, &log, 11);
    fake.fail_next(fake_operation::poll, enomem);
    EXPECT_FALSE(poll.poll(events, 1s));
    EXPECT_EQ(fake.timer_count(), 1u);
}

TEST_F(chaos, chaos_holding_back_a_timer_event_does_not_move_the_clock_past_it) {
    timer_log log{&fake, {}};
    fake.schedule(10ms, &timer_log::fn, &log, 7);
    fake.set_chaos({.seed = 3, .delay = 1.0});
    EXPECT_TRUE(poll_once(1s).empty());
    EXPECT_EQ(fake.now(), 10ms) << "the arrival is pending, held back: the poll stops there";
    EXPECT_TRUE(poll_once(1s).empty());
    EXPECT_EQ(fake.now(), 10ms);
}

// Timers run with the fake's lock released: another thread may wake the poll meanwhile (TSan
// checks the hand-over).
struct ticker {
    mio::fake_selector* fake;
    int fired = 0;
    static void fn(void* self, std::uint64_t) noexcept {
        auto* t = static_cast<ticker*>(self);
        ++t->fired;
        t->fake->schedule(t->fake->now() + 1ms, &ticker::fn, self, 0);
    }
};

TEST_F(chaos, timers_and_wakes_from_another_thread) {
    auto w = poll_type::waker_type::create(poll.registry(), token{9});
    ASSERT_TRUE(w);
    ticker t{&fake};
    fake.schedule(1ms, &ticker::fn, &t, 0);
    std::atomic<bool> stop{false};
    std::atomic<int> sent{0};
    std::thread other([&] {
        while (!stop.load()) {
            (void)w->wake();
            sent.fetch_add(1);
        }
    });
    // A wake is pending before the first poll, however late the scheduler starts the thread,
    // so at least one is seen; the rest race the polls, as the test means them to.
    while (sent.load() == 0) std::this_thread::yield();
    std::size_t wakes_seen = 0;
    for (int k = 0; k < 2000; ++k) {
        ASSERT_TRUE(poll.poll(events, 2ms));
        for (auto e : events) wakes_seen += e.token() == token{9};
    }
    stop = true;
    other.join();
    EXPECT_GT(t.fired, 0);
    EXPECT_GT(wakes_seen, 0u);
    fake.cancel_timers(&t);
}

// ---- the enumeration helpers themselves ----

TEST(enumerate, enumerate_faults_fails_each_call_once_and_stops_when_none_is_left) {
    std::vector<std::size_t> failed_calls;
    auto report = mio::sim::enumerate_faults(fake_operation::add, enomem, [&](mio::sim::fault_injector& inj) {
        auto poll = std::move(*poll_type::create());
        inj.arm(poll.selector());
        mio::posix::source_fd fds[4] = {mio::posix::source_fd{1}, mio::posix::source_fd{2}, mio::posix::source_fd{3},
                                        mio::posix::source_fd{4}};
        std::size_t k = 0;
        for (auto& f : fds) {
            ++k;
            if (!poll.registry().add(f, token{k}, interest::readable)) failed_calls.push_back(k);
        }
        return inj.n() != 3;  // "a bug": the scenario breaks when the third add fails
    });
    EXPECT_EQ(report.runs, 5u);
    EXPECT_EQ(report.faults, 4u);
    EXPECT_TRUE(report.exhausted);
    EXPECT_EQ(failed_calls, (std::vector<std::size_t>{1, 2, 3, 4}));
    EXPECT_EQ(report.failed, (std::vector<std::size_t>{3}));
    EXPECT_FALSE(report.ok());
}

TEST(enumerate, sweep_seeds_reports_and_prints_the_failing_seed) {
    std::ostringstream log;
    auto report = mio::sim::sweep_seeds(100, 20, [](std::uint64_t seed) { return seed % 7 != 3; }, &log);
    EXPECT_EQ(report.runs, 20u);
    EXPECT_EQ(report.failed, (std::vector<std::uint64_t>{101, 108, 115}));
    EXPECT_NE(log.str().find("seed 101 failed"), std::string::npos);
}

}  // namespace
