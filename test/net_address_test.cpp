// IP addresses and socket addresses as values: parsing (valid and malformed, untrusted text),
// printing (RFC 5952), round trips, ordering, hashing, and the conversions to the OS's
// sockaddr structures. No socket is opened here.
#include <mio/detail/sys.hpp>
#include <mio/net/ip_address.hpp>
#include <mio/net/socket_address.hpp>

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <sys/un.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_set>
#include <variant>
#include <vector>

namespace {

using mio::net::ipv4_address;
using mio::net::ipv6_address;
using mio::net::socket_address;

template <class T>
std::string printed(const T& v) {
    std::ostringstream os;
    os << v;
    return os.str();
}

// ----- compile-time: the value types are literal types -----------------------------------

static_assert(ipv4_address(127, 0, 0, 1) == ipv4_address::loopback);
static_assert(ipv4_address::any.is_unspecified() && ipv4_address::broadcast.is_broadcast());
static_assert(ipv4_address::from_bits(0x7f000001).to_bits() == 0x7f000001);
static_assert(ipv4_address(10, 0, 0, 1) < ipv4_address(10, 0, 0, 2));
static_assert(ipv6_address(0, 0, 0, 0, 0, 0, 0, 1) == ipv6_address::loopback);
static_assert(ipv6_address::loopback.is_loopback() && ipv6_address::any.is_unspecified());
static_assert(ipv6_address(0xfe80, 0, 0, 0, 0, 0, 0, 1).is_unicast_link_local());
static_assert(ipv6_address::from_ipv4_mapped(ipv4_address(1, 2, 3, 4)).to_ipv4_mapped() == ipv4_address(1, 2, 3, 4));
static_assert(mio::detail::parse_ipv4("192.168.1.254") == std::array<std::uint8_t, 4>{192, 168, 1, 254});
static_assert(!mio::detail::parse_ipv4("192.168.01.1"));
static_assert(mio::detail::parse_ipv6("::1").has_value() && !mio::detail::parse_ipv6(":::1").has_value());
static_assert(socket_address(ipv4_address::loopback, 80).port() == 80);
static_assert(socket_address(ipv4_address::loopback, 80) < socket_address(ipv6_address::any, 0));
static_assert(socket_address().is_ipv4() && socket_address().port() == 0);

// ----- ipv4_address ----------------------------------------------------------------------

TEST(ipv4_address, parses_dotted_decimal) {
    struct { const char* text; std::array<std::uint8_t, 4> octets; } cases[] = {
        {"0.0.0.0", {0, 0, 0, 0}},         {"127.0.0.1", {127, 0, 0, 1}},
        {"255.255.255.255", {255, 255, 255, 255}}, {"192.168.100.9", {192, 168, 100, 9}},
        {"10.20.30.40", {10, 20, 30, 40}},
    };
    for (auto& c : cases) {
        auto a = ipv4_address::parse(c.text);
        ASSERT_TRUE(a) << c.text;
        EXPECT_EQ(a->octets(), c.octets) << c.text;
        EXPECT_EQ(a->to_string(), c.text);
        EXPECT_EQ(printed(*a), c.text);
    }
}

TEST(ipv4_address, refuses_what_is_not_exactly_four_decimal_parts) {
    for (std::string_view bad : {"", "1.2.3", "1.2.3.4.5", "1.2.3.256", "01.2.3.4", "1.2.3.04", "1..3.4", ".1.2.3",
                                 "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "+1.2.3.4", "1.2.3.0x4", "1234.1.1.1",
                                 "0x7f.0.0.1", "1.2.3.4\n", "::1", "a.b.c.d", "4294967295"}) {
        auto a = ipv4_address::parse(bad);
        ASSERT_FALSE(a) << bad;
        EXPECT_EQ(a.error(), std::errc::invalid_argument) << bad;
    }
}

TEST(ipv4_address, classifies) {
    EXPECT_TRUE(ipv4_address(127, 1, 2, 3).is_loopback());
    EXPECT_TRUE(ipv4_address(224, 0, 0, 251).is_multicast());
    EXPECT_TRUE(ipv4_address(239, 255, 255, 255).is_multicast());
    EXPECT_FALSE(ipv4_address(240, 0, 0, 1).is_multicast());
    EXPECT_TRUE(ipv4_address(169, 254, 1, 1).is_link_local());
    EXPECT_TRUE(ipv4_address(10, 1, 1, 1).is_private());
    EXPECT_TRUE(ipv4_address(172, 31, 0, 1).is_private());
    EXPECT_FALSE(ipv4_address(172, 32, 0, 1).is_private());
    EXPECT_TRUE(ipv4_address(192, 168, 0, 1).is_private());
    EXPECT_FALSE(ipv4_address(8, 8, 8, 8).is_private());
    EXPECT_EQ(ipv4_address(), ipv4_address::any);
    EXPECT_EQ(ipv4_address(1, 2, 3, 4).to_bits(), 0x01020304u);
}

// ----- ipv6_address ----------------------------------------------------------------------

TEST(ipv6_address, parses_rfc4291_text) {
    struct { const char* text; std::array<std::uint16_t, 8> segments; } cases[] = {
        {"::", {0, 0, 0, 0, 0, 0, 0, 0}},
        {"::1", {0, 0, 0, 0, 0, 0, 0, 1}},
        {"1::", {1, 0, 0, 0, 0, 0, 0, 0}},
        {"fe80::1", {0xfe80, 0, 0, 0, 0, 0, 0, 1}},
        {"FE80::A:b", {0xfe80, 0, 0, 0, 0, 0, 0xa, 0xb}},
        {"2001:db8:85a3:0:0:8a2e:370:7334", {0x2001, 0xdb8, 0x85a3, 0, 0, 0x8a2e, 0x370, 0x7334}},
        {"2001:0db8:0000:0000:0000:0000:0002:0001", {0x2001, 0xdb8, 0, 0, 0, 0, 2, 1}},
        {"1:2:3:4:5:6:7::", {1, 2, 3, 4, 5, 6, 7, 0}},
        {"::2:3:4:5:6:7:8", {0, 2, 3, 4, 5, 6, 7, 8}},
        {"::ffff:192.0.2.1", {0, 0, 0, 0, 0, 0xffff, 0xc000, 0x0201}},
        {"::1.2.3.4", {0, 0, 0, 0, 0, 0, 0x0102, 0x0304}},
        {"1:2:3:4:5:6:1.2.3.4", {1, 2, 3, 4, 5, 6, 0x0102, 0x0304}},
        {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", {0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff}},
    };
    for (auto& c : cases) {
        auto a = ipv6_address::parse(c.text);
        ASSERT_TRUE(a) << c.text;
        EXPECT_EQ(a->segments(), c.segments) << c.text;
        // glibc agrees.
        std::array<std::uint8_t, 16> ref{};
        ASSERT_EQ(::inet_pton(AF_INET6, c.text, ref.data()), 1) << c.text;
        EXPECT_EQ(a->octets(), ref) << c.text;
    }
}

TEST(ipv6_address, prints_rfc5952) {
    struct { const char* in; const char* out; } cases[] = {
        {"0:0:0:0:0:0:0:0", "::"},
        {"0:0:0:0:0:0:0:1", "::1"},
        {"2001:DB8:0:0:0:0:2:1", "2001:db8::2:1"},
        {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},     // the first of two equal runs
        {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},  // one zero group is not shortened
        {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},                  // the longest run
        {"fe80:0000:0000:0000:0000:0000:0000:00ff", "fe80::ff"},
        {"1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"},
        {"1:0:0:0:0:0:0:0", "1::"},
        {"::ffff:10.0.0.1", "::ffff:10.0.0.1"},             // IPv4-mapped keeps the dotted tail
        {"::ffff:a00:1", "::ffff:10.0.0.1"},
        {"::1.2.3.4", "::102:304"},                         // IPv4-compatible is not special
    };
    for (auto& c : cases) {
        auto a = ipv6_address::parse(c.in);
        ASSERT_TRUE(a) << c.in;
        EXPECT_EQ(a->to_string(), c.out) << c.in;
        EXPECT_EQ(printed(*a), c.out);
        EXPECT_EQ(*ipv6_address::parse(a->to_string()), *a);
    }
}

TEST(ipv6_address, refuses_malformed_text) {
    for (std::string_view bad : {"", ":", ":::", "::1::", "1:::2", ":1::2", "1::2:", "1:2:3:4:5:6:7:8:9",
                                 "1:2:3:4:5:6:7", "12345::", "g::", "::1%2", "[::1]", "::ffff:1.2.3", "::1.2.3.4:5",
                                 "1:2:3:4:5:6:7:1.2.3.4", "1.2.3.4", "::01.2.3.4", "1::2::3", " ::1", "::1 "}) {
        auto a = ipv6_address::parse(bad);
        ASSERT_FALSE(a) << bad;
        EXPECT_EQ(a.error(), std::errc::invalid_argument) << bad;
    }
}

// Random texts over the address alphabet: mio and glibc accept the same ones, read them as the
// same bytes, and everything accepted round-trips through to_string.
TEST(ip_address, agrees_with_inet_pton_on_random_text) {
    std::mt19937 rng(12345);
    const std::string_view alphabet = "0123456789abcdefABCDEF:.::..%x ";
    auto random_text = [&] {
        std::string s(rng() % 24, ' ');
        for (auto& c : s) c = alphabet[rng() % alphabet.size()];
        return s;
    };
    int accepted4 = 0, accepted6 = 0;
    for (int i = 0; i < 200000; ++i) {
        std::string s = random_text();
        if (i % 3 == 0) {  // bias towards near-valid IPv4 text
            s.clear();
            for (int k = 0, parts = 3 + int(rng() % 3); k < parts; ++k) s += (k ? "." : "") + std::to_string(rng() % 300);
        }
        std::array<std::uint8_t, 4> r4{};
        std::array<std::uint8_t, 16> r6{};
        auto a4 = ipv4_address::parse(s);
        ASSERT_EQ(bool(a4), ::inet_pton(AF_INET, s.c_str(), r4.data()) == 1) << '"' << s << '"';
        if (a4) {
            ++accepted4;
            EXPECT_EQ(a4->octets(), r4);
            EXPECT_EQ(*ipv4_address::parse(a4->to_string()), *a4);
        }
        auto a6 = ipv6_address::parse(s);
        ASSERT_EQ(bool(a6), ::inet_pton(AF_INET6, s.c_str(), r6.data()) == 1) << '"' << s << '"';
        if (a6) {
            ++accepted6;
            EXPECT_EQ(a6->octets(), r6);
            EXPECT_EQ(*ipv6_address::parse(a6->to_string()), *a6);
        }
    }
    EXPECT_GT(accepted4, 1000);  // the sweep did reach valid text
    EXPECT_GT(accepted6, 10);
}

TEST(ip_address, hash_and_order) {
    std::unordered_set<ipv4_address> s4{ipv4_address::loopback, ipv4_address(127, 0, 0, 1), ipv4_address::any};
    EXPECT_EQ(s4.size(), 2u);
    std::unordered_set<ipv6_address> s6{ipv6_address::loopback, *ipv6_address::parse("::1"), ipv6_address::any};
    EXPECT_EQ(s6.size(), 2u);
    EXPECT_LT(ipv6_address::any, ipv6_address::loopback);
    EXPECT_LT(*ipv6_address::parse("fe80::1"), *ipv6_address::parse("ff02::1"));
}

// ----- socket_address --------------------------------------------------------------------

TEST(socket_address, parses_and_prints_v4_and_v6) {
    struct { const char* text; bool v6; std::uint16_t port; std::uint32_t scope; const char* canonical; } cases[] = {
        {"127.0.0.1:8080", false, 8080, 0, "127.0.0.1:8080"},
        {"0.0.0.0:0", false, 0, 0, "0.0.0.0:0"},
        {"255.255.255.255:65535", false, 65535, 0, "255.255.255.255:65535"},
        {"1.2.3.4:080", false, 80, 0, "1.2.3.4:80"},
        {"[::1]:8080", true, 8080, 0, "[::1]:8080"},
        {"[::]:0", true, 0, 0, "[::]:0"},
        {"[fe80::1%2]:80", true, 80, 2, "[fe80::1%2]:80"},
        {"[fe80::1%4294967295]:1", true, 1, 4294967295u, "[fe80::1%4294967295]:1"},
        {"[FE80:0:0:0:0:0:0:1%0]:443", true, 443, 0, "[fe80::1]:443"},
        {"[::ffff:192.0.2.1]:53", true, 53, 0, "[::ffff:192.0.2.1]:53"},
    };
    for (auto& c : cases) {
        auto a = socket_address::parse(c.text);
        ASSERT_TRUE(a) << c.text;
        EXPECT_EQ(a->is_ipv6(), c.v6) << c.text;
        EXPECT_EQ(a->is_ipv4(), !c.v6) << c.text;
        EXPECT_EQ(a->port(), c.port) << c.text;
        EXPECT_EQ(a->scope_id(), c.scope) << c.text;
        EXPECT_EQ(a->flowinfo(), 0u);
        EXPECT_EQ(a->to_string(), c.canonical);
        EXPECT_EQ(printed(*a), c.canonical);
        auto back = socket_address::parse(a->to_string());
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, *a);
    }
}

TEST(socket_address, accessors) {
    auto a = *socket_address::parse("10.1.2.3:99");
    ASSERT_TRUE(std::holds_alternative<ipv4_address>(a.ip()));
    EXPECT_EQ(std::get<ipv4_address>(a.ip()), ipv4_address(10, 1, 2, 3));
    a.set_port(100);
    EXPECT_EQ(a.port(), 100);
    a.set_scope_id(5);  // ignored for IPv4
    a.set_flowinfo(6);
    EXPECT_EQ(a.scope_id(), 0u);
    EXPECT_EQ(a.flowinfo(), 0u);
    EXPECT_EQ(a.to_string(), "10.1.2.3:100");

    socket_address b(ipv6_address::loopback, 7, 0x12345, 3);
    ASSERT_TRUE(std::holds_alternative<ipv6_address>(b.ip()));
    EXPECT_EQ(std::get<ipv6_address>(b.ip()), ipv6_address::loopback);
    EXPECT_EQ(b.flowinfo(), 0x12345u);
    EXPECT_EQ(b.scope_id(), 3u);
    EXPECT_EQ(b.to_string(), "[::1%3]:7");  // flow info is not printed ...
    EXPECT_NE(*socket_address::parse(b.to_string()), b);  // ... so it does not round-trip
    b.set_flowinfo(0);
    EXPECT_EQ(*socket_address::parse(b.to_string()), b);

    b.set_ip(ipv4_address::loopback);  // switching family clears the IPv6-only fields
    EXPECT_TRUE(b.is_ipv4());
    EXPECT_EQ(b, socket_address(ipv4_address::loopback, 7));
}

TEST(socket_address, order_and_hash) {
    std::vector<socket_address> sorted = {
        *socket_address::parse("1.2.3.4:1"),   *socket_address::parse("1.2.3.4:2"),
        *socket_address::parse("1.2.3.5:0"),   *socket_address::parse("[::]:65535"),
        *socket_address::parse("[::1]:1"),     *socket_address::parse("[::1]:2"),
        *socket_address::parse("[::1%1]:2"),
    };
    for (std::size_t i = 0; i + 1 < sorted.size(); ++i) {
        EXPECT_LT(sorted[i], sorted[i + 1]) << sorted[i] << " < " << sorted[i + 1];
        EXPECT_NE(sorted[i], sorted[i + 1]);
    }
    std::unordered_set<socket_address> set(sorted.begin(), sorted.end());
    set.insert(*socket_address::parse("[0:0::1]:1"));  // the same as [::1]:1
    EXPECT_EQ(set.size(), sorted.size());
    std::set<socket_address> ordered(sorted.rbegin(), sorted.rend());
    EXPECT_TRUE(std::equal(ordered.begin(), ordered.end(), sorted.begin()));
}

// The bar: at least 50 malformed texts, each refused with invalid_argument.
TEST(socket_address, refuses_malformed_text) {
    const std::vector<std::string_view> bad = {
        "",                        // empty
        "127.0.0.1",               // no port
        "127.0.0.1:",              // empty port
        ":80",                     // no host
        "127.0.0.1:65536",         // port too large
        "127.0.0.1:99999999999999999999",  // port overflowing any integer
        "127.0.0.1:-1",            // signed port
        "127.0.0.1:+80",
        "127.0.0.1:8o",            // letter in port
        "127.0.0.1:0x50",          // hex port
        "127.0.0.1: 80",           // spaces
        " 127.0.0.1:80",
        "127.0.0.1:80 ",
        "127.0.0.1:80\n",
        "127.0.0.1:80:81",         // two ports
        "127.0.0.1::80",
        "127.0.0:80",              // three parts
        "127.0.0.1.1:80",          // five parts
        "256.0.0.1:80",            // part too large
        "127.0.0.01:80",           // leading zero in a part
        "127..0.1:80",
        "localhost:80",            // names are not resolved
        "example.com:443",
        "::1:80",                  // IPv6 without brackets
        "[::1]",                   // no port
        "[::1]:",                  // empty port
        "[::1]80",                 // no colon
        "[::1]:65536",
        "[::1:80",                 // no closing bracket
        "::1]:80",                 // no opening bracket
        "[[::1]]:80",
        "[]:80",                   // empty host
        "[::1%]:80",               // empty scope
        "[::1%eth0]:80",           // interface names are not resolved
        "[::1%-1]:80",
        "[::1%4294967296]:80",     // scope id too large
        "[::1%2%3]:80",
        "[:::1]:80",
        "[1::2::3]:80",
        "[1:2:3:4:5:6:7:8:9]:80",
        "[12345::]:80",
        "[g::1]:80",
        "[127.0.0.1]:80",          // IPv4 in brackets
        "[::1] :80",
        "[::1]:80]",
        "[::ffff:1.2.3]:80",
        "[::ffff:1.2.3.256]:80",
        std::string_view("127.0.0.1\0:80", 13),  // embedded NUL
        std::string_view("[::1]:8\0", 8),
        "\xff\xfe:80",             // not ASCII
        "1.2.3.4:80/",
        "http://1.2.3.4:80",
        "[fe80::1%2]:80%1",
    };
    ASSERT_GE(bad.size(), 50u);
    for (auto text : bad) {
        auto a = socket_address::parse(text);
        ASSERT_FALSE(a) << '"' << text << "\" parsed as " << *a;
        EXPECT_EQ(a.error(), std::errc::invalid_argument) << text;
    }
}

// Random texts: valid addresses, most of them then mutated (a byte replaced, inserted or
// removed). No crash (run it under ASan), and what parses prints back as text that parses
// to the same value.
TEST(socket_address, random_text_round_trips) {
    std::mt19937 rng(777);
    const std::string_view hosts[] = {"127.0.0.1", "0.0.0.0", "255.255.255.255", "[::1]", "[::]", "[fe80::1%2]",
                                      "[2001:db8::8:800:200c:417a]", "[::ffff:10.0.0.1]", "[1:2:3:4:5:6:7:8]"};
    const std::string_view ports[] = {"0", "80", "65535", "65536", "0080", ""};
    const std::string_view noise = "0123456789abcdef:.[]%x\0 ";
    int parsed = 0;
    for (int i = 0; i < 200000; ++i) {
        std::string s = std::string(hosts[rng() % std::size(hosts)]) + ":" + std::string(ports[rng() % std::size(ports)]);
        for (int k = 0, n = int(rng() % 3); k < n; ++k) {
            std::size_t at = rng() % (s.size() + 1);
            char c = noise[rng() % noise.size()];
            switch (rng() % 3) {
            case 0: if (at < s.size()) s[at] = c; break;
            case 1: s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), c); break;
            default: if (at < s.size()) s.erase(at, 1); break;
            }
        }
        auto a = socket_address::parse(s);
        if (!a) {
            ASSERT_EQ(a.error(), std::errc::invalid_argument);
            continue;
        }
        ++parsed;
        auto back = socket_address::parse(a->to_string());
        ASSERT_TRUE(back) << s << " -> " << a->to_string();
        ASSERT_EQ(*back, *a) << s;
        ASSERT_LE(a->to_string().size(), socket_address::max_text_size);
    }
    EXPECT_GT(parsed, 10000);  // the sweep did reach valid text
}

// ----- sockaddr conversions --------------------------------------------------------------

TEST(sockaddr, converts_both_ways) {
    for (auto text : {"127.0.0.1:80", "0.0.0.0:0", "[::1]:65535", "[fe80::1%7]:9", "[::ffff:1.2.3.4]:5"}) {
        auto a = *socket_address::parse(text);
        auto raw = mio::detail::sys::to_sockaddr(a);
        if (a.is_ipv4()) {
            ASSERT_EQ(raw.len, sizeof(sockaddr_in));
            sockaddr_in sin;
            std::memcpy(&sin, &raw.storage, sizeof sin);
            EXPECT_EQ(sin.sin_family, AF_INET);
            EXPECT_EQ(ntohs(sin.sin_port), a.port());
            char buf[INET_ADDRSTRLEN];
            ASSERT_NE(::inet_ntop(AF_INET, &sin.sin_addr, buf, sizeof buf), nullptr);
            EXPECT_EQ(std::get<ipv4_address>(a.ip()).to_string(), buf);
        } else {
            ASSERT_EQ(raw.len, sizeof(sockaddr_in6));
            sockaddr_in6 sin6;
            std::memcpy(&sin6, &raw.storage, sizeof sin6);
            EXPECT_EQ(sin6.sin6_family, AF_INET6);
            EXPECT_EQ(ntohs(sin6.sin6_port), a.port());
            EXPECT_EQ(sin6.sin6_scope_id, a.scope_id());
            EXPECT_EQ(std::memcmp(&sin6.sin6_addr, std::get<ipv6_address>(a.ip()).octets().data(), 16), 0);
        }
        auto back = mio::detail::sys::from_sockaddr(raw);
        ASSERT_TRUE(back) << text;
        EXPECT_EQ(*back, a);
    }
    // Flow info goes to the kernel in network order and comes back as it went.
    socket_address f(ipv6_address::loopback, 1, 0x000abcde, 0);
    auto raw = mio::detail::sys::to_sockaddr(f);
    sockaddr_in6 sin6;
    std::memcpy(&sin6, &raw.storage, sizeof sin6);
    EXPECT_EQ(ntohl(sin6.sin6_flowinfo), 0x000abcdeu);
    EXPECT_EQ(*mio::detail::sys::from_sockaddr(raw), f);
}

TEST(sockaddr, refuses_other_families_and_short_lengths) {
    mio::detail::sys::raw_sockaddr unix_raw;
    unix_raw.storage.ss_family = AF_UNIX;
    unix_raw.len = sizeof(sockaddr_un);
    EXPECT_EQ(mio::detail::sys::from_sockaddr(unix_raw).error(), std::errc::address_family_not_supported);

    auto raw = mio::detail::sys::to_sockaddr(*socket_address::parse("[::1]:1"));
    for (socklen_t len : {socklen_t(0), socklen_t(1), socklen_t(sizeof(sockaddr_in6) - 1),
                          socklen_t(sizeof(sockaddr_storage) + 1)}) {
        raw.len = len;
        EXPECT_EQ(mio::detail::sys::from_sockaddr(raw).error(), std::errc::invalid_argument) << len;
    }
    raw = mio::detail::sys::to_sockaddr(*socket_address::parse("1.2.3.4:1"));
    raw.len = sizeof(sockaddr_in) - 1;
    EXPECT_EQ(mio::detail::sys::from_sockaddr(raw).error(), std::errc::invalid_argument);
}

}  // namespace
