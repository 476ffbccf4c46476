// mio::kqueue_selector: the backend of FreeBSD, NetBSD, OpenBSD, DragonFly, macOS and iOS.
// kqueue with EV_CLEAR (edge-triggered), as mio uses it.
//
// Registration: readable -> an EVFILT_READ filter, writable -> an EVFILT_WRITE filter, both with
// EV_CLEAR | EV_RECEIPT, so one source may yield two events in one poll (one per filter). Other
// interests (aio, lio, priority) register nothing, as in mio. Every receipt is checked:
//   add     EV_ADD the wanted filters; EPIPE ignored (old macOS reports it for a pipe whose
//           other end is gone, yet still delivers its events). A second add of the same fd is
//           accepted and replaces token and interest, as in mio: kqueue has no EEXIST. The debug
//           one-registry check still refuses it for the library's own sockets (file_exists).
//   modify  EV_ADD the wanted filters and EV_DELETE the others in one kevent call; ENOENT from
//           a delete is ignored (that filter was not there), as in mio. Unlike mio, modify of an
//           fd with no filter at all fails with ENOENT (mio would register it): two probes in
//           the same call tell, and the filters just added are then deleted again.
//   remove  EV_DELETE both filters; ENOENT ignored for one, reported when both were missing
//           (mio ignores it even then; DESIGN.md lists ENOENT for remove of an unregistered fd).
//   EINTR from kevent during registration counts as applied (FreeBSD's kevent(2): "all
//   changes in the changelist have been applied").
// Event mapping (as mio's kqueue.rs):
//   readable     EVFILT_READ, or EVFILT_USER (the kqueue waker)
//   writable     EVFILT_WRITE
//   error        EV_ERROR, or EV_EOF with a non-zero fflags (the socket error)
//   read_closed  EVFILT_READ with EV_EOF
//   write_closed EVFILT_WRITE with EV_EOF
//   priority     never (kqueue has no priority filter)
//   aio, lio     EVFILT_AIO (FreeBSD, DragonFly, Apple), EVFILT_LIO (FreeBSD)
// Short reads: EV_CLEAR resets a filter's state when it is delivered, and every arrival of
// data or of end-of-stream on a socket or pipe re-runs the filter, so a read that returned
// fewer bytes than asked for proves the source drained and a later arrival raises a new event
// (short_read_drains, as on epoll; test/short_read_drains_test.cpp checks it).
// Timeouts are an exact timespec (nanoseconds; seconds saturate at time_t's maximum).
// The kqueue fd is close-on-exec; try_clone dup's it (F_DUPFD_CLOEXEC). Closing an fd removes
// its filters (close_removes).
//
// libkqueue (Linux, the emulation CI runs on; detected by its LIBKQUEUE macro) differs, and
// this file adapts to it (doc/kqueue_selector.md lists every difference):
//   - it cannot see a close, so a closed fd's filters stay and a reused fd number would inherit
//     them: close_removes is false there and the library's sockets and pipes delete their
//     filters before they close (the forget hook); raw fds must be removed before close, as
//     with poll_selector;
//   - it knows a kqueue by its fd number, so a dup of it is not a kqueue: try_clone shares the
//     one fd (reference-counted) instead.
// Everything here is in the header only where <sys/event.h> exists.
#pragma once

#if defined(__has_include)
#  if __has_include(<sys/event.h>)
#    define MIO_DETAIL_KQUEUE_HEADER 1
#  endif
#endif

#if defined(MIO_DETAIL_KQUEUE_HEADER)
#  undef MIO_DETAIL_KQUEUE_HEADER

#  include <mio/detail/config.hpp>
#  include <mio/detail/fd.hpp>
#  include <mio/interest.hpp>
#  include <mio/io_source_state.hpp>
#  include <mio/result.hpp>
#  include <mio/token.hpp>

#  include <cerrno>
#  include <chrono>
#  include <climits>
#  include <cstddef>
#  include <cstdint>
#  include <limits>
#  include <optional>
#  include <span>
#  include <type_traits>

#  include <fcntl.h>
#  include <sys/types.h>
#  include <sys/event.h>
#  include <sys/time.h>
#  include <time.h>

#  if defined(LIBKQUEUE)
#    include <memory>
#  endif

namespace mio {

namespace detail {

#  if defined(LIBKQUEUE)
inline constexpr bool kqueue_emulated = true;
#  else
inline constexpr bool kqueue_emulated = false;
#  endif

using kevent_type = struct ::kevent;

// The field types differ between the BSDs (NetBSD: uint32_t filter and flags, intptr_t udata
// before NetBSD 10), so fields are written through their own types. Templates, so that only the
// branch that fits this platform's struct is instantiated.
template <class E = kevent_type>
inline E make_kevent(std::uintptr_t ident, int filter, unsigned flags, std::size_t udata) noexcept {
    E ev{};
    ev.ident = ident;
    ev.filter = static_cast<decltype(ev.filter)>(filter);
    ev.flags = static_cast<decltype(ev.flags)>(flags);
    if constexpr (std::is_pointer_v<decltype(ev.udata)>)
        ev.udata = reinterpret_cast<decltype(ev.udata)>(static_cast<std::uintptr_t>(udata));
    else
        ev.udata = static_cast<decltype(ev.udata)>(udata);
    return ev;
}

template <class E>
inline std::size_t kevent_udata(const E& ev) noexcept {
    if constexpr (std::is_pointer_v<decltype(ev.udata)>)
        return static_cast<std::size_t>(reinterpret_cast<std::uintptr_t>(ev.udata));
    else
        return static_cast<std::size_t>(ev.udata);
}

/// The error a receipt carries, or 0.
inline int receipt_error(const kevent_type& ev) noexcept {
    return (ev.flags & EV_ERROR) != 0 ? static_cast<int>(ev.data) : 0;
}

/// Submits `changes` (each with EV_RECEIPT) and leaves the receipts in place. Returns 0 or
/// the errno of kevent itself. EINTR counts as applied; the array then still holds the
/// changes, whose flags carry no EV_ERROR, so their receipts read as success.
inline int kevent_submit(int kq, kevent_type* changes, int n) noexcept {
    if (kq < 0) [[unlikely]]
        return EBADF;  // a moved-from selector (libkqueue would fail without setting errno)
    if (::kevent(kq, changes, n, changes, n, nullptr) < 0 && errno != EINTR) return errno;
    return 0;
}

/// kevent's timeout: exact to the nanosecond; seconds saturate; negative counts as zero.
inline ::timespec to_timespec(std::chrono::nanoseconds t) noexcept {
    ::timespec ts{};
    if (t.count() <= 0) return ts;
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t);
    constexpr auto max_secs = std::numeric_limits<time_t>::max();
    if (static_cast<std::uintmax_t>(secs.count()) > static_cast<std::uintmax_t>(max_secs)) {
        ts.tv_sec = max_secs;
    } else {
        ts.tv_sec = static_cast<time_t>(secs.count());
    }
    ts.tv_nsec = static_cast<long>((t - secs).count());
    return ts;
}

}  // namespace detail

/// Readiness through kqueue, edge-triggered (EV_CLEAR). Handles are fds. One source yields up
/// to two events per poll, one per filter (readable, writable). See the top of this header for
/// the errors of add, modify and remove and for the libkqueue differences.
class kqueue_selector {
public:
    using handle_type = int;
    using native_event = detail::kevent_type;
    /// A closed fd leaves a real kqueue by itself; libkqueue cannot see the close.
    static constexpr bool close_removes = !detail::kqueue_emulated;
    static constexpr bool polls_fds = true;
    /// EV_CLEAR: a short read from a stream socket proves it drained (see the file comment).
    static constexpr bool short_read_drains = true;

    /// A new kqueue, close-on-exec. Errors: EMFILE, ENFILE, ENOMEM.
    static result<kqueue_selector> create() noexcept {
        int fd = ::kqueue();
        if (fd < 0) return detail::sys::last_error();
        detail::owned_handle owned(fd);
        if (::fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) return detail::sys::last_error();
#  if defined(LIBKQUEUE)
        // A shared_ptr control block: the one allocation, at creation, never on the hot path.
        return kqueue_selector(std::make_shared<detail::owned_handle>(std::move(owned)));
#  else
        return kqueue_selector(std::move(owned));
#  endif
    }

    /// A second handle on the same kqueue (a close-on-exec dup; a shared one on libkqueue).
    /// Errors: EBADF (moved-from), EMFILE.
    result<kqueue_selector> try_clone() const noexcept {
        if (kq_ < 0) return detail::sys::make_error(EBADF);
#  if defined(LIBKQUEUE)
        return kqueue_selector(owner_);
#  else
        int fd = ::fcntl(kq_, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) return detail::sys::last_error();
        return kqueue_selector(detail::owned_handle(fd));
#  endif
    }

    kqueue_selector(kqueue_selector&& o) noexcept : kq_(o.kq_), owner_(std::move(o.owner_)) { o.kq_ = -1; }
    kqueue_selector& operator=(kqueue_selector&& o) noexcept {
        if (this != &o) {
            owner_ = std::move(o.owner_);
            kq_ = o.kq_;
            o.kq_ = -1;
        }
        return *this;
    }
    kqueue_selector(const kqueue_selector&) = delete;
    kqueue_selector& operator=(const kqueue_selector&) = delete;
    ~kqueue_selector() = default;

    /// Adds the filters of `i` under `t`. Errors: EBADF (not an open fd), EINVAL, ENOMEM.
    /// Adding an fd again replaces its token and interest (as in mio; no EEXIST from kqueue).
    result<void> add(int fd, token t, interest i) noexcept {
        constexpr unsigned flags = EV_ADD | EV_CLEAR | EV_RECEIPT;
        native_event changes[2];
        int n = 0;
        if (i.is_writable()) changes[n++] = detail::make_kevent(ident(fd), EVFILT_WRITE, flags, t.value);
        if (i.is_readable()) changes[n++] = detail::make_kevent(ident(fd), EVFILT_READ, flags, t.value);
        if (n == 0) return {};
        if (int e = detail::kevent_submit(kq_, changes, n)) return detail::sys::make_error(e);
        for (int k = 0; k < n; ++k) {
            int e = detail::receipt_error(changes[k]);
            if (e != 0 && e != EPIPE) return detail::sys::make_error(e);
        }
        return {};
    }

    /// Sets token and interest: adds the wanted filters, deletes the others.
    /// Errors: ENOENT (the fd has no filter in this kqueue), EBADF, ENOMEM.
    result<void> modify(int fd, token t, interest i) noexcept {
        // Two probes first (no EV_ADD: ENOENT when the filter is absent, a no-op touch when
        // present), then the changes proper, all in one call processed in order.
        constexpr unsigned probe = EV_CLEAR | EV_RECEIPT;
        constexpr unsigned add = EV_ADD | EV_CLEAR | EV_RECEIPT;
        constexpr unsigned del = EV_DELETE | EV_RECEIPT;
        native_event changes[4] = {
            detail::make_kevent(ident(fd), EVFILT_WRITE, probe, t.value),
            detail::make_kevent(ident(fd), EVFILT_READ, probe, t.value),
            detail::make_kevent(ident(fd), EVFILT_WRITE, i.is_writable() ? add : del, t.value),
            detail::make_kevent(ident(fd), EVFILT_READ, i.is_readable() ? add : del, t.value),
        };
        if (int e = detail::kevent_submit(kq_, changes, 4)) return detail::sys::make_error(e);
        for (int k = 2; k < 4; ++k) {
            int e = detail::receipt_error(changes[k]);
            if (e != 0 && e != ENOENT && e != EPIPE) return detail::sys::make_error(e);
        }
        if (detail::receipt_error(changes[0]) == ENOENT && detail::receipt_error(changes[1]) == ENOENT) {
            // Nothing was registered: take back what the call just added.
            (void)remove(fd);
            return detail::sys::make_error(ENOENT);
        }
        return {};
    }

    /// Deletes both filters. No event for `fd` comes from a select that starts after this
    /// returned. Errors: ENOENT (neither filter was registered), EBADF (not an open fd).
    result<void> remove(int fd) noexcept {
        constexpr unsigned del = EV_DELETE | EV_RECEIPT;
        native_event changes[2] = {
            detail::make_kevent(ident(fd), EVFILT_WRITE, del, 0),
            detail::make_kevent(ident(fd), EVFILT_READ, del, 0),
        };
        if (int e = detail::kevent_submit(kq_, changes, 2)) return detail::sys::make_error(e);
        int w = detail::receipt_error(changes[0]);
        int r = detail::receipt_error(changes[1]);
        if (w != 0 && w != ENOENT) return detail::sys::make_error(w);
        if (r != 0 && r != ENOENT) return detail::sys::make_error(r);
        if (w == ENOENT && r == ENOENT) return detail::sys::make_error(ENOENT);
        return {};
    }

    /// Waits for events into `out`; returns how many. std::nullopt blocks, zero polls once.
    /// Errors: EINTR (not retried), EBADF (moved-from), EINVAL.
    result<std::size_t> select(std::span<native_event> out, std::optional<std::chrono::nanoseconds> timeout) noexcept {
        int max = out.size() > std::size_t(INT_MAX) ? INT_MAX : static_cast<int>(out.size());
        ::timespec ts{};
        const ::timespec* tp = nullptr;
        if (timeout) {
            ts = detail::to_timespec(*timeout);
            tp = &ts;
        }
        if (kq_ < 0) [[unlikely]]
            return detail::sys::make_error(EBADF);
        int n = ::kevent(kq_, nullptr, 0, out.data(), max, tp);
        if (n == 0) return std::size_t{0};
        if (n < 0) [[unlikely]]
            return detail::sys::last_error();
        return static_cast<std::size_t>(n);
    }

    static token event_token(const native_event& e) noexcept { return token(detail::kevent_udata(e)); }
    static bool is_readable(const native_event& e) noexcept {
#  if defined(EVFILT_USER)
        if (e.filter == EVFILT_USER) return true;  // the kqueue waker, readable as eventfd and pipe wakers are
#  endif
        return e.filter == EVFILT_READ;
    }
    static bool is_writable(const native_event& e) noexcept { return e.filter == EVFILT_WRITE; }
    static bool is_error(const native_event& e) noexcept {
        // With EV_EOF, fflags holds the socket error (if any).
        return (e.flags & EV_ERROR) != 0 || ((e.flags & EV_EOF) != 0 && e.fflags != 0);
    }
    static bool is_read_closed(const native_event& e) noexcept {
        return e.filter == EVFILT_READ && (e.flags & EV_EOF) != 0;
    }
    static bool is_write_closed(const native_event& e) noexcept {
        return e.filter == EVFILT_WRITE && (e.flags & EV_EOF) != 0;
    }
    static bool is_priority(const native_event&) noexcept { return false; }
    static bool is_aio([[maybe_unused]] const native_event& e) noexcept {
#  if (defined(__FreeBSD__) || defined(__DragonFly__) || defined(__APPLE__)) && defined(EVFILT_AIO)
        return e.filter == EVFILT_AIO;
#  else
        return false;
#  endif
    }
    static bool is_lio([[maybe_unused]] const native_event& e) noexcept {
#  if defined(__FreeBSD__) && defined(EVFILT_LIO)
        return e.filter == EVFILT_LIO;
#  else
        return false;
#  endif
    }

#  if defined(LIBKQUEUE)
    /// libkqueue only: the library's sockets and pipes delete their filters before closing,
    /// since the emulation cannot see a close (see the top of this header).
    source_hooks hooks() const {
        if (!owner_) return {};
        return source_hooks{owner_, nullptr, &forget_hook};
    }
#  endif

    /// The kqueue fd (borrowed).
    int native_handle() const noexcept { return kq_; }

private:
    static std::uintptr_t ident(int fd) noexcept { return static_cast<std::uintptr_t>(static_cast<std::intptr_t>(fd)); }

#  if defined(LIBKQUEUE)
    explicit kqueue_selector(std::shared_ptr<detail::owned_handle> owner) noexcept
        : kq_(owner->get()), owner_(std::move(owner)) {}

    static void forget_hook(void* context, int fd, std::uintptr_t&) noexcept {
        constexpr unsigned del = EV_DELETE | EV_RECEIPT;
        native_event changes[2] = {
            detail::make_kevent(ident(fd), EVFILT_WRITE, del, 0),
            detail::make_kevent(ident(fd), EVFILT_READ, del, 0),
        };
        int saved = errno;
        (void)detail::kevent_submit(static_cast<const detail::owned_handle*>(context)->get(), changes, 2);
        errno = saved;
    }

    int kq_ = -1;  // read on every call; owner_ keeps it open
    std::shared_ptr<detail::owned_handle> owner_;
#  else
    explicit kqueue_selector(detail::owned_handle fd) noexcept : kq_(fd.get()), owner_(std::move(fd)) {}

    int kq_ = -1;
    detail::owned_handle owner_;
#  endif
};

}  // namespace mio

#endif
