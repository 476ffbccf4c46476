// A waker policy that does not say which selectors it supports.
// expect: mio: waker policy is missing `template <class S> static constexpr bool supports`
#include "toy_selector.hpp"

#include <mio/basic_poll.hpp>
#include <mio/storage/fixed.hpp>

struct silent_waker {
    static constexpr bool none = true;
#ifdef MIO_COMPILE_FAIL_CONTROL
    template <class S>
    static constexpr bool supports = true;
#endif
};

int main() {
    auto p = mio::basic_poll<toy::selector, mio::fixed_storage<4>, silent_waker>::create();
    return p ? 0 : 1;
}
