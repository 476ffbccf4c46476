// mio::net::unix_listener: a non-blocking Unix-domain listening socket (mio's UnixListener).
#pragma once

#include <mio/detail/source_base.hpp>
#include <mio/detail/sys.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/unix_address.hpp>
#include <mio/net/unix_stream.hpp>
#include <mio/result.hpp>

#include <string_view>
#include <utility>

namespace mio::net {

/// A Unix-domain stream socket listening for connections. A source: register it readable;
/// a readable event means connections wait, so accept() until would_block.
/// Non-blocking and close-on-exec from birth; movable, not copyable; closed on destruction.
/// Like mio and Rust's std it does not unlink its socket file: the application removes it.
/// Also has native_handle(), release(), io_state(), try_io(), local_addr() and take_error()
/// (see detail::socket_base).
class unix_listener : public detail::socket_base<unix_address> {
public:
    /// The listen(2) backlog bind() uses by default, as mio 1.1 and Rust's std: as many as the
    /// OS allows (SOMAXCONN; -1 where listen(2) takes it, capped by net.core.somaxconn on Linux).
    static constexpr int default_backlog = detail::sys::max_backlog;

    /// Binds a socket file at `path` and listens with `backlog` pending connections at most.
    /// Errors: address_in_use (EADDRINUSE) when a file already exists at `path`,
    /// ENOENT/EACCES for the directory, filename_too_long and invalid_argument for a path
    /// unix_address::from_path refuses.
    static result<unix_listener> bind(std::string_view path, int backlog = default_backlog) noexcept {
        auto a = unix_address::from_path(path);
        if (!a) return a.error();
        return bind(*a, backlog);
    }
    /// Binds to `addr` (a path or an abstract name) and listens. Errors as above; an abstract
    /// name already bound gives address_in_use.
    static result<unix_listener> bind(const unix_address& addr, int backlog = default_backlog) noexcept {
        auto h = detail::unix_sock::open_bound(detail::sys::socket_type::stream, &addr);
        if (!h) return h.error();
        unix_listener l(*h);
        if (auto r = detail::sys::listen(*h, backlog); !r) return r.error();
        return l;
    }

    /// Adopts `fd`, a listening AF_UNIX socket; the caller has made it non-blocking.
    static unix_listener from_native(source_handle h) noexcept { return unix_listener(h); }

    /// Accepts one connection: the new stream (non-blocking, close-on-exec) and the
    /// peer's address (usually unnamed). Errors: would_block when no connection waits (the
    /// source is re-armed); EMFILE/ENFILE when out of descriptors (the connection stays
    /// queued and the listener keeps working); ECONNABORTED.
    result<std::pair<unix_stream, unix_address>> accept() noexcept {
        detail::sys::raw_sockaddr sa;
        auto h = io_.done(detail::sys::accept(io_.get(), sa));
        if (!h) return h.error();
        unix_stream s(*h);
        auto peer = detail::address_traits<unix_address>::from_raw(sa);
        if (!peer) return peer.error();
        return std::pair<unix_stream, unix_address>(std::move(s), *peer);
    }

private:
    explicit unix_listener(source_handle h) noexcept : socket_base(h) {}
};

}  // namespace mio::net
