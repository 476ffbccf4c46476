// A waker policy whose bind<S> has no wake(): named at basic_poll.
// expect: mio: waker policy bind<S> is missing `static result<bind> create(S&, token)` or `result<void> wake() const noexcept`
#include "toy_selector.hpp"

#include <mio/basic_poll.hpp>
#include <mio/storage/fixed.hpp>

struct mute_waker {
    template <class S>
    static constexpr bool supports = true;
    template <class S>
    struct bind {
        static mio::result<bind> create(S&, mio::token) { return bind{}; }
#ifdef MIO_COMPILE_FAIL_CONTROL
        mio::result<void> wake() const noexcept { return {}; }
#endif
    };
};

int main() {
    auto p = mio::basic_poll<toy::selector, mio::fixed_storage<4>, mute_waker>::create();
    return p ? 0 : 1;
}
