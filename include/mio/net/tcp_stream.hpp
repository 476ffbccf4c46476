// mio::net::tcp_stream: a non-blocking TCP connection (mio's net::TcpStream).
#pragma once

#include <mio/detail/io_fd.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/io_source_state.hpp>
#include <mio/net/detail/ip_socket.hpp>
#include <mio/net/detail/sockaddr.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <optional>
#include <span>
#include <sys/socket.h>
#include <sys/uio.h>
#include <system_error>

namespace mio::net {

/// TCP keep-alive settings for tcp_stream::set_keepalive. A field left empty keeps the
/// OS's current value (Linux defaults: 7200 s idle, 75 s interval, 9 probes).
struct keepalive_params {
    std::optional<std::chrono::seconds> idle{};      ///< idle time before the first probe (TCP_KEEPIDLE)
    std::optional<std::chrono::seconds> interval{};  ///< time between probes (TCP_KEEPINTVL)
    std::optional<std::uint32_t> count{};            ///< unanswered probes before the connection drops (TCP_KEEPCNT)

    friend bool operator==(const keepalive_params&, const keepalive_params&) = default;
};

/// A TCP connection: non-blocking and close-on-exec from birth, closed on destruction
/// (which also removes it from the registry it is in), movable and not copyable. A source:
/// `registry.add(stream, token, interest::readable | interest::writable)`.
///
/// Readiness is edge-triggered: after an event, read (or write) until the call fails with
/// would_block (mio::is_would_block), or no further event may come. read() returning 0
/// means the peer closed its writing half; the event also says is_read_closed().
///
/// Every call returns errors as values; none raises SIGPIPE (sends use MSG_NOSIGNAL):
/// writing to a connection the peer reset fails with EPIPE or ECONNRESET.
class tcp_stream {
public:
    /// Starts connecting to `addr` and returns at once, as mio does. The connection is
    /// not established yet; to learn how it went:
    ///  1. register the stream with interest::writable (readable too if you like);
    ///  2. wait for an event for it (writable, or error / write_closed on failure);
    ///  3. take_error(): an error code (ECONNREFUSED, ETIMEDOUT, ...) means it failed;
    ///  4. peer_addr(): a value means it is connected; ENOTCONN means the event was
    ///     spurious and you go back to 2.
    /// Errors here: those of socket(2), and of connect(2) other than EINPROGRESS (for
    /// example ENETUNREACH, or EADDRNOTAVAIL when out of ephemeral ports).
    static result<tcp_stream> connect(const socket_address& addr) noexcept {
        auto fd = detail::sock::open(detail::ip::family_of(addr), SOCK_STREAM);
        if (!fd) return fd.error();
        tcp_stream s(*fd);
        auto raw = detail::to_sockaddr(addr);
        if (::connect(*fd, raw.get(), raw.len) < 0 && errno != EINPROGRESS) return last_error();
        return s;
    }

    /// Adopts a connected (or connecting) TCP socket. The caller has made it non-blocking.
    static tcp_stream from_native(int fd) noexcept { return tcp_stream(fd); }

    tcp_stream(tcp_stream&&) noexcept = default;
    tcp_stream& operator=(tcp_stream&&) noexcept = default;

    /// Reads what is there into `buf`: the number of bytes, 0 at end of stream (or for an
    /// empty `buf`). Errors: would_block when nothing is buffered, ECONNRESET, ETIMEDOUT.
    // read(2) rather than recv(2) with no flags: the same on a socket, and glibc's read
    // wrapper is a few instructions shorter on the hottest call of a server.
    result<std::size_t> read(std::span<std::byte> buf) noexcept { return io_.read(buf.data(), buf.size()); }
    result<std::size_t> read(std::span<char> buf) noexcept { return io_.read(buf.data(), buf.size()); }

    /// Like read, but the bytes stay in the socket's buffer for the next read.
    result<std::size_t> peek(std::span<std::byte> buf) noexcept {
        return detail::sock::recv(io_, buf.data(), buf.size(), MSG_PEEK);
    }
    result<std::size_t> peek(std::span<char> buf) noexcept { return detail::sock::recv(io_, buf.data(), buf.size(), MSG_PEEK); }

    /// Writes some of `buf` (maybe less than all: write the rest after the next writable
    /// event). Errors: would_block when the send buffer is full, EPIPE, ECONNRESET.
    result<std::size_t> write(std::span<const std::byte> buf) noexcept {
        return detail::sock::send(io_, buf.data(), buf.size());
    }
    result<std::size_t> write(std::span<const char> buf) noexcept { return detail::sock::send(io_, buf.data(), buf.size()); }

    /// Scatter read into up to 64 buffers, in order (more are ignored, as a short read).
    result<std::size_t> readv(std::span<const std::span<std::byte>> bufs) noexcept { return io_.readv(bufs); }

    /// Gather write from up to 64 buffers, in order (more are ignored, as a short write).
    /// Uses sendmsg with MSG_NOSIGNAL, so it never raises SIGPIPE.
    result<std::size_t> writev(std::span<const std::span<const std::byte>> bufs) noexcept {
        ::iovec iov[detail::max_iov];
        ::msghdr msg{};
        msg.msg_iov = iov;
        msg.msg_iovlen = static_cast<decltype(msg.msg_iovlen)>(detail::io_fd::to_iov(bufs, iov));
        return io_.io([&] { return ::sendmsg(io_.get(), &msg, MSG_NOSIGNAL); });
    }

    /// Closes the reading half, the writing half (the peer reads end of stream), or both.
    /// Errors: ENOTCONN.
    result<void> shutdown(shutdown_how how) noexcept { return detail::sock::shutdown(io_.get(), how); }

    /// TCP_NODELAY: send small segments at once instead of coalescing them (Nagle).
    result<void> set_nodelay(bool on) noexcept { return detail::sock::set_flag(io_.get(), IPPROTO_TCP, TCP_NODELAY, on); }
    result<bool> nodelay() const noexcept { return detail::sock::get_flag(io_.get(), IPPROTO_TCP, TCP_NODELAY); }

    /// Unicast TTL (IPv4) or hop limit (IPv6), 1-255. Errors: invalid_argument above 255.
    result<void> set_ttl(std::uint32_t ttl) noexcept { return detail::ip::set_ttl(io_.get(), ttl); }
    result<std::uint32_t> ttl() const noexcept { return detail::ip::ttl(io_.get()); }

    /// Keep-alive probes: std::nullopt turns them off (SO_KEEPALIVE 0); a keepalive_params
    /// turns them on and sets the fields it has, for example
    /// `s.set_keepalive(mio::net::keepalive_params{.idle = 60s, .interval = 10s, .count = 5})`.
    /// Errors: invalid_argument for a time under 1 s or too large for the OS, or a count
    /// of 0; operation_not_supported where the OS lacks one of the settings.
    result<void> set_keepalive(std::optional<keepalive_params> params) noexcept {
        int fd = io_.get();
        if (!params) return detail::sock::set_flag(fd, SOL_SOCKET, SO_KEEPALIVE, false);
        if (params->count && (*params->count == 0 || *params->count > unsigned(std::numeric_limits<int>::max())))
            return std::errc::invalid_argument;
        auto bad_time = [](const std::optional<std::chrono::seconds>& t) {
            return t && (t->count() < 1 || t->count() > std::numeric_limits<int>::max());
        };
        if (bad_time(params->idle) || bad_time(params->interval)) return std::errc::invalid_argument;
        if (auto r = detail::sock::set_flag(fd, SOL_SOCKET, SO_KEEPALIVE, true); !r) return r;
        if (params->idle) {
            if (auto r = set_int(keepidle_option, static_cast<int>(params->idle->count())); !r) return r;
        }
        if (params->interval) {
            if (auto r = set_int(keepintvl_option, static_cast<int>(params->interval->count())); !r) return r;
        }
        if (params->count) {
            if (auto r = set_int(keepcnt_option, static_cast<int>(*params->count)); !r) return r;
        }
        return {};
    }

    /// std::nullopt when keep-alive is off; otherwise the settings in force, every field set
    /// (where the OS has the setting).
    result<std::optional<keepalive_params>> keepalive() const noexcept {
        int fd = io_.get();
        auto on = detail::sock::get_flag(fd, SOL_SOCKET, SO_KEEPALIVE);
        if (!on) return on.error();
        if (!*on) return std::optional<keepalive_params>{};
        keepalive_params p;
        if (keepidle_option >= 0) {
            auto v = detail::sock::get_option<int>(fd, IPPROTO_TCP, keepidle_option);
            if (!v) return v.error();
            p.idle = std::chrono::seconds(*v);
        }
        if (keepintvl_option >= 0) {
            auto v = detail::sock::get_option<int>(fd, IPPROTO_TCP, keepintvl_option);
            if (!v) return v.error();
            p.interval = std::chrono::seconds(*v);
        }
        if (keepcnt_option >= 0) {
            auto v = detail::sock::get_option<int>(fd, IPPROTO_TCP, keepcnt_option);
            if (!v) return v.error();
            p.count = static_cast<std::uint32_t>(*v);
        }
        return std::optional<keepalive_params>(p);
    }

    /// SO_LINGER. std::nullopt (the default): close() returns at once and the OS sends
    /// what is left in the background. Zero: close() discards unsent data and resets the
    /// connection (the peer sees ECONNRESET). A positive time: close() waits for unsent data
    /// up to that long; on Linux it blocks even on a non-blocking socket, so avoid it in an
    /// event loop. Errors: invalid_argument for a negative or too large time.
    result<void> set_linger(std::optional<std::chrono::seconds> t) noexcept {
        ::linger l{};
        if (t) {
            if (t->count() < 0 || t->count() > std::numeric_limits<int>::max()) return std::errc::invalid_argument;
            l.l_onoff = 1;
            l.l_linger = static_cast<int>(t->count());
        }
        return detail::sock::set_option(io_.get(), SOL_SOCKET, SO_LINGER, l);
    }
    result<std::optional<std::chrono::seconds>> linger() const noexcept {
        auto l = detail::sock::get_option<::linger>(io_.get(), SOL_SOCKET, SO_LINGER);
        if (!l) return l.error();
        if (l->l_onoff == 0) return std::optional<std::chrono::seconds>{};
        return std::optional<std::chrono::seconds>(std::chrono::seconds(l->l_linger));
    }

    /// The address of the other end. Errors: ENOTCONN while connecting or after a failed
    /// connect (see connect).
    result<socket_address> peer_addr() const noexcept { return detail::peer_address(io_.get()); }
    /// The address of this end.
    result<socket_address> local_addr() const noexcept { return detail::local_address(io_.get()); }

    /// The pending socket error (SO_ERROR), clearing it: a falsy error_code when there is
    /// none, ECONNREFUSED after a refused connect, and so on.
    result<std::error_code> take_error() const noexcept { return detail::sock::take_error(io_.get()); }

    /// The fd, borrowed (still owned by the stream). -1 after release() or a move.
    int native_handle() const noexcept { return io_.get(); }
    /// Gives the fd up: the stream no longer closes it. It stays registered where it was.
    int release() noexcept { return io_.release(); }
    /// Registration bookkeeping (used by the registry).
    io_source_state& io_state() noexcept { return io_.state(); }

private:
    explicit tcp_stream(int fd) noexcept : io_(fd) {}

    result<void> set_int(int option, int value) noexcept {
        if (option < 0) return std::errc::operation_not_supported;
        return detail::sock::set_option<int>(io_.get(), IPPROTO_TCP, option, value);
    }

#if defined(TCP_KEEPIDLE)
    static constexpr int keepidle_option = TCP_KEEPIDLE;
#elif defined(TCP_KEEPALIVE)  // Apple
    static constexpr int keepidle_option = TCP_KEEPALIVE;
#else
    static constexpr int keepidle_option = -1;
#endif
#if defined(TCP_KEEPINTVL)
    static constexpr int keepintvl_option = TCP_KEEPINTVL;
#else
    static constexpr int keepintvl_option = -1;
#endif
#if defined(TCP_KEEPCNT)
    static constexpr int keepcnt_option = TCP_KEEPCNT;
#else
    static constexpr int keepcnt_option = -1;
#endif

    detail::io_fd io_;
};

}  // namespace mio::net
