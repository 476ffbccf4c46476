// The fuzz targets' bodies, shared by the libFuzzer programs (test/fuzz/fuzz_*.cpp) and by
// the regression test (test/fuzz_regression_test.cpp), which replays every corpus and crash
// file through the same code under GoogleTest. Each target takes untrusted bytes, runs one
// parser or length computation of mio::net on them, and checks properties that must hold
// for every input: no crash or sanitizer report, round trips that give back what went in,
// and agreement with glibc's inet_pton/inet_ntop, the reference every user compares with.
//
// A failed check calls MIO_FUZZ_FAIL(message), which aborts by default (so libFuzzer keeps
// the input as a crash); the regression test redefines it to report a GoogleTest failure.
#pragma once

#include <mio/detail/sys.hpp>
#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/unix_address.hpp>

#include <arpa/inet.h>
#include <sys/un.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>

namespace mio_fuzz {

[[noreturn]] inline void die(const char* what, const char* file, int line) {
    std::fprintf(stderr, "%s:%d: fuzz check failed: %s\n", file, line, what);
    std::abort();
}

}  // namespace mio_fuzz

#ifndef MIO_FUZZ_FAIL
#  define MIO_FUZZ_FAIL(what) ::mio_fuzz::die(what, __FILE__, __LINE__)
#endif

// Checks `cond`; on failure reports it and leaves the target (later steps rely on it).
#define MIO_FUZZ_REQUIRE(cond)          \
    do {                                \
        if (!(cond)) {                  \
            MIO_FUZZ_FAIL(#cond);       \
            return;                     \
        }                               \
    } while (0)

namespace mio_fuzz {

using mio::net::ipv4_address;
using mio::net::ipv6_address;
using mio::net::socket_address;
using mio::net::unix_address;

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// glibc's answer for `text` (which it needs NUL-terminated; a text with a NUL inside is
// never an address, for glibc or for mio).
template <std::size_t N>
inline bool glibc_parse(int family, std::string_view text, std::array<std::uint8_t, N>& out) {
    if (text.find('\0') != std::string_view::npos) return false;
    std::string z(text);
    return ::inet_pton(family, z.c_str(), out.data()) == 1;
}

// Properties of an IPv4 address mio produced: its text is what glibc prints, and parses back.
inline void check_ipv4_value(const ipv4_address& a) {
    auto text = a.to_string();
    MIO_FUZZ_REQUIRE(text.size() <= mio::detail::ipv4_text_max);
    char ref[INET_ADDRSTRLEN];
    auto o = a.octets();
    MIO_FUZZ_REQUIRE(::inet_ntop(AF_INET, o.data(), ref, sizeof ref) != nullptr);
    MIO_FUZZ_REQUIRE(text == ref);
    auto back = ipv4_address::parse(text);
    MIO_FUZZ_REQUIRE(back && *back == a);
}

// Properties of an IPv6 address: its text fits the documented bound, parses back to the
// same address with mio and with glibc (mio prints RFC 5952, glibc a slightly different
// form, so the bytes are compared, not the text).
inline void check_ipv6_value(const ipv6_address& a) {
    auto text = a.to_string();
    MIO_FUZZ_REQUIRE(text.size() <= mio::detail::ipv6_text_max);
    auto back = ipv6_address::parse(text);
    MIO_FUZZ_REQUIRE(back && *back == a);
    std::array<std::uint8_t, 16> ref{};
    MIO_FUZZ_REQUIRE(glibc_parse(AF_INET6, text, ref));
    MIO_FUZZ_REQUIRE(ref == a.octets());
    std::ostringstream os;
    os << a;
    MIO_FUZZ_REQUIRE(os.str() == text);
}

// Properties of a socket address: to_string parses back (flow info is not printed), the
// non-allocating format() writes the same within max_text_size, and the OS form converts
// back to the same value.
inline void check_socket_address_value(const socket_address& a) {
    char buf[socket_address::max_text_size + 8];
    std::memset(buf, 0x5a, sizeof buf);
    auto n = a.format(buf);
    MIO_FUZZ_REQUIRE(n <= socket_address::max_text_size);
    for (std::size_t k = socket_address::max_text_size; k < sizeof buf; ++k) MIO_FUZZ_REQUIRE(buf[k] == 0x5a);
    auto text = a.to_string();
    MIO_FUZZ_REQUIRE(text == std::string_view(buf, n));
    auto back = socket_address::parse(text);
    MIO_FUZZ_REQUIRE(back);
    auto expect = a;
    expect.set_flowinfo(0);
    MIO_FUZZ_REQUIRE(*back == expect);
    MIO_FUZZ_REQUIRE(std::hash<socket_address>{}(*back) == std::hash<socket_address>{}(expect));
    auto raw = mio::detail::sys::to_sockaddr(a);
    MIO_FUZZ_REQUIRE(raw.len == (a.is_ipv4() ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)));
    auto again = mio::detail::sys::from_sockaddr(raw);
    MIO_FUZZ_REQUIRE(again && *again == a);
}

/// ipv4_address::parse and ipv6_address::parse on arbitrary text, against inet_pton.
inline void ip_address_parse(const std::uint8_t* data, std::size_t size) {
    auto text = as_text(data, size);

    auto v4 = ipv4_address::parse(text);
    std::array<std::uint8_t, 4> ref4{};
    bool glibc4 = glibc_parse(AF_INET, text, ref4);
    MIO_FUZZ_REQUIRE(bool(v4) == glibc4);
    if (v4) {
        MIO_FUZZ_REQUIRE(v4->octets() == ref4);
        check_ipv4_value(*v4);
    } else {
        MIO_FUZZ_REQUIRE(v4.error() == std::errc::invalid_argument);
    }

    auto v6 = ipv6_address::parse(text);
    std::array<std::uint8_t, 16> ref6{};
    bool glibc6 = glibc_parse(AF_INET6, text, ref6);
    MIO_FUZZ_REQUIRE(bool(v6) == glibc6);
    if (v6) {
        MIO_FUZZ_REQUIRE(v6->octets() == ref6);
        check_ipv6_value(*v6);
    } else {
        MIO_FUZZ_REQUIRE(v6.error() == std::errc::invalid_argument);
    }
}

/// socket_address::parse on arbitrary text: what it accepts has an address glibc accepts
/// too, a port that is the decimal text, and survives every round trip.
inline void socket_address_parse(const std::uint8_t* data, std::size_t size) {
    auto text = as_text(data, size);
    auto a = socket_address::parse(text);
    if (!a) {
        MIO_FUZZ_REQUIRE(a.error() == std::errc::invalid_argument);
        return;
    }
    MIO_FUZZ_REQUIRE(!text.empty());
    MIO_FUZZ_REQUIRE(a->flowinfo() == 0);
    if (a->is_ipv4()) {
        auto colon = text.find(':');
        MIO_FUZZ_REQUIRE(colon != std::string_view::npos);
        std::array<std::uint8_t, 4> ref{};
        MIO_FUZZ_REQUIRE(glibc_parse(AF_INET, text.substr(0, colon), ref));
        MIO_FUZZ_REQUIRE(std::get<ipv4_address>(a->ip()).octets() == ref);
        MIO_FUZZ_REQUIRE(a->scope_id() == 0);
    } else {
        MIO_FUZZ_REQUIRE(text[0] == '[');
        auto close = text.find(']');
        MIO_FUZZ_REQUIRE(close != std::string_view::npos);
        auto host = text.substr(1, close - 1);
        host = host.substr(0, host.find('%'));
        std::array<std::uint8_t, 16> ref{};
        MIO_FUZZ_REQUIRE(glibc_parse(AF_INET6, host, ref));
        MIO_FUZZ_REQUIRE(std::get<ipv6_address>(a->ip()).octets() == ref);
    }
    // The port is the decimal number after the last ':' (leading zeros allowed).
    auto port_text = text.substr(text.rfind(':') + 1);
    unsigned long port = 0;
    for (char c : port_text) {
        MIO_FUZZ_REQUIRE(c >= '0' && c <= '9');
        port = port * 10 + unsigned(c - '0');
        MIO_FUZZ_REQUIRE(port <= 65535);
    }
    MIO_FUZZ_REQUIRE(!port_text.empty() && port == a->port());
    check_socket_address_value(*a);
}

// The first `n` bytes of the input as a number (little-endian), consumed.
template <class T>
inline T take(const std::uint8_t*& data, std::size_t& size) {
    T v{};
    std::size_t n = size < sizeof v ? size : sizeof v;
    for (std::size_t k = 0; k < n; ++k) v = static_cast<T>(v | T(data[k]) << (8 * k));
    data += n;
    size -= n;
    return v;
}

/// detail::sys::from_sockaddr on arbitrary bytes with an arbitrary length (what accept and
/// recvfrom hand back), and socket_address values built from arbitrary fields, through
/// format/to_string/parse/to_sockaddr. The first byte picks which.
inline void sockaddr_roundtrip(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const std::uint8_t mode = data[0];
    ++data, --size;
    if (mode & 1) {
        // Arbitrary fields: every value socket_address can hold.
        auto port = take<std::uint16_t>(data, size);
        socket_address a;
        if (mode & 2) {
            std::array<std::uint8_t, 16> o{};
            for (auto& b : o) b = take<std::uint8_t>(data, size);
            auto flow = take<std::uint32_t>(data, size);
            auto scope = take<std::uint32_t>(data, size);
            a = socket_address(ipv6_address(o), port, flow, scope);
            MIO_FUZZ_REQUIRE(a.is_ipv6() && a.flowinfo() == flow && a.scope_id() == scope);
            check_ipv6_value(ipv6_address(o));
        } else {
            a = socket_address(ipv4_address::from_bits(take<std::uint32_t>(data, size)), port);
            MIO_FUZZ_REQUIRE(a.is_ipv4());
            check_ipv4_value(std::get<ipv4_address>(a.ip()));
        }
        MIO_FUZZ_REQUIRE(a.port() == port);
        check_socket_address_value(a);
        return;
    }
    // What the OS hands back: any bytes, any length, including lengths beyond the storage.
    mio::detail::sys::raw_sockaddr r;
    auto len = take<std::uint16_t>(data, size);
    r.len = static_cast<socklen_t>(len);
    std::memcpy(&r.storage, data, size < sizeof r.storage ? size : sizeof r.storage);
    auto a = mio::detail::sys::from_sockaddr(r);
    if (!a) {
        MIO_FUZZ_REQUIRE(a.error() == std::errc::invalid_argument ||
                         a.error() == std::errc::address_family_not_supported);
        return;
    }
    MIO_FUZZ_REQUIRE(r.family() == AF_INET || r.family() == AF_INET6);
    MIO_FUZZ_REQUIRE(len >= (r.family() == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6)));
    MIO_FUZZ_REQUIRE(len <= sizeof r.storage);
    // Converting back gives the same fields (zero padding aside).
    auto back = mio::detail::sys::to_sockaddr(*a);
    if (r.family() == AF_INET) {
        sockaddr_in in, out;
        std::memcpy(&in, &r.storage, sizeof in);
        std::memcpy(&out, &back.storage, sizeof out);
        MIO_FUZZ_REQUIRE(in.sin_port == out.sin_port);
        MIO_FUZZ_REQUIRE(std::memcmp(&in.sin_addr, &out.sin_addr, sizeof in.sin_addr) == 0);
    } else {
        sockaddr_in6 in, out;
        std::memcpy(&in, &r.storage, sizeof in);
        std::memcpy(&out, &back.storage, sizeof out);
        MIO_FUZZ_REQUIRE(in.sin6_port == out.sin6_port && in.sin6_flowinfo == out.sin6_flowinfo);
        MIO_FUZZ_REQUIRE(in.sin6_scope_id == out.sin6_scope_id);
        MIO_FUZZ_REQUIRE(std::memcmp(&in.sin6_addr, &out.sin6_addr, sizeof in.sin6_addr) == 0);
    }
    check_socket_address_value(*a);
}

// Properties every unix_address has, whichever way it was made.
inline void check_unix_value(const unix_address& a) {
    constexpr std::size_t offset = offsetof(sockaddr_un, sun_path);
    MIO_FUZZ_REQUIRE(a.native_size() >= offset && a.native_size() <= sizeof(sockaddr_un));
    MIO_FUZZ_REQUIRE(a.native().sun_family == AF_UNIX);
    int kinds = int(a.pathname().has_value()) + int(a.abstract_name().has_value()) + int(a.is_unnamed());
    MIO_FUZZ_REQUIRE(kinds == 1);
    if (auto p = a.pathname()) {
        MIO_FUZZ_REQUIRE(!p->empty() && p->size() <= unix_address::path_capacity);
        MIO_FUZZ_REQUIRE(p->find('\0') == std::string_view::npos);
    }
    if (auto n = a.abstract_name()) MIO_FUZZ_REQUIRE(n->size() < unix_address::path_capacity);
    // What the OS would hand back for this address reads back as the same address.
    auto back = unix_address::from_native(a.native(), a.native_size());
    MIO_FUZZ_REQUIRE(back && *back == a);
    unix_address copy = a;
    MIO_FUZZ_REQUIRE(copy == a);
    std::ostringstream os;
    os << a;
    MIO_FUZZ_REQUIRE(!os.str().empty());
}

/// unix_address::from_path, from_abstract and from_native on arbitrary bytes. The first
/// byte picks the constructor (and, for from_native, the length handed in).
inline void unix_address_build(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return;
    const std::uint8_t mode = data[0];
    ++data, --size;
    auto text = as_text(data, size);
    switch (mode % 3) {
    case 0: {
        auto a = unix_address::from_path(text);
        if (text.empty() || text.find('\0') != std::string_view::npos) {
            MIO_FUZZ_REQUIRE(!a && a.error() == std::errc::invalid_argument);
        } else if (text.size() >= unix_address::path_capacity) {
            MIO_FUZZ_REQUIRE(!a && a.error() == std::errc::filename_too_long);
        } else {
            MIO_FUZZ_REQUIRE(a && a->pathname() == text);
            check_unix_value(*a);
        }
        return;
    }
    case 1: {
        auto a = unix_address::from_abstract(text);
#if MIO_OS_LINUX
        if (text.size() >= unix_address::path_capacity) {
            MIO_FUZZ_REQUIRE(!a && a.error() == std::errc::filename_too_long);
        } else {
            MIO_FUZZ_REQUIRE(a && a->abstract_name() == text);
            check_unix_value(*a);
        }
#else
        MIO_FUZZ_REQUIRE(!a);
#endif
        return;
    }
    default: {
        // The OS's bytes in a buffer of exactly `len` bytes, so that AddressSanitizer sees
        // any read past the length; `len` is the next input byte (0-255: past the struct).
        std::size_t len = size > 0 ? data[0] : 0;
        if (size > 0) ++data, --size;
        auto buf = std::make_unique<unsigned char[]>(len + 1);
        for (std::size_t k = 0; k < len; ++k) buf[k] = k < size ? data[k] : 0;
        if (len >= sizeof(sa_family_t) && (mode & 0x80) == 0) {
            sa_family_t family = AF_UNIX;  // most inputs should get past the family check
            std::memcpy(buf.get(), &family, sizeof family);
        }
        auto a = unix_address::from_native(reinterpret_cast<const sockaddr*>(buf.get()), static_cast<socklen_t>(len));
        if (len > sizeof(sockaddr_un)) {
            MIO_FUZZ_REQUIRE(!a && a.error() == std::errc::invalid_argument);
            return;
        }
        if (a) check_unix_value(*a);
        else MIO_FUZZ_REQUIRE(a.error() == std::errc::invalid_argument);
        return;
    }
    }
}

}  // namespace mio_fuzz

