// The sys layer's base: the OS handle type and OS errors as std::error_code, for the OS family
// config.hpp picked. Core headers (result.hpp, io_source_state.hpp) include only this; the
// socket, pipe and notifier calls are in <mio/detail/sys.hpp>.
#pragma once

#include <mio/detail/config.hpp>

#include <system_error>

namespace mio::detail {
// The standard categories' addresses, looked up once: comparing a category by address is a
// load and a compare, where error_code's == with a std::errc goes through two virtual calls
// (equivalent, default_error_condition), and std::generic_category() itself is a call into
// the standard library.
inline const std::error_category* generic_category_address() noexcept {
    static const std::error_category* const c = &std::generic_category();
    return c;
}
inline const std::error_category* system_category_address() noexcept {
    static const std::error_category* const c = &std::system_category();
    return c;
}
}  // namespace mio::detail

#if MIO_SYS_POSIX
#  include <mio/detail/sys/posix/base.hpp>
#elif MIO_SYS_WINDOWS
#  include <mio/detail/sys/windows/base.hpp>
#else
#  include <mio/detail/sys/shell/base.hpp>
#endif
