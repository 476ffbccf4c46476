// The selector the bench subjects are built over: the platform default (epoll on Linux),
// poll(2) with -DMIO_FORCE_POLL_SELECTOR, io_uring with -DMIO_BENCH_IO_URING.
#pragma once

#include <mio/mio.hpp>

#if defined(MIO_BENCH_IO_URING)
#  include <mio/selector/io_uring.hpp>
#endif

namespace mio_bench {
#if defined(MIO_BENCH_IO_URING)
using selector = mio::io_uring_selector;
#else
using selector = mio::default_selector;
#endif

// True for the poll(2) selector, whose edges are emulated: a re-arm re-arms the whole interest.
#if defined(MIO_FORCE_POLL_SELECTOR) && !defined(MIO_BENCH_IO_URING)
inline constexpr bool emulated_edges = true;
#else
inline constexpr bool emulated_edges = false;
#endif
}  // namespace mio_bench
