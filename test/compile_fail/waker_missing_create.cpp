// A waker policy whose instance<S> has no create(): named at basic_poll.
// expect: mio: waker policy instance<S> is missing `static result<instance> create(S&, token)`
#include "toy_selector.hpp"

#include <mio/basic_poll.hpp>
#include <mio/storage/fixed.hpp>

struct uncreatable_waker {
    template <class S>
    static constexpr bool supports = true;
    template <class S>
    struct instance {
#ifdef MIO_COMPILE_FAIL_CONTROL
        static mio::result<instance> create(S&, mio::token) { return instance{}; }
#endif
        mio::result<void> wake() const noexcept { return {}; }
    };
};

int main() {
    auto p = mio::basic_poll<toy::selector, mio::fixed_storage<4>, uncreatable_waker>::create();
    return p ? 0 : 1;
}
