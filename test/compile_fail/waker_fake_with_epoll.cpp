// fake_waker works with fake_selector only; pairing it with epoll must be refused.
// expect: mio: this waker policy cannot work with this selector
#include <mio/basic_poll.hpp>
#include <mio/selector/epoll.hpp>
#include <mio/selector/fake.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#ifdef MIO_COMPILE_FAIL_CONTROL
using selector = mio::fake_selector;
#else
using selector = mio::epoll_selector;
#endif

int main() {
    auto p = mio::basic_poll<selector, mio::fixed_storage<4>, mio::fake_waker>::create();
    return p ? 0 : 1;
}
