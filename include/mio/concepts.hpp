// The named requirements of mio's three policy kinds and of a source, as C++20 concepts,
// plus check functions that report the first missing member in one readable static_assert.
//
// selector S (an OS backend, or the fake one):
//   typename S::handle_type                     what a source is registered by (int for POSIX)
//   typename S::native_event                    what the event storage holds
//   static result<S> create()                   a new, empty selector
//   result<S> try_clone() const                 a second handle on the same selector (for registry clones)
//   result<void> add(handle_type, token, interest), modify(handle_type, token, interest), remove(handle_type)
//   result<std::size_t> select(std::span<native_event>, std::optional<std::chrono::nanoseconds>)
//   static token event_token(const native_event&)
//   static bool is_readable/is_writable/is_error/is_read_closed/is_write_closed(const native_event&)
//   optional (see selector_traits): is_priority, is_aio, is_lio, close_removes, rearm, hooks
//
// event storage E:
//   template <class Event> class buffer  with  Event* data() and std::size_t capacity() const;
//   buffer is default-constructible (fixed capacity) or constructible from a capacity.
//
// waker policy W for selector S:
//   static constexpr bool supports<S>           false makes basic_poll<S, ..., W> a compile error
//   no_waker: static constexpr bool none = true (basic_poll then has no waker_type)
//   otherwise template <class S> class bind with
//     static result<bind> create(S&, token)      register the wake-up source under token
//     result<void> wake() const noexcept         thread-safe, coalescing
//
// source T for selector S: T has native_handle() convertible to S::handle_type, or T is a
// composite source (mio's event::Source for a wrapper): add_to(R&, token, interest),
// modify_in(R&, token, interest) and remove_from(R&), where R is basic_registry<S> (they may
// be templates); the registry calls them with itself, so inner sources go through it and keep
// their hooks and debug checks. Types with io_state() -> io_source_state& get the debug
// one-registry check and backend hooks.
#pragma once

#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>
#include <mio/selector_traits.hpp>
#include <mio/token.hpp>

#include <chrono>
#include <concepts>
#include <cstddef>
#include <optional>
#include <span>
#include <type_traits>

namespace mio {

namespace detail {
struct probe_event {};
template <class>
inline constexpr bool dependent_false = false;

template <class S>
concept has_selector_types = requires {
    typename S::handle_type;
    typename S::native_event;
};
template <class S>
concept has_create = requires { { S::create() } -> std::same_as<result<S>>; };
template <class S>
concept has_try_clone = requires(const S& s) { { s.try_clone() } -> std::same_as<result<S>>; };
template <class S>
concept has_registration = requires(S& s, typename S::handle_type h, token t, interest i) {
    { s.add(h, t, i) } -> std::same_as<result<void>>;
    { s.modify(h, t, i) } -> std::same_as<result<void>>;
    { s.remove(h) } -> std::same_as<result<void>>;
};
template <class S>
concept has_select = requires(S& s, std::span<typename S::native_event> buf,
                              std::optional<std::chrono::nanoseconds> timeout) {
    { s.select(buf, timeout) } -> std::same_as<result<std::size_t>>;
};
template <class S>
concept has_event_accessors = requires(const typename S::native_event& e) {
    { S::event_token(e) } -> std::same_as<token>;
    { S::is_readable(e) } -> std::same_as<bool>;
    { S::is_writable(e) } -> std::same_as<bool>;
    { S::is_error(e) } -> std::same_as<bool>;
    { S::is_read_closed(e) } -> std::same_as<bool>;
    { S::is_write_closed(e) } -> std::same_as<bool>;
};

template <class E>
concept has_buffer = requires { typename E::template buffer<probe_event>; };
template <class E>
concept has_buffer_access = requires(typename E::template buffer<probe_event>& b) {
    { b.data() } -> std::same_as<probe_event*>;
    { std::as_const(b).capacity() } -> std::same_as<std::size_t>;
};
template <class E>
concept has_buffer_construction = std::default_initializable<typename E::template buffer<probe_event>> ||
                                  std::constructible_from<typename E::template buffer<probe_event>, std::size_t>;

template <class W, class S>
concept has_supports = requires { { W::template supports<S> } -> std::convertible_to<bool>; };
template <class W>
concept is_none_waker = requires { requires bool(W::none); };
template <class W, class S>
concept has_bind = requires { typename W::template bind<S>; };
template <class W, class S>
concept has_bind_members = requires(S& s, token t, const typename W::template bind<S>& b) {
    { W::template bind<S>::create(s, t) } -> std::same_as<result<typename W::template bind<S>>>;
    { b.wake() } noexcept -> std::same_as<result<void>>;
};
}  // namespace detail

/// An OS backend (or the fake one). See the table at the top of this file.
template <class S>
concept selector = detail::has_selector_types<S> && detail::has_create<S> && detail::has_try_clone<S> &&
                   detail::has_registration<S> && detail::has_select<S> && detail::has_event_accessors<S> &&
                   std::movable<S>;

/// An event buffer policy, rebound to a selector's native event type.
template <class E>
concept event_storage = detail::has_buffer<E> && detail::has_buffer_access<E> && detail::has_buffer_construction<E>;

/// A wake-up mechanism usable with selector S. no_waker models it for every selector.
template <class W, class S>
concept waker_policy = detail::has_supports<W, S> && bool(W::template supports<S>) &&
                       (detail::is_none_waker<W> || (detail::has_bind<W, S> && detail::has_bind_members<W, S>));

template <class Selector>
class basic_registry;

namespace detail {
template <class T, class S>
concept has_native_handle = requires(T& t) { { t.native_handle() } -> std::convertible_to<typename S::handle_type>; };
template <class T, class S>
concept composite_source = requires(T& t, basic_registry<S>& r, token tk, interest i) {
    { t.add_to(r, tk, i) } -> std::same_as<result<void>>;
    { t.modify_in(r, tk, i) } -> std::same_as<result<void>>;
    { t.remove_from(r) } -> std::same_as<result<void>>;
};
}  // namespace detail

/// Something registrable with a basic_registry<S>: a handle, or a composite source.
template <class T, class S>
concept source = detail::has_native_handle<T, S> || detail::composite_source<T, S>;

namespace detail {

template <class T>
concept has_io_state = requires(T& t) { { t.io_state() } -> std::same_as<io_source_state&>; };

// Each check stops at the first missing piece, so a wrong policy yields one message
// that names it instead of a cascade of substitution failures.
template <class S>
consteval bool check_selector() {
    if constexpr (!has_selector_types<S>)
        static_assert(dependent_false<S>, "mio: selector is missing `using handle_type = ...;` or `using native_event = ...;`");
    else if constexpr (!has_create<S>)
        static_assert(dependent_false<S>, "mio: selector is missing `static result<S> create()`");
    else if constexpr (!has_try_clone<S>)
        static_assert(dependent_false<S>, "mio: selector is missing `result<S> try_clone() const`");
    else if constexpr (!has_registration<S>)
        static_assert(dependent_false<S>, "mio: selector is missing add(handle, token, interest), modify(handle, token, interest) or remove(handle) returning result<void>");
    else if constexpr (!has_select<S>)
        static_assert(dependent_false<S>, "mio: selector is missing `result<std::size_t> select(std::span<native_event>, std::optional<std::chrono::nanoseconds>)`");
    else if constexpr (!has_event_accessors<S>)
        static_assert(dependent_false<S>, "mio: selector is missing static event accessors event_token, is_readable, is_writable, is_error, is_read_closed or is_write_closed");
    else if constexpr (!std::movable<S>)
        static_assert(dependent_false<S>, "mio: selector must be movable");
    else
        return true;
    return false;
}

template <class E>
consteval bool check_storage() {
    if constexpr (!has_buffer<E>)
        static_assert(dependent_false<E>, "mio: event storage is missing `template <class Event> class buffer`");
    else if constexpr (!has_buffer_access<E>)
        static_assert(dependent_false<E>, "mio: event storage buffer is missing `Event* data()` or `std::size_t capacity() const`");
    else if constexpr (!has_buffer_construction<E>)
        static_assert(dependent_false<E>, "mio: event storage buffer must be default-constructible or constructible from a capacity");
    else
        return true;
    return false;
}

template <class W, class S>
consteval bool check_waker() {
    if constexpr (!has_supports<W, S>)
        static_assert(dependent_false<W>, "mio: waker policy is missing `template <class S> static constexpr bool supports`");
    else if constexpr (!bool(W::template supports<S>))
        static_assert(dependent_false<W>, "mio: this waker policy cannot work with this selector");
    else if constexpr (is_none_waker<W>)
        return true;
    else if constexpr (!has_bind<W, S>)
        static_assert(dependent_false<W>, "mio: waker policy is missing `template <class S> class bind`");
    else if constexpr (!has_bind_members<W, S>)
        static_assert(dependent_false<W>, "mio: waker policy bind<S> is missing `static result<bind> create(S&, token)` or `result<void> wake() const noexcept`");
    else
        return true;
    return false;
}

template <class T, class S>
consteval bool check_source() {
    if constexpr (!source<T, S>)
        static_assert(dependent_false<T>, "mio: source is missing `native_handle()` (or add_to/modify_in/remove_from)");
    else
        return true;
    return false;
}

}  // namespace detail
}  // namespace mio
