// mio::interest: which readiness a registration asks for. Never empty.
#pragma once

#include <mio/detail/config.hpp>

#include <cstdint>
#include <optional>
#include <ostream>

namespace mio {

/// A non-empty set of readiness kinds. There is no default constructor: an empty
/// interest cannot be spelled, so `remove` answers std::nullopt when nothing would be left.
/// `priority` exists on Linux, Android and FreeBSD; `aio` and `lio` on the BSDs and Apple.
class interest {
public:
    static const interest readable;
    static const interest writable;
#if MIO_HAS_PRIORITY
    static const interest priority;
#endif
#if MIO_HAS_AIO
    static const interest aio;
#endif
#if MIO_HAS_LIO
    static const interest lio;
#endif

    constexpr interest operator|(interest o) const noexcept { return interest(bits_ | o.bits_); }
    constexpr interest& operator|=(interest o) noexcept { bits_ |= o.bits_; return *this; }
    constexpr interest add(interest o) const noexcept { return *this | o; }
    /// This set without `o`; std::nullopt when that would be empty.
    constexpr std::optional<interest> remove(interest o) const noexcept {
        std::uint8_t left = bits_ & static_cast<std::uint8_t>(~o.bits_);
        if (left == 0) return std::nullopt;
        return interest(left);
    }

    constexpr bool is_readable() const noexcept { return (bits_ & readable_bit) != 0; }
    constexpr bool is_writable() const noexcept { return (bits_ & writable_bit) != 0; }
    constexpr bool is_priority() const noexcept { return (bits_ & priority_bit) != 0; }
    constexpr bool is_aio() const noexcept { return (bits_ & aio_bit) != 0; }
    constexpr bool is_lio() const noexcept { return (bits_ & lio_bit) != 0; }

    /// The raw bit set (readable = 1, writable = 2, priority = 4, aio = 8, lio = 16), for backends.
    constexpr std::uint8_t bits() const noexcept { return bits_; }

    friend constexpr bool operator==(interest, interest) noexcept = default;

    friend std::ostream& operator<<(std::ostream& os, interest i) {
        const char* sep = "";
        auto put = [&](bool on, const char* name) {
            if (on) { os << sep << name; sep = " | "; }
        };
        put(i.is_readable(), "READABLE");
        put(i.is_writable(), "WRITABLE");
        put(i.is_priority(), "PRIORITY");
        put(i.is_aio(), "AIO");
        put(i.is_lio(), "LIO");
        return os;
    }

private:
    static constexpr std::uint8_t readable_bit = 1, writable_bit = 2, priority_bit = 4, aio_bit = 8, lio_bit = 16;
    constexpr explicit interest(std::uint8_t bits) noexcept : bits_(bits) {}
    std::uint8_t bits_;
};

inline constexpr interest interest::readable{interest::readable_bit};
inline constexpr interest interest::writable{interest::writable_bit};
#if MIO_HAS_PRIORITY
inline constexpr interest interest::priority{interest::priority_bit};
#endif
#if MIO_HAS_AIO
inline constexpr interest interest::aio{interest::aio_bit};
#endif
#if MIO_HAS_LIO
inline constexpr interest interest::lio{interest::lio_bit};
#endif

}  // namespace mio
