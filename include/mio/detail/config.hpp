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
