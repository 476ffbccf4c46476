// The standard error categories by address, for hot-path comparisons without calls.
#pragma once

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
