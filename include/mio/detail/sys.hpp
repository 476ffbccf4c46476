// The sys layer: every OS call of mio::net, mio::posix and the wakers goes through here (as
// mio's src/sys/ and Asio's detail/socket_ops). One sub-folder per OS family; each provides the
// same names in mio::detail::sys (see doc/sys.md for the list a new family implements):
//   base.hpp      handle, invalid_handle, last_error(), is_would_block_error(), close()
//   io.hpp        read/write/readv/writev, set_nonblocking, dup_cloexec, pipe
//   socket.hpp    sockets, socket options by name, addresses in the OS's form
//   notifier.hpp  notifier: a readable handle another thread can signal (wakers, poll(2))
#pragma once

#include <mio/detail/sys/base.hpp>

#if MIO_SYS_POSIX
#  include <mio/detail/sys/posix/io.hpp>
#  include <mio/detail/sys/posix/notifier.hpp>
#  include <mio/detail/sys/posix/socket.hpp>
#elif MIO_SYS_WINDOWS
#  include <mio/detail/sys/windows/io.hpp>
#  include <mio/detail/sys/windows/notifier.hpp>
#  include <mio/detail/sys/windows/socket.hpp>
#else
#  include <mio/detail/sys/shell/io.hpp>
#  include <mio/detail/sys/shell/notifier.hpp>
#  include <mio/detail/sys/shell/socket.hpp>
#endif
