// mio::basic_poll: the event loop's one blocking call, over a compile-time choice of
// selector (OS backend), event storage and waker (mio's Poll).
#pragma once

#include <mio/events.hpp>
#include <mio/registry.hpp>
#include <mio/waker.hpp>

#include <chrono>
#include <optional>

namespace mio {

namespace detail {
// basic_poll<..., no_waker> has no waker_type at all, so misuse fails at compile time.
template <class S, class W, bool = is_none_waker<W>>
struct poll_waker_alias {
    using waker_type = basic_waker<S, W>;
};
template <class S, class W>
struct poll_waker_alias<S, W, true> {};

template <class S, class E, class W>
consteval bool check_poll_policies() {
    return check_selector<S>() && check_storage<E>() && check_waker<W, S>();
}
}  // namespace detail

/// Polls a selector for readiness events. Edge-triggered: after an event, a source reports
/// again only once new readiness arrives, so drain it until would_block. Spurious events
/// are possible. Movable; not thread-safe itself (its registry is).
template <class Selector, class Storage, class WakerPolicy>
class basic_poll : public detail::poll_waker_alias<Selector, WakerPolicy> {
    static_assert(detail::check_poll_policies<Selector, Storage, WakerPolicy>());

public:
    using selector_type = Selector;
    using registry_type = basic_registry<Selector>;
    using events_type = basic_events<Selector, Storage>;

    /// A poll over a new selector. Errors: the OS's (EMFILE, ENOMEM...).
    static result<basic_poll> create() {
        auto r = registry_type::create();
        if (!r) return r.error();
        return basic_poll(std::move(*r));
    }

    registry_type& registry() noexcept { return registry_; }
    /// The selector itself: the fake selector is driven through it.
    Selector& selector() noexcept { return registry_.selector(); }

    /// Clears `events`, then waits for readiness and fills it, at most events.capacity().
    /// timeout: std::nullopt blocks until an event; zero returns at once; otherwise waits
    /// at most that long (sub-millisecond waits are never rounded down to zero).
    /// Errors: invalid_argument for a capacity of 0; interrupted on a signal (EINTR is not
    /// retried, as in mio, so the caller sees it); the selector's otherwise.
    result<void> poll(events_type& events, std::optional<std::chrono::nanoseconds> timeout) {
        // The selector only writes the slots, never reads size(), so the clear is folded into
        // the one store of the new size on every path (one store per poll instead of two).
        auto slots = events.slots();
        if (slots.empty()) [[unlikely]] {
            events.clear();
            return std::errc::invalid_argument;
        }
        auto n = registry_.selector().select(slots, timeout);
        if (!n) [[unlikely]] {
            events.clear();
            return n.error();
        }
        // An empty poll returns on its own path: joined with the non-empty one, g++ made every
        // event-bearing poll jump out for the end pointer and back (bench/README.md, issue 11).
        if (*n == 0) {
            events.clear();
            return {};
        }
        events.set_size(*n);
        return {};
    }

private:
    explicit basic_poll(registry_type r) noexcept : registry_(std::move(r)) {}
    registry_type registry_;
};

}  // namespace mio
