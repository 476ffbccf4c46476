// mio::afd_selector: the Windows backend, readiness of Winsock sockets through the AFD driver
// and one I/O completion port (as mio's and wepoll's).
//
// How it works: every registered socket owns one outstanding IOCTL_AFD_POLL request, issued
// on a \Device\Afd helper handle that is bound to the selector's completion port. Up to
// afd_group_size sockets share a helper handle (mio's poll groups); helper handles live as
// long as the selector. A request completes when one of the AFD conditions it asked for holds;
// select() dequeues completions with GetQueuedCompletionStatusEx and turns each into at most
// one event. Requests name the socket's base provider handle (SIO_BASE_HANDLE, with the LSP
// fallbacks), since the AFD driver knows nothing of layered providers.
//
// Emulated edges: AFD polls are level-triggered, so a reported condition is disarmed (not
// asked for again) until the source is re-armed:
//   - by its own I/O returning would_block: the library's sockets carry this selector's
//     hooks() in their io_source_state and call rearm(socket) then (a raw SOCKET source calls
//     selector.rearm(socket) or registry.modify itself);
//   - by registry.modify, which re-arms the whole new interest.
// What is still armed is asked for again when the next select starts (or at once by the re-arm
// that usually comes first), so a peer's close after a reported read is a new event, as epoll's
// EPOLLRDHUP edge.
//
// Interest and event mapping (mio's windows/selector.rs and event.rs):
//   readable interest  RECEIVE | ACCEPT | DISCONNECT | ABORT | CONNECT_FAIL
//   writable interest  SEND | ABORT | CONNECT_FAIL
//   is_readable        RECEIVE, ACCEPT, DISCONNECT, ABORT or CONNECT_FAIL
//   is_writable        SEND, ABORT or CONNECT_FAIL
//   is_error           CONNECT_FAIL (also a request that failed as a whole)
//   is_read_closed     DISCONNECT, ABORT or CONNECT_FAIL
//   is_write_closed    ABORT or CONNECT_FAIL
//   is_priority        RECEIVE_EXPEDITED (never asked for: readable does not include it)
//
// Threads: the registrations live behind a mutex shared by every clone. select() holds it only
// to turn completions into events, never while blocked; add, modify and rearm from another
// thread issue or cancel the AFD request directly, and the port wakes a blocked select for it,
// so a registration takes effect at once. remove cancels the request; a completion of a removed
// socket is dropped under the mutex, so no event of it reaches a select that starts after
// remove returned (the socket state is freed when its cancelled request completes).
//
// Costs: add allocates the socket's state (and a helper handle per afd_group_size sockets);
// select allocates nothing: the caller's event buffer doubles as the completion entries'
// buffer (afd_event has OVERLAPPED_ENTRY's size), converted in place. Timeouts are whole
// milliseconds, rounded up (never down to zero), capped below INFINITE.
#pragma once

#include <mio/detail/sys/windows/error.hpp>
#include <mio/detail/sys/windows/nt.hpp>
#include <mio/detail/sys/windows/winsock.hpp>
#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <unordered_map>
#include <vector>

namespace mio {

/// One event of afd_selector: the token and the AFD condition bits that were reported.
/// Exactly the size of an OVERLAPPED_ENTRY, so that select() lets the completion port fill the
/// caller's buffer directly and converts it in place.
struct afd_event {
    std::uintptr_t token = 0;
    std::uint32_t flags = 0;
    std::uint32_t unused_ = 0;
    std::uintptr_t scratch_[2] = {};
};
static_assert(sizeof(afd_event) == sizeof(OVERLAPPED_ENTRY) && alignof(afd_event) == alignof(OVERLAPPED_ENTRY),
              "mio: afd_event must overlay OVERLAPPED_ENTRY");

namespace detail {

namespace afd_bits {
using namespace sys;
inline constexpr std::uint32_t readable =
    afd_poll_receive | afd_poll_accept | afd_poll_disconnect | afd_poll_abort | afd_poll_connect_fail;
inline constexpr std::uint32_t writable = afd_poll_send | afd_poll_abort | afd_poll_connect_fail;
inline constexpr std::uint32_t error = afd_poll_connect_fail;
inline constexpr std::uint32_t read_closed = afd_poll_disconnect | afd_poll_abort | afd_poll_connect_fail;
inline constexpr std::uint32_t write_closed = afd_poll_abort | afd_poll_connect_fail;
inline constexpr std::uint32_t known = readable | writable | afd_poll_receive_expedited;

constexpr std::uint32_t of(interest i) noexcept {
    std::uint32_t f = 0;
    if (i.is_readable()) f |= readable;
    if (i.is_writable()) f |= writable;
    return f;
}
}  // namespace afd_bits

/// An overlapped operation of a source that is not a socket (named pipes): its handle is bound to
/// the selector's port with completion key iocp_operation_key, and select() hands each of its
/// completions to `complete`, which returns the AFD bits to report (0: none) and sets `token`.
/// Called with the selector's internal lock held: `complete` must not call back into the selector
/// except through post().
struct iocp_operation {
    OVERLAPPED overlapped{};
    std::uint32_t (*complete)(iocp_operation* op, const OVERLAPPED_ENTRY& entry, std::size_t& token) noexcept = nullptr;
};
inline constexpr ULONG_PTR iocp_operation_key = 1;

// A \Device\Afd helper handle and how many registered sockets use it.
struct afd_group {
    HANDLE afd = nullptr;
    std::size_t members = 0;
};

// The state of one registered socket. Its address is the AFD request's APC context, which the
// port hands back as the completion's OVERLAPPED pointer; the kernel writes iosb and info until
// the request completes, so the state outlives a remove until then.
struct afd_sock {
    IO_STATUS_BLOCK iosb{};  // first: the completion's OVERLAPPED* is this state's address
    sys::afd_poll_info info{};
    SOCKET socket = INVALID_SOCKET;  // as registered
    SOCKET base = INVALID_SOCKET;    // what the AFD driver is asked about
    afd_group* group = nullptr;
    std::size_t token = 0;
    std::uint32_t interest = 0;  // AFD bits the registration asks for
    std::uint32_t armed = 0;     // the part still reported (the rest awaits a re-arm)
    std::uint32_t pending = 0;   // the bits of the request in flight
    bool in_flight = false;
    bool cancelling = false;
    bool removed = false;  // removed (or the selector is closing) while in flight: freed on completion
    // On the selector's list of sockets whose request is re-issued when the next select starts
    // (see afd_shared::defer); intrusive, so that listing never allocates.
    bool deferred = false;
    afd_sock* deferred_prev = nullptr;
    afd_sock* deferred_next = nullptr;
};

// The completion port and the registrations, shared by an afd_selector and its clones.
class afd_shared {
public:
    static constexpr std::size_t group_size = 32;

    explicit afd_shared(HANDLE port) noexcept : port_(port) {}
    afd_shared(const afd_shared&) = delete;
    afd_shared& operator=(const afd_shared&) = delete;

    ~afd_shared() {
        std::size_t in_flight = 0;
        {
            std::lock_guard lock(mutex_);
            for (auto& [s, sock] : socks_) release(sock);
            socks_.clear();
            in_flight = zombies_;
        }
        // The kernel writes each cancelled request's status block when it completes: wait for
        // those completions before the memory goes (bounded: a driver that never answers leaks
        // its states rather than have them written after free).
        OVERLAPPED_ENTRY entries[16];
        for (int rounds = 0; in_flight > 0 && rounds < 100; ++rounds) {
            ULONG got = 0;
            if (!::GetQueuedCompletionStatusEx(port_, entries, 16, &got, 100, FALSE)) continue;
            for (ULONG i = 0; i < got; ++i) {
                if (entries[i].lpOverlapped == nullptr) continue;
                if (entries[i].lpCompletionKey == iocp_operation_key) {
                    complete_operation(entries[i]);
                    continue;
                }
                delete reinterpret_cast<afd_sock*>(entries[i].lpOverlapped);
                --in_flight;
            }
        }
        // Operations of pipes already dropped: their completions free the pipes' state.
        for (;;) {
            ULONG got = 0;
            if (!::GetQueuedCompletionStatusEx(port_, entries, 16, &got, 0, FALSE) || got == 0) break;
            for (ULONG i = 0; i < got; ++i)
                if (entries[i].lpOverlapped != nullptr && entries[i].lpCompletionKey == iocp_operation_key)
                    complete_operation(entries[i]);
        }
        for (auto& g : groups_) ::CloseHandle(g->afd);
        ::CloseHandle(port_);
    }

    HANDLE port() const noexcept { return port_; }

    result<void> add(SOCKET s, token t, interest i) {
        if (s == INVALID_SOCKET) return std::errc::bad_file_descriptor;
        SOCKET base = sys::base_socket(s);
        if (base == INVALID_SOCKET) return std::errc::bad_file_descriptor;  // not an open socket
        std::lock_guard lock(mutex_);
        if (socks_.count(s) != 0) return std::errc::file_exists;
        afd_group* g = free_group();
        if (g == nullptr) return last_group_error_;
        auto sock = std::make_unique<afd_sock>();
        sock->socket = s;
        sock->base = base;
        sock->group = g;
        sock->token = t.value;
        sock->interest = sock->armed = afd_bits::of(i);
        auto [it, inserted] = socks_.emplace(s, sock.get());
        (void)inserted;
        auto r = submit(*sock);
        if (!r) {
            socks_.erase(it);
            return r;
        }
        ++g->members;
        sock.release();
        return {};
    }

    result<void> modify(SOCKET s, token t, interest i) noexcept {
        std::lock_guard lock(mutex_);
        auto* sock = find(s);
        if (sock == nullptr) return unregistered(s);
        sock->token = t.value;
        sock->interest = sock->armed = afd_bits::of(i);
        return submit(*sock);
    }

    result<void> remove(SOCKET s) noexcept {
        std::lock_guard lock(mutex_);
        auto it = socks_.find(s);
        if (it == socks_.end()) return unregistered(s);
        forget(it);
        return {};
    }

    void rearm(SOCKET s) noexcept {
        std::lock_guard lock(mutex_);
        auto* sock = find(s);
        if (sock == nullptr || sock->armed == sock->interest) return;
        sock->armed = sock->interest;
        (void)submit(*sock);
    }

    void forget(SOCKET s) noexcept {
        std::lock_guard lock(mutex_);
        auto it = socks_.find(s);
        if (it != socks_.end()) forget(it);
    }

    static void rearm_hook(void* self, SOCKET handle, std::uintptr_t&) noexcept {
        static_cast<afd_shared*>(self)->rearm(handle);
    }
    static void forget_hook(void* self, SOCKET handle, std::uintptr_t&) noexcept {
        static_cast<afd_shared*>(self)->forget(handle);
    }

    /// Posts a wake-up packet unless one is already queued (wakes coalesce).
    result<void> wake(std::size_t t) noexcept {
        if (wake_pending_.exchange(true, std::memory_order_acq_rel)) return {};
        if (!::PostQueuedCompletionStatus(port_, 0, static_cast<ULONG_PTR>(t), nullptr)) {
            wake_pending_.store(false, std::memory_order_release);
            return sys::last_windows_error();
        }
        return {};
    }

    /// Issues the requests that completions reported since the last select left to re-issue:
    /// the start of every select (the polling thread's own work, so nothing else waits on it).
    void issue_deferred() noexcept {
        if (!has_deferred_.load(std::memory_order_relaxed)) return;
        std::lock_guard lock(mutex_);
        while (afd_sock* sock = deferred_head_) {
            undefer(*sock);
            // Not re-armed since its event (a loop that reads or writes to would_block never gets
            // here), so its socket may have been closed since, without remove. With no request in
            // flight no LOCAL_CLOSE completion will say so, and a request naming a closed socket
            // fails at once on Windows but stays pending for ever under Wine 8: check, and forget
            // a closed one as that completion would.
            // (getsockopt, not SIO_BASE_HANDLE, which Wine answers for a closed handle too.)
            int type = 0, len = sizeof type;
            if (::getsockopt(sock->socket, SOL_SOCKET, SO_TYPE, reinterpret_cast<char*>(&type), &len) != 0) {
                auto it = socks_.find(sock->socket);
                if (it != socks_.end() && it->second == sock) forget(it);
                continue;
            }
            (void)submit(*sock);
        }
        has_deferred_.store(false, std::memory_order_relaxed);
    }

    // Turns the completions now in `out` (as OVERLAPPED_ENTRY records) into events, in place.
    std::size_t feed(std::span<afd_event> out, std::size_t got) noexcept {
        std::size_t n = 0;
        std::lock_guard lock(mutex_);
        for (std::size_t i = 0; i < got; ++i) {
            OVERLAPPED_ENTRY e;
            std::memcpy(&e, &out[i], sizeof e);  // read whole before slot n <= i is overwritten
            if (e.lpOverlapped == nullptr) {     // the waker's packet; its key is its token
                wake_pending_.store(false, std::memory_order_release);
                out[n++] = afd_event{e.lpCompletionKey, sys::afd_poll_receive};
                continue;
            }
            if (e.lpCompletionKey == iocp_operation_key) {
                std::size_t t = 0;
                std::uint32_t flags = complete_operation(e, &t);
                if (flags != 0) out[n++] = afd_event{t, flags};
                continue;
            }
            auto* sock = reinterpret_cast<afd_sock*>(e.lpOverlapped);
            std::uint32_t flags = complete(*sock);
            if (flags != 0) out[n++] = afd_event{sock->token, flags};
        }
        return n;
    }

private:
    static std::uint32_t complete_operation(const OVERLAPPED_ENTRY& e, std::size_t* token = nullptr) noexcept {
        auto* op = reinterpret_cast<iocp_operation*>(e.lpOverlapped);
        std::size_t t = 0;
        std::uint32_t flags = op->complete(op, e, t);
        if (token != nullptr) *token = t;
        return flags;
    }

    afd_sock* find(SOCKET s) noexcept {
        auto it = socks_.find(s);
        return it == socks_.end() ? nullptr : it->second;
    }

    static std::error_code unregistered(SOCKET s) noexcept {
        if (s == INVALID_SOCKET) return std::make_error_code(std::errc::bad_file_descriptor);
        return std::make_error_code(std::errc::no_such_file_or_directory);
    }

    // A helper handle with room for one more socket; opens one when all are full.
    afd_group* free_group() {
        if (!groups_.empty() && groups_.back()->members < group_size) return groups_.back().get();
        for (auto& g : groups_)
            if (g->members < group_size) return g.get();
        HANDLE h = nullptr;
        if (DWORD e = sys::open_afd_helper(port_, h); e != 0) {
            last_group_error_ = sys::make_windows_error(static_cast<int>(e));
            return nullptr;
        }
        auto g = std::make_unique<afd_group>();
        g->afd = h;
        groups_.push_back(std::move(g));
        return groups_.back().get();
    }

    // Issues the socket's AFD request for what is armed, or cancels one in flight that does not
    // cover it (the completion of the cancelled request then issues the new one).
    result<void> submit(afd_sock& sock) noexcept {
        undefer(sock);
        if (sock.in_flight) {
            if ((sock.armed & ~sock.pending & afd_bits::known) != 0) cancel(sock);
            return {};
        }
        if ((sock.armed & afd_bits::known) == 0) return {};
        sock.info.timeout.QuadPart = INT64_MAX;
        sock.info.number_of_handles = 1;
        sock.info.exclusive = FALSE;
        sock.info.handles[0].handle = reinterpret_cast<HANDLE>(sock.base);
        sock.info.handles[0].events = sock.armed | sys::afd_poll_local_close;
        sock.info.handles[0].status = 0;
        sock.iosb.Status = sys::status_pending;
        NTSTATUS st = ::NtDeviceIoControlFile(sock.group->afd, nullptr, nullptr, &sock.iosb, &sock.iosb,
                                              sys::ioctl_afd_poll, &sock.info, sizeof sock.info, &sock.info,
                                              sizeof sock.info);
        if (st != sys::status_success && st != sys::status_pending)
            return sys::make_windows_error(static_cast<int>(::RtlNtStatusToDosError(st)));
        sock.in_flight = true;
        sock.cancelling = false;
        sock.pending = sock.armed;
        return {};
    }

    void cancel(afd_sock& sock) noexcept {
        if (!sock.in_flight || sock.cancelling) return;
        IO_STATUS_BLOCK status{};
        // STATUS_NOT_FOUND: it completed already and its completion is queued; fine either way.
        (void)::NtCancelIoFileEx(sock.group->afd, &sock.iosb, &status);
        sock.cancelling = true;
    }

    void forget(std::unordered_map<SOCKET, afd_sock*>::iterator it) noexcept {
        afd_sock* sock = it->second;
        socks_.erase(it);
        --sock->group->members;
        release(sock);
    }

    // Frees a state no longer registered, or, when the kernel still owns its request, cancels
    // it and leaves the state to be freed by the request's completion.
    void release(afd_sock* sock) noexcept {
        undefer(*sock);
        if (sock->in_flight) {
            cancel(*sock);
            sock->removed = true;
            ++zombies_;
        } else {
            delete sock;
        }
    }

    // The socket's request completed: the AFD bits to report (0 for none). Re-issues the
    // request for what stays armed.
    std::uint32_t complete(afd_sock& sock) noexcept {
        sock.in_flight = false;
        sock.cancelling = false;
        sock.pending = 0;
        if (sock.removed) {
            --zombies_;
            delete &sock;
            return 0;
        }
        std::uint32_t flags = 0;
        NTSTATUS st = sock.iosb.Status;
        if (st == sys::status_cancelled) {
            // cancelled by modify or rearm: nothing to report, ask again below
        } else if (st < 0) {
            flags = sys::afd_poll_connect_fail;  // the request itself failed: report an error
        } else if (sock.info.number_of_handles >= 1) {
            flags = sock.info.handles[0].events;
        }
        if (flags & sys::afd_poll_local_close) {
            // Closed while registered, without remove: forget it, as epoll forgets a closed fd.
            auto it = socks_.find(sock.socket);
            if (it != socks_.end() && it->second == &sock) forget(it);
            return 0;
        }
        flags &= sock.armed;
        sock.armed &= ~flags;
        if (flags == 0) (void)submit(sock);
        else defer(sock);
        return flags;
    }

    // A socket with an event just reported: its request for what stays armed is issued when the
    // next select starts, not now. By then the caller has usually read to would_block, whose
    // re-arm issues the request for the whole interest at once (and takes the socket off this
    // list); issuing now would mean issuing, cancelling and re-issuing per event, each a system
    // call (a server round trip under Wine). Nothing is lost meanwhile: a request issued later
    // completes at once for a condition that already holds.
    void defer(afd_sock& sock) noexcept {
        if (sock.deferred) return;
        sock.deferred = true;
        sock.deferred_prev = nullptr;
        sock.deferred_next = deferred_head_;
        if (deferred_head_ != nullptr) deferred_head_->deferred_prev = &sock;
        deferred_head_ = &sock;
        has_deferred_.store(true, std::memory_order_relaxed);
    }
    void undefer(afd_sock& sock) noexcept {
        if (!sock.deferred) return;
        sock.deferred = false;
        if (sock.deferred_prev != nullptr) sock.deferred_prev->deferred_next = sock.deferred_next;
        else deferred_head_ = sock.deferred_next;
        if (sock.deferred_next != nullptr) sock.deferred_next->deferred_prev = sock.deferred_prev;
        sock.deferred_prev = sock.deferred_next = nullptr;
    }

    HANDLE port_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<afd_group>> groups_;
    std::unordered_map<SOCKET, afd_sock*> socks_;
    std::size_t zombies_ = 0;  // removed states whose cancelled request has not completed yet
    afd_sock* deferred_head_ = nullptr;      // see defer()
    std::atomic<bool> has_deferred_{false};  // deferred_head_ != nullptr, read without the mutex
    std::error_code last_group_error_;
    std::atomic<bool> wake_pending_{false};
};

}  // namespace detail

/// Readiness of Winsock sockets through the AFD driver and a completion port, with mio's
/// edge-triggered semantics emulated (see the top of this header). Handles are SOCKETs
/// (any base or layered socket; non-sockets fail with bad_file_descriptor). try_clone shares
/// the port and the registrations; clones may register from other threads while one of them
/// is blocked in select, which sees the change at once. Only one thread should select at a time.
/// Closing a registered socket is noticed (AFD reports a local close) and forgets it, but the
/// library's sockets remove themselves first, and raw sockets should be removed before close.
class afd_selector {
public:
    using handle_type = SOCKET;
    using native_event = afd_event;
    static constexpr bool close_removes = false;

    /// A new completion port. Errors: WSAStartup's, CreateIoCompletionPort's (Win32 codes).
    static result<afd_selector> create() {
        if (int e = detail::sys::winsock_start(); e != 0) return detail::sys::make_windows_error(e);
        HANDLE port = ::CreateIoCompletionPort(INVALID_HANDLE_VALUE, nullptr, 0, 1);
        if (port == nullptr) return detail::sys::last_windows_error();
        return afd_selector(std::make_shared<detail::afd_shared>(port));
    }

    /// A second handle on the same port and registrations (for registry clones and wakers).
    result<afd_selector> try_clone() const {
        if (!shared_) return std::errc::bad_file_descriptor;
        return afd_selector(shared_);
    }

    /// Registers socket `s`, armed for `i`. Errors: bad_file_descriptor (not an open socket),
    /// file_exists (already registered), the driver's otherwise.
    result<void> add(SOCKET s, token t, interest i) {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->add(s, t, i);
    }
    /// Changes token and interest and re-arms. Errors: no_such_file_or_directory (not registered).
    result<void> modify(SOCKET s, token t, interest i) noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->modify(s, t, i);
    }
    /// Cancels the socket's AFD request; no event of it is returned by a select that starts
    /// after this returned. Errors: no_such_file_or_directory (not registered).
    result<void> remove(SOCKET s) noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->remove(s);
    }

    /// Re-arms `s` for its whole interest (its I/O returned would_block). No-op when it is not
    /// registered or already armed.
    void rearm(SOCKET s) noexcept {
        if (shared_) shared_->rearm(s);
    }

    /// What the library's sockets keep to re-arm and forget themselves.
    source_hooks hooks() const {
        if (!shared_) return {};
        return source_hooks{shared_, &detail::afd_shared::rearm_hook, &detail::afd_shared::forget_hook};
    }

    /// Waits for events into `out`; returns how many (at most out.size(); further completions
    /// stay queued in the port for the next call). std::nullopt blocks until an event; zero
    /// returns at once. Errors: GetQueuedCompletionStatusEx's (Win32 codes).
    result<std::size_t> select(std::span<afd_event> out, std::optional<std::chrono::nanoseconds> timeout) noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        using clock = std::chrono::steady_clock;
        auto left = timeout;
        if (left && left->count() < 0) left = std::chrono::nanoseconds::zero();
        clock::time_point deadline{};
        if (left && left->count() > 0) deadline = saturating_deadline(clock::now(), *left);
        auto room = static_cast<ULONG>(std::min<std::size_t>(out.size(), 0x7fffffff));
        shared_->issue_deferred();
        for (;;) {
            ULONG got = 0;
            if (!::GetQueuedCompletionStatusEx(shared_->port(), reinterpret_cast<OVERLAPPED_ENTRY*>(out.data()), room,
                                               &got, wait_ms(left), FALSE)) {
                DWORD e = ::GetLastError();
                if (e == WAIT_TIMEOUT) return std::size_t{0};
                return detail::sys::make_windows_error(static_cast<int>(e));
            }
            std::size_t n = shared_->feed(out.first(got), got);
            if (n > 0) return n;
            // Only completions that report nothing (cancelled or removed requests): wait on with
            // what is left of the timeout.
            if (left) {
                if (left->count() == 0) return std::size_t{0};
                auto now = clock::now();
                if (now >= deadline) return std::size_t{0};
                left = deadline - now;
            }
        }
    }

    static token event_token(const afd_event& e) noexcept { return token(e.token); }
    static bool is_readable(const afd_event& e) noexcept { return (e.flags & detail::afd_bits::readable) != 0; }
    static bool is_writable(const afd_event& e) noexcept { return (e.flags & detail::afd_bits::writable) != 0; }
    static bool is_error(const afd_event& e) noexcept { return (e.flags & detail::afd_bits::error) != 0; }
    static bool is_read_closed(const afd_event& e) noexcept { return (e.flags & detail::afd_bits::read_closed) != 0; }
    static bool is_write_closed(const afd_event& e) noexcept { return (e.flags & detail::afd_bits::write_closed) != 0; }
    static bool is_priority(const afd_event& e) noexcept {
        return (e.flags & detail::sys::afd_poll_receive_expedited) != 0;
    }

    /// Posts a coalescing wake-up packet with token `t` (used by iocp_waker).
    result<void> post_wake(token t) const noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        return shared_->wake(t.value);
    }

    /// Binds `h` (an overlapped handle that is not a socket, e.g. a named pipe) to this selector's
    /// port: its operations' completions then reach select() as detail::iocp_operation records.
    /// Errors: invalid_argument when `h` is already bound to another port (Windows allows one).
    result<void> associate(HANDLE h) const noexcept {
        if (!shared_) return std::errc::bad_file_descriptor;
        if (::CreateIoCompletionPort(h, shared_->port(), detail::iocp_operation_key, 0) == nullptr)
            return detail::sys::last_windows_error();
        return {};
    }
    /// The completion port (what associate() bound handles to).
    HANDLE port() const noexcept { return shared_ ? shared_->port() : nullptr; }

    /// Milliseconds to wait for `t`: INFINITE for none, rounded up (a 100 us wait is 1 ms, not
    /// 0), capped just below INFINITE.
    static DWORD wait_ms(std::optional<std::chrono::nanoseconds> t) noexcept {
        if (!t) return INFINITE;
        if (t->count() <= 0) return 0;
        constexpr std::int64_t ns_per_ms = 1'000'000;
        constexpr std::int64_t cap = INFINITE - 1;
        std::int64_t ns = t->count();
        if (ns / ns_per_ms >= cap) return static_cast<DWORD>(cap);
        return static_cast<DWORD>((ns + ns_per_ms - 1) / ns_per_ms);
    }

private:
    explicit afd_selector(std::shared_ptr<detail::afd_shared> s) noexcept : shared_(std::move(s)) {}

    static std::chrono::steady_clock::time_point saturating_deadline(std::chrono::steady_clock::time_point now,
                                                                     std::chrono::nanoseconds d) noexcept {
        auto room = std::chrono::steady_clock::time_point::max() - now;
        return d >= room ? std::chrono::steady_clock::time_point::max()
                         : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }

    std::shared_ptr<detail::afd_shared> shared_;
};

}  // namespace mio
