// mio::shell_selector: the default selector of the sys layer's "unsupported platform" shell
// (as mio's sys/shell Selector). It calls no OS function: everything compiles, and creating
// one fails with operation_not_supported, so code built for a platform mio does not support
// fails at run time with a clear error instead of at compile time.
#pragma once

#include <mio/detail/sys/base.hpp>
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <system_error>

namespace mio {

/// A selector that no platform backs: create() fails with operation_not_supported, so no
/// object of it exists at run time; its members only give the selector concept its shape.
class shell_selector {
public:
    using handle_type = detail::sys::handle;
    /// An event nobody reports.
    struct native_event {
        token tok{0};
    };

    /// Errors: operation_not_supported, always.
    static result<shell_selector> create() noexcept { return unsupported(); }
    result<shell_selector> try_clone() const noexcept { return unsupported(); }

    result<void> add(handle_type, token, interest) noexcept { return unsupported(); }
    result<void> modify(handle_type, token, interest) noexcept { return unsupported(); }
    result<void> remove(handle_type) noexcept { return unsupported(); }
    result<std::size_t> select(std::span<native_event>, std::optional<std::chrono::nanoseconds>) noexcept {
        return unsupported();
    }

    static token event_token(const native_event& e) noexcept { return e.tok; }
    static bool is_readable(const native_event&) noexcept { return false; }
    static bool is_writable(const native_event&) noexcept { return false; }
    static bool is_error(const native_event&) noexcept { return false; }
    static bool is_read_closed(const native_event&) noexcept { return false; }
    static bool is_write_closed(const native_event&) noexcept { return false; }

private:
    static std::error_code unsupported() noexcept { return std::make_error_code(std::errc::operation_not_supported); }
};

}  // namespace mio
