// mio::selector_traits<S>: optional selector capabilities, with defaults, so that
// a selector implements only the minimum the `mio::selector` concept asks for.
#pragma once

#include <mio/io_source_state.hpp>

#include <concepts>

namespace mio {

template <class S>
struct selector_traits {
    using native_event = typename S::native_event;
    using handle_type = typename S::handle_type;

    /// True when closing a handle removes it from the selector (epoll, kqueue), so
    /// owners need not call remove before close.
    static constexpr bool close_removes = [] {
        if constexpr (requires { S::close_removes; }) return bool(S::close_removes);
        else return false;
    }();

    static bool is_priority(const native_event& e) noexcept {
        if constexpr (requires { S::is_priority(e); }) return S::is_priority(e);
        else return false;
    }
    static bool is_aio(const native_event& e) noexcept {
        if constexpr (requires { S::is_aio(e); }) return S::is_aio(e);
        else return false;
    }
    static bool is_lio(const native_event& e) noexcept {
        if constexpr (requires { S::is_lio(e); }) return S::is_lio(e);
        else return false;
    }

    /// Re-arm `h` after its I/O returned would_block (emulated-edge backends only).
    static void rearm(S& s, handle_type h) noexcept {
        if constexpr (requires { s.rearm(h); }) s.rearm(h);
    }

    /// Callbacks a registered source should keep (see io_source_state). Empty by default.
    static source_hooks hooks(S& s) {
        if constexpr (requires { { s.hooks() } -> std::same_as<source_hooks>; }) return s.hooks();
        else return {};
    }
};

}  // namespace mio
