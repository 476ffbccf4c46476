// mio::net::socket_address: an IPv4 or IPv6 address with a port (Rust's SocketAddr).
// A plain value, independent of the OS; the conversions to and from the OS's sockaddr
// structures are in <mio/net/detail/sockaddr.hpp>.
#pragma once

#include <mio/net/ip_address.hpp>
#include <mio/result.hpp>

#include <array>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>

namespace mio::detail {

/// A decimal number of at least one digit (leading zeros allowed, as Rust's parser
/// allows them in ports and scope ids) that is at most `max`; nullopt otherwise.
constexpr std::optional<std::uint32_t> parse_decimal(std::string_view s, std::uint32_t max) noexcept {
    if (s.empty()) return std::nullopt;
    std::uint64_t value = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + std::uint64_t(c - '0');
        if (value > max) return std::nullopt;  // stops before it can overflow
    }
    return static_cast<std::uint32_t>(value);
}

/// Writes `v` in decimal into `out` (at least 10 chars); returns the length.
constexpr std::size_t format_decimal(std::uint32_t v, char* out) noexcept {
    char tmp[10];
    std::size_t n = 0;
    do {
        tmp[n++] = char('0' + v % 10);
        v /= 10;
    } while (v != 0);
    for (std::size_t k = 0; k < n; ++k) out[k] = tmp[n - 1 - k];
    return n;
}

}  // namespace mio::detail

namespace mio::net {

/// An IPv4 or IPv6 socket address: IP, port and, for IPv6, flow info and scope id.
/// A regular value type (the default is 0.0.0.0:0), totally ordered as Rust orders
/// SocketAddr: every IPv4 address before every IPv6 one, then by IP, port, flow info and
/// scope id. Hashable (std::hash) and printable (operator<< writes to_string()).
class socket_address {
public:
    constexpr socket_address() noexcept = default;
    constexpr socket_address(ipv4_address ip, std::uint16_t port) noexcept : port_(port) { set_ip(ip); }
    /// `flowinfo` and `scope_id` are host-order numbers; scope_id is an interface index
    /// (it matters for link-local addresses such as fe80::1).
    constexpr socket_address(ipv6_address ip, std::uint16_t port, std::uint32_t flowinfo = 0,
                             std::uint32_t scope_id = 0) noexcept
        : port_(port), flowinfo_(flowinfo), scope_id_(scope_id) {
        set_ip(ip);
    }

    /// Parses "a.b.c.d:port", "[ipv6]:port" or "[ipv6%scope]:port" with a numeric scope id
    /// ("[fe80::1%2]:80"). The port is decimal, 0-65535. Interface names ("%eth0") are not
    /// accepted (resolving them needs the OS); neither is an IPv6 address without brackets,
    /// nor anything around the address (spaces, a trailing newline). The input is untrusted
    /// text: every read is bounds-checked and nothing is allocated.
    /// Errors: invalid_argument for anything else.
    static result<socket_address> parse(std::string_view text) noexcept {
        auto a = parse_or_nullopt(text);
        if (!a) return std::errc::invalid_argument;
        return *a;
    }

    constexpr bool is_ipv4() const noexcept { return !v6_; }
    constexpr bool is_ipv6() const noexcept { return v6_; }

    constexpr std::uint16_t port() const noexcept { return port_; }
    constexpr void set_port(std::uint16_t port) noexcept { port_ = port; }

    /// The IP address, IPv4 or IPv6.
    constexpr std::variant<ipv4_address, ipv6_address> ip() const noexcept {
        if (v6_) return ipv6_address(bytes_);
        return ipv4_address(bytes_[0], bytes_[1], bytes_[2], bytes_[3]);
    }
    /// Replaces the IP. Switching to IPv4 clears flow info and scope id.
    constexpr void set_ip(ipv4_address ip) noexcept {
        v6_ = false;
        bytes_ = {};
        auto o = ip.octets();
        for (std::size_t k = 0; k < 4; ++k) bytes_[k] = o[k];
        flowinfo_ = scope_id_ = 0;
    }
    constexpr void set_ip(ipv6_address ip) noexcept {
        v6_ = true;
        bytes_ = ip.octets();
    }

    /// IPv6 flow info (host order); always 0 for IPv4.
    constexpr std::uint32_t flowinfo() const noexcept { return flowinfo_; }
    /// IPv6 scope id (an interface index); always 0 for IPv4.
    constexpr std::uint32_t scope_id() const noexcept { return scope_id_; }
    /// Ignored for an IPv4 address.
    constexpr void set_flowinfo(std::uint32_t v) noexcept {
        if (v6_) flowinfo_ = v;
    }
    /// Ignored for an IPv4 address.
    constexpr void set_scope_id(std::uint32_t v) noexcept {
        if (v6_) scope_id_ = v;
    }

    /// Longest to_string(): "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff%4294967295]:65535".
    static constexpr std::size_t max_text_size = 1 + detail::ipv6_text_max + 1 + 10 + 2 + 5;

    /// "127.0.0.1:8080", "[::1]:8080", "[fe80::1%2]:80". Flow info is not written, so
    /// parse(to_string()) == *this whenever flowinfo() is 0.
    std::string to_string() const {
        char buf[max_text_size];
        return std::string(buf, format(buf));
    }

    /// Writes to_string() into `out` (at least max_text_size chars) without allocating;
    /// returns the length.
    constexpr std::size_t format(char* out) const noexcept {
        std::size_t n = 0;
        if (!v6_) {
            n = detail::format_ipv4({bytes_[0], bytes_[1], bytes_[2], bytes_[3]}, out);
        } else {
            out[n++] = '[';
            n += detail::format_ipv6(bytes_, out + n);
            if (scope_id_ != 0) {
                out[n++] = '%';
                n += detail::format_decimal(scope_id_, out + n);
            }
            out[n++] = ']';
        }
        out[n++] = ':';
        return n + detail::format_decimal(port_, out + n);
    }

    friend constexpr bool operator==(const socket_address&, const socket_address&) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const socket_address&, const socket_address&) noexcept = default;

    friend std::ostream& operator<<(std::ostream& os, const socket_address& a) {
        char buf[max_text_size];
        return os.write(buf, static_cast<std::streamsize>(a.format(buf)));
    }

private:
    static constexpr std::optional<socket_address> parse_or_nullopt(std::string_view s) noexcept {
        if (s.empty()) return std::nullopt;
        std::string_view host, port_text;
        std::string_view scope_text;
        bool bracketed = s[0] == '[';
        if (bracketed) {
            auto close = s.find(']');
            if (close == std::string_view::npos || close + 1 >= s.size() || s[close + 1] != ':') return std::nullopt;
            host = s.substr(1, close - 1);
            port_text = s.substr(close + 2);
            if (auto pct = host.find('%'); pct != std::string_view::npos) {
                scope_text = host.substr(pct + 1);
                host = host.substr(0, pct);
                if (scope_text.empty()) return std::nullopt;
            }
        } else {
            auto colon = s.find(':');
            if (colon == std::string_view::npos) return std::nullopt;
            host = s.substr(0, colon);
            port_text = s.substr(colon + 1);  // a second ':' makes the port invalid below
        }
        auto port = detail::parse_decimal(port_text, 65535);
        if (!port) return std::nullopt;
        if (!bracketed) {
            auto v4 = detail::parse_ipv4(host);
            if (!v4) return std::nullopt;
            return socket_address(ipv4_address(*v4), static_cast<std::uint16_t>(*port));
        }
        auto v6 = detail::parse_ipv6(host);
        if (!v6) return std::nullopt;
        std::uint32_t scope = 0;
        if (!scope_text.empty()) {
            auto sc = detail::parse_decimal(scope_text, 0xffffffffu);
            if (!sc) return std::nullopt;
            scope = *sc;
        }
        return socket_address(ipv6_address(*v6), static_cast<std::uint16_t>(*port), 0, scope);
    }

    // Declaration order is comparison order (see the class comment).
    bool v6_ = false;
    std::array<std::uint8_t, 16> bytes_{};  // IPv4 in the first four, the rest zero
    std::uint16_t port_ = 0;
    std::uint32_t flowinfo_ = 0;
    std::uint32_t scope_id_ = 0;
};

}  // namespace mio::net

template <>
struct std::hash<mio::net::socket_address> {
    std::size_t operator()(const mio::net::socket_address& a) const noexcept {
        std::size_t h = std::visit([](const auto& ip) { return std::hash<std::decay_t<decltype(ip)>>{}(ip); }, a.ip());
        auto mix = [&h](std::size_t v) { h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2); };
        mix(a.is_ipv6());
        mix(a.port());
        mix(a.flowinfo());
        mix(a.scope_id());
        return h;
    }
};
