// mio::basic_waker: wakes a blocked poll from any thread (mio's Waker).
#pragma once

#include <mio/registry.hpp>

#include <memory>
#include <utility>

namespace mio {

/// Makes the poll it was created for return a readable event with its token. wake() is
/// thread-safe and allocation-free; wakes before the poll sees them coalesce into one event.
/// One waker per poll: creating a second while the first lives fails with
/// std::errc::file_exists; once it is destroyed a new one can be created.
template <class Selector, class WakerPolicy>
class basic_waker {
    static_assert(detail::check_waker<WakerPolicy, Selector>());
    using bind_type = typename WakerPolicy::template bind<Selector>;

public:
    /// Creates the wake-up source and registers it with `r` under `t`.
    /// Errors: file_exists when this poll already has a waker; the OS's (EMFILE...) otherwise.
    static result<basic_waker> create(basic_registry<Selector>& r, token t) {
        if (!r.claim_waker()) return std::errc::file_exists;
        auto b = bind_type::create(r.selector(), t);
        if (!b) {
            r.shared_state()->has_waker.store(false, std::memory_order_release);
            return b.error();
        }
        return basic_waker(std::move(*b), r.shared_state());
    }

    basic_waker(basic_waker&&) noexcept = default;
    basic_waker& operator=(basic_waker&&) noexcept = default;

    /// Wakes the poll. Const and thread-safe, as mio's wake(&self): share a const waker (or a
    /// pointer to it) among threads. Errors come from the OS and are rare (EBADF on a closed
    /// waker).
    result<void> wake() const noexcept { return bind_.wake(); }

    /// The policy's own object (its fd, its counters).
    bind_type& policy() noexcept { return bind_; }

private:
    // Frees the poll's waker slot when the waker goes; declared before bind_ so that the
    // wake-up source is gone before a new waker can claim the slot.
    class slot {
    public:
        explicit slot(std::shared_ptr<detail::registry_shared> s) noexcept : s_(std::move(s)) {}
        slot(slot&&) noexcept = default;
        slot& operator=(slot&& o) noexcept {
            if (this != &o) { release(); s_ = std::move(o.s_); }
            return *this;
        }
        ~slot() { release(); }

    private:
        void release() noexcept {
            if (s_) s_->has_waker.store(false, std::memory_order_release);
            s_.reset();
        }
        std::shared_ptr<detail::registry_shared> s_;
    };

    basic_waker(bind_type b, std::shared_ptr<detail::registry_shared> s) noexcept
        : slot_(std::move(s)), bind_(std::move(b)) {}

    slot slot_;
    bind_type bind_;
};

}  // namespace mio
