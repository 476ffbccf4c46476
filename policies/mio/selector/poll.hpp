// mio::poll_selector: the portable POSIX poll(2) backend, with mio's edge-triggered
// semantics emulated on top of level-triggered poll(2).
//
// Emulated edges: once an event is reported for a source, the readiness it reported is no
// longer polled for until the source is re-armed. The fd stays in the poll(2) set, asking for
// nothing, so that a later hang-up or error is still reported once (as epoll reports a new
// EPOLLHUP/EPOLLERR edge); after POLLHUP/POLLERR/POLLNVAL it leaves the set until re-armed,
// because poll(2) reports those on every call whatever it is asked. A source is re-armed by
//   - its own I/O returning would_block: the library's sockets and pipes carry the hooks()
//     of this selector in their io_source_state and call rearm(fd) then;
//   - registry.modify(), which re-arms with the new interest;
//   - the eventfd and pipe wakers, which call rearm(fd) after every wake.
// A raw posix::source_fd has no hooks: its owner must call registry.modify() once it has
// drained the fd to would_block, or it gets no further event (as with mio's poll backend).
// It must also be removed before the fd is closed: poll(2) does not forget closed fds.
//
// Interest mapping: readable -> POLLIN | POLLRDHUP (Linux), writable -> POLLOUT,
// priority -> POLLPRI. Event mapping (as mio's poll backend, plus POLLNVAL as an error):
//   readable     POLLIN or POLLPRI
//   writable     POLLOUT
//   error        POLLERR or POLLNVAL (the fd was closed while registered)
//   read_closed  POLLHUP or POLLRDHUP
//   write_closed POLLHUP, or POLLOUT with POLLERR, or POLLERR alone
//   priority     POLLPRI
//
// Threads: the interest set lives behind a mutex shared by every clone. select() never holds
// the mutex while blocked in poll(2); it polls a private copy of the set, so add, modify,
// remove and rearm from other threads never wait for a poll. A change made while a poll is
// blocked signals an internal notify fd (an eventfd on Linux, a pipe elsewhere, like mio's
// notify pipe); the poll wakes, rebuilds its copy and polls again with what is left of its
// timeout, so the change takes effect at once.
//
// Costs: each poll copies the interest set when it changed (O(n)) and poll(2) scans it
// (O(n)); at most RLIMIT_NOFILE fds (poll fails with EINVAL beyond it). add allocates when the
// set or the highest fd grows; select allocates nothing once the set has stopped growing.
// Timeouts have nanosecond resolution through ppoll where libc has it (Linux, the BSDs);
// elsewhere poll(2) with the timeout rounded up to whole milliseconds, never down to zero.
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/fd.hpp>
#include <mio/detail/sys.hpp>
#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <span>
#include <time.h>
#include <vector>

namespace mio {

/// One event of poll_selector: the token it was registered with and the poll(2) revents
/// that were reported (filtered to what the registration asked for, plus hang-up and errors).
/// Default-constructible so that event storage can hold it.
struct poll_event {
    std::size_t token = 0;
    short revents = 0;
};

namespace detail {

// The poll(2) bits a registration asks for.
inline short to_poll_events(interest i) noexcept {
    short ev = 0;
    if (i.is_readable()) {
        ev |= POLLIN;
#ifdef POLLRDHUP
        ev |= POLLRDHUP;
#endif
    }
    if (i.is_writable()) ev |= POLLOUT;
    if (i.is_priority()) ev |= POLLPRI;
    return ev;
}

// What poll(2) reports whether asked or not; after one of these a source leaves the set
// until re-armed, or a hung-up socket would be reported on every poll.
inline constexpr short poll_always = POLLHUP | POLLERR | POLLNVAL;

// One registered fd.
struct poll_registration {
    int fd;
    std::size_t token;
    short interest;    // every poll(2) bit the registration asks for
    short armed;       // the part still polled for (the rest was reported and awaits a re-arm)
    bool quiet;        // hang-up or error reported: out of the poll(2) set until re-armed
    std::uint64_t id;  // unique per add: a poll in flight never credits an old fd's readiness to a new one
};

// The interest set shared by a poll_selector and its clones.
class poll_shared {
public:
    explicit poll_shared(sys::notifier n) noexcept : notify_(std::move(n)) {}

    result<void> add(int fd, token t, interest i) {
        if (!sys::is_open(fd)) return std::errc::bad_file_descriptor;
        std::lock_guard lock(mutex_);
        if (find(fd) != nullptr) return std::errc::file_exists;
        auto at = static_cast<std::size_t>(fd);
        if (slot_of_fd_.size() <= at) slot_of_fd_.resize(at + 1, 0);
        short ev = to_poll_events(i);
        regs_.push_back({fd, t.value, ev, ev, false, next_id_++});
        slot_of_fd_[at] = regs_.size();
        changed();
        return {};
    }

    result<void> modify(int fd, token t, interest i) noexcept {
        if (!sys::is_open(fd)) return std::errc::bad_file_descriptor;
        std::lock_guard lock(mutex_);
        auto* r = find(fd);
        if (r == nullptr) return std::errc::no_such_file_or_directory;
        r->token = t.value;
        r->interest = r->armed = to_poll_events(i);
        r->quiet = false;
        changed();
        return {};
    }

    // A registered fd is removed even when already closed (that is how a raw fd closed too
    // early is cleaned up); an unregistered one gives EBADF when closed, ENOENT otherwise.
    result<void> remove(int fd) noexcept {
        std::lock_guard lock(mutex_);
        if (!erase(fd)) {
            if (!sys::is_open(fd)) return std::errc::bad_file_descriptor;
            return std::errc::no_such_file_or_directory;
        }
        return {};
    }

    void rearm(int fd) noexcept {
        std::lock_guard lock(mutex_);
        auto* r = find(fd);
        if (r == nullptr || (r->armed == r->interest && !r->quiet)) return;  // armed: no wake-up either
        r->armed = r->interest;
        r->quiet = false;
        changed();
    }

    void forget(int fd) noexcept {
        std::lock_guard lock(mutex_);
        (void)erase(fd);
    }

    static void rearm_hook(void* self, int fd, std::uintptr_t&) noexcept { static_cast<poll_shared*>(self)->rearm(fd); }
    static void forget_hook(void* self, int fd, std::uintptr_t&) noexcept { static_cast<poll_shared*>(self)->forget(fd); }

    // Called by select(), which owns `fds` and `ids` (its private copy of the set).
    // Everything below runs with the mutex held by the caller.
    std::mutex& mutex() noexcept { return mutex_; }

    // Before a poll: drops a stale notification, refreshes the copy if the set changed and
    // counts the poller in, so that changes from now on wake it.
    void begin_poll(std::vector<pollfd>& fds, std::vector<std::uint64_t>& ids, std::uint64_t& built) noexcept {
        if (notified_) {
            notify_.drain();
            notified_ = false;
        }
        if (built != version_ || fds.empty()) {
            // clear() keeps the capacity: no allocation once the set has stopped growing.
            fds.clear();
            ids.clear();
            fds.push_back({notify_.read_handle(), POLLIN, 0});
            ids.push_back(0);
            for (const auto& r : regs_) {
                if (r.quiet) continue;
                fds.push_back({r.fd, r.armed, 0});
                ids.push_back(r.id);
            }
            built = version_;
        } else {
            for (auto& p : fds) p.revents = 0;
        }
        ++pollers_;
    }

    // After a poll: moves reported readiness into `out` (at most out.size(); the rest stays
    // armed and comes next time) and disarms what it reported. Returns how many.
    std::size_t end_poll(std::span<const pollfd> fds, std::span<const std::uint64_t> ids, std::span<poll_event> out,
                         std::size_t& cursor) noexcept {
        --pollers_;
        if (fds.empty()) return 0;
        if (fds[0].revents != 0) {
            notify_.drain();
            notified_ = false;
        }
        std::size_t users = fds.size() - 1;
        if (users == 0 || out.empty()) return 0;
        std::size_t n = 0;
        // Start where the last full batch stopped, so a small buffer cannot starve late fds.
        std::size_t start = cursor % users;
        for (std::size_t k = 0; k < users; ++k) {
            std::size_t i = 1 + (start + k) % users;
            if (fds[i].revents == 0) continue;
            auto* r = find(fds[i].fd);
            if (r == nullptr || r->id != ids[i]) continue;  // removed (or replaced) while polling
            auto got = static_cast<short>(fds[i].revents & (r->armed | poll_always));
            if (got == 0) continue;
            if (n == out.size()) {
                cursor = (start + k) % users;
                return n;
            }
            out[n++] = poll_event{r->token, got};
            r->armed = static_cast<short>(r->armed & ~got);
            r->quiet = (got & poll_always) != 0;
            ++version_;
        }
        return n;
    }

private:
    poll_registration* find(int fd) noexcept {
        if (fd < 0 || static_cast<std::size_t>(fd) >= slot_of_fd_.size()) return nullptr;
        std::size_t slot = slot_of_fd_[static_cast<std::size_t>(fd)];
        return slot == 0 ? nullptr : &regs_[slot - 1];
    }

    bool erase(int fd) noexcept {
        auto* r = find(fd);
        if (r == nullptr) return false;
        std::size_t i = static_cast<std::size_t>(r - regs_.data());
        if (i + 1 != regs_.size()) {
            regs_[i] = regs_.back();
            slot_of_fd_[static_cast<std::size_t>(regs_[i].fd)] = i + 1;
        }
        regs_.pop_back();
        slot_of_fd_[static_cast<std::size_t>(fd)] = 0;
        changed();
        return true;
    }

    // The set changed: polls copy it afresh, and a blocked poll is woken to do so now.
    void changed() noexcept {
        ++version_;
        if (pollers_ > 0 && !notified_) {
            (void)notify_.signal();
            notified_ = true;
        }
    }

    std::mutex mutex_;
    sys::notifier notify_;
    std::vector<poll_registration> regs_;
    std::vector<std::size_t> slot_of_fd_;  // fd -> index + 1 in regs_, 0 when not registered
    std::uint64_t next_id_ = 1;
    std::uint64_t version_ = 1;  // bumped on every change to regs_ or to what is armed
    int pollers_ = 0;            // selects now blocked in poll(2)
    bool notified_ = false;      // a signal sits unread in the notify fd
};

}  // namespace detail

/// Readiness through POSIX poll(2), with mio's edge-triggered semantics emulated (see the
/// top of this header): after an event a source reports again only once re-armed, by its
/// I/O returning would_block (library sockets and pipes), by modify, or by a wake.
/// Handles are fds. Closing an fd does not remove it (close_removes is false): the library's
/// sockets and pipes remove themselves when closed; raw fds must be removed before close.
/// try_clone shares the interest set; clones may register from other threads while one of
/// them is blocked in select, which then sees the change at once. Only one thread should
/// select at a time.
class poll_selector {
public:
    using handle_type = int;
    using native_event = poll_event;
    static constexpr bool close_removes = false;
    static constexpr bool polls_fds = true;

    /// Errors: EMFILE, ENFILE (the internal notify fd), ENOMEM.
    static result<poll_selector> create() {
        // An eventfd where the OS has one (one fd), a self-pipe elsewhere, as mio's notify pipe.
        auto n = detail::sys::notifier::open(MIO_HAS_EVENTFD ? detail::sys::notifier::kind::eventfd
                                                             : detail::sys::notifier::kind::pipe);
        if (!n) return n.error();
        return poll_selector(std::make_shared<detail::poll_shared>(std::move(*n)));
    }

    /// A second handle on the same interest set (for registry clones and wakers).
    result<poll_selector> try_clone() const {
        if (!shared_) return std::errc::bad_file_descriptor;
        return poll_selector(shared_);
    }

    /// Registers `fd`, armed for `i`. Errors: EBADF (not an open fd), EEXIST (already
    /// registered). Unlike epoll, regular files are accepted (poll(2) reports them ready).
    result<void> add(int fd, token t, interest i) {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->add(fd, t, i);
    }
    /// Changes token and interest and re-arms. Errors: EBADF (not an open fd), ENOENT (not registered).
    result<void> modify(int fd, token t, interest i) noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->modify(fd, t, i);
    }
    /// No event for `fd` is returned by a select that starts after this returned.
    /// Errors: ENOENT (not registered), EBADF (not registered and not an open fd).
    result<void> remove(int fd) noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->remove(fd);
    }

    /// Re-arms `fd` for its whole interest (its I/O returned would_block). No-op when it is
    /// not registered or already armed; wakes a blocked select otherwise.
    void rearm(int fd) noexcept {
        if (shared_) shared_->rearm(fd);
    }

    /// What the library's sockets and pipes keep to re-arm and forget themselves.
    source_hooks hooks() const {
        if (!shared_) return {};
        return source_hooks{shared_, &detail::poll_shared::rearm_hook, &detail::poll_shared::forget_hook};
    }

    /// Waits for events into `out`; returns how many. std::nullopt blocks until an event,
    /// zero polls once without blocking. Errors: EINTR (not retried), EINVAL (more fds than
    /// RLIMIT_NOFILE), ENOMEM. Allocates nothing once the interest set has stopped growing;
    /// while it grows, its private copy of the set may grow too (std::bad_alloc on exhaustion).
    result<std::size_t> select(std::span<poll_event> out, std::optional<std::chrono::nanoseconds> timeout) {
        if (!shared_) return std::errc::bad_file_descriptor;
        using clock = std::chrono::steady_clock;
        std::optional<std::chrono::nanoseconds> left = timeout;
        if (left && left->count() < 0) left = std::chrono::nanoseconds::zero();
        clock::time_point deadline{};
        if (left && left->count() > 0) deadline = saturating_deadline(clock::now(), *left);

        for (;;) {
            {
                std::lock_guard lock(shared_->mutex());
                shared_->begin_poll(fds_, ids_, built_);
            }
            int n = wait(left);
            int err = errno;
            std::size_t got;
            {
                std::lock_guard lock(shared_->mutex());
                got = shared_->end_poll(fds_, ids_, out, cursor_);
            }
            if (n < 0) [[unlikely]]
                return detail::sys::make_error(err);
            if (got > 0 || n == 0) return got;
            // Woken by a change (or only by readiness that was removed meanwhile): poll the
            // new set with what is left of the timeout.
            if (left) {
                if (left->count() == 0) return std::size_t{0};
                auto now = clock::now();
                if (now >= deadline) return std::size_t{0};
                left = deadline - now;
            }
        }
    }

    static token event_token(const poll_event& e) noexcept { return token(e.token); }
    static bool is_readable(const poll_event& e) noexcept { return (e.revents & (POLLIN | POLLPRI)) != 0; }
    static bool is_writable(const poll_event& e) noexcept { return (e.revents & POLLOUT) != 0; }
    static bool is_error(const poll_event& e) noexcept { return (e.revents & (POLLERR | POLLNVAL)) != 0; }
    static bool is_read_closed(const poll_event& e) noexcept {
        if (e.revents & POLLHUP) return true;
#ifdef POLLRDHUP
        // POLLRDHUP alone counts (mio's poll.rs): the peer shut its writing half even when the
        // readable half of the edge was already reported and is not polled for now.
        return (e.revents & POLLRDHUP) != 0;
#else
        return false;
#endif
    }
    static bool is_write_closed(const poll_event& e) noexcept {
        return (e.revents & POLLHUP) != 0 || ((e.revents & POLLOUT) != 0 && (e.revents & POLLERR) != 0) ||
               e.revents == POLLERR;
    }
    static bool is_priority(const poll_event& e) noexcept { return (e.revents & POLLPRI) != 0; }

private:
    explicit poll_selector(std::shared_ptr<detail::poll_shared> s) noexcept : shared_(std::move(s)) {}

    static std::chrono::steady_clock::time_point saturating_deadline(std::chrono::steady_clock::time_point now,
                                                                     std::chrono::nanoseconds d) noexcept {
        auto room = std::chrono::steady_clock::time_point::max() - now;
        return d >= room ? std::chrono::steady_clock::time_point::max()
                         : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }

    int wait(std::optional<std::chrono::nanoseconds> timeout) noexcept {
        auto nfds = static_cast<nfds_t>(fds_.size());
#if MIO_HAS_PPOLL
        if (!timeout) return ::ppoll(fds_.data(), nfds, nullptr, nullptr);
        auto secs = std::chrono::duration_cast<std::chrono::seconds>(*timeout);
        ::timespec ts{};
        constexpr auto max_secs = std::chrono::seconds(INT_MAX);  // fits every time_t; ~68 years
        if (secs >= max_secs) {
            ts.tv_sec = static_cast<time_t>(max_secs.count());
        } else {
            ts.tv_sec = static_cast<time_t>(secs.count());
            ts.tv_nsec = static_cast<long>((*timeout - secs).count());
        }
        return ::ppoll(fds_.data(), nfds, &ts, nullptr);
#else
        return ::poll(fds_.data(), nfds, timeout ? round_up_ms(*timeout) : -1);
#endif
    }

    // Rounds up so that a 100 us timeout waits 1 ms instead of returning at once.
    [[maybe_unused]] static int round_up_ms(std::chrono::nanoseconds t) noexcept {
        constexpr std::int64_t ns_per_ms = 1'000'000;
        std::int64_t ns = t.count();
        if (ns > std::int64_t(INT_MAX) * ns_per_ms) return INT_MAX;
        return static_cast<int>((ns + ns_per_ms - 1) / ns_per_ms);
    }

    std::shared_ptr<detail::poll_shared> shared_;
    // This handle's private copy of the poll(2) set: index 0 is the notify fd; ids_ runs parallel.
    std::vector<pollfd> fds_;
    std::vector<std::uint64_t> ids_;
    std::uint64_t built_ = 0;  // the set version fds_ was copied from (0: never)
    std::size_t cursor_ = 0;   // where the next scan of revents starts
};

}  // namespace mio
