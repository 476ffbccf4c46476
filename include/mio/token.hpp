// mio::token: the caller's name for a registered source, handed back in its events.
#pragma once

#include <compare>
#include <cstddef>
#include <functional>
#include <ostream>

namespace mio {

/// Associates readiness events with the source registered under it. Plain value; any
/// std::size_t is valid, including the largest (no value is reserved, unlike older mio).
struct token {
    std::size_t value;
    constexpr explicit token(std::size_t v) noexcept : value(v) {}
    friend constexpr auto operator<=>(token, token) noexcept = default;
    friend constexpr bool operator==(token, token) noexcept = default;
    friend std::ostream& operator<<(std::ostream& os, token t) { return os << "token(" << t.value << ')'; }
};

}  // namespace mio

template <>
struct std::hash<mio::token> {
    std::size_t operator()(mio::token t) const noexcept { return std::hash<std::size_t>{}(t.value); }
};
