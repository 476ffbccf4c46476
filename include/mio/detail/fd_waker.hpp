// detail::fd_waker: what the eventfd and pipe wakers share. The wake-up fd is registered
// readable under the waker's token; wake() makes it readable again, which raises a new edge
// (epoll reports every write to an eventfd or pipe). It is never drained by the poll
// thread, as in mio; the waker itself drains it only when it is full.
// A selector that offers its own waker hook (attach_waker, detach_waker, wake: poll(2), whose
// internal notifier already wakes a blocked poll) gets selector_waker instead: no fd, and one
// write(2) per wake instead of two, as mio's poll backend sends its waker through its notifier.
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/selector_traits.hpp>
#include <mio/token.hpp>

#include <concepts>
#include <optional>
#include <type_traits>
#include <utility>

namespace mio::detail {

// Kind: which sys::notifier (an eventfd or a self-pipe) does the waking.
template <class S, sys::notifier::kind Kind>
class fd_waker {
public:
    static result<fd_waker> create(S& s, token t) {
        auto dev = sys::notifier::open(Kind);
        if (!dev) return dev.error();
        auto r = s.add(dev->read_handle(), t, interest::readable);
        if (!r) return r.error();
        fd_waker w(std::move(*dev), t);
        if constexpr (!selector_traits<S>::close_removes) {
            // Backends that track fds themselves must hear of wakes (to re-arm) and of the close.
            auto clone = s.try_clone();
            if (!clone) {
                (void)s.remove(w.dev_.read_handle());
                return clone.error();
            }
            w.selector_.emplace(std::move(*clone));
        }
        return w;
    }

    fd_waker(fd_waker&& o) noexcept = default;
    fd_waker& operator=(fd_waker&& o) noexcept {
        if (this != &o) {
            forget();
            dev_ = std::move(o.dev_);
            selector_ = std::move(o.selector_);
            o.selector_.reset();
        }
        return *this;
    }
    ~fd_waker() { forget(); }

    result<void> wake() const noexcept {
        if (auto r = dev_.signal(); !r) return r;
        if constexpr (!selector_traits<S>::close_removes) selector_traits<S>::rearm(*selector_, dev_.read_handle());
        return {};
    }

    sys::handle native_handle() const noexcept { return dev_.read_handle(); }

private:
    fd_waker(sys::notifier d, token) noexcept : dev_(std::move(d)) {}
    void forget() noexcept {
        if constexpr (!selector_traits<S>::close_removes) {
            if (selector_ && dev_.read_handle() != sys::invalid_handle) (void)selector_->remove(dev_.read_handle());
            selector_.reset();
        }
    }

    sys::notifier dev_;
    mutable std::optional<S> selector_;  // engaged only for backends that do not forget closed fds
};

// A selector that wakes its own poll: attach_waker(t) makes its next polls report a wake as a
// readable event under t (file_exists when one is attached), wake() is thread-safe and
// coalescing, detach_waker() forgets the waker and an undelivered wake.
template <class S>
concept wakes_through_selector = requires(S& s, const S& cs, token t) {
    { s.attach_waker(t) } -> std::same_as<result<void>>;
    { s.detach_waker() } noexcept;
    { cs.wake() } noexcept -> std::same_as<result<void>>;
    { cs.notify_handle() } noexcept -> std::same_as<sys::handle>;
};

// The waker of such a selector: a clone of it (so that the waker outlives nothing it needs)
// attached as the poll's waker; nothing of its own to signal.
template <wakes_through_selector S>
class selector_waker {
public:
    static result<selector_waker> create(S& s, token t) {
        auto clone = s.try_clone();
        if (!clone) return clone.error();
        if (auto r = clone->attach_waker(t); !r) return r.error();
        return selector_waker(std::move(*clone));
    }

    // A moved-from selector refuses everything (wake gives bad_file_descriptor), so the
    // moved-from waker needs no state of its own.
    selector_waker(selector_waker&&) noexcept = default;
    selector_waker& operator=(selector_waker&& o) noexcept {
        if (this != &o) {
            forget();
            selector_ = std::move(o.selector_);
        }
        return *this;
    }
    selector_waker(const selector_waker&) = delete;
    selector_waker& operator=(const selector_waker&) = delete;
    ~selector_waker() { forget(); }

    result<void> wake() const noexcept { return selector_.wake(); }

    // The selector's notifier: the fd a wake makes readable while a poll is blocked.
    sys::handle native_handle() const noexcept { return selector_.notify_handle(); }

private:
    explicit selector_waker(S s) noexcept : selector_(std::move(s)) {}
    void forget() noexcept { selector_.detach_waker(); }

    S selector_;
};

template <class S, sys::notifier::kind Kind>
struct fd_waker_instance {
    using type = fd_waker<S, Kind>;
};
template <wakes_through_selector S, sys::notifier::kind Kind>
struct fd_waker_instance<S, Kind> {
    using type = selector_waker<S>;
};

// A waker policy over one kind of notifier: usable with every selector that polls fds; on a
// selector with its own waker hook the wake goes through that instead (no fd of the kind).
template <sys::notifier::kind Kind>
struct fd_waker_policy {
    template <class Selector>
    static constexpr bool supports = selector_traits<Selector>::polls_fds;

    template <class Selector>
    using instance = typename fd_waker_instance<Selector, Kind>::type;
};

}  // namespace mio::detail
