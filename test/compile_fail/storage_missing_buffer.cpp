// An event storage without a buffer template: basic_events must name it.
// expect: mio: event storage is missing `template <class Event> class buffer`
#include "toy_selector.hpp"

#include <mio/events.hpp>

#include <array>

struct no_buffer {
#ifdef MIO_COMPILE_FAIL_CONTROL
    template <class Event>
    class buffer {
    public:
        Event* data() noexcept { return events_.data(); }
        std::size_t capacity() const noexcept { return events_.size(); }

    private:
        std::array<Event, 2> events_{};
    };
#endif
};

int main() {
    mio::basic_events<toy::selector, no_buffer> events;
    return events.capacity() == 2 ? 0 : 1;
}
