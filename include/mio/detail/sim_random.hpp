// mio::detail::sim_random: the one random source of the deterministic simulation (the fake
// selector's chaos and the simulated network). std::mt19937_64 produces the same sequence on
// every standard library, but the std distributions do not (their algorithms are unspecified),
// so every draw is made here with plain integer arithmetic: the same seed gives the same draws
// on every compiler, library and machine.
#pragma once

#include <chrono>
#include <cstdint>
#include <random>

namespace mio::detail {

class sim_random {
public:
    explicit sim_random(std::uint64_t seed = 0) noexcept : engine_(seed) {}

    /// Starts the sequence again from `seed`.
    void reseed(std::uint64_t seed) noexcept { engine_.seed(seed); }

    /// A uniform value in [0, 1) with 53 random bits (the top bits of one draw).
    double unit() noexcept { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

    /// True with probability p. Draws nothing when p <= 0 (so a feature that is off does not
    /// shift the sequence of the others) and is always true for p >= 1 after one draw.
    bool chance(double p) noexcept {
        if (!(p > 0)) return false;
        return unit() < p;
    }

    /// A value in [0, n) (0 when n is 0, without drawing). One draw and a modulo: the bias is
    /// below n / 2^64, and a fixed number of draws keeps runs comparable.
    std::uint64_t below(std::uint64_t n) noexcept {
        if (n == 0) return 0;
        return engine_() % n;
    }

    /// A duration in [0, max] (zero without drawing when max <= 0).
    std::chrono::nanoseconds up_to(std::chrono::nanoseconds max) noexcept {
        if (max.count() <= 0) return std::chrono::nanoseconds{0};
        auto span = static_cast<std::uint64_t>(max.count());
        if (span == UINT64_MAX) return std::chrono::nanoseconds{static_cast<std::int64_t>(engine_() >> 1)};
        return std::chrono::nanoseconds{static_cast<std::int64_t>(below(span + 1))};
    }

private:
    std::mt19937_64 engine_;
};

}  // namespace mio::detail
