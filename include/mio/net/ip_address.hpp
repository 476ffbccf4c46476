// mio::net::ipv4_address and mio::net::ipv6_address: IP addresses as plain values
// (Rust's Ipv4Addr and Ipv6Addr). No OS call: parsing and printing are done here, in
// bounded loops over the input, so untrusted text can be fed to parse() safely.
#pragma once

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

namespace mio::detail {

constexpr int hex_digit_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/// Dotted-decimal IPv4: exactly four parts of one to three digits, each at most 255, no
/// leading zeros (so "010" is never read as octal, as inet_aton would), nothing else.
constexpr std::optional<std::array<std::uint8_t, 4>> parse_ipv4(std::string_view s) noexcept {
    std::array<std::uint8_t, 4> out{};
    std::size_t i = 0;
    for (std::size_t part = 0; part < 4; ++part) {
        if (part > 0) {
            if (i >= s.size() || s[i] != '.') return std::nullopt;
            ++i;
        }
        std::size_t start = i;
        unsigned value = 0;
        while (i < s.size() && i - start < 3 && s[i] >= '0' && s[i] <= '9') value = value * 10 + unsigned(s[i++] - '0');
        std::size_t digits = i - start;
        if (digits == 0 || (digits > 1 && s[start] == '0') || value > 255) return std::nullopt;
        out[part] = static_cast<std::uint8_t>(value);
    }
    if (i != s.size()) return std::nullopt;
    return out;
}

/// IPv6 text as RFC 4291 section 2.2 defines it: eight groups of one to four hex digits,
/// one "::" standing for one or more zero groups, an optional dotted IPv4 tail. No zone
/// ("%..."): socket_address parses that.
constexpr std::optional<std::array<std::uint8_t, 16>> parse_ipv6(std::string_view s) noexcept {
    // Longest valid text: eight 4-digit groups (39) or six groups and an IPv4 tail (45).
    if (s.size() < 2 || s.size() > 45) return std::nullopt;
    std::array<std::uint16_t, 8> groups{};
    std::size_t n = 0;      // groups read
    std::ptrdiff_t gap = -1;  // where "::" stands, in groups
    std::size_t i = 0;
    const std::size_t len = s.size();
    if (s[0] == ':') {
        if (s[1] != ':') return std::nullopt;
        gap = 0;
        i = 2;
    }
    while (i < len) {
        std::size_t end = i;
        bool dotted = false;
        while (end < len && s[end] != ':') dotted |= s[end++] == '.';
        std::string_view piece = s.substr(i, end - i);
        if (dotted) {  // an IPv4 tail: last, and room for two groups
            if (end != len || n > 6) return std::nullopt;
            auto v4 = parse_ipv4(piece);
            if (!v4) return std::nullopt;
            groups[n++] = static_cast<std::uint16_t>(((*v4)[0] << 8) | (*v4)[1]);
            groups[n++] = static_cast<std::uint16_t>(((*v4)[2] << 8) | (*v4)[3]);
            i = end;
            break;
        }
        if (piece.empty() || piece.size() > 4 || n == 8) return std::nullopt;
        unsigned value = 0;
        for (char c : piece) {
            int d = hex_digit_value(c);
            if (d < 0) return std::nullopt;
            value = value * 16 + unsigned(d);
        }
        groups[n++] = static_cast<std::uint16_t>(value);
        i = end;
        if (i == len) break;
        ++i;  // the ':'
        if (i == len) return std::nullopt;  // a lone trailing ':'
        if (s[i] == ':') {
            if (gap >= 0) return std::nullopt;  // a second "::"
            gap = static_cast<std::ptrdiff_t>(n);
            ++i;
        }
    }
    if (gap < 0 ? n != 8 : n > 7) return std::nullopt;
    std::array<std::uint16_t, 8> full{};
    std::size_t head = gap < 0 ? n : static_cast<std::size_t>(gap);
    for (std::size_t k = 0; k < head; ++k) full[k] = groups[k];
    for (std::size_t k = head; k < n; ++k) full[8 - (n - k)] = groups[k];
    std::array<std::uint8_t, 16> out{};
    for (std::size_t k = 0; k < 8; ++k) {
        out[2 * k] = static_cast<std::uint8_t>(full[k] >> 8);
        out[2 * k + 1] = static_cast<std::uint8_t>(full[k] & 0xff);
    }
    return out;
}

/// Longest text format_ipv4/format_ipv6 write: "255.255.255.255" and
/// "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" (an IPv4-mapped one is shorter).
inline constexpr std::size_t ipv4_text_max = 15;
inline constexpr std::size_t ipv6_text_max = 39;

/// Writes "a.b.c.d" into `out` (at least ipv4_text_max chars); returns the length.
constexpr std::size_t format_ipv4(const std::array<std::uint8_t, 4>& a, char* out) noexcept {
    std::size_t n = 0;
    for (std::size_t k = 0; k < 4; ++k) {
        if (k > 0) out[n++] = '.';
        unsigned v = a[k];
        if (v >= 100) out[n++] = char('0' + v / 100);
        if (v >= 10) out[n++] = char('0' + v / 10 % 10);
        out[n++] = char('0' + v % 10);
    }
    return n;
}

/// Writes the RFC 5952 form into `out` (at least ipv6_text_max chars); returns the length:
/// lower-case hex without leading zeros, the longest run (first on a tie) of two or more
/// zero groups as "::", and IPv4-mapped addresses as "::ffff:a.b.c.d".
constexpr std::size_t format_ipv6(const std::array<std::uint8_t, 16>& b, char* out) noexcept {
    constexpr char hex[] = "0123456789abcdef";
    bool mapped = true;
    for (std::size_t k = 0; k < 10; ++k) mapped = mapped && b[k] == 0;
    if (mapped && b[10] == 0xff && b[11] == 0xff) {
        const char prefix[] = "::ffff:";
        std::size_t n = 0;
        for (std::size_t k = 0; k + 1 < sizeof prefix; ++k) out[n++] = prefix[k];
        return n + format_ipv4({b[12], b[13], b[14], b[15]}, out + n);
    }
    std::array<unsigned, 8> g{};
    for (std::size_t k = 0; k < 8; ++k) g[k] = unsigned(b[2 * k]) << 8 | b[2 * k + 1];
    std::size_t best_at = 8, best_len = 0;
    for (std::size_t k = 0; k < 8;) {
        if (g[k] != 0) { ++k; continue; }
        std::size_t run = k;
        while (run < 8 && g[run] == 0) ++run;
        if (run - k > best_len) best_at = k, best_len = run - k;
        k = run;
    }
    if (best_len < 2) best_at = 8, best_len = 0;
    std::size_t n = 0;
    for (std::size_t k = 0; k < 8;) {
        if (k == best_at) {
            out[n++] = ':';
            out[n++] = ':';
            k += best_len;
            continue;
        }
        if (k > 0 && k != best_at + best_len) out[n++] = ':';
        bool started = false;
        for (int shift = 12; shift >= 0; shift -= 4) {
            unsigned d = (g[k] >> shift) & 0xf;
            if (d != 0 || started || shift == 0) {
                out[n++] = hex[d];
                started = true;
            }
        }
        ++k;
    }
    return n;
}

}  // namespace mio::detail

namespace mio::net {

/// An IPv4 address (Rust's Ipv4Addr). A regular value type: the default is 0.0.0.0.
class ipv4_address {
public:
    static const ipv4_address loopback;   ///< 127.0.0.1
    static const ipv4_address any;        ///< 0.0.0.0 (INADDR_ANY)
    static const ipv4_address broadcast;  ///< 255.255.255.255

    constexpr ipv4_address() noexcept = default;
    constexpr ipv4_address(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) noexcept
        : octets_{a, b, c, d} {}
    constexpr explicit ipv4_address(const std::array<std::uint8_t, 4>& octets) noexcept : octets_(octets) {}

    /// From the address as a host-order integer (127.0.0.1 is 0x7f000001).
    static constexpr ipv4_address from_bits(std::uint32_t bits) noexcept {
        return {std::uint8_t(bits >> 24), std::uint8_t(bits >> 16), std::uint8_t(bits >> 8), std::uint8_t(bits)};
    }
    /// The address as a host-order integer.
    constexpr std::uint32_t to_bits() const noexcept {
        return std::uint32_t(octets_[0]) << 24 | std::uint32_t(octets_[1]) << 16 | std::uint32_t(octets_[2]) << 8 |
               octets_[3];
    }

    constexpr std::array<std::uint8_t, 4> octets() const noexcept { return octets_; }

    /// Parses dotted-decimal text ("192.168.0.1"): four decimal parts, each 0-255, without
    /// leading zeros, signs, spaces or anything else. Errors: invalid_argument.
    static result<ipv4_address> parse(std::string_view text) noexcept {
        auto o = detail::parse_ipv4(text);
        if (!o) return std::errc::invalid_argument;
        return ipv4_address(*o);
    }

    std::string to_string() const {
        char buf[detail::ipv4_text_max];
        return std::string(buf, detail::format_ipv4(octets_, buf));
    }

    constexpr bool is_unspecified() const noexcept { return to_bits() == 0; }
    constexpr bool is_loopback() const noexcept { return octets_[0] == 127; }           ///< 127.0.0.0/8
    constexpr bool is_multicast() const noexcept { return (octets_[0] & 0xf0) == 224; }  ///< 224.0.0.0/4
    constexpr bool is_broadcast() const noexcept { return to_bits() == 0xffffffffu; }
    constexpr bool is_link_local() const noexcept { return octets_[0] == 169 && octets_[1] == 254; }
    /// 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (RFC 1918).
    constexpr bool is_private() const noexcept {
        return octets_[0] == 10 || (octets_[0] == 172 && (octets_[1] & 0xf0) == 16) ||
               (octets_[0] == 192 && octets_[1] == 168);
    }

    friend constexpr bool operator==(const ipv4_address&, const ipv4_address&) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const ipv4_address&, const ipv4_address&) noexcept = default;

    friend std::ostream& operator<<(std::ostream& os, const ipv4_address& a) {
        char buf[detail::ipv4_text_max];
        return os.write(buf, static_cast<std::streamsize>(detail::format_ipv4(a.octets_, buf)));
    }

private:
    std::array<std::uint8_t, 4> octets_{};
};

inline constexpr ipv4_address ipv4_address::loopback{127, 0, 0, 1};
inline constexpr ipv4_address ipv4_address::any{0, 0, 0, 0};
inline constexpr ipv4_address ipv4_address::broadcast{255, 255, 255, 255};

/// An IPv6 address (Rust's Ipv6Addr), without zone: the scope id lives in socket_address.
/// A regular value type: the default is ::.
class ipv6_address {
public:
    static const ipv6_address loopback;  ///< ::1
    static const ipv6_address any;       ///< :: (in6addr_any)

    constexpr ipv6_address() noexcept = default;
    constexpr explicit ipv6_address(const std::array<std::uint8_t, 16>& octets) noexcept : octets_(octets) {}
    /// From eight 16-bit groups, most significant first: ipv6_address(0xfe80, 0, 0, 0, 0, 0, 0, 1).
    constexpr ipv6_address(std::uint16_t a, std::uint16_t b, std::uint16_t c, std::uint16_t d, std::uint16_t e,
                           std::uint16_t f, std::uint16_t g, std::uint16_t h) noexcept {
        const std::uint16_t s[8] = {a, b, c, d, e, f, g, h};
        for (std::size_t k = 0; k < 8; ++k) {
            octets_[2 * k] = static_cast<std::uint8_t>(s[k] >> 8);
            octets_[2 * k + 1] = static_cast<std::uint8_t>(s[k] & 0xff);
        }
    }

    constexpr std::array<std::uint8_t, 16> octets() const noexcept { return octets_; }
    /// The eight 16-bit groups, most significant first.
    constexpr std::array<std::uint16_t, 8> segments() const noexcept {
        std::array<std::uint16_t, 8> s{};
        for (std::size_t k = 0; k < 8; ++k) s[k] = static_cast<std::uint16_t>(octets_[2 * k] << 8 | octets_[2 * k + 1]);
        return s;
    }

    /// Parses RFC 4291 text ("::1", "fe80::1", "::ffff:192.0.2.1"): hex groups of up to four
    /// digits, one "::", an optional dotted IPv4 tail. No zone ("%2") and no brackets: use
    /// socket_address::parse for those. Errors: invalid_argument.
    static result<ipv6_address> parse(std::string_view text) noexcept {
        auto o = detail::parse_ipv6(text);
        if (!o) return std::errc::invalid_argument;
        return ipv6_address(*o);
    }

    /// RFC 5952 text: "fe80::1", "::", "::ffff:192.0.2.1". parse(to_string()) == *this.
    std::string to_string() const {
        char buf[detail::ipv6_text_max];
        return std::string(buf, detail::format_ipv6(octets_, buf));
    }

    constexpr bool is_unspecified() const noexcept { return *this == any; }
    constexpr bool is_loopback() const noexcept { return *this == loopback; }
    constexpr bool is_multicast() const noexcept { return octets_[0] == 0xff; }  ///< ff00::/8
    /// fe80::/10.
    constexpr bool is_unicast_link_local() const noexcept { return octets_[0] == 0xfe && (octets_[1] & 0xc0) == 0x80; }

    /// The IPv4 address of an IPv4-mapped one (::ffff:a.b.c.d), else nullopt.
    constexpr std::optional<ipv4_address> to_ipv4_mapped() const noexcept {
        for (std::size_t k = 0; k < 10; ++k)
            if (octets_[k] != 0) return std::nullopt;
        if (octets_[10] != 0xff || octets_[11] != 0xff) return std::nullopt;
        return ipv4_address(octets_[12], octets_[13], octets_[14], octets_[15]);
    }
    /// ::ffff:a.b.c.d, the form an IPv4 peer has on a dual-stack IPv6 socket.
    static constexpr ipv6_address from_ipv4_mapped(ipv4_address a) noexcept {
        auto o = a.octets();
        return ipv6_address(std::array<std::uint8_t, 16>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, o[0], o[1], o[2], o[3]});
    }

    friend constexpr bool operator==(const ipv6_address&, const ipv6_address&) noexcept = default;
    friend constexpr std::strong_ordering operator<=>(const ipv6_address&, const ipv6_address&) noexcept = default;

    friend std::ostream& operator<<(std::ostream& os, const ipv6_address& a) {
        char buf[detail::ipv6_text_max];
        return os.write(buf, static_cast<std::streamsize>(detail::format_ipv6(a.octets_, buf)));
    }

private:
    std::array<std::uint8_t, 16> octets_{};
};

inline constexpr ipv6_address ipv6_address::loopback{0, 0, 0, 0, 0, 0, 0, 1};
inline constexpr ipv6_address ipv6_address::any{};

}  // namespace mio::net

template <>
struct std::hash<mio::net::ipv4_address> {
    std::size_t operator()(const mio::net::ipv4_address& a) const noexcept {
        return std::hash<std::uint32_t>{}(a.to_bits());
    }
};

template <>
struct std::hash<mio::net::ipv6_address> {
    std::size_t operator()(const mio::net::ipv6_address& a) const noexcept {
        std::uint64_t hi = 0, lo = 0;
        auto o = a.octets();
        for (std::size_t k = 0; k < 8; ++k) hi = hi << 8 | o[k];
        for (std::size_t k = 8; k < 16; ++k) lo = lo << 8 | o[k];
        return std::hash<std::uint64_t>{}(hi ^ (lo + 0x9e3779b97f4a7c15ull + (hi << 6) + (hi >> 2)));
    }
};
