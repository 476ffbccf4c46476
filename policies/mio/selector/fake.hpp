// mio::fake_selector: a deterministic selector that never touches the kernel, for unit tests
// of event-driven code. Registrations are recorded, events are injected by the test, time is
// virtual, failures are scripted, and every call is traced.
//
// Semantics (the contract tests rely on; see also DESIGN.md "Fake selector details"):
//   add        EBADF for a negative handle, EEXIST when the handle is registered; else recorded.
//   modify     ENOENT when the handle is not registered; else token and interest replaced
//              (the registration keeps its place in registrations()).
//   remove     ENOENT when the handle is not registered. Pending (injected, undelivered) events
//              for its token are discarded unless another registration still uses that token,
//              so no poll that starts after remove returns an event for it.
//   close      a library socket or pipe closed while registered is forgotten with its pending
//              events (as epoll forgets a closed fd); not traced. Raw source_fd: remove first.
//   inject     ENOENT when no source (nor the waker) is registered under the token; EINVAL for
//              an all-false fake_readiness. readable/writable/priority outside the registered
//              interest are dropped (as epoll does), error/read_closed/write_closed always pass.
//              Events for one token merge into one pending event (flags OR-ed) that keeps the
//              place of the first injection; events come out in injection order.
//   select     (basic_poll::poll) a failure armed by fail_next(poll) first: returned, nothing
//              consumed, clock unchanged, no timer run. Otherwise runs the timers already due,
//              then delivers at most out.size() pending events, the rest stay for the next poll;
//              the clock does not move. With nothing pending: the clock moves to the earliest
//              timer due within the timeout, runs every timer due then, and tries again; when
//              none is due within it, timeout -> now() advances by the timeout (negative counts
//              as zero) and 0 events; std::nullopt -> std::errc::resource_deadlock_would_occur
//              (a real poll would hang). Under chaos, only real (injected, timer or waker)
//              events count as delivering: a poll whose pending events chaos held back returns
//              without moving the clock, and a spurious event rides along with whatever the
//              poll returns (0 real events included).
//   wake       (fake_waker) queues a readable event for the waker's token, merged like any event
//              (so wakes coalesce), and counts it in wake_count().
//   fail_next  arms one failure per operation; the next call of that kind fails with it and
//              disarms it. Arming again replaces the armed error; a default (falsy) error_code
//              disarms. fail_nth(op, n, ec) is the same for the n-th call from now (fail_next is
//              fail_nth(op, 1, ec)); call_count(op) counts every call of op, failed ones too.
//   chaos      set_chaos(fake_chaos) adds what a kernel may do, drawn from one seeded generator
//              (detail::sim_random): per poll, a spurious event for a registered token; per
//              pending event and poll, a delay to a later poll; once per event, its flags split
//              over two polls. Chaos never decides the clock (see select below).
//   timers     schedule(at, fn, context, arg) queues a callback for virtual time `at`: the one
//              scheduling mechanism of the simulation (mio::sim::network's arrivals use it).
//              Due timers run in (at, order of scheduling) order, with the fake's lock released
//              (so they may inject), from select and from advance; the clock reads `at` while
//              one runs. cancel_timers(context) drops a context's timers.
//
// Threads: a selector and its try_clone()s share one state behind a mutex, so registry clones
// and the waker may be used from other threads while the poll thread is in poll(). Nothing
// ever blocks or sleeps. Allocation: create() allocates the state and reserves room for 256
// pending events, 64 registrations, 64 timers and 1024 trace records; select allocates nothing until the
// trace outgrows that (then amortised growth; clear_trace() keeps it bounded). Timers: the
// queue allocates only when more timers wait at once than ever before.
#pragma once

#include <mio/detail/sim_random.hpp>
#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <span>
#include <system_error>
#include <utility>
#include <vector>

#include <boost/pfr/io_fields.hpp>

namespace mio {

/// The readiness a test injects: a plain aggregate of flags, e.g.
/// `mio::fake_readiness{.readable = true, .read_closed = true}`.
struct fake_readiness {
    bool readable = false;
    bool writable = false;
    bool error = false;
    bool read_closed = false;
    bool write_closed = false;
    bool priority = false;

    friend constexpr bool operator==(const fake_readiness&, const fake_readiness&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_readiness& r) {
        return os << boost::pfr::io_fields(r);
    }
};

/// The calls of a fake selector that fail_next can make fail, and that trace() records.
enum class fake_operation : unsigned char { add, modify, remove, poll, wake };

/// Prints the operation's name ("add", "modify", ...).
inline std::ostream& operator<<(std::ostream& os, fake_operation op) {
    constexpr const char* names[] = {"add", "modify", "remove", "poll", "wake"};
    auto i = static_cast<std::size_t>(op);
    return os << (i < std::size(names) ? names[i] : "?");
}

/// What set_chaos makes the fake selector do, as kernels may (all off by default). The same
/// seed and the same calls give the same run on every machine.
struct fake_chaos {
    std::uint64_t seed = 0;
    double spurious = 0;  ///< per poll: chance of one extra readable or writable event (within
                          ///< its interest) for a registered token
    double split = 0;     ///< chance that an event's flags come over two polls (once per event)
    double delay = 0;     ///< per pending event and poll: chance that it waits for a later poll

    friend constexpr bool operator==(const fake_chaos&, const fake_chaos&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_chaos& c) { return os << boost::pfr::io_fields(c); }
};

/// A timer callback (see fake_selector::schedule): runs once when virtual time reaches it.
using fake_timer_fn = void (*)(void* context, std::uint64_t arg) noexcept;

/// One registration as the fake selector recorded it.
struct fake_registration {
    int handle;
    mio::token token;
    mio::interest interest;

    friend constexpr bool operator==(const fake_registration&, const fake_registration&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_registration& r) {
        return os << boost::pfr::io_fields(r);
    }
};

/// One traced call: a plain aggregate of integers (so it compares with == and prints with
/// operator<< or boost::pfr::io, and is the same on every run and machine). Fields that do not
/// apply to an operation are 0 (handle -1).
struct fake_call {
    fake_operation operation;
    int handle;              ///< add/modify/remove: the handle; poll/wake: -1
    std::size_t token;       ///< add/modify: the token given; remove: the token it had (0 if
                             ///< unknown); wake: the waker's token (0 if none); poll: 0
    unsigned interest;       ///< add/modify: interest::bits(); otherwise 0
    std::int64_t timeout_ns; ///< poll: the timeout, -1 for std::nullopt; otherwise 0
    std::size_t events;      ///< poll: how many events it delivered; otherwise 0
    int error;               ///< 0 on success, else the error_code's value (an errno value)
    std::int64_t at_ns;      ///< now() when the call was made

    friend constexpr bool operator==(const fake_call&, const fake_call&) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, const fake_call& c) { return os << boost::pfr::io_fields(c); }
};

/// The event record a fake selector fills into basic_events: a token and its flags.
struct fake_event {
    std::size_t token = 0;
    fake_readiness readiness{};

    friend constexpr bool operator==(const fake_event&, const fake_event&) noexcept = default;
};

/// A selector for unit tests: models mio::selector with handle_type int (made-up numbers such
/// as mio::posix::source_fd{42} are fine: nothing reaches the kernel). Driven through
/// basic_poll::selector(). Not usable with eventfd_waker or pipe_waker (it polls no fds);
/// use fake_waker or no_waker. See the top of this file for the exact semantics.
class fake_selector {
public:
    using handle_type = int;
    using native_event = fake_event;
    using clock_duration = std::chrono::nanoseconds;

    /// A new selector with its own state, its clock at zero. Errors: none (std::bad_alloc
    /// propagates when exceptions are on).
    static result<fake_selector> create() { return fake_selector(std::make_shared<state>()); }

    /// A second handle on the same state (for registry clones used from other threads).
    result<fake_selector> try_clone() const { return fake_selector(s_); }

    // ---- the selector interface (called by basic_registry / basic_poll) ----

    /// Records a registration. Errors: EBADF for a negative handle, EEXIST if registered, or
    /// the error armed by fail_next(fake_operation::add).
    result<void> add(int handle, token t, interest i) {
        std::lock_guard lock(s_->m);
        auto r = [&]() -> result<void> {
            if (auto e = s_->take_failure(fake_operation::add)) return e;
            if (handle < 0) return std::errc::bad_file_descriptor;
            if (s_->find(handle) != s_->regs.end()) return std::errc::file_exists;
            s_->regs.push_back({handle, t, i});
            return {};
        }();
        s_->record({fake_operation::add, handle, t.value, i.bits(), 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

    /// Replaces a registration's token and interest. Errors: ENOENT if not registered, or the
    /// error armed by fail_next(fake_operation::modify).
    result<void> modify(int handle, token t, interest i) {
        std::lock_guard lock(s_->m);
        auto r = [&]() -> result<void> {
            if (auto e = s_->take_failure(fake_operation::modify)) return e;
            auto it = s_->find(handle);
            if (it == s_->regs.end()) return std::errc::no_such_file_or_directory;
            token old = it->token;
            it->token = t;
            it->interest = i;
            if (old != t) s_->purge_if_unused(old);
            return {};
        }();
        s_->record({fake_operation::modify, handle, t.value, i.bits(), 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

    /// Forgets a registration and its undelivered events. Errors: ENOENT if not registered,
    /// or the error armed by fail_next(fake_operation::remove).
    result<void> remove(int handle) {
        std::lock_guard lock(s_->m);
        std::size_t tok = 0;
        auto r = [&]() -> result<void> {
            auto it = s_->find(handle);
            if (it != s_->regs.end()) tok = it->token.value;
            if (auto e = s_->take_failure(fake_operation::remove)) return e;
            if (it == s_->regs.end()) return std::errc::no_such_file_or_directory;
            token old = it->token;
            s_->regs.erase(it);
            s_->purge_if_unused(old);
            return {};
        }();
        s_->record({fake_operation::remove, handle, tok, 0, 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

    /// Delivers pending events into `out` (basic_poll::poll calls this). Allocation-free while
    /// the trace has room. Errors: the one armed by fail_next(fake_operation::poll) (nothing is
    /// consumed); resource_deadlock_would_occur for std::nullopt with nothing pending.
    result<std::size_t> select(std::span<fake_event> out, std::optional<clock_duration> timeout) {
        std::unique_lock lock(s_->m);
        const auto at = s_->now.count();
        const std::int64_t timeout_ns = timeout ? timeout->count() : -1;
        auto r = [&]() -> result<std::size_t> {
            if (auto e = s_->take_failure(fake_operation::poll)) return e;
            const clock_duration deadline = timeout ? saturating_add(s_->now, *timeout) : clock_duration::max();
            run_timers(lock, s_->now);
            for (;;) {
                std::size_t n = s_->deliver(out);
                // Held-back events are still pending: the poll returns rather than let chaos
                // move the clock past them.
                if (n > 0 || !s_->pending.empty()) return s_->add_spurious(out, n);
                if (!s_->timers.empty() && s_->timers.front().at <= deadline) {
                    run_timers(lock, s_->timers.front().at);
                    continue;
                }
                if (!timeout) return std::errc::resource_deadlock_would_occur;
                s_->now = deadline;
                return s_->add_spurious(out, 0);
            }
        }();
        s_->record({fake_operation::poll, -1, 0, 0, timeout_ns, r ? *r : 0, r.error().value(), at});
        return r;
    }

    static token event_token(const fake_event& e) noexcept { return token(e.token); }
    static bool is_readable(const fake_event& e) noexcept { return e.readiness.readable; }
    static bool is_writable(const fake_event& e) noexcept { return e.readiness.writable; }
    static bool is_error(const fake_event& e) noexcept { return e.readiness.error; }
    static bool is_read_closed(const fake_event& e) noexcept { return e.readiness.read_closed; }
    static bool is_write_closed(const fake_event& e) noexcept { return e.readiness.write_closed; }
    static bool is_priority(const fake_event& e) noexcept { return e.readiness.priority; }

    // ---- driving it from a test ----

    /// Queues readiness for the source registered under `t`: readable, writable and priority
    /// as `i` says. Errors: ENOENT when nothing is registered under `t`.
    result<void> inject(token t, interest i) {
        return inject(t, fake_readiness{.readable = i.is_readable(), .writable = i.is_writable(),
                                        .priority = i.is_priority()});
    }

    /// Queues readiness for the source registered under `t`; flags outside its interest are
    /// dropped (error and closed flags always pass), and a pending event for `t` absorbs it.
    /// Errors: ENOENT when nothing is registered under `t`; EINVAL when every flag is false.
    result<void> inject(token t, fake_readiness r) {
        if (!any(r)) return std::errc::invalid_argument;
        std::lock_guard lock(s_->m);
        auto i = s_->interest_of(t);
        if (!i) return std::errc::no_such_file_or_directory;
        s_->queue(t, filter(r, *i));
        return {};
    }

    /// Makes the next call of kind `op` fail with `ec` (once). A falsy `ec` disarms.
    void fail_next(fake_operation op, std::error_code ec) { fail_nth(op, 1, ec); }

    /// Makes the n-th call of kind `op` from now (1 = the next) fail with `ec`, once; the calls
    /// before it succeed. Arming again replaces what was armed for `op`; n == 0 or a falsy
    /// `ec` disarms. Fault enumeration runs a scenario with n = 1, 2, ... (mio/sim/enumerate.hpp).
    void fail_nth(fake_operation op, std::size_t n, std::error_code ec) {
        std::lock_guard lock(s_->m);
        s_->failures[index(op)] = (n == 0 || !ec) ? armed_failure{} : armed_failure{n, ec};
    }

    /// How many calls of kind `op` were made since create(), failed ones included.
    std::size_t call_count(fake_operation op) const {
        std::lock_guard lock(s_->m);
        return s_->calls[index(op)];
    }

    /// Turns chaos on (or off, with the default fake_chaos{}) and restarts its generator from
    /// c.seed, so the same seed and calls replay the same run. Probabilities outside [0, 1]
    /// act as the nearest bound.
    void set_chaos(const fake_chaos& c) {
        std::lock_guard lock(s_->m);
        s_->chaos = c;
        s_->rng.reseed(c.seed);
    }

    /// The chaos in effect.
    fake_chaos chaos() const {
        std::lock_guard lock(s_->m);
        return s_->chaos;
    }

    /// Queues `fn(context, arg)` for virtual time `at` (a time already past runs at the next
    /// poll or advance). Timers run in (at, scheduling order) order, without the fake's lock
    /// held, and read now() == at. Allocates only when the queue outgrows its largest size.
    void schedule(clock_duration at, fake_timer_fn fn, void* context, std::uint64_t arg) {
        std::lock_guard lock(s_->m);
        s_->timers.push_back({std::max(at, s_->now), s_->timer_seq++, fn, context, arg});
        std::push_heap(s_->timers.begin(), s_->timers.end(), later);
    }

    /// Drops every timer queued with `context` (an owner going away calls it).
    void cancel_timers(const void* context) {
        std::lock_guard lock(s_->m);
        std::erase_if(s_->timers, [&](const timer& t) { return t.context == context; });
        std::make_heap(s_->timers.begin(), s_->timers.end(), later);
    }

    /// How many timers wait.
    std::size_t timer_count() const {
        std::lock_guard lock(s_->m);
        return s_->timers.size();
    }

    /// Virtual time since create(): moved only by advance() and by polls that time out or run
    /// a timer.
    clock_duration now() const {
        std::lock_guard lock(s_->m);
        return s_->now;
    }

    /// Moves the virtual clock forward by `d` (negative durations are ignored: the clock is
    /// monotonic; it saturates instead of overflowing), running the timers due on the way
    /// (advance(0ns) runs those already due).
    void advance(clock_duration d) {
        std::unique_lock lock(s_->m);
        const auto target = saturating_add(s_->now, d);
        run_timers(lock, target);
        s_->now = target;
    }

    /// What the library's sockets and pipes keep, so that closing a registered one forgets its
    /// registration and undelivered events, as closing an fd removes it from epoll. Not
    /// traced: the code under test made no selector call. Raw posix::source_fd has no hooks.
    source_hooks hooks() const { return source_hooks{s_, nullptr, &forget_hook}; }

    /// What is registered, in registration order (a snapshot).
    std::vector<fake_registration> registrations() const {
        std::lock_guard lock(s_->m);
        return s_->regs;
    }

    /// The interest registered under `t` (the union if several handles share it; readable for
    /// the waker's token); std::nullopt when nothing is registered under it.
    std::optional<interest> interest_of(token t) const {
        std::lock_guard lock(s_->m);
        return s_->interest_of(t);
    }

    /// Every add/modify/remove/poll/wake so far, in call order (a snapshot).
    std::vector<fake_call> trace() const {
        std::lock_guard lock(s_->m);
        return s_->trace;
    }

    /// Empties the trace (its reserved room is kept).
    void clear_trace() {
        std::lock_guard lock(s_->m);
        s_->trace.clear();
    }

    /// How many events wait for the next poll (after merging per token).
    std::size_t pending_count() const {
        std::lock_guard lock(s_->m);
        return s_->pending.size();
    }

    /// How many wakes succeeded (including coalesced ones).
    std::size_t wake_count() const {
        std::lock_guard lock(s_->m);
        return s_->wakes;
    }

    // ---- the waker's side (used by fake_waker; a test may call wake() to simulate one) ----

    /// Registers the waker's token (readable). Errors: file_exists when a waker is attached.
    result<void> attach_waker(token t) {
        std::lock_guard lock(s_->m);
        if (s_->waker) return std::errc::file_exists;
        s_->waker = t;
        return {};
    }

    /// Forgets the waker and its undelivered wake.
    void detach_waker() noexcept {
        std::lock_guard lock(s_->m);
        if (!s_->waker) return;
        token t = *s_->waker;
        s_->waker.reset();
        s_->purge_if_unused(t);
    }

    /// Queues a readable event for the waker's token (coalescing with a pending one) and counts
    /// the wake. Thread-safe. Errors: the one armed by fail_next(fake_operation::wake);
    /// ENOENT when no waker is attached.
    result<void> wake() noexcept {
        std::lock_guard lock(s_->m);
        std::size_t tok = s_->waker ? s_->waker->value : 0;
        auto r = [&]() noexcept -> result<void> {
            if (auto e = s_->take_failure(fake_operation::wake)) return e;
            if (!s_->waker) return std::errc::no_such_file_or_directory;
            // Room is reserved in create(); a queue that outgrows it may allocate here.
            s_->queue(*s_->waker, fake_readiness{.readable = true});
            ++s_->wakes;
            return {};
        }();
        s_->record({fake_operation::wake, -1, tok, 0, 0, 0, r.error().value(), s_->now.count()});
        return r;
    }

private:
    struct pending_event {
        std::size_t token;
        fake_readiness readiness;
        bool split = false;  // chaos already split this event once
    };

    struct armed_failure {
        std::size_t countdown = 0;  // 0: nothing armed; 1: the next call fails
        std::error_code ec{};
    };

    struct timer {
        clock_duration at;
        std::uint64_t seq;  // scheduling order: ties in `at` run first-scheduled first
        fake_timer_fn fn;
        void* context;
        std::uint64_t arg;
    };
    // A min-heap on (at, seq): std::push_heap/pop_heap with "later" as the less-than.
    static bool later(const timer& a, const timer& b) noexcept {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }

    struct state {
        state() {
            pending.reserve(256);
            regs.reserve(64);
            trace.reserve(1024);
            timers.reserve(64);
        }

        mutable std::mutex m;
        std::vector<fake_registration> regs;
        std::vector<pending_event> pending;
        std::vector<fake_call> trace;
        std::array<armed_failure, 5> failures{};
        std::array<std::size_t, 5> calls{};
        std::optional<token> waker;
        clock_duration now{0};
        std::size_t wakes = 0;
        fake_chaos chaos{};
        detail::sim_random rng{0};
        std::vector<timer> timers;
        std::uint64_t timer_seq = 0;

        std::vector<fake_registration>::iterator find(int handle) {
            return std::find_if(regs.begin(), regs.end(), [&](const fake_registration& r) { return r.handle == handle; });
        }

        std::optional<interest> interest_of(token t) const {
            std::optional<interest> u;
            if (waker && *waker == t) u = interest::readable;
            for (const auto& r : regs)
                if (r.token == t) u = u ? (*u | r.interest) : r.interest;
            return u;
        }

        // Counts the call; returns the armed error when this is the call it was armed for.
        std::error_code take_failure(fake_operation op) noexcept {
            ++calls[index(op)];
            auto& f = failures[index(op)];
            if (f.countdown == 0 || --f.countdown != 0) return {};
            return std::exchange(f, armed_failure{}).ec;
        }

        // Moves deliverable pending events into `out` in order, drawing chaos's delay and
        // split per event; held-back events and split remainders keep their places.
        std::size_t deliver(std::span<fake_event> out) noexcept {
            std::size_t n = 0, keep = 0;
            for (std::size_t k = 0; k < pending.size(); ++k) {
                pending_event p = pending[k];
                if (n == out.size()) {
                    pending[keep++] = p;
                    continue;
                }
                auto i = interest_of(token(p.token));
                if (!i) continue;  // defensive: remove purges, so this should not happen
                fake_readiness f = filter(p.readiness, *i);
                if (!any(f)) continue;
                if (rng.chance(chaos.delay)) {
                    pending[keep++] = p;
                    continue;
                }
                if (!p.split && flag_count(f) > 1 && rng.chance(chaos.split)) {
                    auto [first, rest] = split_flags(f, 1 + rng.below(flag_count(f) - 1));
                    out[n++] = {p.token, first};
                    pending[keep++] = {p.token, rest, true};
                    continue;
                }
                out[n++] = {p.token, f};
            }
            pending.resize(keep);  // shrinks: never allocates
            return n;
        }

        // Chaos's spurious event: a registered token, readable or writable within its
        // interest, merged into its event if it has one, else appended when there is room.
        std::size_t add_spurious(std::span<fake_event> out, std::size_t n) noexcept {
            if (regs.empty() || !rng.chance(chaos.spurious)) return n;
            const auto& reg = regs[rng.below(regs.size())];
            const bool r = reg.interest.is_readable(), w = reg.interest.is_writable();
            if (!r && !w) return n;
            const bool readable = r && (!w || rng.below(2) == 0);
            const fake_readiness f{.readable = readable, .writable = !readable};
            for (std::size_t k = 0; k < n; ++k) {
                if (out[k].token == reg.token.value) {
                    out[k].readiness = merge(out[k].readiness, f);
                    return n;
                }
            }
            if (n < out.size()) out[n++] = {reg.token.value, f};
            return n;
        }

        void queue(token t, fake_readiness r) {
            if (!any(r)) return;  // everything was outside the interest: like epoll, no event
            for (auto& p : pending) {
                if (p.token == t.value) {
                    p.readiness = merge(p.readiness, r);
                    return;
                }
            }
            pending.push_back({t.value, r});
        }

        void purge_if_unused(token t) {
            if (interest_of(t)) return;
            std::erase_if(pending, [&](const pending_event& p) { return p.token == t.value; });
        }

        // Within the reserved room this never allocates. Past it, growth may throw
        // std::bad_alloc, which ends the program from wake() (noexcept): acceptable for a
        // test double, and clear_trace() avoids it in long runs.
        void record(const fake_call& c) { trace.push_back(c); }
    };

    explicit fake_selector(std::shared_ptr<state> s) noexcept : s_(std::move(s)) {}

    // Runs every timer due by `until`, in order, each with the clock at its time and the lock
    // released (a timer injects events and schedules more timers).
    void run_timers(std::unique_lock<std::mutex>& lock, clock_duration until) {
        while (!s_->timers.empty() && s_->timers.front().at <= until) {
            std::pop_heap(s_->timers.begin(), s_->timers.end(), later);
            timer t = s_->timers.back();
            s_->timers.pop_back();
            s_->now = std::max(s_->now, t.at);
            lock.unlock();
            t.fn(t.context, t.arg);
            lock.lock();
        }
    }

    static clock_duration saturating_add(clock_duration a, clock_duration d) noexcept {
        if (d.count() <= 0) return a;
        constexpr auto max = std::numeric_limits<clock_duration::rep>::max();
        return clock_duration(a.count() > max - d.count() ? max : a.count() + d.count());
    }

    // The library's sockets hand over their OS handle (a SOCKET on Windows); the fake knows
    // handles as ints, as they were registered.
    static void forget_hook(void* context, source_handle handle, std::uintptr_t&) noexcept {
        auto* s = static_cast<state*>(context);
        std::lock_guard lock(s->m);
        auto it = s->find(static_cast<int>(handle));
        if (it == s->regs.end()) return;
        token old = it->token;
        s->regs.erase(it);
        s->purge_if_unused(old);
    }

    static constexpr std::size_t index(fake_operation op) noexcept { return static_cast<std::size_t>(op) % 5; }
    static constexpr bool any(fake_readiness r) noexcept {
        return r.readable || r.writable || r.error || r.read_closed || r.write_closed || r.priority;
    }
    static constexpr fake_readiness merge(fake_readiness a, fake_readiness b) noexcept {
        return {a.readable || b.readable, a.writable || b.writable, a.error || b.error,
                a.read_closed || b.read_closed, a.write_closed || b.write_closed, a.priority || b.priority};
    }
    static constexpr std::uint64_t flag_count(fake_readiness r) noexcept {
        return std::uint64_t{r.readable} + r.writable + r.error + r.read_closed + r.write_closed + r.priority;
    }
    // The first `k` set flags (in field order) and the others.
    static constexpr std::pair<fake_readiness, fake_readiness> split_flags(fake_readiness r, std::uint64_t k) noexcept {
        fake_readiness first{}, rest{};
        bool* from[] = {&r.readable, &r.writable, &r.error, &r.read_closed, &r.write_closed, &r.priority};
        bool* a[] = {&first.readable, &first.writable, &first.error, &first.read_closed, &first.write_closed, &first.priority};
        bool* b[] = {&rest.readable, &rest.writable, &rest.error, &rest.read_closed, &rest.write_closed, &rest.priority};
        for (std::size_t f = 0; f < 6; ++f) {
            if (!*from[f]) continue;
            *(k > 0 ? a[f] : b[f]) = true;
            if (k > 0) --k;
        }
        return {first, rest};
    }
    static constexpr fake_readiness filter(fake_readiness r, interest i) noexcept {
        r.readable = r.readable && i.is_readable();
        r.writable = r.writable && i.is_writable();
        r.priority = r.priority && i.is_priority();
        return r;
    }

    std::shared_ptr<state> s_;
};

}  // namespace mio
