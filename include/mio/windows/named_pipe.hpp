// mio::windows::named_pipe: a non-blocking Windows named pipe polled by afd_selector
// (mio's NamedPipe).
//
// Windows has no readiness for pipes, only completions, so the pipe keeps its own buffers and
// runs overlapped operations behind the caller's back, as mio does:
//   - read: once registered (and connected), one ReadFile into an internal 4 KiB buffer is kept
//     in flight; read() copies from it and returns would_block while it is pending. Its
//     completion is a readable event.
//   - write: write() copies at most named_pipe::write_limit (4 KiB) bytes into an internal
//     buffer, starts a WriteFile and reports them written; a longer write is a short write (the
//     count says how much was taken), as on a socket whose send buffer is nearly full. While
//     that write is in flight, write() returns would_block. Its completion (all bytes written,
//     or an error kept for the next write) is a writable event. The cap is a decision: mio's
//     NamedPipe takes the whole write into a fresh buffer each time; here both buffers are
//     allocated once, with the pipe, so neither write nor read allocates, and a pipe holds at
//     most 4 KiB of unsent data (the caller's own buffer holds the rest).
//   - connect (server end): ConnectNamedPipe overlapped; would_block until a client connects,
//     then a writable event.
//   - registering (add or modify) reports what is ready at once: writable when no write is in
//     flight, readable when read data (or the end of stream, or an error) waits.
// Every operation's completion goes to the registered poll's completion port, so I/O needs the
// pipe registered: before that, connect, read and write return would_block, and registration
// then reports the readiness to retry them. A pipe is bound to the first poll it is registered
// with (Windows binds a handle to one completion port for life): adding it to another poll
// fails with invalid_argument. The state the kernel writes into is shared with the operations
// in flight, so dropping the pipe cancels them and the state goes when their completions have
// been polled (or when the poll goes).
#pragma once

#include <mio/buffer.hpp>
#include <mio/detail/sys/windows/error.hpp>
#include <mio/detail/sys/windows/winsock.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/selector/afd.hpp>
#include <mio/token.hpp>

#include <cstddef>
#include <cstring>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace mio::windows {

namespace detail {

inline constexpr std::size_t pipe_buffer_size = 4096;

// A UTF-8 name as the wide string the W functions take.
inline result<std::wstring> widen(std::string_view s) {
    if (s.empty()) return std::errc::invalid_argument;
    int n = ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), static_cast<int>(s.size()), nullptr, 0);
    if (n <= 0) return std::errc::invalid_argument;
    std::wstring w(static_cast<std::size_t>(n), L'\0');
    ::MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s.data(), static_cast<int>(s.size()), w.data(), n);
    if (w.find(L'\0') != std::wstring::npos) return std::errc::invalid_argument;
    return w;
}

class pipe_state;

// One overlapped operation of a pipe; `owner` leads back to the pipe's state.
struct pipe_operation : mio::detail::iocp_operation {
    pipe_state* owner = nullptr;
};

// What the pipe and its operations in flight share. Kept alive by `self_` while any operation is
// in flight, since the kernel writes into it until the completion.
class pipe_state : public std::enable_shared_from_this<pipe_state> {
public:
    explicit pipe_state(HANDLE h, bool connected) : handle_(h), connected_(connected) {
        rbuf_.resize(pipe_buffer_size);
        wbuf_.resize(pipe_buffer_size);  // here, so that write() never allocates
        for (auto* op : {&connect_op_, &read_op_, &write_op_, &event_op_}) op->owner = this;
        connect_op_.complete = &on_connect;
        read_op_.complete = &on_read;
        write_op_.complete = &on_write;
        event_op_.complete = &on_event;
    }
    pipe_state(const pipe_state&) = delete;
    pipe_state& operator=(const pipe_state&) = delete;
    ~pipe_state() {
        if (handle_ != INVALID_HANDLE_VALUE) ::CloseHandle(handle_);
    }

    HANDLE handle() const noexcept { return handle_; }

    // The pipe object goes: cancel what is in flight; the last completion frees the state.
    void close() noexcept {
        std::lock_guard lock(m_);
        registered_ = false;
        if (in_flight_ > 0) ::CancelIoEx(handle_, nullptr);
        ::CloseHandle(std::exchange(handle_, INVALID_HANDLE_VALUE));
    }

    result<void> connect() noexcept {
        std::lock_guard lock(m_);
        if (connect_error_) return std::exchange(connect_error_, {});
        if (connected_) return {};
        if (connecting_ || !associated_) return mio::detail::sys::would_block_error();
        reset(connect_op_);
        if (::ConnectNamedPipe(handle_, &connect_op_.overlapped)) {
            // Completed at once; its completion packet still comes and finds nothing to do.
            connecting_ = true;
            start();
            return mio::detail::sys::would_block_error();
        }
        DWORD e = ::GetLastError();
        if (e == ERROR_PIPE_CONNECTED) {
            connected_ = true;
            schedule_read();
            return {};
        }
        if (e != ERROR_IO_PENDING) return mio::detail::sys::make_windows_error(static_cast<int>(e));
        connecting_ = true;
        start();
        return mio::detail::sys::would_block_error();
    }

    result<void> disconnect() noexcept {
        std::lock_guard lock(m_);
        if (!::DisconnectNamedPipe(handle_)) return mio::detail::sys::last_windows_error();
        connected_ = false;
        return {};
    }

    result<std::size_t> read(std::byte* out, std::size_t len) noexcept {
        std::lock_guard lock(m_);
        switch (rstate_) {
        case read_state::data: {
            std::size_t n = std::min(len, rlen_ - rpos_);
            std::memcpy(out, rbuf_.data() + rpos_, n);
            rpos_ += n;
            if (rpos_ == rlen_) {
                rstate_ = read_state::idle;
                schedule_read();
            }
            return n;
        }
        case read_state::eof: return std::size_t{0};
        case read_state::error: {
            rstate_ = read_state::idle;
            auto e = std::exchange(rerror_, {});
            schedule_read();
            return e;
        }
        case read_state::idle: schedule_read(); break;
        case read_state::pending: break;
        }
        return mio::detail::sys::would_block_error();
    }

    result<std::size_t> write(const std::byte* in, std::size_t len) noexcept {
        std::lock_guard lock(m_);
        if (write_error_) return std::exchange(write_error_, {});
        if (write_pending_ || !associated_ || connecting_) return mio::detail::sys::would_block_error();
        if (len == 0) return std::size_t{0};
        len = std::min(len, pipe_buffer_size);
        std::memcpy(wbuf_.data(), in, len);
        wlen_ = len;
        wpos_ = 0;
        if (auto e = issue_write(); e != 0) return mio::detail::sys::make_windows_error(static_cast<int>(e));
        return len;
    }

    result<std::error_code> take_error() noexcept {
        std::lock_guard lock(m_);
        // The pending error is the value (built in place); a bare error_code would mean failure.
        return result<std::error_code>(std::in_place, std::exchange(connect_error_, {}));
    }

    result<void> add(afd_selector& sel, token t, interest i) {
        std::lock_guard lock(m_);
        if (registered_) return std::errc::file_exists;
        if (!associated_) {
            if (auto r = sel.associate(handle_); !r) {
                // A handle bound to another port cannot move.
                if (r.error().value() == ERROR_INVALID_PARAMETER) return std::errc::invalid_argument;
                return r.error();
            }
            associated_ = true;
            port_ = sel.port();
        } else if (port_ != sel.port()) {
            return std::errc::invalid_argument;
        }
        registered_ = true;
        token_ = t.value;
        interest_ = i;
        schedule_read();
        post_readiness();
        return {};
    }

    result<void> modify(afd_selector& sel, token t, interest i) noexcept {
        std::lock_guard lock(m_);
        if (!registered_ || port_ != sel.port()) return std::errc::no_such_file_or_directory;
        token_ = t.value;
        interest_ = i;
        post_readiness();
        return {};
    }

    result<void> remove(afd_selector& sel) noexcept {
        std::lock_guard lock(m_);
        if (!registered_ || port_ != sel.port()) return std::errc::no_such_file_or_directory;
        registered_ = false;
        return {};
    }

private:
    enum class read_state { idle, pending, data, eof, error };

    static void reset(pipe_operation& op) noexcept { op.overlapped = OVERLAPPED{}; }

    // An operation starts: the state must outlive it.
    void start() noexcept {
        if (in_flight_++ == 0) self_ = shared_from_this();
    }
    // An operation ended (lock held): returns the keep-alive to drop after unlocking.
    std::shared_ptr<pipe_state> finish() noexcept {
        if (--in_flight_ == 0) return std::move(self_);
        return nullptr;
    }

    static DWORD status_of(const OVERLAPPED& ov) noexcept {
        auto st = static_cast<NTSTATUS>(ov.Internal);
        return st >= 0 ? 0 : ::RtlNtStatusToDosError(st);
    }

    void schedule_read() noexcept {
        if (rstate_ != read_state::idle || !associated_ || !connected_ || connecting_ ||
            handle_ == INVALID_HANDLE_VALUE)
            return;
        reset(read_op_);
        if (!::ReadFile(handle_, rbuf_.data(), static_cast<DWORD>(rbuf_.size()), nullptr, &read_op_.overlapped)) {
            DWORD e = ::GetLastError();
            if (e != ERROR_IO_PENDING) {
                set_read_failure(e);
                post_readiness();
                return;
            }
        }
        rstate_ = read_state::pending;
        start();
    }

    void set_read_failure(DWORD e) noexcept {
        if (e == ERROR_BROKEN_PIPE || e == ERROR_PIPE_NOT_CONNECTED || e == ERROR_NO_DATA) {
            rstate_ = read_state::eof;
        } else if (e == ERROR_OPERATION_ABORTED) {
            rstate_ = read_state::idle;
        } else {
            rstate_ = read_state::error;
            rerror_ = mio::detail::sys::make_windows_error(static_cast<int>(e));
        }
    }

    DWORD issue_write() noexcept {
        reset(write_op_);
        if (!::WriteFile(handle_, wbuf_.data() + wpos_, static_cast<DWORD>(wlen_ - wpos_), nullptr,
                         &write_op_.overlapped)) {
            DWORD e = ::GetLastError();
            if (e != ERROR_IO_PENDING) return e;
        }
        write_pending_ = true;
        start();
        return 0;
    }

    // What is ready now, as AFD bits, filtered by the interest.
    std::uint32_t readiness() const noexcept {
        std::uint32_t f = 0;
        if (interest_.is_writable() && !write_pending_ && !connecting_) f |= mio::detail::sys::afd_poll_send;
        if (interest_.is_readable()) {
            if (rstate_ == read_state::data || rstate_ == read_state::error) f |= mio::detail::sys::afd_poll_receive;
            if (rstate_ == read_state::eof) f |= mio::detail::sys::afd_poll_receive | mio::detail::sys::afd_poll_disconnect;
        }
        return f;
    }

    // Reports what is ready through the port (one packet at a time; it reads the state when polled).
    void post_readiness() noexcept {
        if (!registered_ || event_posted_ || readiness() == 0) return;
        reset(event_op_);
        if (::PostQueuedCompletionStatus(port_, 0, mio::detail::iocp_operation_key, &event_op_.overlapped)) {
            event_posted_ = true;
            start();
        }
    }

    // Completion handlers, called by afd_selector::select. Each returns the bits to report.
    static std::uint32_t on_connect(mio::detail::iocp_operation* op, const OVERLAPPED_ENTRY&, std::size_t& t) noexcept {
        auto* me = static_cast<pipe_operation*>(op)->owner;
        std::shared_ptr<pipe_state> keep;
        std::uint32_t f = 0;
        {
            std::lock_guard lock(me->m_);
            me->connecting_ = false;
            if (DWORD e = status_of(op->overlapped); e != 0 && e != ERROR_PIPE_CONNECTED) {
                if (e != ERROR_OPERATION_ABORTED)
                    me->connect_error_ = mio::detail::sys::make_windows_error(static_cast<int>(e));
            } else {
                me->connected_ = true;
                me->schedule_read();
            }
            f = me->report(mio::detail::sys::afd_poll_send, t);
            keep = me->finish();
        }
        return f;
    }

    static std::uint32_t on_read(mio::detail::iocp_operation* op, const OVERLAPPED_ENTRY& e, std::size_t& t) noexcept {
        auto* me = static_cast<pipe_operation*>(op)->owner;
        std::shared_ptr<pipe_state> keep;
        std::uint32_t f = 0;
        {
            std::lock_guard lock(me->m_);
            me->rstate_ = read_state::idle;
            if (DWORD err = status_of(op->overlapped); err != 0) {
                me->set_read_failure(err);
            } else if (e.dwNumberOfBytesTransferred > 0) {
                me->rstate_ = read_state::data;
                me->rpos_ = 0;
                me->rlen_ = e.dwNumberOfBytesTransferred;
            }
            keep = me->finish();
            if (me->rstate_ == read_state::idle) me->schedule_read();
            else f = me->report(mio::detail::sys::afd_poll_receive |
                                    (me->rstate_ == read_state::eof ? mio::detail::sys::afd_poll_disconnect : 0u),
                                t);
        }
        return f;
    }

    static std::uint32_t on_write(mio::detail::iocp_operation* op, const OVERLAPPED_ENTRY& e, std::size_t& t) noexcept {
        auto* me = static_cast<pipe_operation*>(op)->owner;
        std::shared_ptr<pipe_state> keep;
        std::uint32_t f = 0;
        {
            std::lock_guard lock(me->m_);
            me->write_pending_ = false;
            keep = me->finish();
            if (DWORD err = status_of(op->overlapped); err != 0) {
                if (err != ERROR_OPERATION_ABORTED)
                    me->write_error_ = mio::detail::sys::make_windows_error(static_cast<int>(err));
            } else {
                me->wpos_ += e.dwNumberOfBytesTransferred;
                if (me->wpos_ < me->wlen_ && me->handle_ != INVALID_HANDLE_VALUE) {
                    if (DWORD again = me->issue_write(); again != 0)
                        me->write_error_ = mio::detail::sys::make_windows_error(static_cast<int>(again));
                    else
                        return 0;  // the rest is in flight
                }
            }
            f = me->report(mio::detail::sys::afd_poll_send, t);
        }
        return f;
    }

    static std::uint32_t on_event(mio::detail::iocp_operation* op, const OVERLAPPED_ENTRY&, std::size_t& t) noexcept {
        auto* me = static_cast<pipe_operation*>(op)->owner;
        std::shared_ptr<pipe_state> keep;
        std::uint32_t f = 0;
        {
            std::lock_guard lock(me->m_);
            me->event_posted_ = false;
            f = me->report(me->readiness(), t);
            keep = me->finish();
        }
        return f;
    }

    // The bits of `f` the registration asks for (plus closed), with the token; 0 when unregistered.
    std::uint32_t report(std::uint32_t f, std::size_t& t) const noexcept {
        if (!registered_) return 0;
        std::uint32_t mask = 0;
        if (interest_.is_readable()) mask |= mio::detail::afd_bits::readable;
        if (interest_.is_writable()) mask |= mio::detail::afd_bits::writable;
        t = token_;
        return f & mask;
    }

    std::mutex m_;
    HANDLE handle_;
    HANDLE port_ = nullptr;
    pipe_operation connect_op_, read_op_, write_op_, event_op_;
    std::vector<std::byte> rbuf_, wbuf_;
    std::size_t rpos_ = 0, rlen_ = 0, wpos_ = 0, wlen_ = 0;
    read_state rstate_ = read_state::idle;
    std::error_code rerror_, write_error_, connect_error_;
    bool connected_;
    bool connecting_ = false, write_pending_ = false, event_posted_ = false;
    bool associated_ = false, registered_ = false;
    std::size_t token_ = 0;
    interest interest_ = interest::readable;
    int in_flight_ = 0;
    std::shared_ptr<pipe_state> self_;
};

// The afd_selector behind a registry (the hooks may be handed either).
template <class R>
afd_selector& selector_of(R& r) noexcept {
    if constexpr (std::is_same_v<std::remove_cv_t<R>, afd_selector>) return r;
    else return r.selector();
}

}  // namespace detail

/// A named pipe end, overlapped and non-blocking, polled by afd_selector (mio's NamedPipe).
/// Movable, not copyable; closes its handle on destruction. See the top of this header for how
/// reads and writes are buffered and what registration reports.
class named_pipe {
public:
    /// The most one write() takes (the size of the pipe's write buffer): a longer write is short.
    static constexpr std::size_t write_limit = detail::pipe_buffer_size;

    /// The server end of a new pipe `name` (`\\.\pipe\...`, UTF-8): duplex, byte mode, overlapped,
    /// not inheritable, remote clients rejected. The first instance of its name
    /// (FILE_FLAG_FIRST_PIPE_INSTANCE). Errors: invalid_argument (empty or invalid name),
    /// permission_denied or file_exists-like Win32 codes when the name is taken, the OS's otherwise.
    static result<named_pipe> create(std::string_view name) {
        auto w = detail::widen(name);
        if (!w) return w.error();
        HANDLE h = ::CreateNamedPipeW(w->c_str(), PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | FILE_FLAG_FIRST_PIPE_INSTANCE,
                                      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                                      PIPE_UNLIMITED_INSTANCES, 65536, 65536, 0, nullptr);
        if (h == INVALID_HANDLE_VALUE) return mio::detail::sys::last_windows_error();
        return named_pipe(std::make_shared<detail::pipe_state>(h, false));
    }

    /// The client end of the existing pipe `name`, overlapped and not inheritable.
    /// Errors: no_such_file_or_directory (no such pipe), device_or_resource_busy (every instance
    /// is taken; ERROR_PIPE_BUSY), the OS's otherwise.
    static result<named_pipe> open(std::string_view name) {
        auto w = detail::widen(name);
        if (!w) return w.error();
        HANDLE h = ::CreateFileW(w->c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_EXISTING,
                                 FILE_FLAG_OVERLAPPED, nullptr);
        if (h == INVALID_HANDLE_VALUE) return mio::detail::sys::last_windows_error();
        return named_pipe(std::make_shared<detail::pipe_state>(h, true));
    }

    /// Adopts `handle`, a pipe end opened for overlapped I/O (the caller's promise, as in mio).
    /// It is treated as connected.
    static named_pipe from_native(void* handle) { return named_pipe(std::make_shared<detail::pipe_state>(handle, true)); }

    named_pipe(named_pipe&&) noexcept = default;
    named_pipe& operator=(named_pipe&& o) noexcept {
        if (this != &o) {
            close();
            state_ = std::move(o.state_);
        }
        return *this;
    }
    named_pipe(const named_pipe&) = delete;
    named_pipe& operator=(const named_pipe&) = delete;
    ~named_pipe() { close(); }

    /// Server end: waits for a client. Ok once one is connected; would_block while waiting (a
    /// writable event follows the connection); the connect error, once, if it failed.
    result<void> connect() noexcept { return state_->connect(); }
    /// Server end: drops the connected client (DisconnectNamedPipe); connect() may follow.
    result<void> disconnect() noexcept { return state_->disconnect(); }

    /// Bytes already received; 0 at end of stream (the other end closed); would_block when
    /// nothing is buffered yet (a readable event follows).
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> read(B&& buf) noexcept {
        auto b = mio::detail::mutable_bytes(buf);
        return state_->read(b.data(), b.size());
    }
    /// Takes up to write_limit (4 KiB) bytes of `buf` into the pipe's buffer, writes them in the
    /// background and returns how many it took: a longer `buf` is a short write, and the caller
    /// writes the rest after the next writable event. would_block while the previous write is in
    /// flight (a writable event follows it). A failed background write is returned by the next
    /// write. Allocates nothing. Errors: broken_pipe when the other end is gone.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> write(const B& buf) noexcept {
        auto b = mio::detail::const_bytes(buf);
        return state_->write(b.data(), b.size());
    }

    /// A connect error not yet returned by connect(); falsy when there is none.
    result<std::error_code> take_error() const noexcept { return state_->take_error(); }

    /// The pipe's HANDLE (borrowed).
    void* native_handle() const noexcept { return state_ ? state_->handle() : INVALID_HANDLE_VALUE; }

    /// Registration hooks (registry.add/modify/remove call them). Errors: file_exists (already
    /// registered), invalid_argument (bound to another poll's port), no_such_file_or_directory
    /// (modify/remove when not registered with this poll).
    template <class R>
    result<void> add_to(R& r, token t, interest i) { return state_->add(detail::selector_of(r), t, i); }
    template <class R>
    result<void> modify_in(R& r, token t, interest i) { return state_->modify(detail::selector_of(r), t, i); }
    template <class R>
    result<void> remove_from(R& r) { return state_->remove(detail::selector_of(r)); }

private:
    explicit named_pipe(std::shared_ptr<detail::pipe_state> s) noexcept : state_(std::move(s)) {}
    void close() noexcept {
        if (state_) state_->close();
        state_.reset();
    }
    std::shared_ptr<detail::pipe_state> state_;
};

}  // namespace mio::windows
