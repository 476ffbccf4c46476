// What the TCP and UDP suites share: a fixture with a poll and an fd-leak check, a helper
// that polls until a source's event arrives, and a connected TCP pair.
#pragma once

#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_listener.hpp>
#include <mio/net/tcp_stream.hpp>
#include <mio/net/udp_socket.hpp>

#include "backends.hpp"
#include "fd_count.hpp"

#include <gtest/gtest.h>

#if !defined(_WIN32)
#  include <sys/socket.h>
#endif

#include <chrono>
#include <optional>
#include <ostream>
#include <span>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace mio_test {

using namespace std::chrono_literals;

inline const mio::net::socket_address any_port_v4{mio::net::ipv4_address::loopback, 0};
inline const mio::net::socket_address any_port_v6{mio::net::ipv6_address::loopback, 0};

/// True when this host can bind ::1 (some containers have no IPv6 at all).
inline bool have_ipv6() { return bool(mio::net::udp_socket::bind(any_port_v6)); }

inline std::span<const char> text(std::string_view s) { return {s.data(), s.size()}; }

template <class R>
bool would_block(const R& r) {
    return !r && mio::is_would_block(r.error());
}

/// An event's flags, copied out (event views die with the next poll).
struct seen {
    bool readable = false, writable = false, error = false, read_closed = false, write_closed = false;
    seen& operator|=(const seen& o) {
        readable |= o.readable, writable |= o.writable, error |= o.error;
        read_closed |= o.read_closed, write_closed |= o.write_closed;
        return *this;
    }
    friend std::ostream& operator<<(std::ostream& os, const seen& s) {
        return os << "{readable " << s.readable << ", writable " << s.writable << ", error " << s.error
                  << ", read_closed " << s.read_closed << ", write_closed " << s.write_closed << "}";
    }
};

/// A poll for backend B with the fd-leak check (poll_fixture), plus the network helpers.
template <class B>
class net_fixture : public poll_fixture<B> {
protected:
    using typename poll_fixture<B>::poll_type;
    using poll_fixture<B>::poll_;
    using poll_fixture<B>::events_;

    auto& registry() { return poll_->registry(); }

    /// Polls until the events for `t`, OR-ed together, satisfy `done`; nullopt after `limit`.
    template <class Pred>
    std::optional<seen> wait_for(mio::token t, Pred done, std::chrono::milliseconds limit = 5s) {
        seen acc;
        bool any = false;
        auto deadline = std::chrono::steady_clock::now() + limit;
        while (std::chrono::steady_clock::now() < deadline) {
            auto r = poll_->poll(events_, 50ms);
            if (!r && r.error() != std::errc::interrupted) {
                ADD_FAILURE() << "poll: " << r.error().message();
                return std::nullopt;
            }
            for (auto e : events_) {
                if (e.token() != t) continue;
                any = true;
                acc |= seen{e.is_readable(), e.is_writable(), e.is_error(), e.is_read_closed(), e.is_write_closed()};
            }
            if (any && done(acc)) return acc;
        }
        return std::nullopt;
    }
    std::optional<seen> wait_for(mio::token t, std::chrono::milliseconds limit = 5s) {
        return wait_for(t, [](const seen&) { return true; }, limit);
    }

    /// Every token that had an event during `d`.
    std::vector<mio::token> tokens_during(std::chrono::milliseconds d) {
        std::vector<mio::token> out;
        auto deadline = std::chrono::steady_clock::now() + d;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!poll_->poll(events_, 10ms)) continue;
            for (auto e : events_) out.push_back(e.token());
        }
        return out;
    }
};

/// A new unconnected, unbound socket as the library makes them (non-blocking, not inherited),
/// made with the OS's own call: for from_native. family AF_INET/AF_INET6, type SOCK_STREAM/DGRAM.
inline auto new_native_socket(int family, int type) {
#if defined(_WIN32)
    SOCKET s = ::WSASocketW(family, type, 0, nullptr, 0, WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
    u_long on = 1;
    if (s != INVALID_SOCKET) ::ioctlsocket(s, FIONBIO, &on);
    return s;
#else
    return ::socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
#endif
}

/// Accepts one connection, retrying on would_block for up to 5 s.
inline mio::result<std::pair<mio::net::tcp_stream, mio::net::socket_address>> accept_one(mio::net::tcp_listener& l) {
    auto deadline = std::chrono::steady_clock::now() + 5s;
    for (;;) {
        auto r = l.accept();
        if (r || !mio::is_would_block(r.error()) || std::chrono::steady_clock::now() > deadline) return r;
        std::this_thread::sleep_for(1ms);
    }
}

struct tcp_pair {
    mio::net::tcp_stream client;
    mio::net::tcp_stream server;
};

/// A connected client and server stream on loopback (the listener is gone when it returns).
inline tcp_pair connected_pair(const mio::net::socket_address& where = any_port_v4) {
    auto l = mio::net::tcp_listener::bind(where);
    if (!l) throw std::system_error(l.error(), "bind");
    auto c = mio::net::tcp_stream::connect(*l->local_addr());
    if (!c) throw std::system_error(c.error(), "connect");
    auto s = accept_one(*l);
    if (!s) throw std::system_error(s.error(), "accept");
    return {std::move(*c), std::move(s->first)};
}

/// Reads what arrives within `limit` (until `want` bytes, retrying on would_block), then
/// drains: as mio asks, it reads until would_block (or end of stream), so that the next
/// event comes on every backend (emulated-edge ones re-arm on would_block).
template <class Stream>
std::string read_some(Stream& s, std::size_t want, std::chrono::milliseconds limit = 5s) {
    std::string got;
    char buf[4096];
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
        auto n = s.read(std::span<char>(buf));
        if (n && *n == 0) break;
        if (n) {
            got.append(buf, *n);
            continue;
        }
        if (!mio::is_would_block(n.error()) || got.size() >= want || std::chrono::steady_clock::now() > deadline) break;
        std::this_thread::sleep_for(1ms);
    }
    return got;
}

}  // namespace mio_test
