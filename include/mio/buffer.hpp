// mio::byte_buffer / mio::mutable_byte_buffer: what the I/O calls of sockets and pipes take,
// so that each call is written once for std::byte, char and unsigned char buffers.
#pragma once

#include <cstddef>
#include <ranges>
#include <span>
#include <type_traits>

namespace mio {

/// The element types an I/O buffer may have: std::byte, char and unsigned char (the types
/// that may alias any object's bytes), const or not.
template <class T>
concept byte_like = std::is_same_v<std::remove_cv_t<T>, std::byte> || std::is_same_v<std::remove_cv_t<T>, char> ||
                    std::is_same_v<std::remove_cv_t<T>, unsigned char>;

/// A buffer a write or send reads from: any contiguous, sized range of byte_like elements
/// (std::span<const std::byte>, std::span<char>, std::string, std::string_view, std::array,
/// std::vector, a char array or string literal, whose terminating NUL counts).
template <class B>
concept byte_buffer = std::ranges::contiguous_range<B> && std::ranges::sized_range<B> &&
                      byte_like<std::ranges::range_value_t<B>>;

/// A buffer a read or receive fills: a byte_buffer with non-const elements that outlives the
/// call (an lvalue, or a view such as std::span<std::byte>; not a temporary container, whose
/// bytes would be lost).
template <class B>
concept mutable_byte_buffer = byte_buffer<B> && std::ranges::borrowed_range<B> &&
                              !std::is_const_v<std::remove_reference_t<std::ranges::range_reference_t<B>>>;

// The I/O calls are templates over these concepts whose parameter defaults to
// std::span<std::byte> (reads) or std::span<const std::byte> (writes), so that a braced
// pointer-and-length argument, `s.write({bytes, n})`, still builds a byte span.

namespace detail {

// The bytes of `b` as the OS layer takes them.
template <byte_buffer B = std::span<const std::byte>>
std::span<const std::byte> const_bytes(const B& b) noexcept {
    return {reinterpret_cast<const std::byte*>(std::ranges::data(b)), std::ranges::size(b)};
}
template <mutable_byte_buffer B = std::span<std::byte>>
std::span<std::byte> mutable_bytes(B&& b) noexcept {
    return {reinterpret_cast<std::byte*>(std::ranges::data(b)), std::ranges::size(b)};
}

}  // namespace detail
}  // namespace mio
