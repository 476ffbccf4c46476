// Timeout conversions the selectors share: whole milliseconds rounded up (epoll_wait, poll,
// Windows' GetQueuedCompletionStatusEx) and an exact seconds + nanoseconds pair (epoll_pwait2,
// ppoll, kevent), both saturating instead of overflowing.
#pragma once

#include <chrono>
#include <climits>
#include <cstdint>

namespace mio::detail {

/// `t` in whole milliseconds, rounded up so that a 100 us timeout waits 1 ms instead of
/// returning at once; INT_MAX for anything longer.
inline int round_up_ms(std::chrono::nanoseconds t) noexcept {
    constexpr std::int64_t ns_per_ms = 1'000'000;
    std::int64_t ns = t.count();
    if (ns > std::int64_t(INT_MAX) * ns_per_ms) return INT_MAX;
    return static_cast<int>((ns + ns_per_ms - 1) / ns_per_ms);
}

/// `t` as a timespec-like T (tv_sec, tv_nsec), capped at INT_MAX seconds (~68 years, which
/// fits every time_t).
template <class T>
inline T to_timespec(std::chrono::nanoseconds t) noexcept {
    T ts{};
    auto secs = std::chrono::duration_cast<std::chrono::seconds>(t);
    constexpr auto max_secs = std::chrono::seconds(INT_MAX);
    if (secs >= max_secs) {
        ts.tv_sec = static_cast<decltype(ts.tv_sec)>(max_secs.count());
    } else {
        ts.tv_sec = static_cast<decltype(ts.tv_sec)>(secs.count());
        ts.tv_nsec = static_cast<decltype(ts.tv_nsec)>((t - secs).count());
    }
    return ts;
}

}  // namespace mio::detail
