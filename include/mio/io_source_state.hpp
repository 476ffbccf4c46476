// mio::io_source_state: what the library's own I/O types remember about their registration.
#pragma once

#include <memory>
#include <utility>

namespace mio {

/// Callbacks a backend hands to registered sources. Empty on backends that need none
/// (epoll, kqueue: the kernel tracks edges and forgets a closed fd by itself). Backends
/// that emulate edge triggering (poll(2)) re-arm a source when its I/O hit would_block,
/// and forget it when it is closed. Plain function pointers, not virtual calls, and only
/// reached on would_block and close.
struct source_hooks {
    std::shared_ptr<void> context;
    void (*rearm)(void* context, int handle) noexcept = nullptr;
    void (*forget)(void* context, int handle) noexcept = nullptr;
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
    void on_would_block(int handle) noexcept {
        if (hooks_.rearm) [[unlikely]]
            hooks_.rearm(hooks_.context.get(), handle);
    }
    /// `handle` is about to be closed: backends that track it forget it.
    void on_close(int handle) noexcept {
        if (hooks_.forget) hooks_.forget(hooks_.context.get(), handle);
        detach();
    }

private:
    const void* owner_ = nullptr;
    source_hooks hooks_{};
};

}  // namespace mio
