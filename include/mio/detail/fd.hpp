// detail::owned_handle: an OS handle (an fd on POSIX) closed exactly once, on destruction.
#pragma once

#include <mio/detail/sys/base.hpp>

#include <utility>

namespace mio::detail {

class owned_handle {
public:
    using handle = sys::handle;

    owned_handle() noexcept = default;
    explicit owned_handle(handle h) noexcept : h_(h) {}
    owned_handle(owned_handle&& o) noexcept : h_(std::exchange(o.h_, sys::invalid_handle)) {}
    owned_handle& operator=(owned_handle&& o) noexcept {
        if (this != &o) reset(std::exchange(o.h_, sys::invalid_handle));
        return *this;
    }
    owned_handle(const owned_handle&) = delete;
    owned_handle& operator=(const owned_handle&) = delete;
    ~owned_handle() { reset(); }

    handle get() const noexcept { return h_; }
    bool valid() const noexcept { return h_ != sys::invalid_handle; }
    explicit operator bool() const noexcept { return valid(); }
    /// Gives the handle up without closing it.
    handle release() noexcept { return std::exchange(h_, sys::invalid_handle); }
    /// Closes the current handle (if any) and takes `h`.
    void reset(handle h = sys::invalid_handle) noexcept {
        if (valid()) sys::close(h_);
        h_ = h;
    }

private:
    handle h_ = sys::invalid_handle;
};

}  // namespace mio::detail
