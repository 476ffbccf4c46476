// Tests of the deterministic fake selector and fake waker themselves.
#include <mio/basic_poll.hpp>
#include <mio/posix/pipe.hpp>
#include <mio/posix/source_fd.hpp>
#include <mio/selector/epoll.hpp>
#include <mio/selector/fake.hpp>
#include <mio/storage/dynamic.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>
#include <mio/waker/fake.hpp>
#include <mio/waker/none.hpp>
#include <mio/waker/pipe.hpp>

#include <boost/pfr/io.hpp>
#include <boost/pfr/ops.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <new>
#include <sstream>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "alloc_counter.hpp"

namespace {

using namespace std::chrono_literals;
using mio::fake_call;
using mio::fake_operation;
using mio::fake_readiness;
using mio::fake_selector;
using mio::interest;
using mio::token;

using fake_poll = mio::basic_poll<fake_selector, mio::fixed_storage<64>, mio::fake_waker>;
using small_poll = mio::basic_poll<fake_selector, mio::fixed_storage<4>, mio::no_waker>;
using dyn_poll = mio::basic_poll<fake_selector, mio::dynamic_storage, mio::no_waker>;

// The fake models the same concepts as the real selectors; fd wakers must refuse it.
static_assert(mio::selector<fake_selector>);
static_assert(mio::waker_policy<mio::fake_waker, fake_selector>);
static_assert(mio::waker_policy<mio::no_waker, fake_selector>);
static_assert(!mio::waker_policy<mio::eventfd_waker, fake_selector>);
static_assert(!mio::waker_policy<mio::pipe_waker, fake_selector>);
static_assert(!mio::waker_policy<mio::fake_waker, mio::epoll_selector>);
static_assert(mio::source<mio::posix::source_fd, fake_selector>);
static_assert(std::is_aggregate_v<fake_readiness> && std::is_aggregate_v<fake_call> &&
              std::is_aggregate_v<mio::fake_registration>);
static_assert(std::movable<fake_poll> && std::movable<fake_poll::waker_type>);

// The tokens of one poll's events, in order.
template <class Events>
std::vector<std::size_t> tokens_of(const Events& ev) {
    std::vector<std::size_t> v;
    for (auto e : ev) v.push_back(e.token().value);
    return v;
}

template <class P>
concept has_waker_type = requires { typename P::waker_type; };

fake_poll make_poll() { return std::move(*fake_poll::create()); }

TEST(fake_selector, records_registrations_in_order) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{42}, b{7}, c{1000};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(b, token{2}, interest::writable));
    ASSERT_TRUE(poll.registry().add(c, token{3}, interest::readable | interest::writable));
    ASSERT_TRUE(poll.registry().modify(b, token{20}, interest::readable));  // keeps its place

    auto regs = fake.registrations();
    ASSERT_EQ(regs.size(), 3u);
    EXPECT_EQ(regs[0], (mio::fake_registration{42, token{1}, interest::readable}));
    EXPECT_EQ(regs[1], (mio::fake_registration{7, token{20}, interest::readable}));
    EXPECT_EQ(regs[2].handle, 1000);
    EXPECT_EQ(regs[2].interest, interest::readable | interest::writable);
    EXPECT_EQ(fake.interest_of(token{20}), interest::readable);
    EXPECT_EQ(fake.interest_of(token{2}), std::nullopt);

    ASSERT_TRUE(poll.registry().remove(a));
    regs = fake.registrations();
    ASSERT_EQ(regs.size(), 2u);
    EXPECT_EQ(regs[0].handle, 7);
    EXPECT_EQ(fake.interest_of(token{1}), std::nullopt);
}

TEST(fake_selector, error_paths_match_epoll) {
    auto poll = make_poll();
    mio::posix::source_fd a{42}, unknown{43}, bad{-1};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    EXPECT_EQ(poll.registry().add(a, token{2}, interest::writable).error(), std::errc::file_exists);
    EXPECT_EQ(poll.registry().modify(unknown, token{1}, interest::readable).error(),
              std::errc::no_such_file_or_directory);
    EXPECT_EQ(poll.registry().remove(unknown).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(poll.registry().add(bad, token{1}, interest::readable).error(), std::errc::bad_file_descriptor);
    // The failed add did not replace the first registration.
    EXPECT_EQ(poll.selector().interest_of(token{1}), interest::readable);
    ASSERT_TRUE(poll.registry().remove(a));
    EXPECT_EQ(poll.registry().remove(a).error(), std::errc::no_such_file_or_directory);
}

TEST(fake_selector, inject_errors) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    EXPECT_EQ(fake.inject(token{9}, interest::readable).error(), std::errc::no_such_file_or_directory);
    mio::posix::source_fd a{3};
    ASSERT_TRUE(poll.registry().add(a, token{9}, interest::readable));
    EXPECT_EQ(fake.inject(token{9}, fake_readiness{}).error(), std::errc::invalid_argument);
    EXPECT_EQ(fake.pending_count(), 0u);
}

TEST(fake_selector, delivers_in_injection_order) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd s1{10}, s2{11}, s3{12};
    ASSERT_TRUE(poll.registry().add(s1, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(s2, token{2}, interest::readable));
    ASSERT_TRUE(poll.registry().add(s3, token{3}, interest::readable));
    ASSERT_TRUE(fake.inject(token{3}, interest::readable));
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    ASSERT_TRUE(fake.inject(token{2}, interest::readable));

    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, std::nullopt));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{3, 1, 2}));
    for (auto e : events) {
        EXPECT_TRUE(e.is_readable());
        EXPECT_FALSE(e.is_writable());
        EXPECT_FALSE(e.is_error());
    }
    EXPECT_EQ(fake.pending_count(), 0u);
}

TEST(fake_selector, coalesces_per_token_keeping_first_place) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd s1{10}, s2{11};
    ASSERT_TRUE(poll.registry().add(s1, token{1}, interest::readable | interest::writable));
    ASSERT_TRUE(poll.registry().add(s2, token{2}, interest::readable));
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    ASSERT_TRUE(fake.inject(token{2}, interest::readable));
    ASSERT_TRUE(fake.inject(token{1}, interest::writable));
    ASSERT_TRUE(fake.inject(token{1}, fake_readiness{.read_closed = true}));
    EXPECT_EQ(fake.pending_count(), 2u);

    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    ASSERT_EQ(tokens_of(events), (std::vector<std::size_t>{1, 2}));
    auto first = *events.begin();
    EXPECT_TRUE(first.is_readable());
    EXPECT_TRUE(first.is_writable());
    EXPECT_TRUE(first.is_read_closed());
    EXPECT_FALSE(first.is_write_closed());
    EXPECT_EQ(first.native().readiness, (fake_readiness{.readable = true, .writable = true, .read_closed = true}));
}

TEST(fake_selector, drops_flags_outside_interest_but_not_errors_or_closes) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd s{10};
    ASSERT_TRUE(poll.registry().add(s, token{1}, interest::readable));

    // Writable alone is outside the interest: no event at all, as epoll.
    ASSERT_TRUE(fake.inject(token{1}, interest::writable));
    EXPECT_EQ(fake.pending_count(), 0u);
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_TRUE(events.empty());

    ASSERT_TRUE(fake.inject(token{1}, fake_readiness{.writable = true, .error = true, .write_closed = true,
                                                     .priority = true}));
    ASSERT_TRUE(poll.poll(events, 0ns));
    ASSERT_EQ(events.size(), 1u);
    auto e = *events.begin();
    EXPECT_FALSE(e.is_writable());
    EXPECT_FALSE(e.is_priority());
    EXPECT_TRUE(e.is_error());
    EXPECT_TRUE(e.is_write_closed());
    EXPECT_FALSE(e.is_readable());
    EXPECT_FALSE(e.is_aio());
    EXPECT_FALSE(e.is_lio());

#if MIO_HAS_PRIORITY
    ASSERT_TRUE(poll.registry().modify(s, token{1}, interest::priority));
    ASSERT_TRUE(fake.inject(token{1}, interest::priority | interest::readable));
    ASSERT_TRUE(poll.poll(events, 0ns));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE((*events.begin()).native().readiness.priority);
    EXPECT_TRUE((*events.begin()).is_priority());
    EXPECT_FALSE((*events.begin()).is_readable());
#endif
}

TEST(fake_selector, modify_narrowing_interest_filters_pending_events) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd s{10};
    ASSERT_TRUE(poll.registry().add(s, token{1}, interest::readable | interest::writable));
    ASSERT_TRUE(fake.inject(token{1}, interest::writable));
    ASSERT_TRUE(poll.registry().modify(s, token{1}, interest::readable));
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 1ms));
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(fake.now(), 1ms);  // nothing was delivered, so the poll timed out
}

TEST(fake_selector, capacity_overflow_goes_to_next_poll) {
    auto poll = std::move(*small_poll::create());
    auto& fake = poll.selector();
    std::vector<mio::posix::source_fd> fds;
    for (int i = 0; i < 10; ++i) fds.push_back({100 + i});
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(poll.registry().add(fds[i], token(i), interest::readable));
    for (int i = 9; i >= 0; --i) ASSERT_TRUE(fake.inject(token(i), interest::readable));

    small_poll::events_type events;
    ASSERT_EQ(events.capacity(), 4u);
    ASSERT_TRUE(poll.poll(events, std::nullopt));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{9, 8, 7, 6}));
    EXPECT_EQ(fake.pending_count(), 6u);
    ASSERT_TRUE(poll.poll(events, std::nullopt));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{5, 4, 3, 2}));
    ASSERT_TRUE(poll.poll(events, std::nullopt));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{1, 0}));
    EXPECT_EQ(poll.poll(events, std::nullopt).error(), std::errc::resource_deadlock_would_occur);
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(fake.now(), 0ns);
}

TEST(fake_selector, remove_discards_pending_events) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10}, b{11};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(b, token{2}, interest::readable));
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    ASSERT_TRUE(fake.inject(token{2}, interest::readable));
    ASSERT_TRUE(poll.registry().remove(a));
    // Re-adding under the same token must not resurrect the old event either.
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));

    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{2}));
}

TEST(fake_selector, modify_to_new_token_discards_old_tokens_events) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().modify(a, token{5}, interest::readable));
    EXPECT_EQ(fake.pending_count(), 0u);
    EXPECT_EQ(fake.inject(token{1}, interest::readable).error(), std::errc::no_such_file_or_directory);
    ASSERT_TRUE(fake.inject(token{5}, interest::readable));
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{5}));
}

TEST(fake_selector, shared_token_keeps_events_until_last_handle_goes) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10}, b{11};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(b, token{1}, interest::writable));
    EXPECT_EQ(fake.interest_of(token{1}), interest::readable | interest::writable);
    ASSERT_TRUE(fake.inject(token{1}, interest::readable | interest::writable));
    ASSERT_TRUE(poll.registry().remove(b));
    EXPECT_EQ(fake.pending_count(), 1u);
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_TRUE((*events.begin()).is_readable());
    EXPECT_FALSE((*events.begin()).is_writable());  // b's interest left with b
}

TEST(fake_selector, fail_next_add) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10};
    fake.fail_next(fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
    EXPECT_EQ(poll.registry().add(a, token{1}, interest::readable).error(), std::errc::not_enough_memory);
    EXPECT_TRUE(fake.registrations().empty());
    EXPECT_TRUE(poll.registry().add(a, token{1}, interest::readable));  // once only
    EXPECT_EQ(fake.registrations().size(), 1u);
}

TEST(fake_selector, fail_next_modify) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    fake.fail_next(fake_operation::modify, std::make_error_code(std::errc::not_enough_memory));
    EXPECT_EQ(poll.registry().modify(a, token{2}, interest::writable).error(), std::errc::not_enough_memory);
    EXPECT_EQ(fake.interest_of(token{1}), interest::readable);  // unchanged
    EXPECT_TRUE(poll.registry().modify(a, token{2}, interest::writable));
    EXPECT_EQ(fake.interest_of(token{2}), interest::writable);
}

TEST(fake_selector, fail_next_remove) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    fake.fail_next(fake_operation::remove, std::make_error_code(std::errc::bad_file_descriptor));
    EXPECT_EQ(poll.registry().remove(a).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(fake.registrations().size(), 1u);
    EXPECT_TRUE(poll.registry().remove(a));
    EXPECT_TRUE(fake.registrations().empty());
}

TEST(fake_selector, fail_next_poll_keeps_pending_and_clock) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(fake.inject(token{1}, interest::readable));
    fake.fail_next(fake_operation::poll, std::make_error_code(std::errc::interrupted));
    fake_poll::events_type events;
    EXPECT_EQ(poll.poll(events, 5s).error(), std::errc::interrupted);
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(fake.pending_count(), 1u);
    EXPECT_EQ(fake.now(), 0ns);
    ASSERT_TRUE(poll.poll(events, 5s));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{1}));
    EXPECT_EQ(fake.now(), 0ns);
}

TEST(fake_selector, fail_next_wake) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    auto waker = fake_poll::waker_type::create(poll.registry(), token{99});
    ASSERT_TRUE(waker);
    fake.fail_next(fake_operation::wake, std::make_error_code(std::errc::bad_file_descriptor));
    EXPECT_EQ(waker->wake().error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(fake.wake_count(), 0u);
    EXPECT_EQ(fake.pending_count(), 0u);
    EXPECT_TRUE(waker->wake());
    EXPECT_EQ(fake.wake_count(), 1u);
}

TEST(fake_selector, fail_next_disarms_and_replaces) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    mio::posix::source_fd a{10};
    fake.fail_next(fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
    fake.fail_next(fake_operation::add, std::make_error_code(std::errc::no_space_on_device));
    EXPECT_EQ(poll.registry().add(a, token{1}, interest::readable).error(), std::errc::no_space_on_device);
    fake.fail_next(fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
    fake.fail_next(fake_operation::add, std::error_code{});
    EXPECT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    // A failure armed for one operation leaves the others alone.
    fake.fail_next(fake_operation::remove, std::make_error_code(std::errc::interrupted));
    fake_poll::events_type events;
    EXPECT_TRUE(poll.poll(events, 0ns));
    EXPECT_TRUE(poll.registry().modify(a, token{1}, interest::writable));
    EXPECT_EQ(poll.registry().remove(a).error(), std::errc::interrupted);
}

TEST(fake_selector, virtual_clock) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    fake_poll::events_type events;
    EXPECT_EQ(fake.now(), 0ns);
    ASSERT_TRUE(poll.poll(events, 30s));  // nothing pending: "sleeps" 30 s, returns at once
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(fake.now(), 30s);
    ASSERT_TRUE(poll.poll(events, 250us));
    EXPECT_EQ(fake.now(), 30s + 250us);
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_EQ(fake.now(), 30s + 250us);
    ASSERT_TRUE(poll.poll(events, -5s));  // negative: like zero
    EXPECT_EQ(fake.now(), 30s + 250us);
    fake.advance(1ns);
    EXPECT_EQ(fake.now(), 30s + 250us + 1ns);
    fake.advance(-1h);  // the clock never goes back
    EXPECT_EQ(fake.now(), 30s + 250us + 1ns);
    fake.advance(std::chrono::nanoseconds::max());  // saturates
    EXPECT_EQ(fake.now(), std::chrono::nanoseconds::max());

    // A poll that delivers does not move the clock, whatever its timeout.
    auto poll2 = make_poll();
    mio::posix::source_fd a{10};
    ASSERT_TRUE(poll2.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(poll2.selector().inject(token{1}, interest::readable));
    ASSERT_TRUE(poll2.poll(events, 1h));
    EXPECT_EQ(events.size(), 1u);
    EXPECT_EQ(poll2.selector().now(), 0ns);
    EXPECT_EQ(poll2.poll(events, std::nullopt).error(), std::errc::resource_deadlock_would_occur);
    EXPECT_EQ(poll2.selector().now(), 0ns);
}

TEST(fake_selector, clones_share_state) {
    auto poll = make_poll();
    auto clone = poll.registry().try_clone();
    ASSERT_TRUE(clone);
    mio::posix::source_fd a{10};
    ASSERT_TRUE(clone->add(a, token{1}, interest::readable));
    EXPECT_EQ(poll.selector().registrations().size(), 1u);
    ASSERT_TRUE(clone->selector().inject(token{1}, interest::readable));
    clone->selector().advance(1s);
    EXPECT_EQ(poll.selector().now(), 1s);
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_EQ(events.size(), 1u);
    EXPECT_EQ(clone->selector().trace().size(), 2u);  // add + poll
}

TEST(fake_selector, trace_records_every_call) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    auto waker = fake_poll::waker_type::create(poll.registry(), token{99});
    ASSERT_TRUE(waker);
    mio::posix::source_fd a{42};
    fake_poll::events_type events;

    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    EXPECT_EQ(poll.registry().add(a, token{1}, interest::readable).error(), std::errc::file_exists);
    ASSERT_TRUE(poll.registry().modify(a, token{2}, interest::readable | interest::writable));
    ASSERT_TRUE(poll.poll(events, 10ms));
    ASSERT_TRUE(fake.inject(token{2}, interest::writable));
    ASSERT_TRUE(waker->wake());
    ASSERT_TRUE(poll.poll(events, std::nullopt));
    ASSERT_TRUE(poll.registry().remove(a));
    EXPECT_FALSE(poll.poll(events, std::nullopt));

    const std::vector<fake_call> expected{
        {fake_operation::add, 42, 1, 1, 0, 0, 0, 0},
        {fake_operation::add, 42, 1, 1, 0, 0, EEXIST, 0},
        {fake_operation::modify, 42, 2, 3, 0, 0, 0, 0},
        {fake_operation::poll, -1, 0, 0, 10'000'000, 0, 0, 0},
        {fake_operation::wake, -1, 99, 0, 0, 0, 0, 10'000'000},
        {fake_operation::poll, -1, 0, 0, -1, 2, 0, 10'000'000},
        {fake_operation::remove, 42, 2, 0, 0, 0, 0, 10'000'000},
        {fake_operation::poll, -1, 0, 0, -1, 0, EDEADLK, 10'000'000},
    };
    EXPECT_EQ(fake.trace(), expected);
    fake.clear_trace();
    EXPECT_TRUE(fake.trace().empty());
}

TEST(fake_selector, trace_records_print_and_compare_through_pfr) {
    fake_call c{fake_operation::poll, -1, 0, 0, 1000, 2, 0, 5};
    std::ostringstream pfr_out, own_out;
    pfr_out << boost::pfr::io(c);
    own_out << c;
    EXPECT_EQ(pfr_out.str(), "{poll, -1, 0, 0, 1000, 2, 0, 5}");
    EXPECT_EQ(own_out.str(), pfr_out.str());
    EXPECT_TRUE(boost::pfr::eq(c, fake_call{fake_operation::poll, -1, 0, 0, 1000, 2, 0, 5}));
    EXPECT_FALSE(boost::pfr::eq(c, fake_call{fake_operation::poll, -1, 0, 0, 1000, 1, 0, 5}));

    std::ostringstream reg;
    reg << mio::fake_registration{42, token{1}, interest::readable | interest::writable};
    EXPECT_EQ(reg.str(), "{42, token(1), READABLE | WRITABLE}");
    std::ostringstream rd;
    rd << fake_readiness{.readable = true, .read_closed = true};
    EXPECT_EQ(rd.str(), "{1, 0, 0, 1, 0, 0}");
}

// One script, as a component's test would run it; returns the trace and the printed events.
std::pair<std::vector<fake_call>, std::string> run_script() {
    auto poll = std::move(*small_poll::create());
    auto& fake = poll.selector();
    std::ostringstream printed;
    std::vector<mio::posix::source_fd> fds;
    for (int i = 0; i < 6; ++i) fds.push_back({50 + i});
    for (int i = 0; i < 6; ++i)
        if (!poll.registry().add(fds[i], token(i * 10), i % 2 ? interest::writable : interest::readable)) std::abort();
    small_poll::events_type events;
    for (int round = 0; round < 5; ++round) {
        for (int i = 5; i >= 0; i -= 1 + round % 2)
            if (!fake.inject(token(i * 10), interest::readable | interest::writable)) std::abort();
        if (round == 2) fake.fail_next(fake_operation::poll, std::make_error_code(std::errc::interrupted));
        for (int k = 0; k < 3; ++k) {
            auto r = poll.poll(events, std::chrono::milliseconds(round + 1));
            printed << r.error().value() << ' ' << events << '\n';
        }
        fake.advance(std::chrono::microseconds(round));
    }
    return {fake.trace(), printed.str()};
}

TEST(fake_selector, same_script_same_outputs) {
    auto [trace1, printed1] = run_script();
    auto [trace2, printed2] = run_script();
    EXPECT_GT(trace1.size(), 20u);
    EXPECT_EQ(trace1, trace2);
    EXPECT_EQ(printed1, printed2);
    EXPECT_NE(printed1.find("events [event { token: 50"), std::string::npos) << printed1;
}

TEST(fake_waker, coalesces_and_counts) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    auto waker = fake_poll::waker_type::create(poll.registry(), token{7});
    ASSERT_TRUE(waker);
    EXPECT_EQ(fake.interest_of(token{7}), interest::readable);
    EXPECT_TRUE(fake.registrations().empty());  // the waker is not a registered source
    ASSERT_TRUE(waker->wake());
    ASSERT_TRUE(waker->wake());
    ASSERT_TRUE(waker->wake());
    EXPECT_EQ(fake.wake_count(), 3u);
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, std::nullopt));
    ASSERT_EQ(events.size(), 1u);
    auto e = *events.begin();
    EXPECT_EQ(e.token(), token{7});
    EXPECT_TRUE(e.is_readable());
    EXPECT_FALSE(e.is_writable());
    EXPECT_EQ(poll.poll(events, std::nullopt).error(), std::errc::resource_deadlock_would_occur);
}

TEST(fake_waker, one_per_poll_and_destroyed_waker_leaves_no_event) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    {
        auto w1 = fake_poll::waker_type::create(poll.registry(), token{7});
        ASSERT_TRUE(w1);
        EXPECT_EQ(fake_poll::waker_type::create(poll.registry(), token{8}).error(), std::errc::file_exists);
        ASSERT_TRUE(w1->wake());
        auto moved = std::move(*w1);  // the moved-to waker keeps working
        ASSERT_TRUE(moved.wake());
        EXPECT_EQ(fake.wake_count(), 2u);
    }
    EXPECT_EQ(fake.pending_count(), 0u);
    EXPECT_EQ(fake.interest_of(token{7}), std::nullopt);
    auto w2 = fake_poll::waker_type::create(poll.registry(), token{8});
    ASSERT_TRUE(w2);
    ASSERT_TRUE(w2->wake());
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{8}));
}

TEST(fake_waker, wake_from_another_thread_while_polling) {
    auto poll = make_poll();
    auto& fake = poll.selector();
    auto waker = fake_poll::waker_type::create(poll.registry(), token{1});
    ASSERT_TRUE(waker);
    auto reg = poll.registry().try_clone();
    ASSERT_TRUE(reg);
    constexpr int wakes = 2000;
    std::atomic<bool> done{false};
    std::thread t([&] {
        mio::posix::source_fd s{500};
        for (int i = 0; i < wakes; ++i) {
            if (!waker->wake()) std::abort();
            if (i == wakes / 2 && !reg->add(s, token{2}, interest::readable)) std::abort();
        }
        done.store(true);
    });
    fake_poll::events_type events;
    std::size_t seen = 0;
    for (;;) {
        bool finished = done.load();
        auto r = poll.poll(events, 1us);
        ASSERT_TRUE(r);
        seen += events.size();
        fake.clear_trace();  // keeps memory flat however long the other thread takes
        if (finished && fake.pending_count() == 0) break;
    }
    t.join();
    EXPECT_GE(seen, 1u);
    EXPECT_LE(seen, std::size_t(wakes));
    EXPECT_EQ(fake.wake_count(), std::size_t(wakes));
    EXPECT_EQ(fake.registrations().size(), 1u);
}

TEST(fake_selector, dynamic_storage_and_no_waker) {
    auto poll = dyn_poll::create();
    ASSERT_TRUE(poll);
    static_assert(!has_waker_type<dyn_poll>);
    static_assert(has_waker_type<fake_poll>);
    mio::posix::source_fd a{3};
    ASSERT_TRUE(poll->registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(poll->selector().inject(token{1}, interest::readable));
    dyn_poll::events_type events(16);
    ASSERT_TRUE(poll->poll(events, std::nullopt));
    EXPECT_EQ(tokens_of(events), (std::vector<std::size_t>{1}));

    ASSERT_TRUE(poll->selector().inject(token{1}, interest::readable));
    dyn_poll::events_type none(0);
    EXPECT_EQ(poll->poll(none, 0ns).error(), std::errc::invalid_argument);
    EXPECT_EQ(poll->selector().pending_count(), 1u);  // the selector was not even asked
    EXPECT_EQ(poll->selector().now(), 0ns);
}

TEST(fake_selector, library_pipes_register_with_the_fake) {
    auto poll = make_poll();
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    auto& [tx, rx] = *p;
    ASSERT_TRUE(poll.registry().add(rx, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(tx, token{2}, interest::writable));
    EXPECT_EQ(poll.selector().registrations()[0].handle, rx.native_handle());
    ASSERT_TRUE(poll.registry().remove(rx));
    ASSERT_TRUE(poll.registry().remove(tx));
    EXPECT_TRUE(poll.selector().registrations().empty());
}

TEST(fake_selector, closing_a_registered_library_source_forgets_it) {
    // As closing an fd removes it from epoll: the registration and its pending event go,
    // and the fd number (reused by the next open) can be added again.
    auto poll = make_poll();
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    int fd = p->second.native_handle();
    ASSERT_TRUE(poll.registry().add(p->second, token{1}, interest::readable));
    ASSERT_TRUE(poll.selector().inject(token{1}, interest::readable));
    { auto rx = std::move(p->second); }  // closed while registered, event pending
    EXPECT_TRUE(poll.selector().registrations().empty());
    EXPECT_FALSE(poll.selector().interest_of(token{1}));
    fake_poll::events_type events;
    ASSERT_TRUE(poll.poll(events, 0ns));
    EXPECT_TRUE(events.empty()) << "event delivered for a closed source";
    mio::posix::source_fd reused{fd};
    EXPECT_TRUE(poll.registry().add(reused, token{2}, interest::readable));
    // A raw source_fd has no hooks: it stays registered until removed, as in mio.
    EXPECT_EQ(poll.selector().registrations().size(), 1u);
}

TEST(fake_selector, poll_path_allocates_nothing) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new cannot be replaced under clang's TSan";
    auto poll = make_poll();
    auto& fake = poll.selector();
    auto waker = fake_poll::waker_type::create(poll.registry(), token{99});
    ASSERT_TRUE(waker);
    mio::posix::source_fd a{10}, b{11};
    ASSERT_TRUE(poll.registry().add(a, token{1}, interest::readable));
    ASSERT_TRUE(poll.registry().add(b, token{2}, interest::writable));
    fake_poll::events_type events;
    std::size_t delivered = 0;
    mio_alloc::allocation_snapshot before;
    for (int i = 0; i < 100; ++i) {
        // inject is driving code, but it too stays within the reserved queue
        if (!fake.inject(token{1}, interest::readable) || !fake.inject(token{2}, interest::writable)) std::abort();
        if (!waker->wake()) std::abort();
        if (!poll.poll(events, 0ns)) std::abort();
        for (auto e : events) delivered += e.is_readable() + e.is_writable();
        if (!poll.poll(events, 1ms)) std::abort();
    }
    EXPECT_EQ(mio_alloc::allocation_snapshot{}.total(), before.total());
    EXPECT_EQ(delivered, 300u);
    auto snapshot = fake.trace();  // proves the counter counts: a snapshot is a new vector
    EXPECT_GT(mio_alloc::allocation_snapshot{}.total(), before.total());
    EXPECT_EQ(snapshot.size(), 302u);
}

}  // namespace
