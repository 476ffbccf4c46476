// mio::windows::named_pipe over afd_selector (mio's tests/win_named_pipe.rs, in C++): writable
// after register, write then read, connect before and after the client, write then drop,
// connect twice, reregister/deregister, disconnect, and the error paths.
#include "win_test_util.hpp"

#include <mio/basic_poll.hpp>
#include <mio/selector/afd.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/iocp.hpp>
#include <mio/windows/named_pipe.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace {

using namespace std::chrono_literals;
using mio::windows::named_pipe;
using poll_type = mio::basic_poll<mio::afd_selector, mio::fixed_storage<16>, mio::iocp_waker>;

static_assert(mio::source<named_pipe, mio::afd_selector>);
static_assert(std::is_nothrow_move_constructible_v<named_pipe> && !std::is_copy_constructible_v<named_pipe>);

bool running_under_wine() {
    HMODULE ntdll = ::GetModuleHandleW(L"ntdll.dll");
    return ntdll != nullptr && ::GetProcAddress(ntdll, "wine_get_version") != nullptr;
}

std::string unique_name() {
    static std::atomic<int> n{0};
    return "\\\\.\\pipe\\mio-test-" + std::to_string(::GetCurrentProcessId()) + "-" + std::to_string(n++);
}

class named_pipe_test : public mio_test::poll_fixture<poll_type> {
protected:

    struct seen {
        bool readable = false, writable = false, read_closed = false;
    };
    // Events seen by polls so far and not yet asked for, by token (one poll may bring events
    // for several pipes).
    std::map<std::size_t, seen> seen_;
    void poll_into_seen(std::chrono::milliseconds d) {
        EXPECT_TRUE(poll_->poll(events_, d));
        for (auto e : events_) {
            auto& s = seen_[e.token().value];
            s.readable |= e.is_readable();
            s.writable |= e.is_writable();
            s.read_closed |= e.is_read_closed();
        }
    }
    // Polls (at most ~2 s) until `t` has an event with what is asked; returns what it saw.
    std::optional<seen> wait_for(std::size_t t, bool readable, bool writable) {
        for (int i = 0; i < 20; ++i) {
            if (auto it = seen_.find(t); it != seen_.end()) {
                seen got = it->second;
                if ((!readable || got.readable) && (!writable || got.writable)) {
                    seen_.erase(it);
                    return got;
                }
            }
            poll_into_seen(100ms);
        }
        return std::nullopt;
    }
    bool quiet_for(std::size_t t, std::chrono::milliseconds d) {
        poll_into_seen(d);
        return seen_.erase(t) == 0;
    }
    // A connected server/client pair, not registered.
    std::pair<named_pipe, named_pipe> pair() {
        auto name = unique_name();
        auto s = named_pipe::create(name);
        EXPECT_TRUE(s) << s.error().message();
        auto c = named_pipe::open(name);
        EXPECT_TRUE(c) << c.error().message();
        return {std::move(*s), std::move(*c)};
    }
    std::string read_all(named_pipe& p, std::size_t t, std::size_t want) {
        std::string out;
        char buf[64];
        for (int i = 0; i < 20 && out.size() < want; ++i) {
            auto r = p.read(std::span<char>(buf));
            if (r) {
                if (*r == 0) break;
                out.append(buf, *r);
                continue;
            }
            EXPECT_TRUE(mio::is_would_block(r.error())) << r.error().message();
            (void)wait_for(t, true, false);
        }
        return out;
    }

};

TEST_F(named_pipe_test, writable_after_register) {
    auto [server, client] = pair();
    ASSERT_TRUE(poll_->registry().add(client, mio::token{0}, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(poll_->registry().add(server, mio::token{1}, mio::interest::writable));
    auto c = wait_for(0, false, true);
    ASSERT_TRUE(c);
    EXPECT_FALSE(c->readable) << "nothing was written";
    ASSERT_TRUE(wait_for(1, false, true));
}

TEST_F(named_pipe_test, write_then_read) {
    auto [server, client] = pair();
    ASSERT_TRUE(poll_->registry().add(server, mio::token{0}, mio::interest::writable));
    ASSERT_TRUE(poll_->registry().add(client, mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(wait_for(0, false, true));
    auto n = server.write(std::span<const char>("1234", 4));
    ASSERT_TRUE(n) << n.error().message();
    EXPECT_EQ(*n, 4u);
    ASSERT_TRUE(wait_for(1, true, false));
    EXPECT_EQ(read_all(client, 1, 4), "1234");
    // Drained: the next read would block.
    char b[4];
    auto r = client.read(std::span<char>(b));
    ASSERT_FALSE(r);
    EXPECT_TRUE(mio::is_would_block(r.error()));
    // The write completed: writable again, and a second write goes through.
    ASSERT_TRUE(wait_for(0, false, true));
    ASSERT_TRUE(server.write(std::span<const char>("56", 2)));
    EXPECT_EQ(read_all(client, 1, 2), "56");
}

// A write takes at most write_limit bytes (the pipe's buffer, allocated once): a longer one is a
// short write, the rest goes after the writable event, and every byte arrives once and in order.
TEST_F(named_pipe_test, a_write_over_the_limit_is_short_and_every_byte_arrives_in_order) {
    static_assert(named_pipe::write_limit == 4096);
    auto [server, client] = pair();
    ASSERT_TRUE(poll_->registry().add(server, mio::token{0}, mio::interest::writable));
    ASSERT_TRUE(poll_->registry().add(client, mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(wait_for(0, false, true));
    std::string data(3 * named_pipe::write_limit + 1000, '\0');
    for (std::size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + (i * 7) % 26);

    auto first = server.write(std::span<const char>(data));
    ASSERT_TRUE(first) << first.error().message();
    EXPECT_EQ(*first, named_pipe::write_limit) << "a write over the limit is short by exactly the rest";
    std::size_t sent = *first, writes = 1;
    std::string got;
    char buf[1000];
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (got.size() < data.size() && std::chrono::steady_clock::now() < deadline) {
        if (sent < data.size()) {
            auto n = server.write(std::span<const char>(data).subspan(sent));
            if (n) {
                EXPECT_EQ(*n, std::min(named_pipe::write_limit, data.size() - sent));
                sent += *n;
                ++writes;
            } else {
                ASSERT_TRUE(mio::is_would_block(n.error())) << n.error().message();
            }
        }
        for (;;) {
            auto r = client.read(std::span<char>(buf));
            if (!r) {
                ASSERT_TRUE(mio::is_would_block(r.error())) << r.error().message();
                break;
            }
            ASSERT_GT(*r, 0u) << "early end of stream";
            got.append(buf, *r);
        }
        poll_into_seen(50ms);
        seen_.clear();
    }
    EXPECT_EQ(sent, data.size());
    EXPECT_EQ(writes, 4u) << "three full writes and the 1000-byte rest";
    ASSERT_EQ(got.size(), data.size());
    EXPECT_TRUE(got == data) << "bytes lost, repeated or out of order";
}

TEST_F(named_pipe_test, connect_before_client) {
    auto name = unique_name();
    auto server = named_pipe::create(name);
    ASSERT_TRUE(server);
    ASSERT_TRUE(poll_->registry().add(*server, mio::token{0}, mio::interest::readable | mio::interest::writable));
    auto r = server->connect();
    ASSERT_FALSE(r);
    EXPECT_TRUE(mio::is_would_block(r.error())) << r.error().message();
    EXPECT_TRUE(quiet_for(0, 50ms)) << "connected with no client";
    auto client = named_pipe::open(name);
    ASSERT_TRUE(client) << client.error().message();
    ASSERT_TRUE(poll_->registry().add(*client, mio::token{1}, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(wait_for(0, false, true)) << "no writable event on connection";
    ASSERT_TRUE(wait_for(1, false, true));
    EXPECT_TRUE(server->connect());
}

TEST_F(named_pipe_test, connect_after_client) {
    auto name = unique_name();
    auto server = named_pipe::create(name);
    ASSERT_TRUE(server);
    auto client = named_pipe::open(name);
    ASSERT_TRUE(client);
    ASSERT_TRUE(poll_->registry().add(*server, mio::token{0}, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(poll_->registry().add(*client, mio::token{1}, mio::interest::readable | mio::interest::writable));
    EXPECT_TRUE(server->connect()) << "the client is already there";
    ASSERT_TRUE(wait_for(1, false, true));
    ASSERT_TRUE(client->write(std::span<const char>("hi", 2)));
    EXPECT_EQ(read_all(*server, 0, 2), "hi");
}

TEST_F(named_pipe_test, write_then_drop) {
    auto [server, client] = pair();
    ASSERT_TRUE(poll_->registry().add(server, mio::token{0}, mio::interest::writable));
    ASSERT_TRUE(poll_->registry().add(client, mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(wait_for(0, false, true));
    ASSERT_TRUE(server.write(std::span<const char>("1234", 4)));
    ASSERT_TRUE(wait_for(0, false, true));  // the write completed
    { named_pipe gone = std::move(server); }
    EXPECT_EQ(read_all(client, 1, 4), "1234");
    // Then the end of stream.
    std::optional<std::size_t> last;
    for (int i = 0; i < 20 && !last; ++i) {
        char b[8];
        auto r = client.read(std::span<char>(b));
        if (r) last = *r;
        else if (mio::is_would_block(r.error())) (void)wait_for(1, true, false);
        else FAIL() << r.error().message();
    }
    ASSERT_TRUE(last);
    EXPECT_EQ(*last, 0u);
}

TEST_F(named_pipe_test, connect_twice) {
    auto name = unique_name();
    auto server = named_pipe::create(name);
    ASSERT_TRUE(server);
    ASSERT_TRUE(poll_->registry().add(*server, mio::token{0}, mio::interest::readable | mio::interest::writable));
    auto r1 = server->connect();
    ASSERT_FALSE(r1);
    EXPECT_TRUE(mio::is_would_block(r1.error()));
    auto r2 = server->connect();
    ASSERT_FALSE(r2);
    EXPECT_TRUE(mio::is_would_block(r2.error())) << "a second connect while waiting";
    auto client = named_pipe::open(name);
    ASSERT_TRUE(client);
    ASSERT_TRUE(wait_for(0, false, true));
    EXPECT_TRUE(server->connect());
    EXPECT_TRUE(server->connect()) << "connected stays connected";
}

TEST_F(named_pipe_test, reregister_deregister) {
    auto [server, client] = pair();
    auto& reg = poll_->registry();
    ASSERT_TRUE(reg.add(server, mio::token{0}, mio::interest::writable));
    ASSERT_TRUE(reg.add(client, mio::token{1}, mio::interest::readable));
    ASSERT_TRUE(wait_for(0, false, true));
    EXPECT_EQ(reg.add(server, mio::token{0}, mio::interest::writable).error(), std::errc::file_exists);
    // modify reports what is ready under the new token.
    ASSERT_TRUE(reg.modify(server, mio::token{2}, mio::interest::writable));
    ASSERT_TRUE(wait_for(2, false, true));
    // remove: a write to the client's end is not reported on the removed one.
    ASSERT_TRUE(reg.remove(client));
    EXPECT_EQ(reg.remove(client).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(reg.modify(client, mio::token{1}, mio::interest::readable).error(),
              std::errc::no_such_file_or_directory);
    ASSERT_TRUE(server.write(std::span<const char>("x", 1)));
    EXPECT_TRUE(quiet_for(1, 100ms)) << "event for a removed pipe";
    // Added again, the waiting byte is reported.
    ASSERT_TRUE(reg.add(client, mio::token{3}, mio::interest::readable));
    ASSERT_TRUE(wait_for(3, true, false));
    EXPECT_EQ(read_all(client, 3, 1), "x");
}

TEST_F(named_pipe_test, disconnect) {
    auto [server, client] = pair();
    ASSERT_TRUE(poll_->registry().add(server, mio::token{0}, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(poll_->registry().add(client, mio::token{1}, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(wait_for(1, false, true));
    ASSERT_TRUE(server.disconnect());
    auto ev = wait_for(1, true, false);
    ASSERT_TRUE(ev) << "the client saw nothing of the disconnect";
    char b[4];
    auto r = client.read(std::span<char>(b));
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(*r, 0u) << "end of stream after the server disconnected";
    auto w = client.write(std::span<const char>("z", 1));
    // The write is taken into the buffer or refused at once; either way it fails, now or next time.
    if (w) {
        ASSERT_TRUE(wait_for(1, false, true));
        w = client.write(std::span<const char>("z", 1));
    }
    ASSERT_FALSE(w);
    EXPECT_EQ(w.error(), std::errc::broken_pipe) << w.error().message();
}

TEST_F(named_pipe_test, errors) {
    EXPECT_EQ(named_pipe::open(unique_name()).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(named_pipe::create("").error(), std::errc::invalid_argument);
    auto name = unique_name();
    auto first = named_pipe::create(name);
    ASSERT_TRUE(first);
    // Windows refuses a second first instance (FILE_FLAG_FIRST_PIPE_INSTANCE) with access denied;
    // Wine 8 ignores the flag and creates it (doc/afd_selector.md, "Wine").
    if (!running_under_wine()) {
        auto second = named_pipe::create(name);
        ASSERT_FALSE(second) << "a second first instance";
        EXPECT_EQ(second.error(), std::errc::permission_denied) << second.error().message();
    }
    EXPECT_FALSE(*first->take_error());
    // Bound to one poll's port for life: another poll refuses it.
    ASSERT_TRUE(poll_->registry().add(*first, mio::token{0}, mio::interest::writable));
    auto other = poll_type::create();
    ASSERT_TRUE(other);
    ASSERT_TRUE(poll_->registry().remove(*first));
    EXPECT_EQ(other->registry().add(*first, mio::token{0}, mio::interest::writable).error(),
              std::errc::invalid_argument);
    EXPECT_EQ(other->registry().remove(*first).error(), std::errc::no_such_file_or_directory);
}

}  // namespace
