// detail::poll_shared: the interest set of mio::poll_selector, shared by a selector and its
// clones behind one mutex: registrations, emulated-edge arming, and the notifier that wakes a
// poll(2) blocked in another thread when the set changes (see poll.hpp for the semantics).
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <cstddef>
#include <cstdint>
#include <mutex>
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
        }
        // No clearing of revents: poll(2) writes every entry's revents when it succeeds, and
        // end_poll reads none when it did not.
        ++pollers_;
    }

    // After a poll that returned `ready` (poll(2)'s count of entries with revents, or -1):
    // moves reported readiness into `out` (at most out.size(); the rest stays armed and comes
    // next time) and disarms what it reported. Returns how many. The scan stops at the
    // `ready`-th entry with revents, so an idle poll costs nothing per registered fd.
    std::size_t end_poll(std::span<const pollfd> fds, std::span<const std::uint64_t> ids, std::span<poll_event> out,
                         std::size_t& cursor, int ready) noexcept {
        --pollers_;
        if (ready <= 0 || fds.empty()) return 0;
        auto left = static_cast<std::size_t>(ready);
        if (fds[0].revents != 0) {
            notify_.drain();
            notified_ = false;
            --left;
        }
        std::size_t users = fds.size() - 1;
        if (users == 0 || out.empty()) return 0;
        std::size_t n = 0;
        // Start where the last full batch stopped, so a small buffer cannot starve late fds.
        std::size_t start = cursor % users;
        for (std::size_t k = 0; k < users && left > 0; ++k) {
            std::size_t i = 1 + (start + k) % users;
            if (fds[i].revents == 0) continue;
            --left;
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

}  // namespace mio
