// basic_poll over every backend: timeouts, readiness, edge triggering, registration errors.
// The byte channel is a pipe on POSIX and a loopback TCP connection on Windows (byte_channel()),
// the borrowed raw source posix::source_fd there and a borrowed SOCKET here (borrowed_source).
#include "backends.hpp"
#include "fd_count.hpp"

#include <mio/waker/none.hpp>

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

struct seen_event {
    std::size_t token;
    bool readable, writable, error, read_closed, write_closed;
};

template <class Poll, class Events>
std::vector<seen_event> poll_once(Poll& p, Events& ev, std::optional<std::chrono::nanoseconds> timeout) {
    auto r = p.poll(ev, timeout);
    EXPECT_TRUE(r) << r.error().message();
    std::vector<seen_event> out;
    for (auto e : ev)
        out.push_back({e.token().value, e.is_readable(), e.is_writable(), e.is_error(), e.is_read_closed(),
                       e.is_write_closed()});
    return out;
}

const seen_event* find(const std::vector<seen_event>& v, std::size_t token) {
    for (auto& e : v)
        if (e.token == token) return &e;
    return nullptr;
}

template <class Sender>
void write_bytes(Sender& tx, std::size_t n) {
    std::vector<char> data(n, 'x');
    auto w = tx.write(std::span<const char>(data));
    ASSERT_TRUE(w) << w.error().message();
    ASSERT_EQ(*w, n);
}

template <class B>
class poll_test : public mio_test::poll_fixture<B> {};
TYPED_TEST_SUITE(poll_test, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(poll_test, zero_timeout_returns_at_once_with_no_events) {
    auto start = clock_type::now();
    auto got = poll_once(this->poll(), this->events_, 0ns);
    EXPECT_TRUE(got.empty());
    EXPECT_TRUE(this->events_.empty());
    EXPECT_LT(clock_type::now() - start, 1s);
}

TYPED_TEST(poll_test, one_millisecond_timeout_waits_at_least_that_long) {
    auto start = clock_type::now();
    auto got = poll_once(this->poll(), this->events_, 1ms);
    EXPECT_TRUE(got.empty());
    EXPECT_GE(clock_type::now() - start, 1ms);
}

TYPED_TEST(poll_test, sub_millisecond_timeout_is_not_rounded_to_zero) {
    auto start = clock_type::now();
    auto got = poll_once(this->poll(), this->events_, 100us);
    EXPECT_TRUE(got.empty());
    EXPECT_GE(clock_type::now() - start, 100us);
}

TYPED_TEST(poll_test, blocking_poll_is_woken_from_another_thread) {
    auto w = TypeParam::waker_type::create(this->poll().registry(), mio::token{7});
    ASSERT_TRUE(w) << w.error().message();
    auto start = clock_type::now();
    std::thread t([&] {
        std::this_thread::sleep_for(20ms);
        EXPECT_TRUE(w->wake());
    });
    auto got = poll_once(this->poll(), this->events_, std::nullopt);
    t.join();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].token, 7u);
    EXPECT_TRUE(got[0].readable);
    EXPECT_GE(clock_type::now() - start, 15ms);
}

TYPED_TEST(poll_test, pipe_events_carry_their_tokens) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& [tx, rx] = *p;
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(rx, mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(reg.add(tx, mio::token{2}, mio::interest::writable));

    auto got = poll_once(this->poll(), this->events_, 1s);
    auto* w = find(got, 2);
    ASSERT_NE(w, nullptr);
    EXPECT_TRUE(w->writable);
    EXPECT_FALSE(w->readable);
    EXPECT_EQ(find(got, 1), nullptr) << "empty pipe reported readable";

    write_bytes(tx, 5);
    got = poll_once(this->poll(), this->events_, 1s);
    auto* r = find(got, 1);
    ASSERT_NE(r, nullptr);
    EXPECT_TRUE(r->readable);
    EXPECT_FALSE(r->writable);
    std::array<char, 16> buf{};
    auto n = rx.read(std::span<char>(buf));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 5u);
}

TYPED_TEST(poll_test, edge_triggered_no_second_event_without_new_data) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& [tx, rx] = *p;
    ASSERT_TRUE(this->poll().registry().add(rx, mio::token{1}, mio::interest::readable));
    write_bytes(tx, 10);
    auto got = poll_once(this->poll(), this->events_, 1s);
    ASSERT_NE(find(got, 1), nullptr);

    // Read only part: the data left does not raise another edge.
    std::array<char, 4> small{};
    ASSERT_TRUE(rx.read(std::span<char>(small)));
    got = poll_once(this->poll(), this->events_, 10ms);
    EXPECT_EQ(find(got, 1), nullptr) << "edge-triggered source reported twice without new data";

    // Drain to would_block, then new data raises a new edge.
    std::array<char, 64> big{};
    auto rest = rx.read(std::span<char>(big));
    ASSERT_TRUE(rest);
    EXPECT_EQ(*rest, 6u);
    auto wb = rx.read(std::span<char>(big));
    ASSERT_FALSE(wb);
    EXPECT_TRUE(mio::is_would_block(wb.error()));
    write_bytes(tx, 3);
    got = poll_once(this->poll(), this->events_, 1s);
    ASSERT_NE(find(got, 1), nullptr);
}

TYPED_TEST(poll_test, modify_switches_interest) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& tx = p->first;
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(tx, mio::token{3}, mio::interest::readable));
    auto got = poll_once(this->poll(), this->events_, 10ms);
    EXPECT_EQ(find(got, 3), nullptr) << "write end reported for readable interest";

    ASSERT_TRUE(reg.modify(tx, mio::token{4}, mio::interest::writable));
    got = poll_once(this->poll(), this->events_, 1s);
    auto* w = find(got, 4);
    ASSERT_NE(w, nullptr) << "modify to writable gave no writable event";
    EXPECT_TRUE(w->writable);
    EXPECT_EQ(find(got, 3), nullptr) << "old token still used after modify";
}

TYPED_TEST(poll_test, remove_stops_events) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& [tx, rx] = *p;
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(rx, mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(reg.remove(rx));
    write_bytes(tx, 1);
    auto got = poll_once(this->poll(), this->events_, 10ms);
    EXPECT_EQ(find(got, 1), nullptr);
    // Removed sources can be registered again.
    ASSERT_TRUE(reg.add(rx, mio::token{9}, mio::interest::readable));
    got = poll_once(this->poll(), this->events_, 1s);
    EXPECT_NE(find(got, 9), nullptr);
}

TYPED_TEST(poll_test, remove_drops_an_event_already_pending) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& [tx, rx] = *p;
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(rx, mio::token{1}, mio::interest::readable));
    write_bytes(tx, 1);  // ready before remove: the event must still not come out
    ASSERT_TRUE(reg.remove(rx));
    auto got = poll_once(this->poll(), this->events_, 10ms);
    EXPECT_EQ(find(got, 1), nullptr);
}

TYPED_TEST(poll_test, dropping_a_registered_pipe_end_removes_it) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto tx = std::move(p->first);
    {
        auto rx = std::move(p->second);
        ASSERT_TRUE(this->poll().registry().add(rx, mio::token{1}, mio::interest::readable));
        write_bytes(tx, 1);
    }  // rx closed while its event is pending
    auto got = poll_once(this->poll(), this->events_, 10ms);
    EXPECT_EQ(find(got, 1), nullptr) << "event for a closed source";
}

TYPED_TEST(poll_test, closing_the_sender_gives_read_closed) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto rx = std::move(p->second);
    ASSERT_TRUE(this->poll().registry().add(rx, mio::token{1}, mio::interest::readable));
    { auto tx = std::move(p->first); }
    auto got = poll_once(this->poll(), this->events_, 1s);
    auto* e = find(got, 1);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->read_closed);
    std::array<char, 8> buf{};
    auto n = rx.read(std::span<char>(buf));
    ASSERT_TRUE(n);
    EXPECT_EQ(*n, 0u) << "end of stream reads 0";
}

TYPED_TEST(poll_test, closing_the_receiver_gives_write_closed) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto tx = std::move(p->first);
    ASSERT_TRUE(this->poll().registry().add(tx, mio::token{2}, mio::interest::writable));
    (void)poll_once(this->poll(), this->events_, 1s);  // the initial writable edge
    {
        auto rx = std::move(p->second);
#if defined(_WIN32)
        // The channel is TCP here: a receiver's FIN closes only its own direction, so the writer
        // learns nothing from it (epoll and AFD alike); a receiver that goes away with a reset
        // (linger 0) is what closes the writer's direction (AFD_POLL_ABORT).
        ASSERT_TRUE(rx.set_linger(std::chrono::seconds(0)));
#endif
    }
    auto got = poll_once(this->poll(), this->events_, 1s);
    auto* e = find(got, 2);
    ASSERT_NE(e, nullptr);
    EXPECT_TRUE(e->write_closed);
}

TYPED_TEST(poll_test, adding_a_closed_fd_is_ebadf) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto fd = p->second.release();
    mio_test::close_native(fd);
    mio_test::borrowed_source closed{fd};
    auto r = this->poll().registry().add(closed, mio::token{1}, mio::interest::readable);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
    mio_test::borrowed_source negative{mio_test::invalid_native};
    r = this->poll().registry().add(negative, mio::token{1}, mio::interest::readable);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::bad_file_descriptor);
}

TYPED_TEST(poll_test, double_add_is_eexist) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(p->second, mio::token{1}, mio::interest::readable));
    auto r = reg.add(p->second, mio::token{2}, mio::interest::readable);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::file_exists);

    mio_test::borrowed_source raw{p->first.native_handle()};
    ASSERT_TRUE(reg.add(raw, mio::token{3}, mio::interest::writable));
    r = reg.add(raw, mio::token{4}, mio::interest::writable);
    if constexpr (mio_test::is_kqueue<typename TypeParam::selector_type>) {
        // kqueue has no EEXIST: a second EV_ADD updates the filter, and mio's kqueue accepts it
        // (doc/kqueue_selector.md). The new token is the one reported.
        ASSERT_TRUE(r) << r.error().message();
        auto got = poll_once(this->poll(), this->events_, 1s);
        EXPECT_EQ(find(got, 3), nullptr);
        EXPECT_NE(find(got, 4), nullptr);
    } else {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), std::errc::file_exists);
    }
    ASSERT_TRUE(reg.remove(raw));
}

TYPED_TEST(poll_test, temporary_source_fd_registers_like_a_named_one) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& reg = this->poll().registry();
    auto fd = p->second.native_handle();
    ASSERT_TRUE(reg.add(mio_test::borrowed_source{fd}, mio::token{8}, mio::interest::readable));
    write_bytes(p->first, 1);
    auto got = poll_once(this->poll(), this->events_, 1s);
    EXPECT_NE(find(got, 8), nullptr);
    ASSERT_TRUE(reg.modify(mio_test::borrowed_source{fd}, mio::token{9}, mio::interest::readable));
    ASSERT_TRUE(reg.remove(mio_test::borrowed_source{fd}));
    auto r = reg.remove(mio_test::borrowed_source{fd});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
}

TYPED_TEST(poll_test, modify_or_remove_of_unregistered_is_enoent) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& reg = this->poll().registry();
    auto r = reg.modify(p->second, mio::token{1}, mio::interest::readable);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
    r = reg.remove(p->second);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);

    mio_test::borrowed_source raw{p->first.native_handle()};
    r = reg.modify(raw, mio::token{1}, mio::interest::writable);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
    r = reg.remove(raw);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
}

TYPED_TEST(poll_test, source_registered_with_another_poll_is_refused_in_debug_builds) {
    if (!MIO_DEBUG_CHECKS) GTEST_SKIP() << "the one-registry check exists in debug builds only (as in mio)";
    auto other = TypeParam::poll_type::create();
    ASSERT_TRUE(other);
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    ASSERT_TRUE(this->poll().registry().add(p->second, mio::token{1}, mio::interest::readable));
    auto r = other->registry().add(p->second, mio::token{1}, mio::interest::readable);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::file_exists);
    r = other->registry().remove(p->second);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::no_such_file_or_directory);
    ASSERT_TRUE(this->poll().registry().remove(p->second));
    EXPECT_TRUE(other->registry().add(p->second, mio::token{1}, mio::interest::readable));
}

TYPED_TEST(poll_test, moved_source_keeps_its_registration) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    auto& reg = this->poll().registry();
    ASSERT_TRUE(reg.add(p->second, mio::token{5}, mio::interest::readable));
    auto moved = std::move(p->second);
    write_bytes(p->first, 1);
    auto got = poll_once(this->poll(), this->events_, 1s);
    EXPECT_NE(find(got, 5), nullptr);
    EXPECT_TRUE(reg.remove(moved));
}

TYPED_TEST(poll_test, fixed_capacity_spreads_events_over_polls_and_loses_none) {
    using small_poll = mio::basic_poll<typename TypeParam::selector_type, mio::fixed_storage<4>, mio::no_waker>;
    auto sp = small_poll::create();
    ASSERT_TRUE(sp);
    typename small_poll::events_type events;
    ASSERT_EQ(events.capacity(), 4u);
    std::vector<mio_test::byte_channel_type> pipes;
    for (std::size_t i = 0; i < 10; ++i) {
        auto p = mio_test::byte_channel();
        ASSERT_TRUE(p);
        pipes.push_back(std::move(*p));
        ASSERT_TRUE(sp->registry().add(pipes.back().second, mio::token{i}, mio::interest::readable));
        write_bytes(pipes.back().first, 1);
    }
    std::set<std::size_t> seen;
    auto first = poll_once(*sp, events, 1s);
    EXPECT_EQ(first.size(), 4u);
    for (auto& e : first) seen.insert(e.token);
    for (int round = 0; round < 10 && seen.size() < 10; ++round) {
        auto got = poll_once(*sp, events, 100ms);
        EXPECT_LE(got.size(), 4u);
        for (auto& e : got) EXPECT_TRUE(seen.insert(e.token).second) << "token " << e.token << " reported twice";
    }
    EXPECT_EQ(seen.size(), 10u) << "events lost";
}

TYPED_TEST(poll_test, zero_capacity_is_invalid_argument) {
    using dyn_poll = mio::basic_poll<typename TypeParam::selector_type, mio::dynamic_storage, mio::no_waker>;
    auto dp = dyn_poll::create();
    ASSERT_TRUE(dp);
    typename dyn_poll::events_type none(0);
    EXPECT_EQ(none.capacity(), 0u);
    auto r = dp->poll(none, 0ns);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::invalid_argument);
}

TYPED_TEST(poll_test, poll_and_events_are_movable) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    ASSERT_TRUE(this->poll().registry().add(p->second, mio::token{1}, mio::interest::readable));
    auto moved_poll = std::move(*this->poll_);
    auto moved_events = std::move(this->events_);
    write_bytes(p->first, 1);
    auto got = poll_once(moved_poll, moved_events, 1s);
    EXPECT_NE(find(got, 1), nullptr);
}

TYPED_TEST(poll_test, events_print) {
    auto p = mio_test::byte_channel();
    ASSERT_TRUE(p);
    ASSERT_TRUE(this->poll().registry().add(p->first, mio::token{42}, mio::interest::writable));
    ASSERT_TRUE(this->poll().poll(this->events_, 1s));
    std::ostringstream os;
    os << this->events_;
    EXPECT_NE(os.str().find("token: 42"), std::string::npos) << os.str();
    EXPECT_NE(os.str().find("writable: true"), std::string::npos) << os.str();
}

}  // namespace
