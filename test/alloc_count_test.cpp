// The hot path allocates nothing: after set-up, 10,000 cycles of wake + poll + event
// iteration (and pipe read/write) make no operator new and no malloc call, on every
// backend, with fixed and with dynamic storage.
//
// Counting is global: operator new is replaced here, and so is malloc (forwarding to
// glibc's __libc_malloc), except under sanitizers, whose runtimes own malloc.
#include "backends.hpp"

#include <mio/posix/pipe.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define MIO_TEST_SANITIZED 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#    define MIO_TEST_SANITIZED 1
#  endif
#endif
#ifndef MIO_TEST_SANITIZED
#  define MIO_TEST_SANITIZED 0
#endif

namespace {
std::atomic<long> new_calls{0};
std::atomic<long> malloc_calls{0};
}  // namespace

void* operator new(std::size_t n) {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

#if !MIO_TEST_SANITIZED && defined(__GLIBC__)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* malloc(std::size_t n) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) {
    malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
#  define MIO_TEST_COUNTS_MALLOC 1
#else
#  define MIO_TEST_COUNTS_MALLOC 0
#endif

namespace {

struct counts {
    long news = new_calls.load();
    long mallocs = malloc_calls.load();
};

template <class B>
class alloc_count_test : public ::testing::Test {};
TYPED_TEST_SUITE(alloc_count_test, mio_test::all_backends, mio_test::backend_names);

TYPED_TEST(alloc_count_test, counters_see_allocations) {
    // The counters themselves must work, or the zero below proves nothing.
    counts before;
    auto* p = new int(3);
    void* m = std::malloc(16);
    counts after;
    delete p;
    std::free(m);
    EXPECT_GT(after.news, before.news);
    if (MIO_TEST_COUNTS_MALLOC) {
        EXPECT_GT(after.mallocs, before.mallocs);
    }
}

TYPED_TEST(alloc_count_test, wake_poll_iterate_allocate_nothing) {
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto waker = TypeParam::waker_type::create(poll->registry(), mio::token{1});
    ASSERT_TRUE(waker);
    auto pipe = mio::posix::pipe();
    ASSERT_TRUE(pipe);
    auto& tx = pipe->first;
    auto& rx = pipe->second;
    ASSERT_TRUE(poll->registry().add(rx, mio::token{2}, mio::interest::readable));
    std::array<std::byte, 64> buf{};
    const std::array<std::byte, 8> msg{};

    auto cycle = [&](std::size_t& woken, std::size_t& readable) {
        if (!waker->wake()) return false;
        if (!tx.write(std::span<const std::byte>(msg))) return false;
        if (!poll->poll(events, std::chrono::seconds(1))) return false;
        for (auto e : events) {
            if (e.token() == mio::token{1}) ++woken;
            if (e.token() == mio::token{2} && e.is_readable()) {
                ++readable;
                while (rx.read(std::span<std::byte>(buf))) {
                }
            }
        }
        return true;
    };
    std::size_t woken = 0, readable = 0;
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(cycle(woken, readable));  // warm-up

    counts before;
    bool ok = true;
    for (int i = 0; i < 10'000 && ok; ++i) ok = cycle(woken, readable);
    counts after;

    ASSERT_TRUE(ok);
    EXPECT_GE(woken, 10'000u) << "the waker event must come every cycle";
    EXPECT_GE(readable, 10'000u) << "the pipe event must come every cycle";
    EXPECT_EQ(after.news - before.news, 0) << "operator new called on the hot path";
    EXPECT_EQ(after.mallocs - before.mallocs, 0) << "malloc called on the hot path";
    if (!MIO_TEST_COUNTS_MALLOC) std::cout << "note: malloc is not counted in this (sanitizer) build\n";
}

}  // namespace
