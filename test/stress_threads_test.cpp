// Threads stress (issue 6): while one thread polls, four threads add, modify and remove
// sources (byte channels: pipes on POSIX, loopback TCP connections on Windows) through their
// own registry clones and wake the poll, for a bounded time. Run it under ThreadSanitizer (the
// tsan preset) to prove the registry and wakers race-free.
//
// What it asserts, for every backend in mio_test::all_backends:
// - no lost event: once a worker has drained its pipe to would_block after every event the
//   poll reported for it (mio's edge-triggered contract: an event, even a stale or spurious
//   one, is followed by another only after such a drain), a byte it writes makes the poll
//   report the pipe's current token within a deadline, also right after add or modify;
// - no lost wake: after wake() returns, the poll reports the waker's token within a deadline;
// - no event for a removed source from a poll that STARTS after remove returned. The one
//   exception the OS imposes: a poll already running when remove is called may have taken
//   the event from the kernel before the removal, and returns it afterwards. Such late
//   events are counted (they are allowed) and printed. A token replaced through modify
//   counts as removed once modify returned; a pipe closed while registered counts as
//   removed once close returned (closing removes it, as DESIGN.md says).
// - no event for a token that was never registered; no fd (Windows: handle) leaked.
// "Pipe" below means the slot's byte channel, whichever it is.
//
// The check is done after the run from logs each thread keeps for itself, so the test adds
// no locks (which would hide races from TSan); the threads only share relaxed atomics for
// the handshakes, plus one counter of poll generations.
//
// Duration per backend: MIO_STRESS_SECONDS (default 1.5, 3 on Windows; the long run
// is 10). Windows doubles it because a step costs more there: each add opens a loopback TCP
// connection, and under Wine every socket call is a server round trip (50 to 600 adds in
// 1.5 s were seen, with the machine loaded or not): the run needs the time to do every kind of
// operation a few times.
#include "backends.hpp"
#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>
#if !defined(_WIN32)
#  include <sys/ioctl.h>
#endif

namespace {

using clock_type = std::chrono::steady_clock;

constexpr std::size_t worker_count = 4;
constexpr std::size_t slots_per_worker = 8;
constexpr std::size_t slot_count = worker_count * slots_per_worker;
constexpr std::size_t slot_bits = 8;  // token = incarnation << 8 | slot
constexpr mio::token waker_token{255};
// Generous: an event normally arrives within microseconds; TSan on a loaded machine is slow.
constexpr auto handshake_deadline = std::chrono::seconds(5);

double stress_seconds() {
    if (const char* s = std::getenv("MIO_STRESS_SECONDS")) {
        double v = std::atof(s);
        if (v > 0) return v;
    }
    return mio_test::is_windows ? 3.0 : 1.5;
}

// What the threads share while running. Only atomics.
struct shared_state {
    std::atomic<bool> stop{false};
    std::atomic<std::size_t> workers_running{worker_count};
    // Incremented by the poll thread just before each poll starts (seq_cst: a remover that
    // reads g after remove returned knows that every poll numbered above g started later).
    std::atomic<std::uint32_t> generation{0};
    std::atomic<std::uint64_t> wake_requests{0};
    std::atomic<std::uint64_t> wake_ack{0};
    // Per slot: how many events the poll reported (high 32 bits) and the last one's token
    // (low 32 bits), in one atomic so that a reader sees both from the same event.
    std::array<std::atomic<std::uint64_t>, slot_count> seen{};
};

// A token that stopped being registered (remove, modify to a new token, or close), with the
// poll generation read just before the call and just after it returned.
struct retirement {
    std::size_t token;
    std::uint32_t before, after;
};

// Each worker's own log, read only after it was joined.
struct worker_log {
    std::vector<std::size_t> added;                                // every token ever registered
    std::vector<retirement> retired;
    std::size_t adds = 0, modifies = 0, removes = 0, drops = 0, wakes = 0, writes = 0;  // writes: bytes
    std::vector<std::string> failures;
};

struct event_record {
    std::size_t token;
    std::uint32_t generation;
};

template <class Pred>
bool wait_for(Pred pred) {
    auto deadline = clock_type::now() + handshake_deadline;
    while (!pred()) {
        if (clock_type::now() > deadline) return false;
        std::this_thread::yield();
    }
    return true;
}

template <class B>
class worker {
public:
    using registry_type = typename B::poll_type::registry_type;
    using waker_type = typename B::waker_type;

    worker(std::size_t id, registry_type reg, waker_type& waker, shared_state& s, worker_log& log)
        : id_(id), reg_(std::move(reg)), waker_(waker), s_(s), log_(log), rng_(static_cast<unsigned>(id * 7919 + 1)) {}

    void run() {
        while (!s_.stop.load(std::memory_order_relaxed) && log_.failures.empty()) step();
        for (std::size_t k = 0; k < slots_per_worker; ++k)
            if (slots_[k].pipe) drop(k);  // leave nothing registered
        s_.workers_running.fetch_sub(1);
    }

private:
    struct slot {
        std::optional<mio_test::byte_channel_type> pipe;  // {writer, reader}
        std::size_t incarnation = 0;
        std::size_t token = 0;
    };

    std::size_t global_slot(std::size_t k) const { return id_ * slots_per_worker + k; }

    void fail(std::string what) { log_.failures.push_back("worker " + std::to_string(id_) + ": " + what); }

    std::size_t next_token(std::size_t k) {
        auto& sl = slots_[k];
        sl.token = (++sl.incarnation << slot_bits) | global_slot(k);
        log_.added.push_back(sl.token);  // logged before add: the event may beat add's return
        return sl.token;
    }

    std::uint32_t generation() const { return s_.generation.load(); }
    void retire(std::size_t token, std::uint32_t before) { log_.retired.push_back({token, before, generation()}); }

    void step() {
        std::size_t k = rng_() % slots_per_worker;
        unsigned action = rng_() % 16;
        last_step_ = std::to_string(action);
        if (action == 0) return wake();
        if (!slots_[k].pipe) return add(k);
        if (action < 5) return write_and_check(k);
        // The racy variants write first and do not wait for the event, so that it races
        // the modify or remove: that is where a late event can come from.
        if (action < 9) return modify(k, action & 1);
        if (action < 14) return remove(k, action & 1);
        return drop(k);
    }

    void write_one(std::size_t k) {
        const char byte = static_cast<char>(slots_[k].incarnation & 0x7f);
        auto w = slots_[k].pipe->first.write(std::span<const char>(&byte, 1));
        if (!w || *w != 1) return fail("write: " + w.error().message());
        ++log_.writes;
    }

    void add(std::size_t k) {
        auto p = mio_test::byte_channel();
        if (!p) return fail("no byte channel");
        slots_[k].pipe.emplace(std::move(*p));
        auto t = next_token(k);
        auto r = reg_.add(slots_[k].pipe->second, mio::token{t}, mio::interest::readable);
        if (!r) return fail("add: " + r.error().message());
        ++log_.adds;
        write_and_check(k);
    }

    void modify(std::size_t k, bool racy) {
        if (racy) write_one(k);
        auto old = slots_[k].token;
        auto t = next_token(k);
        auto before = generation();
        auto i = (rng_() & 1) ? mio::interest::readable : mio::interest::readable | mio::interest::writable;
        auto r = reg_.modify(slots_[k].pipe->second, mio::token{t}, i);
        if (!r) return fail("modify: " + r.error().message());
        retire(old, before);
        ++log_.modifies;
        write_and_check(k);
    }

    void remove(std::size_t k, bool racy) {
        if (racy) write_one(k);
        auto before = generation();
        auto r = reg_.remove(slots_[k].pipe->second);
        if (!r) return fail("remove: " + r.error().message());
        retire(slots_[k].token, before);
        ++log_.removes;
        // Now that it is not registered, the same source can be added again, or closed.
        if (rng_() & 1) {
            auto t = next_token(k);
            auto a = reg_.add(slots_[k].pipe->second, mio::token{t}, mio::interest::readable);
            if (!a) return fail("re-add: " + a.error().message());
            ++log_.adds;
            write_and_check(k);
        } else {
            slots_[k].pipe.reset();
        }
    }

    // Closes a registered pipe without remove: closing takes it out of the selector.
    void drop(std::size_t k) {
        auto before = generation();
        slots_[k].pipe.reset();
        retire(slots_[k].token, before);
        ++log_.drops;
    }

    // Reads until would_block. As mio documents, only then is a new edge promised (an
    // emulated-edge backend re-arms the source here).
    void drain(std::size_t k) {
        char buf[64];
        for (;;) {
            auto n = slots_[k].pipe->second.read(std::span<char>(buf));
            if (!n) {
                if (!mio::is_would_block(n.error())) fail("read: " + n.error().message());
                return;
            }
            if (*n == 0) return fail("read: unexpected end of stream");
        }
    }

    // Drains in reaction to every event reported for the slot since the last drain. As mio
    // documents, an event (even a spurious or stale one) is only followed by another edge
    // once the source was drained to would_block after it.
    // Returns the event count it saw settled: an event counted after that may have found the
    // pipe readable and disarmed it (emulated edges) before the next write, so the caller
    // must accept any event after this count as the answer to its write.
    std::uint64_t react(std::size_t k) {
        auto& seen = s_.seen[global_slot(k)];
        for (;;) {
            auto count = seen.load(std::memory_order_relaxed) >> 32;
            if (count == drained_at_[k]) return count;
            drained_at_[k] = count;
            drain(k);
        }
    }

    // One byte in: the poll must report the slot's current token, after which it is drained.
    void write_and_check(std::size_t k) {
        auto& sl = slots_[k];
        auto& seen = s_.seen[global_slot(k)];
        const auto before = react(k);
        write_one(k);
        if (!log_.failures.empty()) return;
        // An event for the current token reported after the last drain. An event with an
        // older token can only come from a poll before the one that reports the current
        // token (else the removal guarantee is broken, which the final check reports).
        auto reported = [&] {
            auto v = seen.load(std::memory_order_relaxed);
            return (v >> 32) != before && (v & 0xffffffffu) == sl.token;
        };
        if (!wait_for(reported)) {
            auto v = seen.load(std::memory_order_relaxed);
            int pending = -1;
#if defined(_WIN32)
            u_long n = 0;
            if (::ioctlsocket(sl.pipe->second.native_handle(), FIONREAD, &n) == 0) pending = static_cast<int>(n);
#else
            ::ioctl(sl.pipe->second.native_handle(), FIONREAD, &pending);
#endif
            return fail("lost event: token " + std::to_string(sl.token) + " never reported (events for the slot: " +
                        std::to_string(before) + " before the write, " + std::to_string(v >> 32) +
                        " now, last token " + std::to_string(v & 0xffffffffu) + "; " + std::to_string(pending) +
                        " bytes unread; last step " + last_step_ + ")");
        }
        react(k);
    }

    void wake() {
        auto w = s_.wake_requests.fetch_add(1, std::memory_order_relaxed) + 1;
        auto r = waker_.wake();
        if (!r) return fail("wake: " + r.error().message());
        ++log_.wakes;
        if (!wait_for([&] { return s_.wake_ack.load(std::memory_order_relaxed) >= w; }))
            fail("lost wake: request " + std::to_string(w) + " never acknowledged");
    }

    std::size_t id_;
    registry_type reg_;
    waker_type& waker_;
    shared_state& s_;
    worker_log& log_;
    std::minstd_rand rng_;
    std::array<slot, slots_per_worker> slots_{};
    std::array<std::uint64_t, slots_per_worker> drained_at_{};  // event count at the last drain
    std::string last_step_;  // for failure messages
};

template <class B>
class stress_threads : public ::testing::Test {};
TYPED_TEST_SUITE(stress_threads, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(stress_threads, four_threads_add_modify_remove_and_wake_while_polling) {
    using B = TypeParam;
    mio_test::fd_leak_guard fds;
    const double seconds = stress_seconds();
    std::vector<event_record> events_log;
    std::array<worker_log, worker_count> logs;
    std::size_t polls = 0, interrupted = 0;
    {
        auto poll = B::poll_type::create();
        ASSERT_TRUE(poll) << poll.error().message();
        auto events = B::make_events();
        auto waker = B::waker_type::create(poll->registry(), waker_token);
        ASSERT_TRUE(waker) << waker.error().message();
        shared_state s;

        std::vector<std::thread> threads;
        for (std::size_t id = 0; id < worker_count; ++id) {
            auto clone = poll->registry().try_clone();
            ASSERT_TRUE(clone) << clone.error().message();
            threads.emplace_back([&, id, reg = std::move(*clone)]() mutable {
                worker<B>(id, std::move(reg), *waker, s, logs[id]).run();
            });
        }

        events_log.reserve(1 << 20);
        const auto end = clock_type::now() + std::chrono::duration<double>(seconds);
        std::string poll_failure;
        // Poll until every worker has finished (they may be waiting on a handshake).
        while (s.workers_running.load() > 0) {
            if (!s.stop.load(std::memory_order_relaxed) && clock_type::now() >= end) s.stop.store(true);
            std::uint32_t gen = s.generation.load(std::memory_order_relaxed) + 1;
            s.generation.store(gen);
            auto r = poll->poll(events, std::chrono::milliseconds(20));
            ++polls;
            if (!r) {
                if (r.error() == std::errc::interrupted) { ++interrupted; continue; }
                poll_failure = r.error().message();
                s.stop.store(true);
                continue;
            }
            for (const auto& e : events) {
                events_log.push_back({e.token().value, gen});
                if (e.token() == waker_token) {
                    s.wake_ack.store(s.wake_requests.load(std::memory_order_relaxed), std::memory_order_relaxed);
                } else if (e.is_readable()) {
                    // Only readable events answer a write. A pipe's reading end is never
                    // writable, but a TCP stream (Windows) is, once modify asked for it: counting
                    // that event would let it stand in for a lost readable one.
                    std::size_t slot = e.token().value & ((std::size_t(1) << slot_bits) - 1);
                    if (slot < slot_count) {
                        auto v = s.seen[slot].load(std::memory_order_relaxed);
                        s.seen[slot].store(((v >> 32) + 1) << 32 | (e.token().value & 0xffffffffu),
                                           std::memory_order_relaxed);
                    }
                }
            }
        }
        for (auto& t : threads) t.join();
        EXPECT_EQ(poll_failure, "");
    }

    // Every failure a worker saw (lost event, lost wake, an error from the library).
    for (const auto& l : logs)
        for (const auto& f : l.failures) ADD_FAILURE() << f;

    // Check every event against what was registered and when it was retired.
    std::unordered_set<std::size_t> added;
    std::unordered_map<std::size_t, retirement> retired;
    worker_log total;
    for (const auto& l : logs) {
        added.insert(l.added.begin(), l.added.end());
        for (const auto& r : l.retired) retired.emplace(r.token, r);
        total.adds += l.adds, total.modifies += l.modifies, total.removes += l.removes;
        total.drops += l.drops, total.wakes += l.wakes, total.writes += l.writes;
    }
    // Polls are numbered; poll p+1 starts after poll p returned. For a token retired by a
    // call that read generation b before and a after: polls below b ended before the call,
    // polls above a started after it returned (no event allowed), polls b..a overlapped it.
    std::size_t overlapping = 0, violations = 0, unknown = 0, wake_events = 0;
    for (const auto& e : events_log) {
        if (e.token == waker_token.value) { ++wake_events; continue; }
        if (!added.count(e.token)) {
            if (++unknown <= 5) ADD_FAILURE() << "event for token " << e.token << " that was never registered";
            continue;
        }
        auto it = retired.find(e.token);
        if (it == retired.end() || e.generation < it->second.before) continue;
        if (e.generation > it->second.after) {
            if (++violations <= 5)
                ADD_FAILURE() << "event for token " << e.token << " from poll " << e.generation
                              << ", which started after its removal returned (poll " << it->second.after
                              << " was the last that could overlap it)";
        } else {
            ++overlapping;  // the allowed exception: from a poll running while it was removed
        }
    }
    EXPECT_EQ(violations, 0u);
    EXPECT_EQ(unknown, 0u);
    // The run did real work: each kind of operation happened, every one checked.
    EXPECT_GT(total.adds, 0u);
    EXPECT_GT(total.modifies, 0u);
    EXPECT_GT(total.removes, 0u);
    EXPECT_GT(total.drops, 0u);
    EXPECT_GT(total.wakes, 0u);
    EXPECT_GT(wake_events, 0u);
    EXPECT_EQ(fds.now(), fds.before) << "fd leaked";

    std::cout << "stress_threads " << mio_test::backend_name(static_cast<const B*>(nullptr)) << ": " << seconds
              << " s, " << polls << " polls (" << interrupted << " EINTR), " << events_log.size() << " events; adds "
              << total.adds << ", modifies " << total.modifies << ", removes " << total.removes << ", closes "
              << total.drops << ", wakes " << total.wakes << " (" << wake_events << " wake events), bytes written "
              << total.writes << "; events from polls overlapping a removal (allowed): " << overlapping
              << "; violations: " << violations << "\n";
    ::testing::Test::RecordProperty("overlapping_events", static_cast<int>(overlapping));
}

}  // namespace
