// Proves that the installed io_uring target (mio_cpp::io_uring, or mio_cpp_io_uring.pc) brings
// liburing: a poll over io_uring_selector, a wake, and its event. Exits 0 on success; a kernel
// that refuses io_uring (ENOSYS, EPERM) is reported and counts as success, since that is the
// machine's choice, not the package's.
#include <mio/basic_poll.hpp>
#include <mio/selector/io_uring.hpp>
#include <mio/storage/dynamic.hpp>
#include <mio/waker/eventfd.hpp>

#include <chrono>
#include <cstdio>

int main() {
    using poll_type = mio::basic_poll<mio::io_uring_selector, mio::dynamic_storage, mio::eventfd_waker>;
    auto poll = poll_type::create();
    if (!poll) {
        std::printf("consumer_io_uring: io_uring unavailable here (%s)\n", poll.error().message().c_str());
        return poll.error() == std::errc::function_not_supported || poll.error() == std::errc::operation_not_permitted
                   ? 0
                   : 1;
    }
    poll_type::events_type events(8);
    auto waker = poll_type::waker_type::create(poll->registry(), mio::token{3});
    if (!waker || !waker->wake() || !poll->poll(events, std::chrono::seconds{5})) {
        std::fprintf(stderr, "consumer_io_uring: wake or poll failed\n");
        return 1;
    }
    for (auto event : events) {
        if (event.token() == mio::token{3}) {
            std::puts("consumer_io_uring: installed io_uring target works");
            return 0;
        }
    }
    std::fprintf(stderr, "consumer_io_uring: no waker event\n");
    return 1;
}
