// Proves that an installed mio for C++ is usable: the headers are found through the package
// (mio_cpp::mio, or pkg-config), the version macro matches the package's, the platform
// defaults compile, and a waker round trip through a real poll works. Built beside the
// stand-in for mandreyel/mio, it also includes that library's header of the same folder.
// Exits 0 on success and prints what failed otherwise.
#include <mio/mio.hpp>
#ifndef NO_STANDIN_MIO
#include <mio/mmap.hpp>
#endif

#include <chrono>
#include <cstdio>
#include <cstring>

int main() {
    if (std::strcmp(MIO_VERSION_STRING, EXPECTED_VERSION) != 0) {
        std::fprintf(stderr, "consumer: MIO_VERSION_STRING %s, package version %s\n", MIO_VERSION_STRING,
                     EXPECTED_VERSION);
        return 1;
    }
#ifndef NO_STANDIN_MIO
    if (mio::mmap_source{}.size() != 42) {
        std::fprintf(stderr, "consumer: the stand-in mio's header is not the one included\n");
        return 1;
    }
#endif
    constexpr mio::token waker_token{7};

    auto poll = mio::poll::create();
    if (!poll) {
        std::fprintf(stderr, "consumer: poll::create failed: %s\n", poll.error().message().c_str());
        return 1;
    }
    mio::events events(8);
    auto waker = mio::waker::create(poll->registry(), waker_token);
    if (!waker || !waker->wake()) {
        std::fprintf(stderr, "consumer: waker failed\n");
        return 1;
    }
    if (!poll->poll(events, std::chrono::seconds{5})) {
        std::fprintf(stderr, "consumer: poll failed\n");
        return 1;
    }
    for (auto event : events) {
        if (event.token() == waker_token && event.is_readable()) {
            std::puts("consumer: installed mio works");
            return 0;
        }
    }
    std::fprintf(stderr, "consumer: no waker event\n");
    return 1;
}
