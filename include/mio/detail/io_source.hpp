// detail::io_source: an owned, registrable OS handle with the I/O calls sockets and pipes
// share (mio's IoSource). On would_block it tells the backend (emulated-edge backends re-arm
// the handle); on close it lets the backend forget the handle. Both are no-ops on epoll.
#pragma once

#include <mio/detail/fd.hpp>
#include <mio/detail/sys.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>
#include <span>
#include <type_traits>
#include <utility>

namespace mio::detail {

// At most this many buffers go to one readv/writev (a partial transfer, as POSIX allows).
inline constexpr std::size_t max_iov = 64;

class io_source {
public:
    io_source() noexcept = default;
    explicit io_source(sys::handle h) noexcept : h_(h) {}
    io_source(io_source&&) noexcept = default;
    io_source& operator=(io_source&& o) noexcept {
        if (this != &o) {
            close();
            state_ = std::move(o.state_);
            h_ = std::move(o.h_);
        }
        return *this;
    }
    ~io_source() { close(); }

    sys::handle get() const noexcept { return h_.get(); }
    bool valid() const noexcept { return h_.valid(); }
    io_source_state& state() noexcept { return state_; }

    /// Gives the handle up, unclosed and still registered where it was (as mio's into_raw_fd).
    sys::handle release() noexcept {
        state_.detach();
        return h_.release();
    }

    void close() noexcept {
        if (h_.valid()) state_.on_close(h_.get());
        h_.reset();
    }

    /// Tells the backend when `r`, the outcome of one I/O call on this handle, is a would_block.
    template <class R>
    void note(const R& r) noexcept {
        if (!r) [[unlikely]]
            if (sys::is_would_block_error(r.error())) state_.on_would_block(h_.get());
    }
    /// `r` after note(r) (for calls off the hot path; the hot ones note a named result, which
    /// is returned without a move).
    template <class R>
    R done(R&& r) noexcept {
        note(r);
        return std::forward<R>(r);
    }

    /// mio's try_io: runs the user's own call `f()` (returning a mio::result) and re-arms on
    /// would_block as the library's own I/O does.
    template <class F>
    std::invoke_result_t<F&> try_io(F& f) noexcept(std::is_nothrow_invocable_v<F&>) {
        auto r = std::invoke(f);
        if (!r && is_would_block(r.error())) state_.on_would_block(h_.get());
        return r;
    }

    result<std::size_t> read(void* buf, std::size_t len) noexcept {
        auto r = sys::read(h_.get(), buf, len);
        note(r);
        return r;
    }
    result<std::size_t> write(const void* buf, std::size_t len) noexcept {
        auto r = sys::write(h_.get(), buf, len);
        note(r);
        return r;
    }
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept { return vectored(bufs, sys::readv); }
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept {
        return vectored(bufs, sys::writev);
    }
    /// Gather write on a socket: never raises SIGPIPE.
    result<std::size_t> send_vectored(std::span<const std::span<const std::byte>> bufs) noexcept {
        return vectored(bufs, sys::send_vectored);
    }
    result<std::size_t> send(const void* buf, std::size_t len) noexcept {
        auto r = sys::send(h_.get(), buf, len);
        note(r);
        return r;
    }
    result<std::size_t> recv(void* buf, std::size_t len, bool peek) noexcept {
        auto r = sys::recv(h_.get(), buf, len, peek);
        note(r);
        return r;
    }

private:
    // One scatter/gather call over up to max_iov of `bufs`.
    template <class Span>
    result<std::size_t> vectored(std::span<const Span> bufs,
                                 result<std::size_t> (*call)(sys::handle, const sys::io_buffer*, int) noexcept) noexcept {
        sys::io_buffer iov[max_iov];
        int n = to_iov(bufs, iov);
        auto r = call(h_.get(), iov, n);
        note(r);
        return r;
    }

    template <class Span>
    static int to_iov(std::span<const Span> bufs, sys::io_buffer* iov) noexcept {
        std::size_t n = std::min(bufs.size(), max_iov);
        for (std::size_t i = 0; i < n; ++i) sys::set_io_buffer(iov[i], bufs[i].data(), bufs[i].size());
        return static_cast<int>(n);
    }

    io_source_state state_;  // before h_: moved and destroyed around the handle it describes
    owned_handle h_;
};

}  // namespace mio::detail
