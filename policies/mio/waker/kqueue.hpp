// mio::kqueue_waker: wakes a kqueue through an EVFILT_USER event (mio's choice on FreeBSD and
// Apple). No fd of its own: the user event lives in the poll's kqueue.
#pragma once

#include <mio/selector/kqueue.hpp>

#if defined(EVFILT_USER) && defined(NOTE_TRIGGER)

#  include <cerrno>
#  include <optional>
#  include <type_traits>
#  include <utility>

namespace mio {

/// Wakes a basic_poll<kqueue_selector, ...>: registers one EVFILT_USER event (ident 0,
/// EV_CLEAR) under the waker's token, and wake() triggers it (NOTE_TRIGGER). The event is
/// reported readable. Wakes before the poll sees one coalesce (EV_CLEAR resets the trigger when
/// it is delivered). wake() is one kevent call, thread-safe, allocation-free. The waker keeps a
/// clone of the selector, so it outlives nothing it needs; destroying it deletes the event.
/// Exists where <sys/event.h> has EVFILT_USER (FreeBSD, NetBSD 10, DragonFly, Apple, libkqueue);
/// elsewhere pipe_waker serves the kqueue selector.
struct kqueue_waker {
    template <class Selector>
    static constexpr bool supports = std::is_same_v<Selector, kqueue_selector>;

    /// The waker object for selector S (only kqueue_selector is supported).
    template <class S>
    class instance {
        static_assert(std::is_same_v<S, kqueue_selector>, "mio: kqueue_waker works with kqueue_selector only");

    public:
        /// Adds the user event under `t`. Errors: those of try_clone (EMFILE) and of kevent
        /// (ENOMEM, EBADF).
        static result<instance> create(S& s, token t) noexcept {
            auto clone = s.try_clone();
            if (!clone) return clone.error();
            auto ev = detail::make_kevent(ident, EVFILT_USER, EV_ADD | EV_CLEAR | EV_RECEIPT, t.value);
            if (int e = submit(clone->native_handle(), ev)) return detail::sys::make_error(e);
            return instance(std::move(*clone), t);
        }

        instance(instance&& o) noexcept : s_(std::exchange(o.s_, std::nullopt)), token_(o.token_) {}
        instance& operator=(instance&& o) noexcept {
            if (this != &o) {
                forget();
                s_ = std::exchange(o.s_, std::nullopt);
                token_ = o.token_;
            }
            return *this;
        }
        instance(const instance&) = delete;
        instance& operator=(const instance&) = delete;
        ~instance() { forget(); }

        /// Triggers the user event. Errors: EBADF (moved-from waker), ENOMEM.
        result<void> wake() const noexcept {
            if (!s_) [[unlikely]]
                return detail::sys::make_error(EBADF);
            // EV_ADD as mio does: it only touches the existing event, so the token stays.
            auto ev = detail::make_kevent(ident, EVFILT_USER, EV_ADD | EV_RECEIPT, token_);
            ev.fflags = NOTE_TRIGGER;
            if (int e = submit(s_->native_handle(), ev)) [[unlikely]]
                return detail::sys::make_error(e);
            return {};
        }

        /// The kqueue fd the waker triggers (borrowed).
        int native_handle() const noexcept { return s_ ? s_->native_handle() : -1; }

    private:
        static constexpr std::uintptr_t ident = 0;

        instance(S s, token t) noexcept : s_(std::move(s)), token_(t.value) {}

        // 0 or the errno of the call or of its receipt.
        static int submit(int kq, detail::kevent_type ev) noexcept {
            if (int e = detail::kevent_submit(kq, &ev, 1)) return e;
            return detail::receipt_error(ev);
        }

        void forget() noexcept {
            if (!s_) return;
            int saved = errno;
            (void)submit(s_->native_handle(), detail::make_kevent(ident, EVFILT_USER, EV_DELETE | EV_RECEIPT, 0));
            errno = saved;
            s_.reset();
        }

        std::optional<S> s_;
        std::size_t token_ = 0;
    };
};

}  // namespace mio

#endif
