// mio::poll_selector: the portable POSIX poll(2) backend, with mio's edge-triggered
// semantics emulated on top of level-triggered poll(2).
//
// Emulated edges: once an event is reported for a source, the readiness it reported is no
// longer polled for until the source is re-armed. The fd stays in the poll(2) set, asking for
// nothing, so that a later hang-up or error is still reported once (as epoll reports a new
// EPOLLHUP/EPOLLERR edge); after POLLHUP/POLLERR/POLLNVAL it leaves the set (its entry's fd is
// -1, which poll(2) skips) until re-armed, because poll(2) reports those on every call
// whatever it is asked. A source is re-armed by
//   - its own I/O returning would_block: the library's sockets and pipes carry the hooks()
//     of this selector in their io_source_state and call rearm(fd) then;
//   - registry.modify(), which re-arms with the new interest.
// Readable is disarmed lazily (see poll_lazy in detail/poll_shared.hpp): a delivered POLLIN
// leaves the entry asking for it, so the usual re-arm (a read that drained to would_block)
// patches nothing; the next poll(2) parks an entry whose owner left it readable. modify with
// an unchanged interest is a re-arm of the same cost.
// A raw posix::source_fd has no hooks: its owner must call registry.modify() once it has
// drained the fd to would_block, or it gets no further event (as with mio's poll backend).
// It must also be removed before the fd is closed: poll(2) does not forget closed fds.
//
// Wakers: eventfd_waker and pipe_waker on this selector have no fd of their own. As in mio's
// poll backend, a wake goes through the selector's internal notifier: it sets a flag, writes
// the notifier only when a select may be blocked (one write(2), none when the polling thread
// wakes itself), and the next select reports a readable event under the waker's token.
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
// Threads: the interest set lives behind a lock shared by every clone (a spin lock that yields:
// each critical section is short; see poll_shared). select() never holds the lock while
// blocked in poll(2); it polls a private copy of the set, so add, modify,
// remove and rearm from other threads never wait for a poll. A change made while a poll is
// blocked signals an internal notify fd (an eventfd on Linux, a pipe elsewhere, like mio's
// notify pipe); the poll wakes, patches its copy and polls again with what is left of its
// timeout, so the change takes effect at once. A select with nothing changed since the last
// one and nothing to report takes no lock (see poll_shared).
//
// Costs: the private copy mirrors the set entry for entry, and each change (add, modify,
// remove, a re-arm of a parked entry, a delivered event other than readable) is patched into
// it at its index: O(changes) per poll, a full copy only when more than 256 changes piled up
// between two polls or when another clone polled last. poll(2) itself scans the whole set
// (O(n)); at most RLIMIT_NOFILE fds (poll fails with EINVAL beyond it). add allocates when the
// set or the highest fd grows, including spare room for the poller's copy; select allocates
// nothing (it swaps that room in). add calls fcntl(F_GETFD) to report a closed fd as EBADF at
// once, as epoll_ctl does; modify and remove only on their error path.
// Timeouts have nanosecond resolution through ppoll where libc has it (Linux, the BSDs);
// elsewhere poll(2) with the timeout rounded up to whole milliseconds, never down to zero.
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/fd.hpp>
#include <mio/detail/sys.hpp>
#include <mio/detail/timeout.hpp>
#include <mio/selector/detail/poll_shared.hpp>
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
#include <optional>
#include <poll.h>
#include <span>
#include <time.h>
#include <vector>

namespace mio {

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
    /// Changes token and interest and re-arms. Errors: ENOENT (not registered), EBADF (not
    /// registered and not an open fd). A registered fd closed before its remove is not
    /// detected here (as in mio's poll backend): the next select reports it as an error.
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
    /// RLIMIT_NOFILE), ENOMEM. Allocates nothing: when the set grew, its private copy takes
    /// the room add made for it. Only a second clone polling the same set may find that room
    /// taken and allocate (std::bad_alloc on exhaustion).
    result<std::size_t> select(std::span<poll_event> out, std::optional<std::chrono::nanoseconds> timeout) {
        if (!shared_) return std::errc::bad_file_descriptor;
        using clock = std::chrono::steady_clock;
        std::optional<std::chrono::nanoseconds> left = timeout;
        if (left && left->count() < 0) left = std::chrono::nanoseconds::zero();
        clock::time_point deadline{};
        if (left && left->count() > 0) deadline = saturating_deadline(clock::now(), *left);

        for (;;) {
            bool woken = shared_->begin_poll(copy_);
            int n = wait(woken ? std::optional<std::chrono::nanoseconds>(std::chrono::nanoseconds::zero()) : left);
            int err = n < 0 ? errno : 0;  // before end_poll, whose drain may change errno
            std::size_t got = shared_->end_poll(copy_, out, n);
            if (n < 0) [[unlikely]]
                return detail::sys::make_error(err);
            if (got > 0 || (n == 0 && !woken)) return got;
            // Woken by a change (or only by readiness that was removed meanwhile, or by a wake
            // of a waker destroyed since): poll the new set with what is left of the timeout.
            if (left) {
                if (left->count() == 0) return std::size_t{0};
                auto now = clock::now();
                if (now >= deadline) return std::size_t{0};
                left = deadline - now;
            }
        }
    }

    /// The waker hook (see fd_waker): the eventfd and pipe wakers of a poll(2) selector have
    /// no fd of their own; a wake sets a flag, and writes the internal notifier only when a
    /// select may be blocked, and the next select reports a readable event under `t`.
    /// Errors: file_exists when a waker is attached; bad_file_descriptor (moved-from).
    result<void> attach_waker(token t) {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->attach_waker(t);
    }
    /// Forgets the waker and an undelivered wake.
    void detach_waker() noexcept {
        if (shared_) shared_->detach_waker();
    }
    /// Wakes a select (thread-safe, coalescing). Errors: bad_file_descriptor (moved-from), or
    /// the notifier's (rare).
    result<void> wake() const noexcept {
        if (!shared_) [[unlikely]]
            return std::errc::bad_file_descriptor;
        return shared_->wake();
    }
    /// The fd a wake makes readable when a select is blocked (the internal notifier).
    int notify_handle() const noexcept { return shared_ ? shared_->notify_handle() : -1; }

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
        auto nfds = static_cast<nfds_t>(copy_.fds.size());
#if MIO_HAS_PPOLL
        if (!timeout) return ::ppoll(copy_.fds.data(), nfds, nullptr, nullptr);
        auto ts = detail::to_timespec<::timespec>(*timeout);
        return ::ppoll(copy_.fds.data(), nfds, &ts, nullptr);
#else
        return ::poll(copy_.fds.data(), nfds, timeout ? detail::round_up_ms(*timeout) : -1);
#endif
    }

    std::shared_ptr<detail::poll_shared> shared_;
    detail::poll_copy copy_;  // this handle's private copy of the poll(2) set
};

}  // namespace mio
