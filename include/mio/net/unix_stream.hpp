// mio::net::unix_stream: a non-blocking Unix-domain stream socket (mio's UnixStream).
#pragma once

#include <mio/detail/io_fd.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/net/unix_address.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string_view>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>
#include <utility>

namespace mio::net {

/// Who is at the other end of a Unix-domain stream (mio's UCred). `pid` is nullopt where
/// the OS does not tell it (the BSDs' getpeereid).
struct peer_credentials {
    std::optional<pid_t> pid;
    uid_t uid;
    gid_t gid;
};

class unix_listener;

/// A connected Unix-domain stream socket. A source: register it readable and/or writable.
/// Non-blocking and close-on-exec from birth; movable, not copyable; closed (and so removed
/// from any registry) on destruction. Sends never raise SIGPIPE: a write to a closed peer
/// fails with EPIPE.
class unix_stream {
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
        auto fd = detail::sock::open(AF_UNIX, SOCK_STREAM);
        if (!fd) return fd.error();
        unix_stream s(*fd);
        auto r = detail::unix_sock::connect(*fd, addr);
        if (!r) return r.error();
        return s;
    }

    /// Two streams connected to each other (socketpair). Errors: EMFILE, ENFILE.
    static result<std::pair<unix_stream, unix_stream>> pair() noexcept {
        auto p = detail::unix_sock::pair(SOCK_STREAM);
        if (!p) return p.error();
        return std::pair<unix_stream, unix_stream>(unix_stream(p->first), unix_stream(p->second));
    }

    /// Adopts `fd`, a connected AF_UNIX stream socket; the caller has made it non-blocking.
    static unix_stream from_native(int fd) noexcept { return unix_stream(fd); }

    /// Reads into `buf`. Returns 0 at end of stream (or for an empty `buf`).
    /// Errors: would_block when nothing is buffered (the source is re-armed), ECONNRESET.
    result<std::size_t> read(std::span<std::byte> buf) noexcept { return io_.read(buf.data(), buf.size()); }
    result<std::size_t> read(std::span<char> buf) noexcept { return io_.read(buf.data(), buf.size()); }

    /// Like read, but leaves the data in the socket (MSG_PEEK).
    result<std::size_t> peek(std::span<std::byte> buf) noexcept {
        return detail::sock::recv(io_, buf.data(), buf.size(), MSG_PEEK);
    }
    result<std::size_t> peek(std::span<char> buf) noexcept {
        return detail::sock::recv(io_, buf.data(), buf.size(), MSG_PEEK);
    }

    /// Writes some of `buf` and returns how much. Errors: would_block when the socket buffer
    /// is full, EPIPE after the peer closed or after shutdown(write).
    result<std::size_t> write(std::span<const std::byte> buf) noexcept {
        return detail::sock::send(io_, buf.data(), buf.size());
    }
    result<std::size_t> write(std::span<const char> buf) noexcept {
        return detail::sock::send(io_, buf.data(), buf.size());
    }

    /// Reads into up to 64 buffers in order (more are ignored: a short read, as POSIX allows).
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept { return io_.readv(bufs); }

    /// Writes from up to 64 buffers in order, through sendmsg so that it never raises SIGPIPE.
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept {
        iovec iov[detail::max_iov];
        msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(detail::io_fd::to_iov(bufs, iov));
        return io_.io([&] { return ::sendmsg(io_.get(), &msg, MSG_NOSIGNAL); });
    }

    /// Shuts down the read half, the write half or both. The peer sees a read-closed event
    /// and reads 0 once the write half is shut. Errors: ENOTCONN.
    result<void> shutdown(shutdown_how how) noexcept { return detail::sock::shutdown(io_.get(), how); }

    /// This end's address (usually unnamed for a connecting stream).
    result<unix_address> local_addr() const noexcept { return detail::unix_sock::name(io_.get(), false); }
    /// The peer's address (the listener's path or name; unnamed for a pair()). Errors: ENOTCONN.
    result<unix_address> peer_addr() const noexcept { return detail::unix_sock::name(io_.get(), true); }

    /// The peer's pid, uid and gid as of connect (SO_PEERCRED on Linux; getpeereid elsewhere,
    /// without the pid). Errors: ENOTCONN, EBADF, operation_not_supported where neither exists.
    result<peer_credentials> peer_cred() const noexcept {
#if MIO_OS_LINUX
        auto c = detail::sock::get_option<ucred>(io_.get(), SOL_SOCKET, SO_PEERCRED);
        if (!c) return c.error();
        return peer_credentials{c->pid, c->uid, c->gid};
#elif MIO_OS_BSD
        uid_t uid;
        gid_t gid;
        if (::getpeereid(io_.get(), &uid, &gid) < 0) return last_error();
        return peer_credentials{std::nullopt, uid, gid};
#else
        return std::errc::operation_not_supported;
#endif
    }

    /// The pending socket error (SO_ERROR), clearing it; a falsy error_code when none.
    result<std::error_code> take_error() const noexcept { return detail::sock::take_error(io_.get()); }

    /// Borrows the fd.
    int native_handle() const noexcept { return io_.get(); }
    /// Gives the fd up, unclosed (and still registered where it was).
    int release() noexcept { return io_.release(); }
    /// Registration bookkeeping (used by basic_registry).
    io_source_state& io_state() noexcept { return io_.state(); }

private:
    friend class unix_listener;
    explicit unix_stream(int fd) noexcept : io_(fd) {}

    detail::io_fd io_;
};

}  // namespace mio::net
