// detail::fd_waker: what the eventfd and pipe wakers share. The wake-up fd is registered
// readable under the waker's token; wake() makes it readable again, which raises a new edge
// (epoll reports every write to an eventfd or pipe). It is never drained by the poll
// thread, as in mio; the waker itself drains it only when it is full.
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/selector_traits.hpp>
#include <mio/token.hpp>

#include <optional>
#include <utility>

namespace mio::detail {

// Which selectors an fd waker can serve: those whose handles are OS fds they poll.
template <class S>
inline constexpr bool polls_fds = [] {
    if constexpr (requires { S::polls_fds; }) return bool(S::polls_fds);
    else return false;
}();

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

}  // namespace mio::detail
