// io_uring_selector specifics: the flag mapping, multishot requests re-armed after the kernel
// ends them (CQ overflow, the submitting thread exited), closing a registered socket cancels
// its request (the peer sees the close), remove's guarantee with completions still in the ring,
// the registration errors, batch mode (requests queued for the next poll, late EBADF), and
// registrations from other threads while a poll is blocked.
// The behaviour every backend shares is tested by the typed suites (test/backends.hpp).
#include <mio/basic_poll.hpp>
#include <mio/net/unix_stream.hpp>
#include <mio/posix/pipe.hpp>
#include <mio/posix/source_fd.hpp>
#include <mio/selector/io_uring.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>

#include "backends.hpp"
#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <optional>
#include <cstddef>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <set>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;
using mio::io_uring_selector;
using poll_type = mio::basic_poll<io_uring_selector, mio::fixed_storage<64>, mio::eventfd_waker>;
using small_poll = mio::basic_poll<io_uring_selector, mio::fixed_storage<1>, mio::eventfd_waker>;

mio::uring_event with(std::uint32_t flags) { return mio::uring_event{77, flags}; }

TEST(io_uring_selector, event_flags_map_as_the_poll_backend_maps_them) {
    EXPECT_EQ(io_uring_selector::event_token(with(POLLIN)), mio::token{77});
    EXPECT_TRUE(io_uring_selector::is_readable(with(POLLIN)));
    EXPECT_TRUE(io_uring_selector::is_readable(with(POLLPRI)));
    EXPECT_FALSE(io_uring_selector::is_readable(with(POLLOUT)));
    EXPECT_TRUE(io_uring_selector::is_writable(with(POLLOUT)));
    EXPECT_TRUE(io_uring_selector::is_error(with(POLLERR)));
    EXPECT_TRUE(io_uring_selector::is_error(with(POLLNVAL)));
    EXPECT_FALSE(io_uring_selector::is_error(with(POLLHUP)));
    EXPECT_TRUE(io_uring_selector::is_read_closed(with(POLLHUP)));
    EXPECT_TRUE(io_uring_selector::is_read_closed(with(POLLIN | POLLRDHUP)));
    EXPECT_FALSE(io_uring_selector::is_read_closed(with(POLLRDHUP)));
    EXPECT_TRUE(io_uring_selector::is_write_closed(with(POLLHUP)));
    EXPECT_TRUE(io_uring_selector::is_write_closed(with(POLLOUT | POLLERR)));
    EXPECT_TRUE(io_uring_selector::is_write_closed(with(POLLERR)));
    EXPECT_FALSE(io_uring_selector::is_write_closed(with(POLLIN | POLLERR)));
    EXPECT_TRUE(io_uring_selector::is_priority(with(POLLPRI)));
    static_assert(!io_uring_selector::close_removes, "the library's close hook removes, not the kernel");
    static_assert(mio::selector_traits<io_uring_selector>::short_read_drains);
}

// Creates a poll or skips the test with the kernel's reason (io_uring missing or disabled).
#define MIO_URING_POLL(var, type, ...)                                                           \
    auto var##_r = type::create(__VA_ARGS__);                                                    \
    if (!var##_r) GTEST_SKIP() << "io_uring unavailable: " << var##_r.error().message();         \
    auto& var = *var##_r

template <class Poll>
std::set<std::size_t> poll_tokens(Poll& p, typename Poll::events_type& ev, std::chrono::nanoseconds timeout) {
    std::set<std::size_t> got;
    auto r = p.poll(ev, timeout);
    EXPECT_TRUE(r) << r.error().message();
    for (auto e : ev) got.insert(e.token().value);
    return got;
}

void put(mio::posix::pipe_sender& tx, std::size_t n = 1) {
    std::vector<char> data(n, 'x');
    auto w = tx.write(std::span<const char>(data));
    ASSERT_TRUE(w) << w.error().message();
}

void drain(mio::posix::pipe_receiver& rx) {
    std::array<char, 256> buf{};
    while (rx.read(std::span<char>(buf))) {
    }
}

class io_uring_fixture : public mio_test::fd_leak_check {};

TEST_F(io_uring_fixture, create_with_bad_ring_sizes_is_the_kernels_error) {
    auto s = io_uring_selector::create(0, 0);
    ASSERT_FALSE(s);
    EXPECT_EQ(s.error(), std::errc::invalid_argument);
}

// Where io_uring is disabled (kernel.io_uring_disabled, or a seccomp filter as in containers)
// io_uring_setup fails with EPERM: create() returns it, and the typed suites skip on it. A
// child process installs a seccomp filter that answers EPERM to io_uring_setup.
TEST_F(io_uring_fixture, create_returns_the_kernels_error_where_io_uring_is_disabled) {
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        sock_filter filter[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_io_uring_setup, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA)),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        sock_fprog prog{static_cast<unsigned short>(sizeof filter / sizeof filter[0]), filter};
        if (::prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || ::prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0)
            ::_exit(10);
        auto s = io_uring_selector::create();
        if (s) ::_exit(11);
        if (s.error() != std::errc::operation_not_permitted) ::_exit(12);
        ::_exit(mio_test::backend_unavailable(s.error()) ? 0 : 13);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "10: no seccomp; 11: created anyway; 12: another error; 13: not a skip";
}

TEST_F(io_uring_fixture, registration_errors_are_synchronous) {
    MIO_URING_POLL(poll, poll_type);
    auto& sel = poll.selector();
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    int fd = p->second.native_handle();
    EXPECT_EQ(sel.add(-1, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.modify(-1, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.remove(-1).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.modify(fd, mio::token{0}, mio::interest::readable).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(sel.remove(fd).error(), std::errc::no_such_file_or_directory);
    ASSERT_TRUE(sel.add(fd, mio::token{0}, mio::interest::readable));
    EXPECT_EQ(sel.add(fd, mio::token{0}, mio::interest::writable).error(), std::errc::file_exists);
    ASSERT_TRUE(sel.remove(fd));
    EXPECT_EQ(sel.remove(fd).error(), std::errc::no_such_file_or_directory);

    int closed = ::dup(fd);
    ::close(closed);
    EXPECT_EQ(sel.add(closed, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(sel.remove(closed).error(), std::errc::bad_file_descriptor);

    // As epoll_ctl: a regular file has no poll method and is refused.
    char path[] = "/tmp/mio_uring_XXXXXX";
    int file = ::mkstemp(path);
    ASSERT_GE(file, 0);
    ::unlink(path);
    EXPECT_EQ(sel.add(file, mio::token{0}, mio::interest::readable).error(), std::errc::operation_not_permitted);
    ::close(file);
}

TEST_F(io_uring_fixture, requests_wait_in_the_queue_for_the_next_poll) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    auto& sel = poll.selector();
    unsigned before = sel.queued_requests();
    ASSERT_TRUE(poll.registry().add(p->second, mio::token{1}, mio::interest::readable));
    EXPECT_EQ(sel.queued_requests(), before + 1) << "add submitted at once";
    put(p->first);
    EXPECT_EQ(poll_tokens(poll, events, 1s), std::set<std::size_t>{1});
    EXPECT_EQ(sel.queued_requests(), 0u);
    // remove submits its cancel at once (the file must be released if it is closed next).
    ASSERT_TRUE(poll.registry().remove(p->second));
    EXPECT_EQ(sel.queued_requests(), 0u);
}

TEST_F(io_uring_fixture, batch_mode_queues_add_and_remove_for_the_next_poll) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto& sel = poll.selector();
    sel.set_batch_registrations(true);
    EXPECT_TRUE(sel.batch_registrations());
    int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    ASSERT_GE(efd, 0);
    mio::posix::source_fd src{efd};
    for (int i = 0; i < 64; ++i) {
        ASSERT_TRUE(poll.registry().add(src, mio::token{5}, mio::interest::readable));
        ASSERT_TRUE(poll.registry().remove(src));
    }
    EXPECT_EQ(sel.queued_requests(), 128u) << "64 add+remove pairs must wait for the poll";
    EXPECT_TRUE(poll_tokens(poll, events, 0ns).empty());
    EXPECT_EQ(sel.queued_requests(), 0u) << "the poll submits them";
    ::close(efd);
}

TEST_F(io_uring_fixture, batch_mode_reports_a_bad_add_late_as_an_error_event) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto& sel = poll.selector();
    sel.set_batch_registrations(true);
    int closed = ::eventfd(0, EFD_CLOEXEC);
    ASSERT_GE(closed, 0);
    ::close(closed);
    ASSERT_TRUE(sel.add(closed, mio::token{9}, mio::interest::readable)) << "batch mode does not ask the kernel";
    ASSERT_TRUE(poll.poll(events, 1s));
    ASSERT_EQ(events.size(), 1u);
    auto e = *events.begin();
    EXPECT_EQ(e.token(), mio::token{9});
    EXPECT_TRUE(e.is_error());
    EXPECT_TRUE(e.is_read_closed());
    EXPECT_TRUE(e.is_write_closed());
    EXPECT_EQ(sel.remove(closed).error(), std::errc::bad_file_descriptor) << "the registration was dropped";
}

// A CQ of 4 entries and 16 ready pipes: the kernel cannot post every completion, ends the
// multishot requests it cannot post for (no IORING_CQE_F_MORE) and keeps their last completion
// in its overflow list. Every readiness still comes out, and every request is re-armed: the
// next round of writes is reported for all 16 again. (The selector itself: basic_poll::create
// takes no ring sizes.)
TEST_F(io_uring_fixture, multishot_requests_ended_by_cq_overflow_are_rearmed) {
    auto made = io_uring_selector::create(4, 4);
    if (!made) GTEST_SKIP() << "io_uring unavailable: " << made.error().message();
    auto& sel = *made;
    std::array<mio::uring_event, 64> out{};
    auto select = [&](std::chrono::nanoseconds timeout) {
        std::set<std::size_t> got;
        auto n = sel.select(out, timeout);
        EXPECT_TRUE(n) << n.error().message();
        for (std::size_t i = 0; n && i < *n; ++i) got.insert(out[i].token);
        return got;
    };
    constexpr std::size_t n = 16;
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    for (std::size_t i = 0; i < n; ++i) {
        auto p = mio::posix::pipe();
        ASSERT_TRUE(p);
        pipes.push_back(std::move(*p));
        ASSERT_TRUE(sel.add(pipes.back().second.native_handle(), mio::token{i}, mio::interest::readable));
    }
    EXPECT_TRUE(select(0ns).empty());
    for (int round = 0; round < 3; ++round) {
        for (auto& [tx, rx] : pipes) put(tx);
        std::set<std::size_t> seen;
        for (int i = 0; i < 50 && seen.size() < n; ++i) {
            auto got = select(100ms);
            seen.insert(got.begin(), got.end());
        }
        EXPECT_EQ(seen.size(), n) << "round " << round << ": readiness lost";
        for (auto& [tx, rx] : pipes) drain(rx);
        // Completions the kernel kept in its overflow list may still come out after the drain
        // (spurious events, which mio allows); then the ring goes quiet.
        bool quiet = false;
        for (int i = 0; i < 8 && !quiet; ++i) quiet = select(0ns).empty();
        EXPECT_TRUE(quiet) << "round " << round;
    }
    EXPECT_GT(sel.rearmed_requests(), 0u) << "the CQ never overflowed: the test proves nothing";
    for (auto& [tx, rx] : pipes) ASSERT_TRUE(sel.remove(rx.native_handle()));
}

// io_uring runs a poll request's wake-ups in the thread that submitted it and cancels the
// requests of a thread that exits. Requests submitted by a thread that has exited since are
// re-armed by the next poll.
TEST_F(io_uring_fixture, requests_of_an_exited_thread_are_rearmed) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    std::thread([&] {
        poll_type::events_type local;
        ASSERT_TRUE(poll.registry().add(p->second, mio::token{3}, mio::interest::readable));
        ASSERT_TRUE(poll.poll(local, 0ns));  // submits the request from this thread
        EXPECT_EQ(poll.selector().queued_requests(), 0u);
    }).join();
    for (int round = 0; round < 3; ++round) {
        put(p->first);
        std::set<std::size_t> seen;
        for (int i = 0; i < 10 && seen.empty(); ++i) seen = poll_tokens(poll, events, 200ms);
        EXPECT_EQ(seen, std::set<std::size_t>{3}) << "round " << round;
        drain(p->second);
    }
    EXPECT_EQ(poll.selector().rearmed_requests(), 1u) << "the exited thread's request was re-armed once";
}

// A poll request holds a reference to its file: closing a registered library socket must
// cancel it, or the peer would never see the close.
TEST_F(io_uring_fixture, closing_a_registered_socket_cancels_its_request_and_the_peer_sees_eof) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto pair = mio::net::unix_stream::pair();
    ASSERT_TRUE(pair);
    auto b = std::move(pair->second);
    {
        auto a = std::move(pair->first);
        ASSERT_TRUE(poll.registry().add(a, mio::token{1}, mio::interest::readable | mio::interest::writable));
        EXPECT_FALSE(poll_tokens(poll, events, 1s).empty());  // the request is in the kernel now
    }
    std::array<char, 8> buf{};
    bool eof = false;
    for (int i = 0; i < 200 && !eof; ++i) {
        auto r = b.read(std::span<char>(buf));
        if (r && *r == 0) eof = true;
        else std::this_thread::sleep_for(5ms);
    }
    EXPECT_TRUE(eof) << "the peer never saw the close: the poll request kept the socket open";
}

// The rule for raw fds (as with the poll(2) backend): remove before close. A raw fd closed
// while registered stays open in the kernel until it is removed.
TEST_F(io_uring_fixture, a_raw_fd_closed_while_registered_is_released_by_remove) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto pair = mio::net::unix_stream::pair();
    ASSERT_TRUE(pair);
    int fd = pair->first.release();
    ASSERT_TRUE(poll.selector().add(fd, mio::token{1}, mio::interest::readable));
    EXPECT_TRUE(poll_tokens(poll, events, 0ns).empty());
    ::close(fd);
    std::array<char, 8> buf{};
    std::this_thread::sleep_for(20ms);
    auto r = pair->second.read(std::span<char>(buf));
    ASSERT_FALSE(r) << "the request still holds the file: no EOF yet";
    EXPECT_TRUE(mio::is_would_block(r.error()));
    ASSERT_TRUE(poll.selector().remove(fd)) << "a registered fd is removed even when already closed";
    bool eof = false;
    for (int i = 0; i < 200 && !eof; ++i) {
        auto n = pair->second.read(std::span<char>(buf));
        if (n && *n == 0) eof = true;
        else std::this_thread::sleep_for(5ms);
    }
    EXPECT_TRUE(eof);
}

// Events of capacity 1 and two ready pipes: one completion is returned, the other stays in
// the ring. The test then acts on the source whose completion is still in the ring.
class ring_leftover : public io_uring_fixture {
protected:
    void SetUp() override {
        auto made = small_poll::create();
        if (!made) GTEST_SKIP() << "io_uring unavailable: " << made.error().message();
        poll_.emplace(std::move(*made));
        for (auto* p : {&p1_, &p2_}) {
            auto made_pipe = mio::posix::pipe();
            ASSERT_TRUE(made_pipe);
            p->emplace(std::move(*made_pipe));
        }
        ASSERT_TRUE(poll_->registry().add(p1_->second, mio::token{1}, mio::interest::readable));
        ASSERT_TRUE(poll_->registry().add(p2_->second, mio::token{2}, mio::interest::readable));
        EXPECT_TRUE(poll_tokens(*poll_, events_, 0ns).empty());
        put(p1_->first);
        put(p2_->first);
        auto first = poll_tokens(*poll_, events_, 1s);
        ASSERT_EQ(first.size(), 1u);
        left_ = *first.begin() == 1 ? &p2_->second : &p1_->second;
    }
    void TearDown() override {
        p1_.reset();
        p2_.reset();
        poll_.reset();
        io_uring_fixture::TearDown();
    }
    std::optional<small_poll> poll_;
    small_poll::events_type events_;
    std::optional<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> p1_, p2_;
    mio::posix::pipe_receiver* left_ = nullptr;
};

TEST_F(ring_leftover, remove_drops_completions_still_in_the_ring) {
    ASSERT_TRUE(poll_->registry().remove(*left_));
    EXPECT_TRUE(poll_tokens(*poll_, events_, 20ms).empty()) << "event of a removed source";
}

// The completion left in the ring carries the old token; the update re-reports the readiness
// under the new one, as EPOLL_CTL_MOD does.
TEST_F(ring_leftover, modify_replaces_completions_still_in_the_ring) {
    ASSERT_TRUE(poll_->registry().modify(*left_, mio::token{7}, mio::interest::readable));
    std::set<std::size_t> seen;
    for (int i = 0; i < 5; ++i) {
        auto got = poll_tokens(*poll_, events_, 20ms);
        seen.insert(got.begin(), got.end());
    }
    EXPECT_EQ(seen, std::set<std::size_t>{7});
}

TEST_F(io_uring_fixture, several_completions_of_one_token_merge_into_one_event) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    ASSERT_TRUE(poll.registry().add(p->second, mio::token{4}, mio::interest::readable));
    EXPECT_TRUE(poll_tokens(poll, events, 0ns).empty());
    for (int i = 0; i < 5; ++i) put(p->first);  // five wake-ups, five completions
    ASSERT_TRUE(poll.poll(events, 1s));
    EXPECT_EQ(events.size(), 1u);
}

TEST_F(io_uring_fixture, add_from_another_thread_wakes_a_blocked_poll) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    put(p->first);  // ready before it is even registered
    auto reg = poll.registry().try_clone();
    ASSERT_TRUE(reg);
    std::thread t([&] {
        std::this_thread::sleep_for(30ms);
        EXPECT_TRUE(reg->add(p->second, mio::token{6}, mio::interest::readable));
    });
    auto got = poll_tokens(poll, events, 5s);
    t.join();
    EXPECT_EQ(got, std::set<std::size_t>{6});
    ASSERT_TRUE(poll.registry().remove(p->second));
}

TEST_F(io_uring_fixture, registrations_race_a_blocked_poll_without_losing_events) {
    MIO_URING_POLL(poll, poll_type);
    poll_type::events_type events;
    constexpr std::size_t n = 32;
    std::vector<std::pair<mio::posix::pipe_sender, mio::posix::pipe_receiver>> pipes;
    for (std::size_t i = 0; i < n; ++i) {
        auto p = mio::posix::pipe();
        ASSERT_TRUE(p);
        pipes.push_back(std::move(*p));
    }
    auto reg = poll.registry().try_clone();
    ASSERT_TRUE(reg);
    std::thread t([&] {
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_TRUE(reg->add(pipes[i].second, mio::token{i}, mio::interest::readable));
            put(pipes[i].first);
            if (i % 2 == 1) {
                EXPECT_TRUE(reg->remove(pipes[i].second));
            }
        }
    });
    std::set<std::size_t> seen;
    for (int i = 0; i < 200 && seen.size() < n / 2; ++i) {
        auto got = poll_tokens(poll, events, 50ms);
        seen.insert(got.begin(), got.end());
    }
    t.join();
    for (int i = 0; i < 5; ++i) {
        auto got = poll_tokens(poll, events, 10ms);
        seen.insert(got.begin(), got.end());
    }
    for (std::size_t i = 0; i < n; i += 2) EXPECT_TRUE(seen.count(i)) << "lost the event of token " << i;
}

TEST_F(io_uring_fixture, moved_from_selector_gives_ebadf) {
    MIO_URING_POLL(poll, poll_type);
    auto s = io_uring_selector::create();
    ASSERT_TRUE(s);
    io_uring_selector moved = std::move(*s);
    EXPECT_EQ(s->add(0, mio::token{0}, mio::interest::readable).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(s->try_clone().error(), std::errc::bad_file_descriptor);
    std::array<mio::uring_event, 4> out{};
    EXPECT_EQ(s->select(out, 0ns).error(), std::errc::bad_file_descriptor);
    EXPECT_TRUE(moved.select(out, 0ns));
    (void)poll;
}

}  // namespace
