// detail::poll_shared: the interest set of mio::poll_selector, shared by a selector and its
// clones behind one lock: registrations, emulated-edge arming, and the notifier that wakes a
// poll(2) blocked in another thread when the set changes (see poll.hpp for the semantics).
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/sys.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>  // std::lock_guard
#include <thread>
#include <poll.h>
#include <span>
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

// POLLIN, disarmed lazily: a delivered readable event leaves the poll(2) entry as it was,
// because a well-behaved owner reads until would_block, which re-arms it before the next poll
// (mio's contract): that re-arm is then a flag set under the lock, with no entry to patch and
// no copy to sync. An owner that stops reading early is found by the next poll(2), which
// reports the disarmed readiness at once: the entry is then parked (patched to ask only for
// what is armed), at the cost of that one extra poll(2) return. Everything else is disarmed at
// once: a socket is writable most of the time and its owner seldom writes until would_block,
// and an end of stream (POLLRDHUP) or a priority byte stays until read.
inline constexpr short poll_lazy = POLLIN;

// One registered fd.
struct poll_registration {
    int fd;
    std::size_t token;
    short interest;    // every poll(2) bit the registration asks for
    short armed;       // the part still reported (the rest was reported and awaits a re-arm)
    bool quiet;        // hang-up or error reported: out of the poll(2) set until re-armed
    bool parked;       // the copies ask only for `armed`, else for `interest` (see poll_lazy); set when quiet
    std::uint64_t id;  // unique per add: a poll in flight never credits an old fd's readiness to a new one
};

// A selecting handle's private copy of the poll(2) set. It mirrors the shared registrations:
// entry 0 is the notify fd, entry i + 1 is registration i (a quiet one with fd -1, which
// poll(2) skips), so a change is patched in place at its index instead of copying the set.
struct poll_copy {
    std::vector<pollfd> fds;
    std::vector<std::uint64_t> ids;  // parallel to fds: which add each entry came from
    std::uint64_t epoch = 0;         // the shared epoch it was last rebuilt at (0: never)
    std::size_t cursor = 1;          // the entry where the next scan of revents starts
};

// The lock of poll_shared. Every critical section is a few dozen instructions (add may grow a
// vector; a rebuild copies the set), and the polling thread takes it about twice per event:
// uncontended, lock and unlock are one atomic exchange and one store, where std::mutex costs two
// calls into libc (about 50 instructions a pair). A waiter spins briefly, then yields its core.
class spin_lock {
public:
    void lock() noexcept {
        if (locked_.exchange(true, std::memory_order_acquire)) [[unlikely]]
            wait();
    }
    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

private:
    // Out of line, so that an uncontended lock saves no registers around a call.
    BOOST_NOINLINE void wait() noexcept {
        do {
            for (int spins = 0; locked_.load(std::memory_order_relaxed);) {
                if (++spins > 64) std::this_thread::yield();
            }
        } while (locked_.exchange(true, std::memory_order_acquire));
    }

    std::atomic<bool> locked_{false};
};

// The interest set shared by a poll_selector and its clones.
//
// Changes (add, remove, a modify of the interest, the re-arm of a parked entry) are made under
// the lock and queue the index they touched; the next poll applies only those to its copy (a
// full rebuild when the queue overflows, or when another handle's copy was the current one).
// A plain re-arm and a delivered readable event change flags only (see poll_lazy); a delivery
// that parks an entry patches the polling thread's copy directly. An idle poll takes no lock:
// it announces itself in `pollers_`, then reads `changed_` and `wake_pending_`; a change or a
// wake stores its flag, then reads `pollers_` and signals the notifier only when a poll may be
// blocked. Both sides use sequentially consistent operations, so at least one of them sees the
// other: either the poll applies the change (or returns the wake) before blocking, or the
// notifier wakes it.
class poll_shared {
public:
    explicit poll_shared(sys::notifier n) : notify_(std::move(n)) {
        dirty_.reserve(dirty_capacity);
        grow_spare(1);
    }

    // add must tell a closed fd (EBADF) at once, as epoll_ctl does (DESIGN.md), and poll(2)
    // cannot: it reports POLLNVAL only at the next poll. One fcntl(F_GETFD) per add is that
    // price; modify and remove pay it only on their error path.
    result<void> add(int fd, token t, interest i) {
        if (!sys::is_open(fd)) return std::errc::bad_file_descriptor;
        std::lock_guard lock(lock_);
        if (slot(fd) != 0) return std::errc::file_exists;
        auto at = static_cast<std::size_t>(fd);
        if (slot_of_fd_.size() <= at) slot_of_fd_.resize(at + 1, 0);
        // A poll's copy will need room for one more entry: it is allocated here, not there.
        if (spare_fds_.capacity() < regs_.size() + 2) grow_spare(regs_.size() + 2);
        short ev = to_poll_events(i);
        regs_.push_back({fd, t.value, ev, ev, false, false, next_id_++});
        slot_of_fd_[at] = regs_.size();
        changed(regs_.size() - 1);
        return {};
    }

    // A registered fd was open when added; one closed since (a raw fd closed before its
    // remove, which the docs forbid) is not looked for here, as in mio's poll backend: its
    // next poll reports it as an error event (POLLNVAL).
    result<void> modify(int fd, token t, interest i) noexcept {
        {
            std::lock_guard lock(lock_);
            if (std::size_t at = slot(fd)) {
                auto& r = regs_[at - 1];
                short ev = to_poll_events(i);
                r.token = t.value;  // read at delivery, under this lock: no copy holds it
                r.armed = ev;
                // The same interest on an entry that is not parked: a re-arm, as cheap as one
                // after would_block (the copies already ask for `ev`).
                if (ev == r.interest && !r.parked) [[likely]]
                    return {};
                r.interest = ev;
                r.quiet = r.parked = false;
                changed(at - 1);
                return {};
            }
        }
        return sys::is_open(fd) ? std::errc::no_such_file_or_directory : std::errc::bad_file_descriptor;
    }

    // A registered fd is removed even when already closed (that is how a raw fd closed too
    // early is cleaned up); an unregistered one gives EBADF when closed, ENOENT otherwise.
    result<void> remove(int fd) noexcept {
        {
            std::lock_guard lock(lock_);
            if (erase(fd)) return {};
        }
        return sys::is_open(fd) ? std::errc::no_such_file_or_directory : std::errc::bad_file_descriptor;
    }

    // The common re-arm (a drained read: its entry still asks for everything) only sets the
    // flags; a parked entry is patched, and a blocked poll woken, out of line.
    void rearm(int fd) noexcept {
        std::lock_guard lock(lock_);
        std::size_t at = slot(fd);
        if (at == 0) return;
        auto& r = regs_[at - 1];
        r.armed = r.interest;
        if (r.parked) [[unlikely]]
            unpark(r);
    }

    void forget(int fd) noexcept {
        std::lock_guard lock(lock_);
        (void)erase(fd);
    }

    static void rearm_hook(void* self, int fd, std::uintptr_t&) noexcept { static_cast<poll_shared*>(self)->rearm(fd); }
    static void forget_hook(void* self, int fd, std::uintptr_t&) noexcept { static_cast<poll_shared*>(self)->forget(fd); }

    // The waker of this poll, sent through the notifier (one write(2) per wake, none when no
    // poll is blocked), as mio's poll backend does: a wake is a flag that the next poll turns
    // into a readable event under `t`. Errors: file_exists when one is attached.
    result<void> attach_waker(token t) {
        std::lock_guard lock(lock_);
        if (has_waker_.load(std::memory_order_relaxed)) return std::errc::file_exists;
        waker_token_.store(t.value, std::memory_order_relaxed);
        has_waker_.store(true, std::memory_order_relaxed);
        wake_pending_.store(false, std::memory_order_relaxed);
        return {};
    }
    // Forgets the waker and its undelivered wake.
    void detach_waker() noexcept {
        std::lock_guard lock(lock_);
        has_waker_.store(false, std::memory_order_relaxed);
        wake_pending_.store(false, std::memory_order_relaxed);
    }
    // Thread-safe; wakes coalesce until a poll reports one. Errors: those of the notifier (rare).
    result<void> wake() noexcept {
        if (wake_pending_.exchange(true)) return {};  // already pending: the poll will see it
        return signal_pollers();
    }

    int notify_handle() const noexcept { return notify_.read_handle(); }

    // Before a poll: counts the poller in (changes from now on signal it), drops a stale
    // notification, and brings `copy` up to date. True when a wake is pending, so the poll
    // must not block.
    BOOST_FORCEINLINE bool begin_poll(poll_copy& copy) {
        pollers_.fetch_add(1);
        if (notified_.load(std::memory_order_relaxed)) [[unlikely]] {
            notify_.drain();
            notified_.store(false);
        }
        if (changed_.load() || copy.epoch != epoch_.load(std::memory_order_relaxed)) [[unlikely]] {
            std::lock_guard lock(lock_);
            sync(copy);
        }
        return wake_pending_.load();
    }

    // After a poll that returned `ready` (poll(2)'s count of entries with revents, or -1):
    // moves reported readiness (and a pending wake) into `out`, at most out.size() (the rest
    // stays armed and comes next time), and disarms what it reported in the shared set, parking
    // (patching in `copy`) the entries that must stop asking (see poll_lazy). Returns how many. An idle poll takes no lock and costs nothing per fd; otherwise
    // the scan stops at the `ready`-th entry with revents.
    BOOST_FORCEINLINE std::size_t end_poll(poll_copy& copy, std::span<poll_event> out, int ready) noexcept {
        pollers_.fetch_sub(1);
        if (ready <= 0) {
            if (ready < 0 || !wake_pending_.load()) return 0;
        } else if (copy.fds[0].revents != 0) {
            notify_.drain();
            notified_.store(false);
            --ready;
        }
        if (out.empty()) [[unlikely]]
            return 0;
        std::size_t n = 0;
        // The wake first: a buffer full of fd events never holds it back.
        if (wake_pending_.load(std::memory_order_relaxed) && wake_pending_.exchange(false) &&
            has_waker_.load(std::memory_order_relaxed))
            out[n++] = poll_event{waker_token_.load(std::memory_order_relaxed), POLLIN};
        if (ready == 0) return n;
        pollfd* fds = copy.fds.data();
        const std::uint64_t* ids = copy.ids.data();
        std::size_t size = copy.fds.size();
        auto left = static_cast<std::size_t>(ready);
        std::lock_guard lock(lock_);
        // Few live values in the loop, so that the common event costs no spill: registrations
        // (nothing below resizes them) and the output as pointers.
        poll_registration* regs = regs_.data();
        std::size_t nregs = regs_.size();
        poll_event* dst = out.data() + n;
        poll_event* const dst_end = out.data() + out.size();
        // Start where the last full batch stopped, so a small buffer cannot starve late fds:
        // two plain passes (start..end, then 1..start).
        std::size_t start = copy.cursor < size ? copy.cursor : 1;
        for (int pass = 0; pass < 2; ++pass) {
            pollfd* const end = fds + (pass == 0 ? size : start);
            for (pollfd* p = fds + (pass == 0 ? start : 1);; ++p) {
                // The loop that runs once per registered fd up to the last one reported: it
                // touches the pollfds alone.
                while (p < end && p->revents == 0) ++p;
                if (p == end) break;
                auto i = static_cast<std::size_t>(p - fds);
                short revents = p->revents;
                auto* r = i <= nregs && regs[i - 1].id == ids[i] ? &regs[i - 1] : find(p->fd);
                if (r != nullptr && r->id == ids[i]) {  // else removed (or replaced) while polling
                    short armed = r->armed;
                    auto got = static_cast<short>(revents & (armed | poll_always));
                    if (got != 0) {
                        if (dst == dst_end) {
                            copy.cursor = i;
                            return static_cast<std::size_t>(dst - out.data());
                        }
                        *dst++ = poll_event{r->token, got};
                        r->armed = static_cast<short>(armed & ~got);
                    }
                    // Anything but an armed readable edge parks the entry: readiness reported
                    // before and not re-armed since (its owner stopped short of would_block), a
                    // writable edge, a hang-up or an error (see poll_lazy).
                    if ((revents & ~(armed & poll_lazy)) != 0) [[unlikely]]
                        park(*r, got, copy, *p);
                }
                if (--left == 0) break;
            }
            if (left == 0) break;
        }
        return static_cast<std::size_t>(dst - out.data());
    }

private:
    static constexpr std::size_t dirty_capacity = 256;
    static constexpr std::size_t copy_reserve = 64;  // the least a copy is grown to: 1 KiB

    // Under the lock. Called by add (and create), which may allocate: the spare then holds
    // room for the whole set, and the next poll's copy swaps it in instead of allocating.
    void grow_spare(std::size_t need) {
        std::size_t room = std::max({need, 2 * spare_fds_.capacity(), copy_reserve});
        spare_fds_.reserve(room);
        spare_ids_.reserve(room);
    }
    // Under the lock, from sync: `copy` needs room for `size` entries. Its contents move into
    // the spare, which becomes the copy; the old buffers become the spare (add grows it).
    BOOST_NOINLINE void grow(poll_copy& copy, std::size_t size) {
        if (spare_fds_.capacity() >= size && spare_ids_.capacity() >= size) {
            spare_fds_.assign(copy.fds.begin(), copy.fds.end());
            spare_ids_.assign(copy.ids.begin(), copy.ids.end());
            copy.fds.swap(spare_fds_);
            copy.ids.swap(spare_ids_);
            return;
        }
        std::size_t room = std::max({size, 2 * copy.fds.capacity(), copy_reserve});
        copy.fds.reserve(room);
        copy.ids.reserve(room);
    }


    // Parks `r` and patches its entry `at` in `copy`, the polling thread's copy, when that
    // is the current one (else its next sync rebuilds it). Only this poll's copy needs the
    // change (no other poll is blocked on this set), so nobody is woken. A registration that
    // moved meanwhile has its old and new index queued, and the next sync rewrites both.
    BOOST_NOINLINE void park(poll_registration& r, short got, const poll_copy& copy, pollfd& at) noexcept {
        if ((got & poll_always) != 0) r.quiet = true;
        r.parked = true;
        if (copy.epoch == epoch_.load(std::memory_order_relaxed)) at = entry(r);
    }
    BOOST_NOINLINE void unpark(poll_registration& r) noexcept {
        r.quiet = r.parked = false;
        changed(index_of(&r));
    }

    static pollfd entry(const poll_registration& r) noexcept {
        return {r.quiet ? -1 : r.fd, r.parked ? r.armed : r.interest, 0};
    }

    // The registration of `fd` is regs_[slot(fd) - 1]; 0 when it has none.
    std::size_t slot(int fd) const noexcept {
        auto at = static_cast<std::size_t>(static_cast<unsigned>(fd));  // -1 is out of range
        return at < slot_of_fd_.size() ? slot_of_fd_[at] : 0;
    }
    poll_registration* find(int fd) noexcept {
        std::size_t at = slot(fd);
        return at == 0 ? nullptr : &regs_[at - 1];
    }
    std::size_t index_of(const poll_registration* r) const noexcept { return static_cast<std::size_t>(r - regs_.data()); }

    bool erase(int fd) noexcept {
        auto* r = find(fd);
        if (r == nullptr) return false;
        std::size_t i = index_of(r);
        if (i + 1 != regs_.size()) {
            regs_[i] = regs_.back();
            slot_of_fd_[static_cast<std::size_t>(regs_[i].fd)] = i + 1;
        }
        regs_.pop_back();
        slot_of_fd_[static_cast<std::size_t>(fd)] = 0;
        changed(i);  // the entry moved into i; when i was the last, the copy just shrinks
        return true;
    }

    // Registration `index` changed: queue it for the current copy, and wake a blocked poll so
    // that it takes effect now. A full queue turns into a rebuild, so it never allocates.
    BOOST_FORCEINLINE void changed(std::size_t index) noexcept {
        if (!rebuild_) {
            if (dirty_.size() == dirty_.capacity()) {
                rebuild_ = true;
                dirty_.clear();
            } else {
                dirty_.push_back(index);
            }
        }
        changed_.store(true);
        (void)signal_pollers();
    }

    result<void> signal_pollers() noexcept {
        if (pollers_.load() > 0 && !notified_.exchange(true)) return notify_.signal();
        return {};
    }

    // Brings `copy` up to date, under the lock: the queued entries only, or all of them when
    // the queue overflowed or another copy was synced since this one.
    void sync(poll_copy& copy) {
        std::size_t size = regs_.size() + 1;
        // resize keeps the capacity, and a copy that must grow takes the spare buffers add
        // has grown: a poll allocates nothing (unless two clones poll, and the spare is gone).
        if (copy.fds.size() != size) [[unlikely]] {
            if (copy.fds.capacity() < size) grow(copy, size);
            copy.fds.resize(size);
            copy.ids.resize(size);
        }
        if (rebuild_ || copy.epoch != epoch_.load(std::memory_order_relaxed)) {
            copy.fds[0] = {notify_.read_handle(), POLLIN, 0};
            copy.ids[0] = 0;
            for (std::size_t i = 0; i < regs_.size(); ++i) {
                copy.fds[i + 1] = entry(regs_[i]);
                copy.ids[i + 1] = regs_[i].id;
            }
            copy.epoch = epoch_.load(std::memory_order_relaxed) + 1;
            epoch_.store(copy.epoch, std::memory_order_relaxed);
            rebuild_ = false;
        } else {
            for (std::size_t i : dirty_) {
                if (i >= regs_.size()) continue;  // removed since
                copy.fds[i + 1] = entry(regs_[i]);
                copy.ids[i + 1] = regs_[i].id;
            }
        }
        dirty_.clear();
        changed_.store(false, std::memory_order_relaxed);
    }

    spin_lock lock_;
    sys::notifier notify_;
    // Under lock_:
    std::vector<poll_registration> regs_;
    std::vector<std::size_t> slot_of_fd_;  // fd -> index + 1 in regs_, 0 when not registered
    std::vector<std::size_t> dirty_;       // indices changed since the current copy was synced
    std::vector<pollfd> spare_fds_;        // room for the next copy that must grow (see grow)
    std::vector<std::uint64_t> spare_ids_;
    bool rebuild_ = false;                 // the current copy must be rebuilt (dirty_ overflowed)
    std::uint64_t next_id_ = 1;
    // Read without the lock (see the class comment):
    std::atomic<std::uint64_t> epoch_{1};  // bumped by every rebuild; the copy holding it is current
    std::atomic<bool> changed_{false};     // dirty_ or rebuild_ has something for the next sync
    std::atomic<int> pollers_{0};          // selects between begin_poll and end_poll
    std::atomic<bool> notified_{false};    // a signal sits unread in the notify fd
    std::atomic<bool> wake_pending_{false};
    // Written under lock_ (attach and detach), read by end_poll without it.
    std::atomic<bool> has_waker_{false};
    std::atomic<std::size_t> waker_token_{0};
};

}  // namespace detail

}  // namespace mio
