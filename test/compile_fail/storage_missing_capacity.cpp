// An event storage whose buffer has no capacity(): basic_events must name it.
// expect: mio: event storage buffer is missing `std::size_t capacity() const`
#include "toy_selector.hpp"

#include <mio/events.hpp>

#include <array>

struct no_capacity {
    template <class Event>
    class buffer {
    public:
        Event* data() noexcept { return events_.data(); }
#ifdef MIO_COMPILE_FAIL_CONTROL
        std::size_t capacity() const noexcept { return events_.size(); }
#endif

    private:
        std::array<Event, 2> events_{};
    };
};

int main() {
    mio::basic_events<toy::selector, no_capacity> events;
    return events.empty() ? 0 : 1;
}
