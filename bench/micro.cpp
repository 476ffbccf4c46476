// Google Benchmark micro-benchmarks of the library's own hot-path pieces: event iteration,
// poll with a zero timeout on an empty selector and with idle registrations, registration
// churn, and interest/token arithmetic. Kernel time dominates the poll and churn figures on
// this VM; callgrind (see bench/README.md) is the stable measure of the library's share.
#include <mio/mio.hpp>
#include <mio/selector/poll.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/eventfd.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <sys/eventfd.h>
#include <unistd.h>
#include <vector>

namespace {

using poll64 = mio::basic_poll<mio::epoll_selector, mio::fixed_storage<64>, mio::no_waker>;
constexpr std::optional<std::chrono::nanoseconds> zero{std::chrono::nanoseconds::zero()};

// 64 eventfds made readable once and polled once, so the events buffer holds 64 events that
// the loop iterates over and over (the buffer stays valid until the next poll).
struct ready_set {
    poll64 poll = *poll64::create();
    poll64::events_type events;
    std::vector<int> fds;

    ready_set() {
        for (std::size_t i = 0; i < 64; ++i) {
            int fd = ::eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
            fds.push_back(fd);
            mio::posix::source_fd src{fd};
            (void)poll.registry().add(src, mio::token(i), mio::interest::readable | mio::interest::writable);
        }
        (void)poll.poll(events, zero);
    }
    ~ready_set() {
        for (int fd : fds) ::close(fd);
    }
};

void event_iteration(benchmark::State& state) {
    ready_set set;
    if (set.events.size() != 64) state.SkipWithError("expected 64 events");
    for (auto _ : state) {
        std::size_t sum = 0;
        for (auto e : set.events) {
            if (e.is_readable()) sum += e.token().value;
            if (e.is_writable()) sum += 1;
            if (e.is_read_closed() || e.is_error()) sum += 2;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(event_iteration);

void event_iteration_raw_epoll(benchmark::State& state) {
    ready_set set;
    for (auto _ : state) {
        std::size_t sum = 0;
        for (auto e : set.events) {
            const epoll_event& n = e.native();
            if (n.events & (EPOLLIN | EPOLLPRI)) sum += n.data.u64;
            if (n.events & EPOLLOUT) sum += 1;
            if (n.events & (EPOLLHUP | EPOLLERR) || ((n.events & EPOLLIN) && (n.events & EPOLLRDHUP))) sum += 2;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(event_iteration_raw_epoll);

void poll_empty(benchmark::State& state) {
    auto poll = *poll64::create();
    poll64::events_type events;
    for (auto _ : state) {
        auto r = poll.poll(events, zero);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(poll_empty);

void epoll_wait_empty(benchmark::State& state) {
    auto poll = *poll64::create();
    epoll_event evs[64];
    for (auto _ : state) benchmark::DoNotOptimize(::epoll_wait(poll.selector().native_handle(), evs, 64, 0));
}
BENCHMARK(epoll_wait_empty);

void poll_default_empty(benchmark::State& state) {
    auto poll = *mio::poll::create();
    mio::events events(1024);
    for (auto _ : state) {
        auto r = poll.poll(events, zero);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(poll_default_empty);

void add_remove(benchmark::State& state) {
    auto poll = *poll64::create();
    mio::posix::source_fd src{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    for (auto _ : state) {
        auto a = poll.registry().add(src, mio::token(1), mio::interest::readable);
        auto r = poll.registry().remove(src);
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(r);
    }
    ::close(src.fd);
}
BENCHMARK(add_remove);

void interest_ops(benchmark::State& state) {
    auto a = mio::interest::readable;
    auto b = mio::interest::writable;
    for (auto _ : state) {
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
        auto both = a | b;
        auto left = both.remove(a);
        bool r = both.is_readable() && left && left->is_writable() && !left->is_readable();
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(interest_ops);

void token_hash_compare(benchmark::State& state) {
    std::size_t v = 1;
    for (auto _ : state) {
        benchmark::DoNotOptimize(v);
        mio::token t(v), u(v + 1);
        auto h = std::hash<mio::token>{}(t);
        bool less = t < u;
        benchmark::DoNotOptimize(h);
        benchmark::DoNotOptimize(less);
    }
}
BENCHMARK(token_hash_compare);


// Issue 11's figures. is_would_block runs at the end of every drain loop: once on the
// would_block that ends it, and on any other error.
void is_would_block_on_would_block(benchmark::State& state) {
    std::error_code ec = std::make_error_code(std::errc::resource_unavailable_try_again);
    for (auto _ : state) {
        benchmark::DoNotOptimize(ec);
        bool r = mio::is_would_block(ec);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(is_would_block_on_would_block);

void is_would_block_on_other_error(benchmark::State& state) {
    std::error_code ec = std::make_error_code(std::errc::connection_reset);
    for (auto _ : state) {
        benchmark::DoNotOptimize(ec);
        bool r = mio::is_would_block(ec);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(is_would_block_on_other_error);

// A result<std::size_t> returned from a function the compiler may not inline: in registers
// when the type is trivially copyable and 16 bytes, through memory otherwise.
[[gnu::noinline]] mio::result<std::size_t> returns_result(std::size_t n) noexcept {
    if (n & 1) return std::make_error_code(std::errc::resource_unavailable_try_again);
    return n;
}

void result_returned_not_inlined(benchmark::State& state) {
    std::size_t n = 2;
    for (auto _ : state) {
        benchmark::DoNotOptimize(n);
        auto r = returns_result(n);
        benchmark::DoNotOptimize(r);
    }
}
BENCHMARK(result_returned_not_inlined);

using poll2 = mio::basic_poll<mio::poll_selector, mio::fixed_storage<64>, mio::eventfd_waker>;

// poll(2) with 1,000 registered eventfds, one of them readable again before every poll: the
// emulated edge re-arms it (through modify, as a drain that hit would_block would).
void poll2_1000_fds_one_ready(benchmark::State& state) {
    auto poll = *poll2::create();
    poll2::events_type events;
    std::vector<int> fds;
    for (std::size_t i = 0; i < 1000; ++i) {
        int fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        fds.push_back(fd);
        (void)poll.registry().add(mio::posix::source_fd{fd}, mio::token(i), mio::interest::readable);
    }
    std::uint64_t one = 1;
    if (::write(fds[500], &one, sizeof one) != sizeof one) state.SkipWithError("eventfd write");
    for (auto _ : state) {
        (void)poll.registry().modify(mio::posix::source_fd{fds[500]}, mio::token(500), mio::interest::readable);
        auto r = poll.poll(events, zero);
        if (!r || events.size() != 1) state.SkipWithError("expected one event");
    }
    for (int fd : fds) ::close(fd);
}
BENCHMARK(poll2_1000_fds_one_ready);

void poll2_wake_then_poll(benchmark::State& state) {
    auto poll = *poll2::create();
    poll2::events_type events;
    auto waker = poll2::waker_type::create(poll.registry(), mio::token(1));
    if (!waker) state.SkipWithError("waker");
    for (auto _ : state) {
        (void)waker->wake();
        auto r = poll.poll(events, zero);
        if (!r || events.size() != 1) state.SkipWithError("expected the wake");
    }
}
BENCHMARK(poll2_wake_then_poll);

}  // namespace

BENCHMARK_MAIN();
