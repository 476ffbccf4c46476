// A selector without modify(): the registry names that one member.
// expect: mio: selector is missing `result<void> modify(handle_type, token, interest)`
#include "toy_selector.hpp"

#include <mio/registry.hpp>

struct no_modify {
    using handle_type = int;
    using native_event = toy::event;
    static mio::result<no_modify> create() { return no_modify{}; }
    mio::result<no_modify> try_clone() const { return no_modify{}; }
    mio::result<void> add(int, mio::token, mio::interest) { return {}; }
#ifdef MIO_COMPILE_FAIL_CONTROL
    mio::result<void> modify(int, mio::token, mio::interest) { return {}; }
#endif
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
    auto r = mio::basic_registry<no_modify>::create();
    return r ? 0 : 1;
}
