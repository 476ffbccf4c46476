// mio::epoll_selector: the Linux backend. Edge-triggered epoll, as mio uses it.
//
// Interest mapping: readable -> EPOLLIN | EPOLLRDHUP, writable -> EPOLLOUT,
// priority -> EPOLLPRI; always EPOLLET. Event mapping (as mio's):
//   readable     EPOLLIN or EPOLLPRI
//   writable     EPOLLOUT
//   error        EPOLLERR
//   read_closed  EPOLLHUP, or EPOLLIN with EPOLLRDHUP
//   write_closed EPOLLHUP, or EPOLLOUT with EPOLLERR, or EPOLLERR alone
//   priority     EPOLLPRI
// Short reads: a read from a stream socket that returns fewer bytes than asked for means the
// socket was drained at that moment, and any later arrival raises a new edge, so callers may
// stop reading there (short_read_drains; see selector_traits). Tokio relies on the same fact.
// Timeouts have nanosecond resolution through epoll_pwait2 (glibc 2.35, Linux 5.11); without
// it, epoll_wait with the timeout rounded up to whole milliseconds, never down to zero.
// Busy polling per epoll instance (set_busy_poll, Linux 6.9+): see doc/busy_poll.md.
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/fd.hpp>
#include <mio/detail/sys.hpp>
#include <mio/detail/timeout.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <atomic>
#include <chrono>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>

// The wait of every poll and the registration calls, through the GOT (see MIO_NO_PLT in
// detail/config.hpp).
extern "C" {
int epoll_wait(int, struct epoll_event*, int, int) MIO_NO_PLT;
int epoll_ctl(int, int, int, struct epoll_event*) MIO_NO_PLT;
}

namespace mio {

/// Busy polling of one epoll instance (the kernel's struct epoll_params, Linux 6.9+): for up
/// to busy_poll_usecs a wait spins on the NAPI contexts of its sockets instead of sleeping,
/// polling busy_poll_budget packets per round (the kernel caps it at 64 without
/// CAP_NET_ADMIN); prefer_busy_poll asks the NIC driver to leave interrupts off while the
/// application polls. All zero: off. See doc/busy_poll.md for what it needs from the NIC.
struct busy_poll_params {
    std::uint32_t busy_poll_usecs = 0;
    std::uint16_t busy_poll_budget = 0;
    bool prefer_busy_poll = false;
    friend bool operator==(const busy_poll_params&, const busy_poll_params&) = default;
};

namespace detail {
// Set once a kernel older than 5.11 answered ENOSYS, so later polls go to epoll_wait directly.
inline std::atomic<bool> epoll_pwait2_missing{false};

// The kernel's struct epoll_params and its ioctls (<linux/eventpoll.h> of Linux 6.9; Debian
// 12's headers lack them, and the layout is fixed ABI).
struct epoll_params_abi {
    std::uint32_t busy_poll_usecs;
    std::uint16_t busy_poll_budget;
    std::uint8_t prefer_busy_poll;
    std::uint8_t pad;
};
static_assert(sizeof(epoll_params_abi) == 8);
inline constexpr unsigned long epiocsparams = _IOW(0x8A, 0x01, epoll_params_abi);
inline constexpr unsigned long epiocgparams = _IOR(0x8A, 0x02, epoll_params_abi);

// On any fd: ENOTTY where it is not an epoll fd of a 6.9+ kernel.
inline result<void> epoll_set_busy_poll(int epfd, busy_poll_params p) noexcept {
    epoll_params_abi a{p.busy_poll_usecs, p.busy_poll_budget, static_cast<std::uint8_t>(p.prefer_busy_poll), 0};
    return sys::void_result(::ioctl(epfd, epiocsparams, &a));
}
inline result<busy_poll_params> epoll_get_busy_poll(int epfd) noexcept {
    epoll_params_abi a{};
    if (::ioctl(epfd, epiocgparams, &a) < 0) return detail::sys::last_error();
    return busy_poll_params{a.busy_poll_usecs, a.busy_poll_budget, a.prefer_busy_poll != 0};
}
}  // namespace detail

/// Readiness through Linux epoll, edge-triggered. Handles are fds; closing an fd removes it
/// from the interest list (unless it was dup'ed). try_clone dup's the epoll fd.
class epoll_selector {
public:
    using handle_type = int;
    using native_event = ::epoll_event;
    static constexpr bool close_removes = true;
    static constexpr bool polls_fds = true;
    /// Edge-triggered: a short read from a stream socket proves it drained (see the file comment).
    static constexpr bool short_read_drains = true;

    /// Errors: EMFILE, ENFILE, ENOMEM from epoll_create1.
    static result<epoll_selector> create() noexcept {
        int fd = ::epoll_create1(EPOLL_CLOEXEC);
        if (fd < 0) return detail::sys::last_error();
        return epoll_selector(fd);
    }

    result<epoll_selector> try_clone() const noexcept {
        auto fd = detail::sys::dup_cloexec(ep_.get());
        if (!fd) return fd.error();
        return epoll_selector(*fd);
    }

    /// Errors: EBADF (closed fd), EEXIST (already registered), EPERM (fd not pollable, e.g. a file).
    result<void> add(int fd, token t, interest i) noexcept { return ctl(EPOLL_CTL_ADD, fd, t, i); }
    /// Errors: EBADF, ENOENT (not registered).
    result<void> modify(int fd, token t, interest i) noexcept { return ctl(EPOLL_CTL_MOD, fd, t, i); }
    /// Errors: EBADF, ENOENT (not registered).
    result<void> remove(int fd) noexcept {
        return detail::sys::void_result(::epoll_ctl(ep_.get(), EPOLL_CTL_DEL, fd, nullptr));
    }

    /// Waits for events into `out`. Returns how many. Errors: EINTR (not retried), EINVAL.
    result<std::size_t> select(std::span<epoll_event> out, std::optional<std::chrono::nanoseconds> timeout) noexcept {
        int max = out.size() > std::size_t(INT_MAX) ? INT_MAX : static_cast<int>(out.size());
        int n;
        if (!timeout) n = ::epoll_wait(ep_.get(), out.data(), max, -1);
        else if (timeout->count() <= 0) n = ::epoll_wait(ep_.get(), out.data(), max, 0);
        else n = wait_for(out.data(), max, *timeout);
        // Zero events (a busy poll, a timeout) is tested first and alone, so that an empty
        // poll costs one branch and the store of the size: as cheap as epoll_wait allows.
        if (n == 0) return std::size_t{0};
        if (n < 0) [[unlikely]]
            return detail::sys::last_error();
        return static_cast<std::size_t>(n);
    }

    static token event_token(const epoll_event& e) noexcept { return token(static_cast<std::size_t>(e.data.u64)); }
    static bool is_readable(const epoll_event& e) noexcept { return (e.events & (EPOLLIN | EPOLLPRI)) != 0; }
    static bool is_writable(const epoll_event& e) noexcept { return (e.events & EPOLLOUT) != 0; }
    static bool is_error(const epoll_event& e) noexcept { return (e.events & EPOLLERR) != 0; }
    static bool is_read_closed(const epoll_event& e) noexcept {
        return (e.events & EPOLLHUP) != 0 || ((e.events & EPOLLIN) != 0 && (e.events & EPOLLRDHUP) != 0);
    }
    static bool is_write_closed(const epoll_event& e) noexcept {
        return (e.events & EPOLLHUP) != 0 || ((e.events & EPOLLOUT) != 0 && (e.events & EPOLLERR) != 0) ||
               e.events == EPOLLERR;
    }
    static bool is_priority(const epoll_event& e) noexcept { return (e.events & EPOLLPRI) != 0; }

    /// The epoll fd (borrowed).
    int native_handle() const noexcept { return ep_.get(); }

    /// Sets busy polling for this epoll instance (EPIOCSPARAMS; shared with try_clone copies).
    /// Errors: ENOTTY on kernels before 6.9; EINVAL for busy_poll_usecs over INT32_MAX; EPERM
    /// for a busy_poll_budget over 64 without CAP_NET_ADMIN.
    result<void> set_busy_poll(busy_poll_params p) noexcept { return detail::epoll_set_busy_poll(ep_.get(), p); }
    /// The busy-poll parameters in force (EPIOCGPARAMS). Errors: ENOTTY on kernels before 6.9.
    result<busy_poll_params> busy_poll() const noexcept { return detail::epoll_get_busy_poll(ep_.get()); }

private:
    explicit epoll_selector(int fd) noexcept : ep_(fd) {}

    static std::uint32_t to_epoll(interest i) noexcept {
        std::uint32_t ev = EPOLLET;
        if (i.is_readable()) ev |= EPOLLIN | EPOLLRDHUP;
        if (i.is_writable()) ev |= EPOLLOUT;
        if (i.is_priority()) ev |= EPOLLPRI;
        return ev;
    }

    result<void> ctl(int op, int fd, token t, interest i) noexcept {
        epoll_event ev{};
        ev.events = to_epoll(i);
        ev.data.u64 = t.value;
        return detail::sys::void_result(::epoll_ctl(ep_.get(), op, fd, &ev));
    }

    int wait_for(epoll_event* out, int max, std::chrono::nanoseconds timeout) noexcept {
#if MIO_HAS_EPOLL_PWAIT2
        if (!detail::epoll_pwait2_missing.load(std::memory_order_relaxed)) {
            auto ts = detail::to_timespec<::timespec>(timeout);
            int n = ::epoll_pwait2(ep_.get(), out, max, &ts, nullptr);
            if (n >= 0 || errno != ENOSYS) return n;
            detail::epoll_pwait2_missing.store(true, std::memory_order_relaxed);
        }
#endif
        return ::epoll_wait(ep_.get(), out, max, detail::round_up_ms(timeout));
    }

    detail::owned_handle ep_;
};

}  // namespace mio
