// mio::io_source_state: what the library's own I/O types remember about their registration.
#pragma once

#include <mio/detail/sys/base.hpp>

#include <cstdint>
#include <memory>
#include <new>
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

/// Bookkeeping carried by sockets and pipes (mio's IoSourceState + SelectorId), in one word.
/// `owner` identifies the registry (shared by its clones) the source is registered with;
/// debug builds use it to refuse a second registration, as mio's SelectorId does.
/// Moves with the source, so a moved socket keeps its registration.
///
/// On epoll (and on a kernel's kqueue) the word is the owner's address and nothing else: a
/// source costs one handle and one pointer (`sizeof(net::tcp_stream) == 16`). Backends with
/// hooks (poll(2), AFD, io_uring, libkqueue) get a small record, allocated once by attach()
/// (at registration, never on the I/O path), holding the owner and the hooks; the word then
/// points to it, tagged in its low bit.
class io_source_state {
public:
    io_source_state() noexcept = default;
    io_source_state(io_source_state&& o) noexcept : word_(std::exchange(o.word_, 0)) {}
    io_source_state& operator=(io_source_state&& o) noexcept {
        if (this != &o) {
            detach();
            word_ = std::exchange(o.word_, 0);
        }
        return *this;
    }
    io_source_state(const io_source_state&) = delete;
    io_source_state& operator=(const io_source_state&) = delete;
    ~io_source_state() { detach(); }

    const void* owner() const noexcept {
        return linked() ? record()->owner : reinterpret_cast<const void*>(word_);
    }
    /// The backend's per-source word (see source_hooks); 0 on backends without hooks.
    std::uintptr_t slot() const noexcept { return linked() ? record()->hooks.slot : 0; }

    /// Called by the registry after a successful add. False (and nothing attached) only when
    /// the backend has hooks and their record cannot be allocated: the registry then undoes
    /// the add and reports not_enough_memory.
    [[nodiscard]] bool attach(const void* owner, source_hooks hooks) noexcept {
        detach();
        if (!hooks.rearm && !hooks.forget) {
            word_ = reinterpret_cast<std::uintptr_t>(owner);
            return true;
        }
        auto* r = new (std::nothrow) linked_record{owner, std::move(hooks)};
        if (!r) return false;
        word_ = reinterpret_cast<std::uintptr_t>(r) | tag;
        return true;
    }
    /// Called by the registry after remove.
    void detach() noexcept {
        if (linked()) delete record();
        word_ = 0;
    }

    /// An operation on `handle` returned would_block: re-arm it on emulated-edge backends.
    void on_would_block(source_handle handle) noexcept {
        if (linked()) [[unlikely]] {
            auto& h = record()->hooks;
            if (h.rearm) h.rearm(h.context.get(), handle, h.slot);
        }
    }
    /// `handle` is about to be closed: backends that track it forget it.
    void on_close(source_handle handle) noexcept {
        if (linked()) {
            auto& h = record()->hooks;
            if (h.forget) h.forget(h.context.get(), handle, h.slot);
        }
        detach();
    }

private:
    struct linked_record {
        const void* owner;
        source_hooks hooks;
    };
    // Records come from operator new, so their low bit is free; owners are registries'
    // shared state, which are at least as aligned (registry_shared is alignas(8)).
    static constexpr std::uintptr_t tag = 1;

    bool linked() const noexcept { return (word_ & tag) != 0; }
    linked_record* record() const noexcept { return reinterpret_cast<linked_record*>(word_ & ~tag); }

    std::uintptr_t word_ = 0;
};

}  // namespace mio
