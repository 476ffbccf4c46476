// Counts the heap allocations of a test program, to prove that a hot path makes none.
// Replaces operator new (every form) and, outside sanitizer builds (whose runtimes own
// malloc), malloc/calloc/realloc through glibc's __libc_* entry points. Counting is global
// and costs one relaxed atomic increment. Include this header in one translation unit per
// program. Clang's ThreadSanitizer runtime defines operator new itself (replacing it is a
// link error), so there counts_new is false and the tests that need it skip.
#pragma once

#include <atomic>
#include <cstddef>
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

#if defined(__clang__) && defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define MIO_TEST_CLANG_TSAN 1
#  endif
#endif
#ifndef MIO_TEST_CLANG_TSAN
#  define MIO_TEST_CLANG_TSAN 0
#endif

#if !MIO_TEST_SANITIZED && defined(__GLIBC__)
#  define MIO_TEST_COUNTS_MALLOC 1
#else
#  define MIO_TEST_COUNTS_MALLOC 0
#endif

namespace mio_test {

inline std::atomic<long> new_calls{0};
inline std::atomic<long> malloc_calls{0};

/// Whether operator new and malloc are counted in this build.
inline constexpr bool counts_new = !MIO_TEST_CLANG_TSAN;
inline constexpr bool counts_malloc = MIO_TEST_COUNTS_MALLOC;

/// The counters at one moment; subtract two to count what happened between them.
struct allocation_snapshot {
    long news = new_calls.load();
    long mallocs = malloc_calls.load();
    long total() const { return news + mallocs; }
};

}  // namespace mio_test

#if !MIO_TEST_CLANG_TSAN
void* operator new(std::size_t n) {
    mio_test::new_calls.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    mio_test::new_calls.fetch_add(1, std::memory_order_relaxed);
    return std::malloc(n ? n : 1);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return ::operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#endif

#if MIO_TEST_COUNTS_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
void* malloc(std::size_t n) {
    mio_test::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) {
    mio_test::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) {
    mio_test::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
#endif
