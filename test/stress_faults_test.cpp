// Fault injection (issue 6): the echo logic of test/stress/echo_core.hpp over the fake
// selector, with fail_next making each operation it uses fail: add, modify, remove, poll and
// wake. The streams are real Unix stream pairs (the fake selector never touches them; the
// test injects the readiness the kernel would report), so every byte is really moved and
// checked. Each failure must be handled as echo_core documents it, with nothing that was
// acknowledged lost: a client only ever receives the next bytes it sent, and a connection
// that is dropped is dropped visibly (end of stream or ECONNRESET).
#include "fd_count.hpp"
#include "stress/echo_core.hpp"

#include <mio/basic_poll.hpp>
#include <mio/net/unix_stream.hpp>
#include <mio/posix/source_fd.hpp>
#include <mio/selector/fake.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <vector>

namespace {

using poll_type = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;
using registry_type = poll_type::registry_type;
using stream = mio::net::unix_stream;
using core_type = mio_stress::echo_core<registry_type, stream>;

constexpr mio::token waker_token{1};

std::uint8_t pattern(std::size_t client, std::uint64_t i) {
    return static_cast<std::uint8_t>((i * 2654435761u + client * 40503u) >> 11);
}

// One client: its end of the pair, what it sent, what came back.
struct client {
    std::size_t id;
    stream s;
    mio::token t{0};
    std::uint64_t sent = 0, received = 0;
    bool write_shut = false;
    bool gone = false;          // saw end of stream or an error: the server dropped it
    std::uint64_t corrupt = 0;  // bytes that were not the next ones sent
};

class faults : public ::testing::Test {
protected:
    void SetUp() override {
        auto p = poll_type::create();
        ASSERT_TRUE(p);
        poll_.emplace(std::move(*p));
        auto w = poll_type::waker_type::create(poll_->registry(), waker_token);
        ASSERT_TRUE(w);
        waker_.emplace(std::move(*w));
        core_.emplace(poll_->registry(), 100);
    }
    void TearDown() override {
        if (core_) core_->close_all();
    }

    mio::fake_selector& fake() { return poll_->selector(); }

    // A new connection: the server adopts one end, the test keeps the other.
    client& connect(mio::result<mio::token>* outcome = nullptr) {
        auto p = stream::pair();
        EXPECT_TRUE(p);
        auto [server_end, client_end] = std::move(*p);
        clients_.push_back(std::make_unique<client>(client{clients_.size(), std::move(client_end)}));
        auto r = core_->adopt(std::move(server_end));
        if (r) clients_.back()->t = *r;
        if (outcome) *outcome = r;
        return *clients_.back();
    }

    // The client writes up to n patterned bytes (as many as the socket takes) and the test
    // tells the fake selector what the kernel would: the server's end is readable.
    std::uint64_t send(client& c, std::size_t n) {
        std::vector<std::uint8_t> buf(n);
        for (std::size_t k = 0; k < n; ++k) buf[k] = pattern(c.id, c.sent + k);
        auto w = c.s.write(std::as_bytes(std::span<const std::uint8_t>(buf)));
        std::uint64_t wrote = w ? *w : 0;
        c.sent += wrote;
        (void)fake().inject(c.t, mio::interest::readable);
        return wrote;
    }

    // The client reads everything that came back, checking each byte; then the server's end
    // is writable again (told only when the server asks for it).
    void drain(client& c) {
        std::uint8_t buf[16384];
        for (;;) {
            auto r = c.s.read(std::as_writable_bytes(std::span<std::uint8_t>(buf)));
            if (!r) {
                if (mio::is_would_block(r.error())) break;
                c.gone = true;  // ECONNRESET: the server closed with bytes unread
                break;
            }
            if (*r == 0) {
                c.gone = true;
                break;
            }
            for (std::size_t k = 0; k < *r; ++k)
                if (buf[k] != pattern(c.id, c.received + k)) ++c.corrupt;
            c.received += *r;
        }
        auto i = fake().interest_of(c.t);
        if (i && i->is_writable()) (void)fake().inject(c.t, mio::interest::writable);
    }

    void shut_write(client& c) {
        ASSERT_TRUE(c.s.shutdown(mio::net::shutdown_how::write));
        c.write_shut = true;
        (void)fake().inject(c.t, mio::fake_readiness{.readable = true, .read_closed = true});
    }

    // One turn of the event loop. A failed poll is reported and the loop goes on (the fake,
    // like the kernel, keeps what was pending).
    mio::result<void> turn() {
        auto r = poll_->poll(events_, std::chrono::milliseconds(0));
        if (!r) {
            ++poll_errors_;
            return r;
        }
        for (const auto& e : events_) {
            if (e.token() == waker_token) ++wakes_seen_;
            else core_->handle(e);
        }
        return {};
    }

    // Turns and drains until nothing moves.
    void settle() {
        for (int round = 0; round < 1000; ++round) {
            (void)turn();
            for (auto& c : clients_)
                if (!c->gone) drain(*c);
            if (fake().pending_count() == 0) return;
        }
        ADD_FAILURE() << "did not settle";
    }

    void expect_intact(const client& c) {
        EXPECT_EQ(c.corrupt, 0u) << "client " << c.id << " received bytes it did not send";
        EXPECT_LE(c.received, c.sent);
        if (!c.gone) {
            EXPECT_EQ(c.received, c.sent) << "client " << c.id << " is connected but was not fully echoed";
        }
    }

    std::optional<poll_type> poll_;
    std::optional<poll_type::waker_type> waker_;
    poll_type::events_type events_;
    std::optional<core_type> core_;
    std::vector<std::unique_ptr<client>> clients_;
    std::size_t poll_errors_ = 0, wakes_seen_ = 0;
};

const auto enomem = std::make_error_code(std::errc::not_enough_memory);
const auto eio = std::make_error_code(std::errc::io_error);

TEST_F(faults, echo_without_faults) {
    auto& a = connect();
    auto& b = connect();
    for (int k = 0; k < 10; ++k) {
        send(a, 1000 + k);
        send(b, 70000);
        settle();
    }
    expect_intact(a);
    expect_intact(b);
    EXPECT_FALSE(a.gone || b.gone);
    EXPECT_GT(a.received, 0u);
    EXPECT_EQ(core_->stats().bytes_out, a.sent + b.sent);
}

TEST_F(faults, add_failure_closes_that_connection_and_the_server_goes_on) {
    mio_test::fd_leak_guard fds;
    fake().fail_next(mio::fake_operation::add, enomem);
    mio::result<mio::token> r = mio::token{0};
    auto& a = connect(&r);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::not_enough_memory);
    EXPECT_EQ(core_->size(), 0u);
    EXPECT_EQ(core_->stats().rejected, 1u);
    drain(a);
    EXPECT_TRUE(a.gone) << "the peer of a rejected connection must see it closed";
    auto& b = connect(&r);
    ASSERT_TRUE(r);
    send(b, 5000);
    settle();
    expect_intact(b);
    EXPECT_EQ(b.received, 5000u);
}

TEST_F(faults, modify_failure_when_asking_for_writable_closes_only_that_connection) {
    auto& a = connect();
    auto& b = connect();
    fake().fail_next(mio::fake_operation::modify, enomem);
    // a sends more than the sockets hold without reading, so the echo blocks and the server
    // asks for writable: that modify fails.
    for (int k = 0; k < 64 && core_->stats().modify_failed == 0; ++k) {
        send(a, 64 * 1024);
        (void)turn();
    }
    EXPECT_EQ(core_->stats().modify_failed, 1u);
    EXPECT_FALSE(core_->contains(a.t));
    send(b, 3000);
    settle();
    EXPECT_TRUE(a.gone);
    expect_intact(a);  // what a received is a prefix of what it sent
    expect_intact(b);
    EXPECT_EQ(b.received, 3000u);
}

TEST_F(faults, modify_failure_when_going_back_to_readable_closes_only_that_connection) {
    auto& a = connect();
    for (int k = 0; k < 64; ++k) {
        send(a, 64 * 1024);
        (void)turn();
        auto i = fake().interest_of(a.t);
        if (i && i->is_writable()) break;  // the server waits for writable now
    }
    ASSERT_TRUE(fake().interest_of(a.t)->is_writable());
    fake().fail_next(mio::fake_operation::modify, eio);
    settle();  // a drains, the server flushes, then asks for readable only: fails
    EXPECT_EQ(core_->stats().modify_failed, 1u);
    EXPECT_TRUE(a.gone);
    expect_intact(a);
}

TEST_F(faults, remove_failure_is_retried_and_the_connection_closes) {
    mio_test::fd_leak_guard fds;
    {
        auto& a = connect();
        send(a, 10000);
        settle();
        fake().fail_next(mio::fake_operation::remove, eio);
        shut_write(a);
        settle();
        EXPECT_EQ(core_->stats().remove_failed, 1u);
        EXPECT_EQ(core_->stats().remove_failed_twice, 0u);
        EXPECT_EQ(core_->stats().closed_eof, 1u);
        EXPECT_TRUE(a.gone);
        expect_intact(a);
        EXPECT_EQ(a.received, 10000u);
        EXPECT_TRUE(fake().registrations().empty()) << "the retry removed it";
        clients_.clear();
    }
    EXPECT_EQ(fds.now(), fds.before);
}

// A registry whose every remove fails (fail_next is armed before each one), so that
// echo_core's retry fails too.
struct failing_remove_registry {
    registry_type& r;
    mio::fake_selector& f;
    template <class S>
    mio::result<void> add(S& s, mio::token t, mio::interest i) {
        return r.add(s, t, i);
    }
    template <class S>
    mio::result<void> modify(S& s, mio::token t, mio::interest i) {
        return r.modify(s, t, i);
    }
    template <class S>
    mio::result<void> remove(S& s) {
        f.fail_next(mio::fake_operation::remove, std::make_error_code(std::errc::io_error));
        return r.remove(s);
    }
};

TEST_F(faults, remove_failing_twice_still_closes_and_later_events_are_ignored) {
    auto& a = connect();
    auto& b = connect();
    send(a, 100);
    settle();
    // A second core over a registry whose removes always fail.
    failing_remove_registry reg{poll_->registry(), fake()};
    mio_stress::echo_core<failing_remove_registry, stream> core(reg, 1000);
    auto p = stream::pair();
    ASSERT_TRUE(p);
    auto [server_end, client_end] = std::move(*p);
    auto t = core.adopt(std::move(server_end));
    ASSERT_TRUE(t);
    ASSERT_TRUE(client_end.shutdown(mio::net::shutdown_how::write));
    ASSERT_TRUE(fake().inject(*t, mio::fake_readiness{.readable = true, .read_closed = true}));
    ASSERT_TRUE(poll_->poll(events_, std::chrono::milliseconds(0)));
    for (const auto& e : events_) core.handle(e);
    EXPECT_EQ(core.size(), 0u);
    EXPECT_EQ(core.stats().remove_failed_twice, 1u);
    char c;
    auto r = client_end.read(std::span<char>(&c, 1));
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 0u) << "closed although its removal failed";
    // Closing forgot the registration although remove failed, as closing an fd removes it
    // from epoll: nothing can be injected for it any more.
    EXPECT_EQ(fake().inject(*t, mio::interest::readable).error(), std::errc::no_such_file_or_directory);
    // An event under that token from another source (a raw fd the core never adopted)
    // reaches no connection.
    mio::posix::source_fd ghost{client_end.native_handle()};
    ASSERT_TRUE(poll_->registry().add(ghost, *t, mio::interest::readable));
    ASSERT_TRUE(fake().inject(*t, mio::interest::readable));
    ASSERT_TRUE(poll_->poll(events_, std::chrono::milliseconds(0)));
    for (const auto& e : events_) core.handle(e);
    EXPECT_EQ(core.stats().stray_events, 1u);
    ASSERT_TRUE(poll_->registry().remove(ghost));
    // The first core's connections are untouched.
    send(b, 500);
    settle();
    expect_intact(a);
    expect_intact(b);
    EXPECT_EQ(b.received, 500u);
}

TEST_F(faults, poll_failure_loses_no_event) {
    auto& a = connect();
    send(a, 4000);
    fake().fail_next(mio::fake_operation::poll, eio);
    auto r = turn();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error(), std::errc::io_error);
    EXPECT_EQ(fake().pending_count(), 1u);
    settle();
    expect_intact(a);
    EXPECT_EQ(a.received, 4000u);
}

TEST_F(faults, wake_failure_is_reported_and_a_retry_is_delivered) {
    fake().fail_next(mio::fake_operation::wake, enomem);
    auto w = waker_->wake();
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error(), std::errc::not_enough_memory);
    ASSERT_TRUE(turn());
    EXPECT_EQ(wakes_seen_, 0u) << "a failed wake must not be delivered";
    ASSERT_TRUE(waker_->wake());  // the caller retries, as it must on any error
    ASSERT_TRUE(turn());
    EXPECT_EQ(wakes_seen_, 1u);
    EXPECT_EQ(fake().wake_count(), 1u);
}

// Thousands of random steps over many clients, with a failure armed on a random operation
// every few steps. Whatever fails, no client receives a byte it did not send, in order, and
// every connection still open at the end has received everything it sent.
TEST_F(faults, random_failures_on_every_operation) {
    mio_test::fd_leak_guard fds;
    std::mt19937 rng(20240601);
    const std::array<mio::fake_operation, 5> ops{mio::fake_operation::add, mio::fake_operation::modify,
                                                 mio::fake_operation::remove, mio::fake_operation::poll,
                                                 mio::fake_operation::wake};
    const std::array<std::error_code, 4> errors{enomem, eio, std::make_error_code(std::errc::bad_file_descriptor),
                                                std::make_error_code(std::errc::no_buffer_space)};
    std::map<mio::fake_operation, std::size_t> armed, failed;
    std::size_t wake_requests = 0, wake_failures = 0;
    for (int k = 0; k < 8; ++k) connect();
    for (int step = 0; step < 4000; ++step) {
        auto& c = *clients_[rng() % clients_.size()];
        switch (rng() % 10) {
        case 0: case 1: case 2:
            if (!c.gone && !c.write_shut) send(c, 1 + rng() % (64 * 1024));
            break;
        case 3: case 4:
            if (!c.gone) drain(c);
            break;
        case 5: case 6:
            (void)turn();
            break;
        case 7: {
            auto op = ops[rng() % ops.size()];
            fake().fail_next(op, errors[rng() % errors.size()]);
            ++armed[op];
            break;
        }
        case 8:
            if (rng() % 4 == 0) connect();
            else if (!c.gone && !c.write_shut && rng() % 8 == 0) shut_write(c);
            break;
        default: {
            // Another thread asks the loop to look at something: it retries a failed wake.
            ++wake_requests;
            while (!waker_->wake()) ++wake_failures;
            break;
        }
        }
        for (const auto& call : fake().trace())
            for (const auto& e : errors)
                if (call.error != 0 && call.error == e.value()) ++failed[call.operation];
        fake().clear_trace();
    }
    // No more faults: everything still connected must be echoed in full.
    for (auto op : ops) fake().fail_next(op, {});
    settle();
    std::size_t open = 0, gone = 0;
    std::uint64_t bytes = 0;
    for (const auto& c : clients_) {
        expect_intact(*c);
        (c->gone ? gone : open) += 1;
        bytes += c->received;
    }
    for (auto op : ops) EXPECT_GT(failed[op], 0u) << "operation " << op << " never failed";
    EXPECT_GT(open, 0u);
    EXPECT_EQ(open, core_->size());
    EXPECT_GT(wakes_seen_, 0u);
    const std::size_t client_count = clients_.size();
    core_->close_all();
    clients_.clear();
    EXPECT_EQ(fds.now(), fds.before);
    const auto& s = core_->stats();
    std::cout << "faults: " << client_count << " clients; failures injected: add " << failed[ops[0]] << ", modify "
              << failed[ops[1]] << ", remove " << failed[ops[2]] << ", poll " << failed[ops[3]] << ", wake "
              << failed[ops[4]] << "; connections open " << open << ", dropped visibly " << gone << " (rejected "
              << s.rejected << ", modify failed " << s.modify_failed << "); removes failed " << s.remove_failed
              << " (twice " << s.remove_failed_twice << "); bytes echoed and checked " << bytes << "; wakes " << wake_requests << " (" << wake_failures
              << " retried)\n";
}

}  // namespace
