// mio::basic_registry: registers sources with a selector (mio's Registry).
#pragma once

#include <mio/concepts.hpp>

#include <atomic>
#include <memory>
#include <type_traits>
#include <utility>

namespace mio {

namespace detail {
// State shared by a registry and its clones: the one-waker-per-poll flag. Its address
// also names the registry in io_source_state::owner, whichever clone registered.
// Aligned so that its address leaves io_source_state's tag bit free.
struct alignas(8) registry_shared {
    std::atomic<bool> has_waker{false};
};
}  // namespace detail

/// Adds, modifies and removes sources (mio's register/reregister/deregister; `register`
/// is a C++ keyword). Thread-safe: may be used from other threads while poll() runs, as
/// far as the selector is (every selector shipped here is).
///
/// Errors are the selector's (epoll: EBADF for a closed fd, EEXIST on a second add, ENOENT
/// on modify/remove of an unregistered fd, EPERM for regular files). Debug builds also check
/// the library's own sockets and pipes: add while registered anywhere gives file_exists,
/// modify/remove when not registered with this registry gives no_such_file_or_directory.
/// On backends with source hooks (poll(2), AFD, io_uring), add gives not_enough_memory, and
/// leaves nothing registered, when the hooks' small record cannot be allocated.
template <class Selector>
class basic_registry {
    static_assert(detail::check_selector<Selector>());

public:
    using selector_type = Selector;

    /// A registry over a new selector.
    static result<basic_registry> create() {
        auto s = Selector::create();
        if (!s) return s.error();
        return basic_registry(std::move(*s), std::make_shared<detail::registry_shared>());
    }

    /// A second registry on the same selector, for use from another thread.
    result<basic_registry> try_clone() const {
        auto s = selector_.try_clone();
        if (!s) return s.error();
        return basic_registry(std::move(*s), shared_);
    }

    // Sources are taken by forwarding reference so that a temporary
    // (registry.add(posix::source_fd{fd}, ...)) works as a named one does.
    template <class Source>
    result<void> add(Source&& s, token t, interest i) {
        static_assert(detail::check_source<std::remove_cvref_t<Source>, Selector>());
        if constexpr (detail::has_io_state<std::remove_cvref_t<Source>>) {
            if constexpr (MIO_DEBUG_CHECKS) {
                if (s.io_state().owner() != nullptr) return std::errc::file_exists;
            }
        }
        if constexpr (detail::composite_source<std::remove_cvref_t<Source>, Selector>) {
            auto r = s.add_to(*this, t, i);
            // A composite source that keeps its own io_source_state (a simulated socket) is
            // registered as one source: the debug check and close hooks follow it too.
            if constexpr (detail::has_io_state<std::remove_cvref_t<Source>>) {
                if (r && !s.io_state().attach(shared_.get(), composite_hooks(s))) {
                    (void)s.remove_from(*this);
                    return std::errc::not_enough_memory;
                }
            }
            return r;
        } else {
            auto r = selector_.add(s.native_handle(), t, i);
            if constexpr (detail::has_io_state<std::remove_cvref_t<Source>>) {
                if (r && !s.io_state().attach(shared_.get(), selector_traits<Selector>::hooks(selector_, s.native_handle()))) {
                    (void)selector_.remove(s.native_handle());
                    return std::errc::not_enough_memory;
                }
            }
            return r;
        }
    }

    template <class Source>
    result<void> modify(Source&& s, token t, interest i) {
        static_assert(detail::check_source<std::remove_cvref_t<Source>, Selector>());
        if constexpr (detail::has_io_state<std::remove_cvref_t<Source>>) {
            if constexpr (MIO_DEBUG_CHECKS) {
                if (s.io_state().owner() != shared_.get()) return std::errc::no_such_file_or_directory;
            }
        }
        if constexpr (detail::composite_source<std::remove_cvref_t<Source>, Selector>) return s.modify_in(*this, t, i);
        else return selector_.modify(s.native_handle(), t, i);
    }

    template <class Source>
    result<void> remove(Source&& s) {
        static_assert(detail::check_source<std::remove_cvref_t<Source>, Selector>());
        if constexpr (detail::has_io_state<std::remove_cvref_t<Source>>) {
            if constexpr (MIO_DEBUG_CHECKS) {
                if (s.io_state().owner() != shared_.get()) return std::errc::no_such_file_or_directory;
            }
        }
        result<void> r;
        if constexpr (detail::composite_source<std::remove_cvref_t<Source>, Selector>) r = s.remove_from(*this);
        else r = selector_.remove(s.native_handle());
        if constexpr (detail::has_io_state<std::remove_cvref_t<Source>>) {
            if (r) s.io_state().detach();
        }
        return r;
    }

    /// The selector behind this registry (escape hatch for backends and tests).
    Selector& selector() noexcept { return selector_; }
    const Selector& selector() const noexcept { return selector_; }

    /// Claims the one waker slot of this poll; false when a waker already lives.
    bool claim_waker() noexcept { return !shared_->has_waker.exchange(true, std::memory_order_acq_rel); }
    /// The shared state a waker releases its slot through when destroyed.
    const std::shared_ptr<detail::registry_shared>& shared_state() const noexcept { return shared_; }

private:
    template <class Source>
    source_hooks composite_hooks(Source& s) {
        if constexpr (requires { s.native_handle(); }) return selector_traits<Selector>::hooks(selector_, s.native_handle());
        else return {};
    }

    basic_registry(Selector s, std::shared_ptr<detail::registry_shared> shared) noexcept
        : selector_(std::move(s)), shared_(std::move(shared)) {}

    Selector selector_;
    std::shared_ptr<detail::registry_shared> shared_;
};

}  // namespace mio
