// A selector that names no handle_type: the registry must say so.
// expect: mio: selector is missing `using handle_type = ...;`
#include "toy_selector.hpp"

#include <mio/registry.hpp>

struct no_types {
#ifdef MIO_COMPILE_FAIL_CONTROL
    using handle_type = int;
#endif
    using native_event = toy::event;
    static mio::result<no_types> create() { return no_types{}; }
    mio::result<no_types> try_clone() const { return no_types{}; }
    mio::result<void> add(int, mio::token, mio::interest) { return {}; }
    mio::result<void> modify(int, mio::token, mio::interest) { return {}; }
    mio::result<void> remove(int) { return {}; }
    mio::result<std::size_t> select(std::span<toy::event>, std::optional<std::chrono::nanoseconds>) { return std::size_t{0}; }
    static mio::token event_token(const toy::event& e) { return mio::token{e.token_value}; }
    static bool is_readable(const toy::event&) { return false; }
    static bool is_writable(const toy::event&) { return false; }
    static bool is_error(const toy::event&) { return false; }
    static bool is_read_closed(const toy::event&) { return false; }
    static bool is_write_closed(const toy::event&) { return false; }
};

int main() {
    auto r = mio::basic_registry<no_types>::create();
    return r ? 0 : 1;
}
