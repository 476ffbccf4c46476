// mio::fixed_storage<N>: events held inline, N of them; never touches the heap.
#pragma once

#include <array>
#include <cstddef>

namespace mio {

/// Event storage of exactly N events inside the events object (no heap). For embedded and
/// low-latency users who allocate nothing after set-up. N must be at least 1.
template <std::size_t N>
struct fixed_storage {
    static_assert(N > 0, "mio: fixed_storage<0> has no room for events; use a capacity of at least 1");

    template <class Event>
    class buffer {
    public:
        Event* data() noexcept { return events_.data(); }
        const Event* data() const noexcept { return events_.data(); }
        std::size_t capacity() const noexcept { return N; }

    private:
        std::array<Event, N> events_{};
    };
};

}  // namespace mio
