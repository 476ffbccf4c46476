// The one heap-allocation counter of the project's own programs: the tests use it to prove a
// hot path makes no allocation, the benchmark subjects to report the allocations of their
// measured phase (which the library promises to be zero). Not part of mio.
//
// It replaces operator new (every form, aligned ones included) and, outside sanitizer builds
// (whose runtimes own malloc) and only with glibc, interposes malloc/calloc/realloc through
// glibc's __libc_* entry points. Counting is global and costs one relaxed atomic increment.
// Each allocation counts once: operator new takes its memory from glibc directly when malloc
// is counted. Include this header in one translation unit per program (it defines the
// replacements). Clang's ThreadSanitizer runtime defines operator new itself (replacing it is
// a link error), so there counts_new is false and the checks that need it skip.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#  define MIO_ALLOC_SANITIZED 1
#elif defined(__has_feature)
#  if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#    define MIO_ALLOC_SANITIZED 1
#  endif
#endif
#ifndef MIO_ALLOC_SANITIZED
#  define MIO_ALLOC_SANITIZED 0
#endif

#if defined(__clang__) && defined(__has_feature)
#  if __has_feature(thread_sanitizer)
#    define MIO_ALLOC_CLANG_TSAN 1
#  endif
#endif
#ifndef MIO_ALLOC_CLANG_TSAN
#  define MIO_ALLOC_CLANG_TSAN 0
#endif

#if !MIO_ALLOC_SANITIZED && defined(__GLIBC__)
#  define MIO_ALLOC_COUNTS_MALLOC 1
#else
#  define MIO_ALLOC_COUNTS_MALLOC 0
#endif

#if MIO_ALLOC_COUNTS_MALLOC
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void __libc_free(void*);
}
#endif

namespace mio_alloc {

inline std::atomic<long> new_calls{0};
inline std::atomic<long> malloc_calls{0};

/// Whether operator new and malloc are counted in this build.
inline constexpr bool counts_new = !MIO_ALLOC_CLANG_TSAN;
inline constexpr bool counts_malloc = MIO_ALLOC_COUNTS_MALLOC;

/// The counters at one moment; subtract two to count what happened between them.
struct allocation_snapshot {
    long news = new_calls.load(std::memory_order_relaxed);
    long mallocs = malloc_calls.load(std::memory_order_relaxed);
    long total() const { return news + mallocs; }
};

/// Heap allocations made by the whole process so far (operator new and malloc together).
inline std::uint64_t allocation_count() noexcept { return static_cast<std::uint64_t>(allocation_snapshot{}.total()); }

// Memory for operator new, not counted again as a malloc.
inline void* uncounted_malloc(std::size_t n) noexcept {
#if MIO_ALLOC_COUNTS_MALLOC
    return __libc_malloc(n);
#else
    return std::malloc(n);
#endif
}

inline void* counted_new(std::size_t n) noexcept {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    return uncounted_malloc(n ? n : 1);
}

#ifndef _WIN32
inline void* counted_aligned_new(std::size_t n, std::align_val_t a) noexcept {
    new_calls.fetch_add(1, std::memory_order_relaxed);
    auto al = static_cast<std::size_t>(a);
    return std::aligned_alloc(al, (n + al - 1) / al * al);  // a size that is a multiple of al
}
#endif

}  // namespace mio_alloc

#if !MIO_ALLOC_CLANG_TSAN
void* operator new(std::size_t n) {
    if (void* p = mio_alloc::counted_new(n)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return ::operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return mio_alloc::counted_new(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return mio_alloc::counted_new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
#  ifndef _WIN32
// Not on Windows, where the runtime has no aligned_alloc and its own aligned forms pair
// _aligned_malloc with _aligned_free: there aligned allocations go uncounted.
void* operator new(std::size_t n, std::align_val_t a) {
    if (void* p = mio_alloc::counted_aligned_new(n, a)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return ::operator new(n, a); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#  endif
#endif

#if MIO_ALLOC_COUNTS_MALLOC
extern "C" {
void* malloc(std::size_t n) {
    mio_alloc::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t m) {
    mio_alloc::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_calloc(n, m);
}
void* realloc(void* p, std::size_t n) {
    mio_alloc::malloc_calls.fetch_add(1, std::memory_order_relaxed);
    return __libc_realloc(p, n);
}
void free(void* p) { __libc_free(p); }
}
#endif
