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

    /// True when, on this backend, a read from a stream socket (TCP, Unix stream) that returns
    /// fewer bytes than asked for proves the socket drained: any byte or end-of-stream that
    /// arrives later raises a new readable event. A loop may then stop after a short read instead
    /// of paying one more read that ends in would_block. Holds for epoll in edge-triggered mode
    /// (the kernel raises an edge on every arrival). False by default: emulated-edge backends
    /// (poll(2)) re-arm a source only when its I/O returns would_block, and the fake selector
    /// promises nothing. Never true for datagram sockets (a short read is one whole datagram) or
    /// for peek.
    static constexpr bool short_read_drains = [] {
        if constexpr (requires { S::short_read_drains; }) return bool(S::short_read_drains);
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

    /// Callbacks a registered source should keep (see io_source_state), asked for when `h`
    /// is added: `s.hooks(h)` where the backend keeps per-source state (it sets the hooks'
    /// slot), else `s.hooks()`. Empty by default.
    static source_hooks hooks(S& s, handle_type h) {
        if constexpr (requires { { s.hooks(h) } -> std::same_as<source_hooks>; }) return s.hooks(h);
        else if constexpr (requires { { s.hooks() } -> std::same_as<source_hooks>; }) return s.hooks();
        else return {};
    }
};

}  // namespace mio
