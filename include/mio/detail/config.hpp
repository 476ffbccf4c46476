// Feature detection for mio, in one place. Built on Boost.Config.
#pragma once

#include <boost/config.hpp>

// Exceptions: detected once, as fmt does; the library never writes `try`.
#if defined(__cpp_exceptions) && !defined(BOOST_NO_EXCEPTIONS)
#  define MIO_HAS_EXCEPTIONS 1
#else
#  define MIO_HAS_EXCEPTIONS 0
#endif

// Debug checks (one registry per source) follow NDEBUG, as mio's follow debug_assertions.
#if !defined(MIO_DEBUG_CHECKS)
#  if defined(NDEBUG)
#    define MIO_DEBUG_CHECKS 0
#  else
#    define MIO_DEBUG_CHECKS 1
#  endif
#endif

#if defined(__linux__) || defined(__ANDROID__)
#  define MIO_OS_LINUX 1
#else
#  define MIO_OS_LINUX 0
#endif

#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
#  define MIO_OS_BSD 1
#else
#  define MIO_OS_BSD 0
#endif

// Apple has no accept4, pipe2 or SOCK_NONBLOCK: its POSIX layer takes the portable path.
#if defined(__APPLE__) && !defined(MIO_FORCE_POSIX_FALLBACKS)
#  define MIO_FORCE_POSIX_FALLBACKS 1
#endif

#if defined(_WIN32)
#  define MIO_OS_WINDOWS 1
#else
#  define MIO_OS_WINDOWS 0
#endif

// Priority readiness exists on Linux, Android and FreeBSD (as in mio).
#if MIO_OS_LINUX || defined(__FreeBSD__)
#  define MIO_HAS_PRIORITY 1
#else
#  define MIO_HAS_PRIORITY 0
#endif

// AIO and LIO readiness exist on the BSDs and Apple (as in mio).
#if MIO_OS_BSD
#  define MIO_HAS_AIO 1
#else
#  define MIO_HAS_AIO 0
#endif
#if defined(__FreeBSD__)
#  define MIO_HAS_LIO 1
#else
#  define MIO_HAS_LIO 0
#endif

// The OS family the sys layer (include/mio/detail/sys/) is built for. MIO_SYS_SHELL, defined
// before any mio header, picks the "unsupported platform" shell on any system: everything
// compiles and every OS call fails with operation_not_supported (CI builds every public header
// that way, so that an OS call outside the sys layer fails the build).
#if defined(MIO_SYS_SHELL)
#  define MIO_SYS_POSIX 0
#  define MIO_SYS_WINDOWS 0
#elif defined(_WIN32)
#  define MIO_SYS_POSIX 0
#  define MIO_SYS_WINDOWS 1
#elif defined(__unix__) || defined(__APPLE__)
#  define MIO_SYS_POSIX 1
#  define MIO_SYS_WINDOWS 0
#else
#  define MIO_SYS_POSIX 0
#  define MIO_SYS_WINDOWS 0
#endif

// Feature macros. Each may be defined (0 or 1) before any mio header to override detection,
// as Asio's ASIO_DISABLE_EPOLL; 0 makes mio take the portable path.
//
// MIO_FORCE_POSIX_FALLBACKS: only what every POSIX system has (socket/accept/pipe then fcntl,
// as on macOS), whatever the system offers; how Linux CI tests the macOS path.
// MIO_DETAIL_ATOMIC_CLOEXEC: the OS makes fds non-blocking and close-on-exec in the creating
// call itself (SOCK_NONBLOCK|SOCK_CLOEXEC, accept4, pipe2); the defaults of the three below.
#if defined(MIO_FORCE_POSIX_FALLBACKS)
#  define MIO_DETAIL_ATOMIC_CLOEXEC 0
#elif MIO_OS_LINUX || defined(__FreeBSD__) || defined(__NetBSD__) || defined(__OpenBSD__) || defined(__DragonFly__)
#  define MIO_DETAIL_ATOMIC_CLOEXEC 1
#else
#  define MIO_DETAIL_ATOMIC_CLOEXEC 0
#endif
/// MIO_NO_PLT: the attribute under which the libc calls of the hot path (epoll_wait, read,
/// write, readv, writev, send, recv) are redeclared, so that a call goes through the GOT
/// instead of a PLT stub: one jump fewer per system call, what -fno-plt does for every call.
/// GCC's noplt; empty (nothing redeclared) elsewhere. Define it empty to turn it off.
#ifndef MIO_NO_PLT
#  if defined(__GNUC__) && !defined(__clang__) && defined(__has_attribute)
#    if __has_attribute(noplt)
#      define MIO_NO_PLT __attribute__((noplt))
#    endif
#  endif
#endif
#ifndef MIO_NO_PLT
#  define MIO_NO_PLT
#endif
/// socket(2) and socketpair(2) take SOCK_NONBLOCK | SOCK_CLOEXEC.
#ifndef MIO_HAS_SOCK_NONBLOCK
#  define MIO_HAS_SOCK_NONBLOCK MIO_DETAIL_ATOMIC_CLOEXEC
#endif
/// accept4(2) exists.
#ifndef MIO_HAS_ACCEPT4
#  define MIO_HAS_ACCEPT4 MIO_DETAIL_ATOMIC_CLOEXEC
#endif
/// pipe2(2) exists.
#ifndef MIO_HAS_PIPE2
#  define MIO_HAS_PIPE2 MIO_DETAIL_ATOMIC_CLOEXEC
#endif
/// eventfd(2) exists (Linux, Android; the eventfd waker and poll(2)'s notifier use it).
#ifndef MIO_HAS_EVENTFD
#  define MIO_HAS_EVENTFD MIO_OS_LINUX
#endif
/// ppoll(2) exists (nanosecond poll(2) timeouts): Linux and the BSDs.
#ifndef MIO_HAS_PPOLL
#  if MIO_OS_LINUX || defined(__FreeBSD__) || defined(__OpenBSD__) || defined(__NetBSD__) || defined(__DragonFly__)
#    define MIO_HAS_PPOLL 1
#  else
#    define MIO_HAS_PPOLL 0
#  endif
#endif
/// epoll_pwait2(2) has a libc wrapper (glibc 2.35). A kernel older than 5.11 still answers
/// ENOSYS, which epoll_selector detects at run time.
#ifndef MIO_HAS_EPOLL_PWAIT2
#  if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 35))
#    define MIO_HAS_EPOLL_PWAIT2 1
#  else
#    define MIO_HAS_EPOLL_PWAIT2 0
#  endif
#endif
