// The sys layer's base: the OS handle type and OS errors as std::error_code, for the OS family
// config.hpp picked. Core headers (result.hpp, io_source_state.hpp) include only this; the
// socket, pipe and notifier calls are in <mio/detail/sys.hpp>.
#pragma once

#include <mio/detail/config.hpp>

#if MIO_SYS_POSIX
#  include <mio/detail/sys/posix/base.hpp>
#elif MIO_SYS_WINDOWS
#  include <mio/detail/sys/windows/base.hpp>
#else
#  include <mio/detail/sys/shell/base.hpp>
#endif
