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
#include <mutex>
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
                got = shared_->end_poll(fds_, ids_, out, cursor_, n);
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
        auto ts = detail::to_timespec<::timespec>(*timeout);
        return ::ppoll(fds_.data(), nfds, &ts, nullptr);
#else
        return ::poll(fds_.data(), nfds, timeout ? detail::round_up_ms(*timeout) : -1);
#endif
    }

    std::shared_ptr<detail::poll_shared> shared_;
    // This handle's private copy of the poll(2) set: index 0 is the notify fd; ids_ runs parallel.
    std::vector<pollfd> fds_;
    std::vector<std::uint64_t> ids_;
    std::uint64_t built_ = 0;  // the set version fds_ was copied from (0: never)
    std::size_t cursor_ = 0;   // where the next scan of revents starts
};

}  // namespace mio
