// sys layer, POSIX: the libc functions of the hot path, redeclared with MIO_NO_PLT (config.hpp)
// so that GCC calls them through the GOT, not through a PLT stub. The declarations are libc's
// own (same types, same linkage); only the attribute is added, so code that interposes on
// these functions (LD_PRELOAD, fault injection in tests) still sees every call.
#pragma once

#include <mio/detail/config.hpp>

#include <cstddef>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

extern "C" {
ssize_t read(int, void*, std::size_t) MIO_NO_PLT;
ssize_t write(int, const void*, std::size_t) MIO_NO_PLT;
ssize_t readv(int, const struct iovec*, int) MIO_NO_PLT;
ssize_t writev(int, const struct iovec*, int) MIO_NO_PLT;
ssize_t send(int, const void*, std::size_t, int) MIO_NO_PLT;
ssize_t recv(int, void*, std::size_t, int) MIO_NO_PLT;
}
