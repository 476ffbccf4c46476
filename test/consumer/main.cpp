// Proves that an installed mio is usable: the headers are found through mio::mio, the
// platform defaults compile, and a waker round trip through a real poll works.
// Exits 0 on success and prints what failed otherwise.
#include <mio/mio.hpp>

#include <chrono>
#include <cstdio>

int main() {
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
