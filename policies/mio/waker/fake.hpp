// mio::fake_waker: the waker policy of the fake selector. No fd, no syscall: a wake queues a
// readable event for the waker's token in the selector's shared state.
#pragma once

#include <mio/selector/fake.hpp>

#include <optional>
#include <type_traits>
#include <utility>

namespace mio {

/// Wakes a basic_poll<fake_selector, ...>. wake() is thread-safe (it takes the fake's mutex),
/// coalesces like a real waker (wakes before the next poll merge into one readable event),
/// counts in fake_selector::wake_count(), is traced, and fails once after
/// fail_next(fake_operation::wake, ec). Works with fake_selector only.
struct fake_waker {
    template <class Selector>
    static constexpr bool supports = std::is_same_v<Selector, fake_selector>;

    /// The waker object for selector S (only fake_selector is supported).
    template <class S>
    class bind {
        static_assert(std::is_same_v<S, fake_selector>, "mio: fake_waker works with fake_selector only");

    public:
        /// Attaches the waker's token to `s` (readable). Errors: file_exists when the fake
        /// already has a waker attached.
        static result<bind> create(S& s, token t) {
            auto clone = s.try_clone();
            if (!clone) return clone.error();
            auto r = clone->attach_waker(t);
            if (!r) return r.error();
            return bind(std::move(*clone));
        }

        bind(bind&& o) noexcept : s_(std::exchange(o.s_, std::nullopt)) {}
        bind& operator=(bind&& o) noexcept {
            if (this != &o) {
                detach();
                s_ = std::exchange(o.s_, std::nullopt);
            }
            return *this;
        }
        ~bind() { detach(); }

        /// Queues the wake. Errors: the one armed by fail_next(fake_operation::wake).
        result<void> wake() const noexcept {
            if (!s_) [[unlikely]]
                return std::errc::bad_file_descriptor;  // moved-from
            return s_->wake();
        }

    private:
        explicit bind(S s) noexcept : s_(std::move(s)) {}
        void detach() noexcept {
            if (s_) s_->detach_waker();
            s_.reset();
        }

        mutable std::optional<S> s_;  // wake() is const (thread-safe); the fake locks inside
    };
};

}  // namespace mio
