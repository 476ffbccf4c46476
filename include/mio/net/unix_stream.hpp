// mio::net::unix_stream: a non-blocking Unix-domain stream socket (mio's UnixStream).
#pragma once

#include <mio/detail/source_base.hpp>
#include <mio/detail/sys.hpp>
#include <mio/net/detail/socket_io.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/unix_address.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <utility>

namespace mio::net {

/// Who is at the other end of a Unix-domain stream (what Rust's std calls UCred). `pid` is nullopt where
/// the OS does not tell it (the BSDs' getpeereid).
struct peer_credentials {
    std::optional<detail::sys::pid_type> pid;
    detail::sys::uid_type uid;
    detail::sys::gid_type gid;
};

class unix_listener;

/// A connected Unix-domain stream socket. A source: register it readable and/or writable.
/// Non-blocking and close-on-exec from birth; movable, not copyable; closed (and so removed
/// from any registry) on destruction. Sends never raise SIGPIPE: a write to a closed peer
/// fails with EPIPE.
/// Reads and writes with read(), peek(), write(), readv(), writev() and shutdown() (see
/// detail::stream_io), each taking std::byte, char or unsigned char buffers (mio/buffer.hpp).
/// Also has native_handle(), release(), io_state(), try_io(), local_addr() and take_error()
/// (see detail::socket_base).
class unix_stream : public detail::stream_io<detail::socket_base<unix_address>> {
public:
    /// Connects to the listener bound at `path`. A Unix connect completes at once or fails:
    /// no_such_file_or_directory (ENOENT) when nothing is at `path`, connection_refused when
    /// a file is there but nobody listens, would_block (EAGAIN) when the backlog is full,
    /// filename_too_long for a path that does not fit (see unix_address::from_path).
    static result<unix_stream> connect(std::string_view path) noexcept {
        auto a = unix_address::from_path(path);
        if (!a) return a.error();
        return connect(*a);
    }
    /// Connects to `addr` (a path or an abstract name). Errors as above.
    static result<unix_stream> connect(const unix_address& addr) noexcept {
        auto h = detail::sys::open_socket(detail::sys::address_family::local, detail::sys::socket_type::stream);
        if (!h) return h.error();
        unix_stream s(*h);
        if (auto r = detail::sys::connect(*h, addr.native_ptr(), addr.native_size()); !r) return r.error();
        return s;
    }

    /// Two streams connected to each other (socketpair). Errors: EMFILE, ENFILE.
    static result<std::pair<unix_stream, unix_stream>> pair() noexcept {
        auto p = detail::sys::socket_pair(detail::sys::socket_type::stream);
        if (!p) return p.error();
        return std::pair<unix_stream, unix_stream>(unix_stream(p->first), unix_stream(p->second));
    }

    /// Adopts `fd`, a connected AF_UNIX stream socket; the caller has made it non-blocking.
    static unix_stream from_native(source_handle h) noexcept { return unix_stream(h); }

    /// The peer's address (the listener's path or name; unnamed for a pair()). Errors: ENOTCONN.
    result<unix_address> peer_addr() const noexcept { return peer_address(); }

    /// The peer's pid, uid and gid as of connect (SO_PEERCRED on Linux; getpeereid elsewhere,
    /// without the pid). Errors: ENOTCONN, EBADF, operation_not_supported where neither exists.
    result<peer_credentials> peer_cred() const noexcept {
        auto c = detail::sys::peer_credentials(io_.get());
        if (!c) return c.error();
        return peer_credentials{c->pid, c->uid, c->gid};
    }

private:
    friend class unix_listener;
    explicit unix_stream(source_handle h) noexcept : stream_io(h) {}
};

}  // namespace mio::net
