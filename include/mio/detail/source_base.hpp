// detail::source_base and detail::socket_base: the members every library socket and pipe end
// shares (native_handle, release, io_state, try_io; local_addr and take_error for sockets),
// written once. Each type derives publicly, so these are part of its API.
#pragma once

#include <mio/detail/io_source.hpp>
#include <mio/detail/sys.hpp>
#include <mio/io_source_state.hpp>
#include <mio/result.hpp>

#include <system_error>
#include <type_traits>

namespace mio::detail {

// How to ask the OS for a socket's own and peer address, per address type (specialized by
// net/detail/ip_socket.hpp and net/unix_address.hpp).
template <class Address>
struct address_traits;

class source_base {
public:
    /// The OS handle (an fd on POSIX), borrowed: still owned by this object. Invalid (-1 on
    /// POSIX) after release() or a move.
    source_handle native_handle() const noexcept { return io_.get(); }
    /// Gives the handle up: this object no longer closes it. It stays registered where it was.
    source_handle release() noexcept { return io_.release(); }
    /// Registration bookkeeping (used by the registry).
    io_source_state& io_state() noexcept { return io_.state(); }

    /// mio's try_io: runs `f()`, the caller's own call on native_handle() (sendmsg, recvmmsg,
    /// ioctl...) returning a mio::result, and returns what it returned. When that holds a
    /// would_block error (mio::is_would_block: the OS's EAGAIN from the caller's call counts),
    /// the source is re-armed exactly as the library's own read/write would do it, so that
    /// edge-emulating backends (poll(2)) report the next readiness.
    template <class F>
    std::invoke_result_t<F&> try_io(F&& f) noexcept(std::is_nothrow_invocable_v<F&>) {
        return io_.try_io(f);
    }

protected:
    source_base() noexcept = default;
    explicit source_base(sys::handle h) noexcept : io_(h) {}
    io_source io_;
};

template <class Address>
class socket_base : public source_base {
public:
    /// The address this socket is bound to (for IP, with the port the OS chose for port 0).
    result<Address> local_addr() const noexcept { return address_traits<Address>::local(io_.get()); }

    /// The pending socket error (SO_ERROR), clearing it: a falsy error_code when there is
    /// none, ECONNREFUSED after a refused connect, and so on.
    result<std::error_code> take_error() const noexcept { return sys::take_error(io_.get()); }

protected:
    using source_base::source_base;
    result<Address> peer_address() const noexcept { return address_traits<Address>::peer(io_.get()); }
};

}  // namespace mio::detail
