// Helpers shared by the benchmark subjects (server.cpp, inproc.cpp): timing, CPU pinning,
// argument parsing, and the allocation counter that proves the measured phase of every
// workload allocates nothing.
//
// The counter is the one the tests use (support/alloc_counter.hpp): it replaces operator new
// and interposes malloc, so only the subjects' own translation unit includes this header (it
// defines the replacements), and only once.
#pragma once

#include "alloc_counter.hpp"

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <new>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

namespace mio_bench {

/// Heap allocations made by the whole process so far.
using mio_alloc::allocation_count;

inline std::uint64_t now_ns() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return std::uint64_t(ts.tv_sec) * 1'000'000'000u + std::uint64_t(ts.tv_nsec);
}

[[noreturn]] inline void die(const char* what) {
    std::fprintf(stderr, "fatal: %s: %s\n", what, std::strerror(errno));
    std::exit(2);
}

[[noreturn]] inline void die(const char* what, int err) {
    errno = err;
    die(what);
}

/// Pins the calling thread to `cpu` (modulo the number of CPUs); negative means "do not pin".
inline void pin_self(int cpu) noexcept {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    if (cpu < 0 || n <= 1) return;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu % int(n), &set);
    (void)::pthread_setaffinity_np(::pthread_self(), sizeof set, &set);
}

/// The W5 CPU of thread `which` (0 = A, 1 = B): ANCHORS_W5_CPUS="a,b", default "0,1".
inline int w5_cpu(int which) noexcept {
    int a = 0, b = 1;
    if (const char* e = std::getenv("ANCHORS_W5_CPUS"); e && std::sscanf(e, "%d,%d", &a, &b) != 2) {
        a = 0;
        b = 1;
    }
    return which == 0 ? a : b;
}

/// Raises the soft RLIMIT_NOFILE to `want` (at most the hard limit).
inline void raise_nofile(rlim_t want) noexcept {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want) return;
    rl.rlim_cur = want < rl.rlim_max ? want : rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);
}

inline long arg_long(int argc, char** argv, int idx, long fallback) {
    if (idx >= argc) return fallback;
    char* end = nullptr;
    long v = std::strtol(argv[idx], &end, 10);
    if (end == argv[idx] || *end != '\0') {
        std::fprintf(stderr, "bad numeric argument: %s\n", argv[idx]);
        std::exit(2);
    }
    return v;
}

}  // namespace mio_bench
