// The byte-buffer template of the I/O calls (mio/buffer.hpp): each of read/write/peek/send/
// recv/send_to/recv_from/peek_from is one template that takes std::byte, char and unsigned
// char buffers (spans, arrays, strings, vectors), and refuses what it cannot fill or read.
#include <mio/mio.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace {

using mio::net::tcp_stream;

// What read() takes and refuses, checked on the type itself.
template <class S, class B>
concept readable_into = requires(S& s, B&& b) { s.read(std::forward<B>(b)); };
template <class S, class B>
concept writable_from = requires(S& s, const B& b) { s.write(b); };

static_assert(readable_into<tcp_stream, std::span<std::byte>>);
static_assert(readable_into<tcp_stream, std::span<char>>);
static_assert(readable_into<tcp_stream, std::array<unsigned char, 4>&>);
static_assert(readable_into<tcp_stream, std::vector<char>&>);
static_assert(readable_into<tcp_stream, std::string&>);
static_assert(readable_into<tcp_stream, char (&)[8]>);
static_assert(!readable_into<tcp_stream, std::span<const std::byte>>, "read into const bytes");
static_assert(!readable_into<tcp_stream, const std::string&>, "read into a const string");
static_assert(!readable_into<tcp_stream, std::vector<char>>, "read into a temporary container");
static_assert(!readable_into<tcp_stream, std::vector<int>&>, "int is not byte-like");
static_assert(!readable_into<tcp_stream, int>);

static_assert(writable_from<tcp_stream, std::span<const std::byte>>);
static_assert(writable_from<tcp_stream, std::span<std::byte>>);
static_assert(writable_from<tcp_stream, std::span<const char>>);
static_assert(writable_from<tcp_stream, std::string>);
static_assert(writable_from<tcp_stream, std::string_view>);
static_assert(writable_from<tcp_stream, std::vector<unsigned char>>);
static_assert(writable_from<tcp_stream, char[6]>);
static_assert(!writable_from<tcp_stream, std::vector<int>>, "int is not byte-like");
static_assert(!writable_from<tcp_stream, std::span<const short>>);

TEST(byte_buffer, a_pipe_moves_every_buffer_kind) {
    auto p = mio::posix::pipe();
    ASSERT_TRUE(p);
    auto& [tx, rx] = *p;
    const std::array<unsigned char, 2> uc{'c', 'd'};
    const std::vector<std::byte> bytes{std::byte{'e'}};
    ASSERT_EQ(*tx.write(std::string("ab")), 2u);
    ASSERT_EQ(*tx.write(uc), 2u);
    ASSERT_EQ(*tx.write(bytes), 1u);
    ASSERT_EQ(*tx.write(std::string_view("fgh")), 3u);
    ASSERT_EQ(*tx.write("ij"), 3u);  // a string literal: its NUL is written too
    const std::byte k{'k'};
    ASSERT_EQ(*tx.write({&k, 1}), 1u);  // braced pointer and length: a std::byte span

    std::byte last{};
    char two[2];
    std::array<std::byte, 2> b2{};
    std::vector<unsigned char> v(3);
    std::string rest(4, '.');
    ASSERT_EQ(*rx.read(two), 2u);
    EXPECT_EQ(std::string_view(two, 2), "ab");
    ASSERT_EQ(*rx.read(b2), 2u);
    EXPECT_EQ(b2[0], std::byte{'c'});
    EXPECT_EQ(b2[1], std::byte{'d'});
    ASSERT_EQ(*rx.read(std::span<unsigned char>(v)), 3u);
    EXPECT_EQ(v, (std::vector<unsigned char>{'e', 'f', 'g'}));
    auto n = rx.read(rest);
    ASSERT_TRUE(n);
    EXPECT_EQ(rest.substr(0, *n), std::string("hij\0", 4));
    ASSERT_EQ(*rx.read({&last, 1}), 1u);
    EXPECT_EQ(last, std::byte{'k'});
    EXPECT_TRUE(mio::is_would_block(rx.read(rest).error()));
}

TEST(byte_buffer, udp_takes_strings_and_arrays) {
    auto addr = mio::net::socket_address(mio::net::ipv4_address::loopback, 0);
    auto a = mio::net::udp_socket::bind(addr);
    auto b = mio::net::udp_socket::bind(addr);
    ASSERT_TRUE(a && b);
    auto to = b->local_addr();
    ASSERT_TRUE(to);
    ASSERT_EQ(*a->send_to(std::string("ping"), *to), 4u);
    std::array<char, 16> buf{};
    // Loopback delivery is immediate, but give the kernel a moment under load.
    mio::result<std::pair<std::size_t, mio::net::socket_address>> got = std::errc::resource_unavailable_try_again;
    for (int i = 0; i < 1000 && !got; ++i) got = b->peek_from(buf);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, 4u);
    auto r = b->recv_from(buf);
    ASSERT_TRUE(r);
    EXPECT_EQ(std::string_view(buf.data(), r->first), "ping");
    EXPECT_EQ(r->second, *a->local_addr());
}

}  // namespace
