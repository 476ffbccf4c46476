// mio::net::tcp_stream: a non-blocking TCP connection (mio's net::TcpStream).
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/net/detail/ip_socket.hpp>
#include <mio/net/detail/socket_io.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
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
/// Every call returns errors as values; none raises SIGPIPE (MSG_NOSIGNAL, or SO_NOSIGPIPE on
/// Apple): writing to a connection the peer reset fails with EPIPE or ECONNRESET.
/// Reads and writes with read(), peek(), write(), readv(), writev() and shutdown() (see
/// detail::stream_io), each taking std::byte, char or unsigned char buffers (mio/buffer.hpp).
/// Also has native_handle(), release(), io_state(), try_io(), local_addr(), take_error(),
/// set_ttl() and ttl() (see detail::socket_base).
class tcp_stream : public detail::stream_io<detail::ip_socket_base> {
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
        auto h = detail::sys::open_socket(detail::ip::family_of(addr), detail::sys::socket_type::stream);
        if (!h) return h.error();
        tcp_stream s(*h);
        if (auto r = detail::sys::connect(*h, detail::sys::to_sockaddr(addr)); !r) return r.error();
        return s;
    }

    /// Adopts a connected (or connecting) TCP socket. The caller has made it non-blocking.
    static tcp_stream from_native(source_handle h) noexcept { return tcp_stream(h); }

    tcp_stream(tcp_stream&&) noexcept = default;
    tcp_stream& operator=(tcp_stream&&) noexcept = default;

    /// TCP_NODELAY: send small segments at once instead of coalescing them (Nagle).
    result<void> set_nodelay(bool on) noexcept { return detail::ip::set_flag(io_.get(), option::tcp_nodelay, on); }
    result<bool> nodelay() const noexcept { return detail::ip::get_flag(io_.get(), option::tcp_nodelay); }

    /// Keep-alive probes: std::nullopt turns them off (SO_KEEPALIVE 0); a keepalive_params
    /// turns them on and sets the fields it has, for example
    /// `s.set_keepalive(mio::net::keepalive_params{.idle = 60s, .interval = 10s, .count = 5})`.
    /// Errors: invalid_argument for a time under 1 s or too large for the OS, or a count
    /// of 0; operation_not_supported where the OS lacks one of the settings.
    result<void> set_keepalive(std::optional<keepalive_params> params) noexcept {
        auto h = io_.get();
        if (!params) return detail::ip::set_flag(h, option::keepalive, false);
        if (params->count && (*params->count == 0 || *params->count > unsigned(std::numeric_limits<int>::max())))
            return std::errc::invalid_argument;
        auto bad_time = [](const std::optional<std::chrono::seconds>& t) {
            return t && (t->count() < 1 || t->count() > std::numeric_limits<int>::max());
        };
        if (bad_time(params->idle) || bad_time(params->interval)) return std::errc::invalid_argument;
        if (auto r = detail::ip::set_flag(h, option::keepalive, true); !r) return r;
        if (params->idle) {
            if (auto r = detail::sys::set_option(h, option::keepalive_idle, static_cast<int>(params->idle->count())); !r)
                return r;
        }
        if (params->interval) {
            auto secs = static_cast<int>(params->interval->count());
            if (auto r = detail::sys::set_option(h, option::keepalive_interval, secs); !r) return r;
        }
        if (params->count) {
            if (auto r = detail::sys::set_option(h, option::keepalive_count, static_cast<int>(*params->count)); !r)
                return r;
        }
        return {};
    }

    /// std::nullopt when keep-alive is off; otherwise the settings in force, every field set
    /// (where the OS has the setting).
    result<std::optional<keepalive_params>> keepalive() const noexcept {
        auto h = io_.get();
        auto on = detail::ip::get_flag(h, option::keepalive);
        if (!on) return on.error();
        if (!*on) return std::optional<keepalive_params>{};
        keepalive_params p;
        if (detail::sys::has_option(option::keepalive_idle)) {
            auto v = detail::sys::get_option(h, option::keepalive_idle);
            if (!v) return v.error();
            p.idle = std::chrono::seconds(*v);
        }
        if (detail::sys::has_option(option::keepalive_interval)) {
            auto v = detail::sys::get_option(h, option::keepalive_interval);
            if (!v) return v.error();
            p.interval = std::chrono::seconds(*v);
        }
        if (detail::sys::has_option(option::keepalive_count)) {
            auto v = detail::sys::get_option(h, option::keepalive_count);
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
        if (t && (t->count() < 0 || t->count() > std::numeric_limits<int>::max())) return std::errc::invalid_argument;
        return detail::sys::set_linger(io_.get(), t ? std::optional<int>(static_cast<int>(t->count())) : std::nullopt);
    }
    result<std::optional<std::chrono::seconds>> linger() const noexcept {
        auto l = detail::sys::linger(io_.get());
        if (!l) return l.error();
        if (!*l) return std::optional<std::chrono::seconds>{};
        return std::optional<std::chrono::seconds>(std::chrono::seconds(**l));
    }

    /// The address of the other end. Errors: ENOTCONN while connecting or after a failed
    /// connect (see connect).
    result<socket_address> peer_addr() const noexcept { return peer_address(); }

private:
    using option = detail::sys::socket_option;
    explicit tcp_stream(source_handle h) noexcept : stream_io(h) {}
};

}  // namespace mio::net
