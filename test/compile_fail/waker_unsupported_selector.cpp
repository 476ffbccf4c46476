// eventfd_waker needs a selector that polls fds; the toy selector does not (no polls_fds).
// expect: mio: this waker policy cannot work with this selector
#include "toy_selector.hpp"

#include <mio/basic_poll.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>

struct toy_selector : toy::selector {
#ifdef MIO_COMPILE_FAIL_CONTROL
    static constexpr bool polls_fds = true;
#endif
    static mio::result<toy_selector> create() { return toy_selector{}; }
    mio::result<toy_selector> try_clone() const { return toy_selector{}; }
};

int main() {
    auto p = mio::basic_poll<toy_selector, mio::fixed_storage<4>, mio::eventfd_waker>::create();
    return p ? 0 : 1;
}
