// mio::io_source_state: what the library's own I/O types remember about their registration.
#pragma once

#include <mio/detail/sys/base.hpp>

#include <cstdint>
#include <memory>
#include <utility>

namespace mio {

/// The OS handle of a source: an fd on POSIX, a SOCKET on Windows.
using source_handle = detail::sys::handle;

/// Callbacks a backend hands to registered sources. Empty on backends that need none
/// (epoll, kqueue: the kernel tracks edges and forgets a closed fd by itself).
///  - `rearm`: the source's own I/O hit would_block; backends that emulate edge triggering
///    (poll(2), Windows AFD) poll for it again.
///  - `forget`: the source is about to be closed; backends that track it (poll(2), AFD,
///    io_uring, which cancels its poll request) drop it.
/// Both receive the backend's shared `context` and the per-source `slot` (a word the backend
/// owns: AFD keeps its per-socket record there, io_uring the request's id), which the backend
/// sets in hooks() at add time and may change in either callback. Plain function pointers, not
/// virtual calls, and only reached on would_block and close.
struct source_hooks {
    std::shared_ptr<void> context;
    void (*rearm)(void* context, source_handle handle, std::uintptr_t& slot) noexcept = nullptr;
    void (*forget)(void* context, source_handle handle, std::uintptr_t& slot) noexcept = nullptr;
    std::uintptr_t slot = 0;
};

/// Bookkeeping carried by sockets and pipes (mio's IoSourceState + SelectorId).
/// `owner` identifies the registry (shared by its clones) the source is registered with;
/// debug builds use it to refuse a second registration, as mio's SelectorId does.
/// Moves with the source, so a moved socket keeps its registration.
class io_source_state {
public:
    io_source_state() noexcept = default;
    io_source_state(io_source_state&& o) noexcept
        : owner_(std::exchange(o.owner_, nullptr)), hooks_(std::exchange(o.hooks_, {})) {}
    io_source_state& operator=(io_source_state&& o) noexcept {
        owner_ = std::exchange(o.owner_, nullptr);
        hooks_ = std::exchange(o.hooks_, {});
        return *this;
    }
    io_source_state(const io_source_state&) = delete;
    io_source_state& operator=(const io_source_state&) = delete;

    const void* owner() const noexcept { return owner_; }
    /// The backend's per-source word (see source_hooks).
    std::uintptr_t slot() const noexcept { return hooks_.slot; }

    /// Called by the registry after a successful add.
    void attach(const void* owner, source_hooks hooks) noexcept {
        owner_ = owner;
        hooks_ = std::move(hooks);
    }
    /// Called by the registry after remove.
    void detach() noexcept {
        owner_ = nullptr;
        hooks_ = {};
    }

    /// An operation on `handle` returned would_block: re-arm it on emulated-edge backends.
    void on_would_block(source_handle handle) noexcept {
        if (hooks_.rearm) [[unlikely]]
            hooks_.rearm(hooks_.context.get(), handle, hooks_.slot);
    }
    /// `handle` is about to be closed: backends that track it forget it.
    void on_close(source_handle handle) noexcept {
        if (hooks_.forget) hooks_.forget(hooks_.context.get(), handle, hooks_.slot);
        detach();
    }

private:
    const void* owner_ = nullptr;
    source_hooks hooks_{};
};

}  // namespace mio
