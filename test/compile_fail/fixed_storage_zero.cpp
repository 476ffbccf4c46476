// fixed_storage<0> has no room for a single event and must not compile.
// expect: mio: fixed_storage<0> has no room for events
#include <mio/events.hpp>
#include <mio/selector/epoll.hpp>
#include <mio/storage/fixed.hpp>

#ifdef MIO_COMPILE_FAIL_CONTROL
constexpr std::size_t capacity = 1;
#else
constexpr std::size_t capacity = 0;
#endif

int main() {
    mio::basic_events<mio::epoll_selector, mio::fixed_storage<capacity>> events;
    return events.capacity() == capacity ? 0 : 1;
}
