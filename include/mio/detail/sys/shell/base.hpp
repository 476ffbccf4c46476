// sys layer, "unsupported platform" shell (as mio's sys/shell): the same names as a real OS
// family, built from the standard library alone. Everything compiles; every OS call fails with
// operation_not_supported. Used where mio has no OS family, and by CI (MIO_SYS_SHELL) to prove
// that net/, posix/ and the core make no OS call outside the sys layer.
#pragma once

#include <system_error>

namespace mio::detail::sys {

using handle = int;
inline constexpr handle invalid_handle = -1;

inline std::error_code make_error(int e) noexcept { return {e, std::generic_category()}; }
inline std::error_code last_error() noexcept { return std::make_error_code(std::errc::operation_not_supported); }
/// The shell has no OS codes of its own: the std::errc ones is_would_block checks are all.
inline bool is_would_block_error(const std::error_code& ec) noexcept {
    return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block;
}
inline void close(handle) noexcept {}

}  // namespace mio::detail::sys
