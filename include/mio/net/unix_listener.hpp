// mio::net::unix_listener: a non-blocking Unix-domain listening socket (mio's UnixListener).
#pragma once

#include <mio/detail/io_fd.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/net/unix_address.hpp>
#include <mio/net/unix_stream.hpp>
#include <mio/result.hpp>

#include <string_view>
#include <sys/socket.h>
#include <utility>

namespace mio::net {

/// A Unix-domain stream socket listening for connections. A source: register it readable;
/// a readable event means connections wait, so accept() until would_block.
/// Non-blocking and close-on-exec from birth; movable, not copyable; closed on destruction.
/// Like mio and Rust's std it does not unlink its socket file: the application removes it.
class unix_listener {
public:
    /// Backlog passed to listen(2) (the kernel caps it at net.core.somaxconn).
    static constexpr int backlog = 1024;

    /// Binds a socket file at `path` and listens. Errors: address_in_use (EADDRINUSE) when a
    /// file already exists at `path`, ENOENT/EACCES for the directory, filename_too_long and
    /// invalid_argument for a path unix_address::from_path refuses.
    static result<unix_listener> bind(std::string_view path) noexcept {
        auto a = unix_address::from_path(path);
        if (!a) return a.error();
        return bind(*a);
    }
    /// Binds to `addr` (a path or an abstract name) and listens. Errors as above; an abstract
    /// name already bound gives address_in_use.
    static result<unix_listener> bind(const unix_address& addr) noexcept {
        auto fd = detail::unix_sock::open_bound(SOCK_STREAM, &addr);
        if (!fd) return fd.error();
        unix_listener l(*fd);
        if (::listen(*fd, backlog) < 0) return last_error();
        return l;
    }

    /// Adopts `fd`, a listening AF_UNIX socket; the caller has made it non-blocking.
    static unix_listener from_native(int fd) noexcept { return unix_listener(fd); }

    /// Accepts one connection: the new stream (non-blocking, close-on-exec: accept4) and the
    /// peer's address (usually unnamed). Errors: would_block when no connection waits (the
    /// source is re-armed); EMFILE/ENFILE when out of descriptors (the connection stays
    /// queued and the listener keeps working); ECONNABORTED.
    result<std::pair<unix_stream, unix_address>> accept() noexcept {
        sockaddr_un sa{};
        socklen_t len = sizeof sa;
        auto fd = io_.io([&] {
            return static_cast<ssize_t>(
                ::accept4(io_.get(), reinterpret_cast<sockaddr*>(&sa), &len, SOCK_NONBLOCK | SOCK_CLOEXEC));
        });
        if (!fd) return fd.error();
        unix_stream s(static_cast<int>(*fd));
        if (len > sizeof sa) len = sizeof sa;  // truncated by the OS: never read past our buffer
        auto peer = unix_address::from_native(sa, len);
        if (!peer) return peer.error();
        return std::pair<unix_stream, unix_address>(std::move(s), *peer);
    }

    /// The address it is bound to.
    result<unix_address> local_addr() const noexcept { return detail::unix_sock::name(io_.get(), false); }

    /// The pending socket error (SO_ERROR), clearing it; a falsy error_code when none.
    result<std::error_code> take_error() const noexcept { return detail::sock::take_error(io_.get()); }

    /// Borrows the fd.
    int native_handle() const noexcept { return io_.get(); }
    /// Gives the fd up, unclosed (and still registered where it was).
    int release() noexcept { return io_.release(); }
    /// Registration bookkeeping (used by basic_registry).
    io_source_state& io_state() noexcept { return io_.state(); }

private:
    explicit unix_listener(int fd) noexcept : io_(fd) {}

    detail::io_fd io_;
};

}  // namespace mio::net
