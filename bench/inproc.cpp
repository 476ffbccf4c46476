// The in-process subject of the shared workloads (../shared/anchors/WORKLOADS.md), written
// with this library:
//
//   inproc w3 NFDS ITERS   NFDS idle eventfds registered readable; ITERS polls with a zero timeout
//   inproc w4 ITERS        ITERS x (registry.add + registry.remove) of one eventfd
//   inproc w4b PAIRS       registration churn in batches: 64 eventfds each added and removed,
//                          then one poll with a zero timeout; PAIRS / 64 batches (io_uring in
//                          batch mode submits the 128 requests with that poll)
//   inproc w5 ITERS        two threads, each with its own poll and waker, waking each other
//
// Prints one line: RESULT workload=Wn ops=N elapsed_ns=T ns_per_op=X allocs=A, where A is the
// number of heap allocations made during the timed phase (the library promises zero).
// Built over the platform's default selector (epoll), over poll(2) with
// -DMIO_FORCE_POLL_SELECTOR, or over io_uring with -DMIO_BENCH_IO_URING (bench_selector.hpp).
#include "bench_common.hpp"
#include "bench_selector.hpp"

#include <array>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <optional>
#include <sys/eventfd.h>
#include <thread>

namespace {

// Inline event storage: nothing on the heap, as a low-latency user would choose.
template <std::size_t N>
using poll_with = mio::basic_poll<mio_bench::selector, mio::fixed_storage<N>, mio::default_waker>;

constexpr long warm_up = 1000;

void print_result(const char* workload, long ops, std::uint64_t elapsed_ns, std::uint64_t allocs) {
    std::printf("RESULT workload=%s ops=%ld elapsed_ns=%llu ns_per_op=%.2f allocs=%llu\n", workload, ops,
                static_cast<unsigned long long>(elapsed_ns), double(elapsed_ns) / double(ops),
                static_cast<unsigned long long>(allocs));
    std::fflush(stdout);
}

int new_eventfd() {
    int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0) mio_bench::die("eventfd");
    return fd;
}

template <class Result>
void check(const Result& r, const char* what) {
    if (!r) mio_bench::die(what, r.error().value());
}

// The timed loops are functions of their own, with the objects they touch as parameters, so
// that the warm-up and the timed run share one compiled body and nothing is re-loaded from a
// closure on every iteration.
template <class Poll>
[[gnu::noinline]] void w3_loop(Poll& poll, typename Poll::events_type& events, long n) {
    constexpr std::optional<std::chrono::nanoseconds> zero{std::chrono::nanoseconds::zero()};
    for (long i = 0; i < n; ++i) {
        auto r = poll.poll(events, zero);
        if (!r || !events.empty()) [[unlikely]]
            mio_bench::die("unexpected event or error", r ? 0 : r.error().value());
    }
}

template <class Registry>
[[gnu::noinline]] void w4_loop(Registry& registry, mio::posix::source_fd src, long n) {
    for (long i = 0; i < n; ++i) {
        if (!registry.add(src, mio::token(7), mio::interest::readable)) [[unlikely]]
            mio_bench::die("add");
        if (!registry.remove(src)) [[unlikely]]
            mio_bench::die("remove");
    }
}

template <class Poll, std::size_t N>
[[gnu::noinline]] void w4b_loop(Poll& poll, typename Poll::events_type& events,
                                std::array<mio::posix::source_fd, N>& srcs, long batches) {
    constexpr std::optional<std::chrono::nanoseconds> zero{std::chrono::nanoseconds::zero()};
    auto& registry = poll.registry();
    for (long b = 0; b < batches; ++b) {
        for (auto& src : srcs) {
            if (!registry.add(src, mio::token(7), mio::interest::readable)) [[unlikely]]
                mio_bench::die("add");
            if (!registry.remove(src)) [[unlikely]]
                mio_bench::die("remove");
        }
        auto r = poll.poll(events, zero);
        if (!r || !events.empty()) [[unlikely]]
            mio_bench::die("unexpected event or error", r ? 0 : r.error().value());
    }
}

// W3: one poll with a zero timeout over nfds idle registrations; no event may come back.
int w3(long nfds, long iters) {
#if defined(MIO_FORCE_POLL_SELECTOR)
    // poll(2) scans every registered fd on every call: about 0.5 ms per poll over 10,000 fds
    // here, so the workload's 1,000,000 polls would take minutes. Reported as not applicable
    // (exit 77) unless asked for explicitly.
    if (!std::getenv("MIO_BENCH_POLL_W3")) {
        std::fprintf(stderr, "W3 skipped for the poll(2) selector: O(n) per poll; set MIO_BENCH_POLL_W3=1 to run it\n");
        return 77;
    }
#endif
    mio_bench::raise_nofile(rlim_t(nfds) + 64);
    auto poll = poll_with<1024>::create();
    check(poll, "poll");
    for (long i = 0; i < nfds; ++i) {
        mio::posix::source_fd src{new_eventfd()};
        check(poll->registry().add(src, mio::token(std::size_t(i)), mio::interest::readable), "add");
    }
    poll_with<1024>::events_type events;
    w3_loop(*poll, events, warm_up);
    auto a0 = mio_bench::allocation_count();
    auto t0 = mio_bench::now_ns();
    w3_loop(*poll, events, iters);
    auto t1 = mio_bench::now_ns();
    print_result("W3", iters, t1 - t0, mio_bench::allocation_count() - a0);
    return 0;
}

// W4: registration churn of one eventfd through the public registry API.
int w4(long iters) {
    auto poll = poll_with<8>::create();
    check(poll, "poll");
    mio::posix::source_fd src{new_eventfd()};
    auto& registry = poll->registry();
    w4_loop(registry, src, warm_up);
    auto a0 = mio_bench::allocation_count();
    auto t0 = mio_bench::now_ns();
    w4_loop(registry, src, iters);
    auto t1 = mio_bench::now_ns();
    print_result("W4", iters, t1 - t0, mio_bench::allocation_count() - a0);
    return 0;
}

// W4b: 64 add+remove pairs per poll (zero timeout); io_uring queues them for that poll.
int w4b(long pairs) {
    constexpr std::size_t batch = 64;
    auto poll = poll_with<8>::create();
    check(poll, "poll");
#if defined(MIO_BENCH_IO_URING)
    poll->selector().set_batch_registrations(true);
#endif
    std::array<mio::posix::source_fd, batch> srcs{};
    for (auto& s : srcs) s = mio::posix::source_fd{new_eventfd()};
    poll_with<8>::events_type events;
    long batches = pairs / long(batch);
    w4b_loop(*poll, events, srcs, warm_up / long(batch) + 1);
    auto a0 = mio_bench::allocation_count();
    auto t0 = mio_bench::now_ns();
    w4b_loop(*poll, events, srcs, batches);
    auto t1 = mio_bench::now_ns();
    print_result("W4b", batches * long(batch), t1 - t0, mio_bench::allocation_count() - a0);
    return 0;
}

// W5: each thread owns a poll and its waker; A wakes B, B wakes A.
struct side {
    poll_with<8> poll;
    poll_with<8>::waker_type waker;
    poll_with<8>::events_type events;

    static side make() {
        auto p = poll_with<8>::create();
        check(p, "poll");
        auto w = poll_with<8>::waker_type::create(p->registry(), mio::token(0));
        check(w, "waker");
        return side{std::move(*p), std::move(*w), {}};
    }

    // Blocks until this side's waker fired. The rare rest (no event, EINTR, an error) is a
    // function of its own, so that the common path saves no registers.
    void wait() {
        auto r = poll.poll(events, std::nullopt);
        if (!r || events.empty()) [[unlikely]]
            wait_again(r);
    }
    [[gnu::noinline]] void wait_again(mio::result<void> r) {
        for (;;) {
            if (!r && r.error() != std::errc::interrupted) mio_bench::die("poll", r.error().value());
            if (r && !events.empty()) return;  // spurious wake-ups are allowed, so loop
            r = poll.poll(events, std::nullopt);
        }
    }
    void wake() {
        if (!waker.wake()) [[unlikely]]
            mio_bench::die("wake");
    }
};

int w5(long iters) {
    side a = side::make();
    side b = side::make();
    std::atomic<bool> stop{false};
    std::thread tb([&] {
        mio_bench::pin_self(mio_bench::w5_cpu(1));
        for (;;) {
            b.wait();
            if (stop.load(std::memory_order_acquire)) return;
            a.wake();
        }
    });
    mio_bench::pin_self(mio_bench::w5_cpu(0));
    std::uint64_t t0 = 0, a0 = 0;
    for (long i = 0; i < warm_up + iters; ++i) {
        if (i == warm_up) {
            a0 = mio_bench::allocation_count();
            t0 = mio_bench::now_ns();
        }
        b.wake();
        a.wait();
    }
    auto t1 = mio_bench::now_ns();
    auto allocs = mio_bench::allocation_count() - a0;
    stop.store(true, std::memory_order_release);
    b.wake();
    tb.join();
    print_result("W5", iters, t1 - t0, allocs);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: %s w3 NFDS ITERS | w4 ITERS | w4b PAIRS | w5 ITERS\n", argv[0]);
        return 2;
    }
    if (!std::strcmp(argv[1], "w3"))
        return w3(mio_bench::arg_long(argc, argv, 2, 10000), mio_bench::arg_long(argc, argv, 3, 1000000));
    if (!std::strcmp(argv[1], "w4")) return w4(mio_bench::arg_long(argc, argv, 2, 1000000));
    if (!std::strcmp(argv[1], "w4b")) return w4b(mio_bench::arg_long(argc, argv, 2, 1000000));
    if (!std::strcmp(argv[1], "w5")) return w5(mio_bench::arg_long(argc, argv, 2, 200000));
    std::fprintf(stderr, "unknown workload %s\n", argv[1]);
    return 2;
}
