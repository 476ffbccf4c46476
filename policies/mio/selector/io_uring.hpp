// mio::io_uring_selector: readiness through io_uring multishot poll requests (Linux), on liburing.
// Link the `mio::io_uring` CMake target (it brings liburing); nothing else in mio needs it.
//
// One multishot IORING_OP_POLL_ADD per registered fd. Poll requests are edge-triggered (the
// kernel adds EPOLLET unless asked for IORING_POLL_ADD_LEVEL, Linux 5.19+; the selector also
// sets EPOLLET itself): the readiness present when the request is armed is reported once, then
// one completion per wake-up of the file's wait queue whose readiness matches the interest, the
// same wake-ups that raise an epoll EPOLLET edge. So the semantics are epoll's: a source reports
// again only once new readiness arrives, and a short read from a stream socket proves it drained
// (short_read_drains). Several completions for one token found in one poll are merged into one
// event (flags OR-ed), as epoll coalesces.
//
// user_data of every request: kind (2 bits) | generation (30 bits) | fd (32 bits). Every add,
// modify and remove of an fd moves its generation on, and a completion whose generation is not
// the fd's current one is dropped. That is how remove's guarantee holds whatever completions are
// still in the ring: no event of a removed source comes out of a poll that starts after remove
// returned.
//
// Requests:
//   add     IORING_OP_POLL_ADD (multishot) at the new generation.
//   modify  IORING_OP_POLL_REMOVE in its update form (new mask and new user_data); the kernel
//           re-arms the request and reports the readiness present then, as EPOLL_CTL_MOD does.
//           When the update fails (ENOENT: the request had ended; EALREADY: a wake-up held it)
//           the old request is cancelled and a new one added at the new generation.
//   remove  IORING_OP_ASYNC_CANCEL of the current request. Not POLL_REMOVE: that one gives up
//           with EALREADY while a wake-up is being processed and leaves the request alive,
//           holding its file; a cancel marks the request cancelled in any state.
//   re-arm  a multishot request the kernel ended (a completion without IORING_CQE_F_MORE: CQ
//           overflow, the submitting thread exited, a ring-wide cancel) is added again at the
//           same generation, and readiness carried by that last completion is still reported.
//
// Batching: requests are written into the submission queue and go to the kernel with the next
// poll, in the same io_uring_enter as its wait (a poll with nothing queued and completions
// already in the ring makes no syscall at all: the CQ is read in user space). What must not wait:
//   - add and modify check the fd first (fstat: EBADF for a closed fd, EPERM for a regular file,
//     directory or block device, as epoll_ctl does), so their errors are synchronous (a
//     character device without a poll method, which epoll also refuses, is not recognised:
//     it reports ready on every poll);
//   - remove submits its cancel at once, and so does closing a registered library socket or pipe
//     (the `forget` hook): a poll request holds a reference to its file, so until the cancel is
//     in, closing the fd would not close the file and the peer would not see the close.
// set_batch_registrations(true) drops both: add and modify cost no syscall and remove waits for
// the next poll too (up to 64 add+remove pairs then cost the one io_uring_enter of the poll).
// The errors that then arrive late: an add of a bad fd reports, at the next poll, one event for
// its token with is_error(), is_read_closed() and is_write_closed(), and the registration is
// dropped (a later modify or remove gives ENOENT); a regular file is not refused and reports
// readable and writable on every poll; a file closed after its remove is released (and its peer
// sees the close) only when the next poll submits the cancel.
//
// Threads: the submission queue and the registration table are guarded by one mutex shared by
// every clone. A registration made while a poll is blocked writes its request into the queue and
// signals an internal eventfd that the poll also watches; the poll wakes, submits the request and
// waits again with what is left of its timeout. So every poll request is submitted by the polling
// thread, which is also the one that runs their completions (io_uring runs a poll's wake-up work
// in the thread that submitted it). Exceptions: remove and close submit their cancel from the
// calling thread, and a full submission queue is submitted by the thread that found it full;
// requests then submitted belong to that thread, and if it exits the kernel ends them and the
// poll re-arms them. Only one thread should poll at a time.
//
// Interest mapping: readable -> POLLIN | POLLRDHUP, writable -> POLLOUT, priority -> POLLPRI;
// the kernel always adds POLLERR and POLLHUP. Event mapping (as the poll(2) backend's):
//   readable     POLLIN or POLLPRI            writable     POLLOUT
//   error        POLLERR or POLLNVAL          priority     POLLPRI
//   read_closed  POLLHUP, or POLLIN with POLLRDHUP
//   write_closed POLLHUP, or POLLOUT with POLLERR, or POLLERR alone
//
// Kernel and errors: create() returns the kernel's error where io_uring is missing or disabled
// (ENOSYS without CONFIG_IO_URING, EPERM under kernel.io_uring_disabled or a seccomp filter) and
// ENOSYS where a feature it relies on is missing (IORING_FEAT_EXT_ARG, Linux 5.11, for exact
// timeouts; IORING_FEAT_CQE_SKIP, 5.17; edge-triggered poll requests need 5.19).
// Timeouts are exact to the nanosecond (a timespec passed with the wait). Costs: the rings are
// mapped once at creation; add grows the fd-indexed table when the highest fd grows (reserve
// with reserve_fds()); nothing else allocates. The destructor of the last clone tears the ring
// down, which cancels every request.
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/fd.hpp>
#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <liburing.h>
#include <memory>
#include <mutex>
#include <optional>
#include <poll.h>
#include <span>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <vector>

#ifndef POLLRDHUP
#  define MIO_URING_POLLRDHUP 0x2000
#else
#  define MIO_URING_POLLRDHUP POLLRDHUP
#endif

namespace mio {

/// One event of io_uring_selector: the token and the poll(2) bits the kernel reported
/// (merged over every completion of that token found in one poll).
struct uring_event {
    std::uint64_t token = 0;
    std::uint32_t events = 0;
};

namespace detail {

// What a request's user_data says it is.
enum class uring_kind : std::uint64_t { poll = 0, update = 1, cancel = 2, notify = 3 };

inline constexpr std::uint32_t uring_gen_mask = (1u << 30) - 1;

inline constexpr std::uint64_t uring_data(uring_kind k, std::uint32_t gen, int fd) noexcept {
    return (static_cast<std::uint64_t>(k) << 62) | (static_cast<std::uint64_t>(gen & uring_gen_mask) << 32) |
           static_cast<std::uint32_t>(fd);
}

inline std::uint32_t uring_poll_mask(interest i) noexcept {
    std::uint32_t m = 0;
    if (i.is_readable()) m |= POLLIN | MIO_URING_POLLRDHUP;
    if (i.is_writable()) m |= POLLOUT;
    if (i.is_priority()) m |= POLLPRI;
    return m;
}

// epoll_ctl refuses files without a poll method with EPERM; so does add here.
inline std::error_code uring_check_fd(int fd, bool refuse_files) noexcept {
    if (fd < 0) return detail::sys::make_error(EBADF);
    struct ::stat st {};
    if (::fstat(fd, &st) < 0) return detail::sys::last_error();
    if (refuse_files && (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)))
        return detail::sys::make_error(EPERM);
    return {};
}

// One fd's registration.
struct uring_slot {
    std::uint64_t token = 0;
    std::uint64_t stamp = 0;  // the poll that last put this fd into its output
    std::uint32_t gen = 0;
    std::uint32_t mask = 0;   // poll bits asked for
    std::uint32_t out = 0;    // index of its event in that poll's output
    bool live = false;        // registered
};

// The ring and the registrations shared by an io_uring_selector and its clones.
class uring_shared {
public:
    uring_shared(const uring_shared&) = delete;
    uring_shared& operator=(const uring_shared&) = delete;
    ~uring_shared() {
        if (ring_up_) ::io_uring_queue_exit(&ring_);
    }

    static result<std::shared_ptr<uring_shared>> open(unsigned sq_entries, unsigned cq_entries) {
        auto s = std::shared_ptr<uring_shared>(new uring_shared());
        ::io_uring_params p{};
        p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_CLAMP;
        p.cq_entries = cq_entries < sq_entries ? sq_entries : cq_entries;
        int r = ::io_uring_queue_init_params(sq_entries, &s->ring_, &p);
        if (r < 0) return detail::sys::make_error(-r);
        s->ring_up_ = true;
        if ((p.features & IORING_FEAT_EXT_ARG) == 0 || (p.features & IORING_FEAT_CQE_SKIP) == 0)
            return detail::sys::make_error(ENOSYS);
        int efd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0) return detail::sys::last_error();
        s->notify_.reset(efd);
        std::lock_guard lock(s->mutex_);
        if (auto e = s->queue_notify_arm()) return e;
        if (auto e = s->submit_locked()) return e;
        return s;
    }

    result<void> reserve(std::size_t fds) {
        std::lock_guard lock(mutex_);
        if (slots_.size() < fds) slots_.resize(fds);
        return {};
    }

    result<void> add(int fd, token t, interest i) {
        if (!batch_.load(std::memory_order_relaxed)) {
            if (auto e = uring_check_fd(fd, true)) return e;
        } else if (fd < 0) {
            return detail::sys::make_error(EBADF);
        }
        std::lock_guard lock(mutex_);
        auto at = static_cast<std::size_t>(fd);
        if (slots_.size() <= at) slots_.resize(at + 1);
        auto& s = slots_[at];
        if (s.live) return std::errc::file_exists;
        std::uint32_t gen = (s.gen + 1) & uring_gen_mask;
        std::uint32_t mask = uring_poll_mask(i);
        if (auto e = queue_poll(fd, gen, mask)) return e;
        s.gen = gen;
        s.mask = mask;
        s.token = t.value;
        s.live = true;
        changed();
        return {};
    }

    result<void> modify(int fd, token t, interest i) {
        if (!batch_.load(std::memory_order_relaxed)) {
            if (auto e = uring_check_fd(fd, false)) return e;
        } else if (fd < 0) {
            return detail::sys::make_error(EBADF);
        }
        std::lock_guard lock(mutex_);
        auto* s = find(fd);
        if (s == nullptr) return std::errc::no_such_file_or_directory;
        std::uint32_t gen = (s->gen + 1) & uring_gen_mask;
        std::uint32_t mask = uring_poll_mask(i);
        auto* sqe = get_sqe();
        if (sqe == nullptr) return std::errc::resource_unavailable_try_again;
        ::io_uring_prep_poll_update(sqe, uring_data(uring_kind::poll, s->gen, fd), uring_data(uring_kind::poll, gen, fd),
                                    mask | EPOLLET, IORING_POLL_UPDATE_EVENTS | IORING_POLL_UPDATE_USER_DATA);
        ::io_uring_sqe_set_data64(sqe, uring_data(uring_kind::update, gen, fd));
        ::io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
        s->gen = gen;
        s->mask = mask;
        s->token = t.value;
        changed();
        return {};
    }

    // A registered fd is removed even when already closed; an unregistered one gives EBADF when
    // closed, ENOENT otherwise.
    result<void> remove(int fd) {
        std::lock_guard lock(mutex_);
        auto* s = find(fd);
        if (s == nullptr) {
            if (fd < 0 || ::fcntl(fd, F_GETFD) < 0) return detail::sys::make_error(EBADF);
            return std::errc::no_such_file_or_directory;
        }
        if (auto e = queue_cancel(fd, s->gen)) return e;
        s->live = false;
        s->gen = (s->gen + 1) & uring_gen_mask;
        if (!batch_.load(std::memory_order_relaxed)) return submit_locked();
        changed();
        return {};
    }

    // The fd is about to be closed: its request must go before its file can.
    void forget(int fd) noexcept {
        std::lock_guard lock(mutex_);
        auto* s = find(fd);
        if (s == nullptr) return;
        if (queue_cancel(fd, s->gen)) return;
        s->live = false;
        s->gen = (s->gen + 1) & uring_gen_mask;
        (void)submit_locked();
    }

    static void forget_hook(void* self, int fd, std::uintptr_t&) noexcept { static_cast<uring_shared*>(self)->forget(fd); }

    void set_batch(bool on) noexcept { batch_.store(on, std::memory_order_relaxed); }
    bool batch() const noexcept { return batch_.load(std::memory_order_relaxed); }

    result<std::size_t> select(std::span<uring_event> out, std::optional<std::chrono::nanoseconds> timeout) {
        using clock = std::chrono::steady_clock;
        const bool blocking = !timeout || timeout->count() > 0;
        clock::time_point deadline{};
        if (timeout && timeout->count() > 0) deadline = saturating_deadline(clock::now(), *timeout);

        std::unique_lock lock(mutex_);
        ++stamp_;
        std::size_t n = harvest(out, 0);
        if (n > 0 || !blocking) {
            // Queued requests go in now (a registration made before this poll takes effect in
            // it); so do overflowed completions. With nothing queued and nothing overflowed,
            // this poll made no syscall.
            if (::io_uring_sq_ready(&ring_) > 0 || needs_enter()) {
                unsigned pending = flush();
                int r = ::io_uring_enter2(static_cast<unsigned>(ring_.ring_fd), pending, 0, IORING_ENTER_GETEVENTS,
                                          nullptr, 0);
                if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) [[unlikely]]
                    return n > 0 ? result<std::size_t>(n) : result<std::size_t>(detail::sys::make_error(-r));
                n = harvest(out, n);
            }
            return n;
        }
        for (;;) {
            unsigned pending = flush();
            ++pollers_;
            notified_ = false;  // from here on, a change signals: the wait must hear of it
            lock.unlock();
            int r;
            if (!timeout) {
                r = ::io_uring_enter2(static_cast<unsigned>(ring_.ring_fd), pending, 1, IORING_ENTER_GETEVENTS, nullptr,
                                      0);
            } else {
                auto left = deadline - clock::now();
                if (left.count() < 0) left = left.zero();
                auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left);
                auto secs = std::chrono::duration_cast<std::chrono::seconds>(ns);
                __kernel_timespec ts{};
                ts.tv_sec = secs.count();
                ts.tv_nsec = (ns - secs).count();
                ::io_uring_getevents_arg arg{};
                arg.ts = reinterpret_cast<std::uint64_t>(&ts);
                r = ::io_uring_enter2(static_cast<unsigned>(ring_.ring_fd), pending, 1,
                                      IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG, reinterpret_cast<sigset_t*>(&arg),
                                      sizeof arg);
            }
            lock.lock();
            --pollers_;
            n = harvest(out, 0);
            if (n > 0) return n;
            if (r == -ETIME) return std::size_t{0};
            if (r < 0 && r != -EAGAIN && r != -EBUSY) return detail::sys::make_error(-r);
            if (consumed_ == 0) {
                // The wait ended without a completion. When the call also submitted, it returns
                // the submitted count and hides why: the timeout, or a signal (EINTR, which is
                // not retried).
                if (timeout && clock::now() >= deadline) return std::size_t{0};
                return detail::sys::make_error(EINTR);
            }
            // Woken by a registration (or only by completions that were stale): wait again
            // with what is left of the timeout.
            if (timeout && clock::now() >= deadline) return std::size_t{0};
        }
    }

    // Nothing queued, nothing completed, nothing overflowed: a zero-timeout poll has nothing
    // to do, and does it without the mutex (the spin case). Only the polling thread moves the
    // CQ head; registrations raise queued_ after writing a request.
    bool idle() const noexcept {
        return !queued_.load(std::memory_order_acquire) && cq_empty() && !needs_enter();
    }

    // For tests of the batching: requests written but not yet submitted.
    unsigned queued() {
        std::lock_guard lock(mutex_);
        return ::io_uring_sq_ready(&ring_);
    }

    std::uint64_t rearms() {
        std::lock_guard lock(mutex_);
        return rearms_;
    }

private:
    uring_shared() = default;

    static std::chrono::steady_clock::time_point saturating_deadline(std::chrono::steady_clock::time_point now,
                                                                     std::chrono::nanoseconds d) noexcept {
        auto room = std::chrono::steady_clock::time_point::max() - now;
        return d >= room ? std::chrono::steady_clock::time_point::max()
                         : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }

    uring_slot* find(int fd) noexcept {
        if (fd < 0 || static_cast<std::size_t>(fd) >= slots_.size()) return nullptr;
        auto& s = slots_[static_cast<std::size_t>(fd)];
        return s.live ? &s : nullptr;
    }

    // Overflowed completions wait in the kernel until an io_uring_enter with GETEVENTS.
    bool needs_enter() const noexcept { return ::io_uring_cq_has_overflow(&ring_); }

    bool cq_empty() const noexcept {
        return *ring_.cq.khead == std::atomic_ref<unsigned>(*ring_.cq.ktail).load(std::memory_order_acquire);
    }

    // A free SQE; a full queue is submitted first (from this thread).
    ::io_uring_sqe* get_sqe() noexcept {
        auto* sqe = ::io_uring_get_sqe(&ring_);
        if (sqe == nullptr) {
            if (submit_locked()) return nullptr;
            sqe = ::io_uring_get_sqe(&ring_);
            if (sqe == nullptr) return nullptr;
        }
        queued_.store(true, std::memory_order_release);
        return sqe;
    }

    std::error_code queue_poll(int fd, std::uint32_t gen, std::uint32_t mask) noexcept {
        auto* sqe = get_sqe();
        if (sqe == nullptr) return std::make_error_code(std::errc::resource_unavailable_try_again);
        ::io_uring_prep_poll_multishot(sqe, fd, mask | EPOLLET);
        ::io_uring_sqe_set_data64(sqe, uring_data(uring_kind::poll, gen, fd));
        return {};
    }

    std::error_code queue_cancel(int fd, std::uint32_t gen) noexcept {
        auto* sqe = get_sqe();
        if (sqe == nullptr) return std::make_error_code(std::errc::resource_unavailable_try_again);
        ::io_uring_prep_cancel64(sqe, uring_data(uring_kind::poll, gen, fd), 0);
        ::io_uring_sqe_set_data64(sqe, uring_data(uring_kind::cancel, gen, fd));
        ::io_uring_sqe_set_flags(sqe, IOSQE_CQE_SKIP_SUCCESS);
        return {};
    }

    std::error_code queue_notify_arm() noexcept {
        auto* sqe = get_sqe();
        if (sqe == nullptr) return std::make_error_code(std::errc::resource_unavailable_try_again);
        ::io_uring_prep_poll_multishot(sqe, notify_.get(), POLLIN | EPOLLET);
        ::io_uring_sqe_set_data64(sqe, uring_data(uring_kind::notify, 0, notify_.get()));
        return {};
    }

    // Publishes the queued SQEs to the kernel (the mutex is held); returns how many the
    // kernel has not consumed yet. The io_uring_enter that submits them may then run without
    // the mutex: other threads only write SQEs past the published tail.
    unsigned flush() noexcept {
        auto& sq = ring_.sq;
        queued_.store(false, std::memory_order_relaxed);
        unsigned tail = *sq.ktail;
        while (sq.sqe_head != sq.sqe_tail) {
            sq.array[tail & sq.ring_mask] = sq.sqe_head & sq.ring_mask;
            ++tail;
            ++sq.sqe_head;
        }
        std::atomic_ref<unsigned>(*sq.ktail).store(tail, std::memory_order_release);
        return tail - std::atomic_ref<unsigned>(*sq.khead).load(std::memory_order_acquire);
    }

    // Submits every queued request now, with the mutex held.
    std::error_code submit_locked() noexcept {
        unsigned pending = flush();
        if (pending == 0) return {};
        for (;;) {
            int r = ::io_uring_enter2(static_cast<unsigned>(ring_.ring_fd), pending, 0, 0, nullptr, 0);
            if (r >= 0) return {};
            if (r != -EINTR) return detail::sys::make_error(-r);
        }
    }

    // A change while a poll is blocked: wake it so that it submits the change now.
    void changed() noexcept {
        if (pollers_ > 0 && !notified_) {
            std::uint64_t one = 1;
            if (::write(notify_.get(), &one, sizeof one) < 0 && errno == EAGAIN) {
                std::uint64_t count;
                (void)::read(notify_.get(), &count, sizeof count);
                (void)::write(notify_.get(), &one, sizeof one);
            }
            notified_ = true;
        }
    }

    // Moves completions into out[n...]; returns the new count. A completion that needs a new
    // event when `out` is full stays in the ring for the next poll.
    std::size_t harvest(std::span<uring_event> out, std::size_t n) noexcept {
        if (cq_empty()) {
            consumed_ = 0;
            return n;
        }
        return harvest_ring(out, n);
    }

    std::size_t harvest_ring(std::span<uring_event> out, std::size_t n) noexcept {
        auto& cq = ring_.cq;
        const unsigned first = *cq.khead;
        unsigned head = first;
        unsigned tail = std::atomic_ref<unsigned>(*cq.ktail).load(std::memory_order_acquire);
        for (; head != tail; ++head) {
            const ::io_uring_cqe& c = cq.cqes[head & cq.ring_mask];
            auto kind = static_cast<uring_kind>(c.user_data >> 62);
            auto gen = static_cast<std::uint32_t>(c.user_data >> 32) & uring_gen_mask;
            auto fd = static_cast<int>(static_cast<std::uint32_t>(c.user_data));
            bool more = (c.flags & IORING_CQE_F_MORE) != 0;
            if (kind == uring_kind::notify) {
                if (!more && queue_notify_arm()) break;
                continue;
            }
            if (kind == uring_kind::cancel) continue;  // the request had ended already
            auto* s = find(fd);
            if (kind == uring_kind::update) {
                // The update failed: the old request is cancelled (if a wake-up held it) and a
                // new one is added at the generation the update was for, if still current.
                if (c.res == -EALREADY && queue_cancel(fd, (gen - 1) & uring_gen_mask)) break;
                if (s != nullptr && s->gen == gen && queue_poll(fd, gen, s->mask)) break;
                continue;
            }
            if (s == nullptr || s->gen != gen) continue;  // removed, modified or replaced since
            std::uint32_t ev = 0;
            bool drop = false;
            if (c.res > 0) {
                ev = static_cast<std::uint32_t>(c.res);
            } else if (c.res < 0 && c.res != -ECANCELED) {
                // The kernel refused the request (a bad fd added in batch mode): report it as
                // an error on the token and drop the registration.
                ev = POLLERR | POLLHUP | POLLNVAL;
                drop = true;
            }
            bool fresh = ev != 0 && s->stamp != stamp_;
            if (fresh && n == out.size()) break;
            if (drop) {
                s->live = false;
                s->gen = (s->gen + 1) & uring_gen_mask;
            } else if (!more) {
                if (queue_poll(fd, gen, s->mask)) break;  // no room to re-arm: keep it for the next poll
                ++rearms_;
            }
            if (ev == 0) continue;
            if (fresh) {
                s->stamp = stamp_;
                s->out = static_cast<std::uint32_t>(n);
                out[n++] = uring_event{s->token, ev};
            } else {
                out[s->out].events |= ev;
            }
        }
        std::atomic_ref<unsigned>(*cq.khead).store(head, std::memory_order_release);
        consumed_ = head - first;
        return n;
    }

    std::mutex mutex_;
    ::io_uring ring_{};
    bool ring_up_ = false;
    detail::owned_handle notify_;
    std::vector<uring_slot> slots_;  // by fd
    std::uint64_t stamp_ = 0;        // one per select
    std::uint64_t rearms_ = 0;       // requests the kernel ended and a poll added again
    unsigned consumed_ = 0;          // completions the last harvest took from the ring
    int pollers_ = 0;                // selects blocked in io_uring_enter
    bool notified_ = false;          // the notify eventfd was written since the last wait began
    std::atomic<bool> batch_{false};
    std::atomic<bool> queued_{false};  // SQEs written since the last flush (read without the mutex)
};

}  // namespace detail

/// Readiness through io_uring multishot poll requests, edge-triggered as epoll (see the top of
/// this header). Handles are fds. Closing an fd does not remove it (close_removes is false): the
/// library's sockets and pipes cancel their request when closed; raw fds must be removed before
/// close. try_clone shares the ring; clones may register from other threads while one of them
/// is blocked in select. Never the default selector.
class io_uring_selector {
public:
    using handle_type = int;
    using native_event = uring_event;
    static constexpr bool close_removes = false;
    static constexpr bool polls_fds = true;
    /// Poll requests are edge-triggered as epoll's EPOLLET: a short read proves a stream drained.
    static constexpr bool short_read_drains = true;

    /// Default ring: 256 submission entries, 1024 completion entries.
    static constexpr unsigned default_sq_entries = 256;
    static constexpr unsigned default_cq_entries = 1024;

    /// Sets up a ring. Errors: the kernel's where io_uring is missing or disabled (ENOSYS, EPERM),
    /// ENOSYS where a needed feature is missing, EMFILE, ENOMEM.
    static result<io_uring_selector> create() { return create(default_sq_entries, default_cq_entries); }
    /// The same with chosen ring sizes (rounded up to powers of two by the kernel).
    static result<io_uring_selector> create(unsigned sq_entries, unsigned cq_entries) {
        auto s = detail::uring_shared::open(sq_entries, cq_entries);
        if (!s) return s.error();
        return io_uring_selector(std::move(*s));
    }

    io_uring_selector(io_uring_selector&&) noexcept = default;
    io_uring_selector& operator=(io_uring_selector&&) noexcept = default;
    // Out of line: inlined into an optional<io_uring_selector> inside a result (the fd wakers),
    // g++ 12 at -O2 warns that the shared_ptr may be used uninitialized (a false positive,
    // fatal under -Werror). Destruction is never on the hot path.
    [[gnu::noinline]] ~io_uring_selector() = default;

    /// A second handle on the same ring and registrations (for registry clones and wakers).
    result<io_uring_selector> try_clone() const {
        if (!shared_) return detail::sys::make_error(EBADF);
        return io_uring_selector(shared_);
    }

    /// Registers `fd`. The request goes to the kernel with the next poll. Errors: EBADF (not an
    /// open fd), EPERM (regular file, directory, block device), EEXIST (already registered).
    /// In batch mode only EEXIST and a negative fd are reported here (see the top of the header).
    result<void> add(int fd, token t, interest i) {
        if (!shared_) return detail::sys::make_error(EBADF);
        return shared_->add(fd, t, i);
    }
    /// Changes token and interest; the readiness present then is reported again, as epoll does.
    /// Errors: EBADF (not an open fd; not checked in batch mode), ENOENT (not registered).
    result<void> modify(int fd, token t, interest i) {
        if (!shared_) return detail::sys::make_error(EBADF);
        return shared_->modify(fd, t, i);
    }
    /// No event for `fd` is returned by a select that starts after this returned. Submits the
    /// cancel at once (one io_uring_enter) unless in batch mode. Errors: ENOENT (not registered),
    /// EBADF (not registered and not an open fd).
    result<void> remove(int fd) {
        if (!shared_) return detail::sys::make_error(EBADF);
        return shared_->remove(fd);
    }

    /// What the library's sockets and pipes keep: closing them cancels their poll request.
    source_hooks hooks() const {
        if (!shared_) return {};
        return source_hooks{shared_, nullptr, &detail::uring_shared::forget_hook};
    }

    /// Batch mode (off by default): add and modify make no syscall and remove waits for the next
    /// poll; errors of a bad add then arrive late, as an error event (see the top of the header).
    void set_batch_registrations(bool on) noexcept {
        if (shared_) shared_->set_batch(on);
    }
    bool batch_registrations() const noexcept { return shared_ && shared_->batch(); }

    /// Grows the fd-indexed registration table to `fds` entries now, so that adds of fds below
    /// it never allocate. Errors: ENOMEM (std::bad_alloc with exceptions on).
    result<void> reserve_fds(std::size_t fds) {
        if (!shared_) return detail::sys::make_error(EBADF);
        return shared_->reserve(fds);
    }

    /// Requests written into the submission queue and not yet consumed by the kernel.
    unsigned queued_requests() const {
        return shared_ ? shared_->queued() : 0u;
    }

    /// How many poll requests the kernel ended (CQ overflow, submitting thread exited) and a
    /// poll re-armed since creation (for monitoring: a growing count says the CQ is too small).
    std::uint64_t rearmed_requests() const { return shared_ ? shared_->rearms() : 0u; }

    /// Submits what is queued, then returns the events already completed, or waits for one.
    /// std::nullopt blocks; zero never blocks (and makes no syscall when nothing is queued);
    /// other timeouts are exact to the nanosecond. Errors: EINTR (not retried), the kernel's.
    result<std::size_t> select(std::span<uring_event> out, std::optional<std::chrono::nanoseconds> timeout) {
        if (!shared_) [[unlikely]]
            return detail::sys::make_error(EBADF);
        if (timeout && timeout->count() <= 0 && shared_->idle()) return std::size_t{0};
        return shared_->select(out, timeout);
    }

    static token event_token(const uring_event& e) noexcept { return token(static_cast<std::size_t>(e.token)); }
    static bool is_readable(const uring_event& e) noexcept { return (e.events & (POLLIN | POLLPRI)) != 0; }
    static bool is_writable(const uring_event& e) noexcept { return (e.events & POLLOUT) != 0; }
    static bool is_error(const uring_event& e) noexcept { return (e.events & (POLLERR | POLLNVAL)) != 0; }
    static bool is_read_closed(const uring_event& e) noexcept {
        return (e.events & POLLHUP) != 0 || ((e.events & POLLIN) != 0 && (e.events & MIO_URING_POLLRDHUP) != 0);
    }
    static bool is_write_closed(const uring_event& e) noexcept {
        return (e.events & POLLHUP) != 0 || ((e.events & POLLOUT) != 0 && (e.events & POLLERR) != 0) ||
               e.events == POLLERR;
    }
    static bool is_priority(const uring_event& e) noexcept { return (e.events & POLLPRI) != 0; }

private:
    explicit io_uring_selector(std::shared_ptr<detail::uring_shared> s) noexcept : shared_(std::move(s)) {}
    std::shared_ptr<detail::uring_shared> shared_;
};

}  // namespace mio
