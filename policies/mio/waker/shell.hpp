// mio::shell_waker: the default waker of the sys layer's "unsupported platform" shell. Like
// shell_selector it calls no OS function and creating one fails with operation_not_supported.
#pragma once

#include <mio/result.hpp>
#include <mio/selector/shell.hpp>
#include <mio/token.hpp>

#include <system_error>
#include <type_traits>

namespace mio {

/// The waker policy of shell_selector (and of no other).
struct shell_waker {
    template <class Selector>
    static constexpr bool supports = std::is_same_v<Selector, shell_selector>;

    /// The waker object for selector S.
    template <class S>
    class instance {
    public:
        /// Errors: operation_not_supported, always.
        static result<instance> create(S&, token) noexcept { return std::make_error_code(std::errc::operation_not_supported); }
        /// Errors: operation_not_supported (no instance exists to call it on).
        result<void> wake() const noexcept { return std::make_error_code(std::errc::operation_not_supported); }
    };
};

}  // namespace mio
