// A selector without select(): basic_poll must name the missing member.
// expect: mio: selector is missing `result<std::size_t> select(
#include "toy_selector.hpp"

#include <mio/basic_poll.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/none.hpp>

struct no_select {
    using handle_type = int;
    using native_event = toy::event;
    static mio::result<no_select> create() { return no_select{}; }
    mio::result<no_select> try_clone() const { return no_select{}; }
    mio::result<void> add(int, mio::token, mio::interest) { return {}; }
    mio::result<void> modify(int, mio::token, mio::interest) { return {}; }
    mio::result<void> remove(int) { return {}; }
#ifdef MIO_COMPILE_FAIL_CONTROL
    mio::result<std::size_t> select(std::span<toy::event>, std::optional<std::chrono::nanoseconds>) { return std::size_t{0}; }
#endif
    static mio::token event_token(const toy::event& e) { return mio::token{e.token_value}; }
    static bool is_readable(const toy::event&) { return false; }
    static bool is_writable(const toy::event&) { return false; }
    static bool is_error(const toy::event&) { return false; }
    static bool is_read_closed(const toy::event&) { return false; }
    static bool is_write_closed(const toy::event&) { return false; }
};

int main() {
    auto p = mio::basic_poll<no_select, mio::fixed_storage<4>, mio::no_waker>::create();
    return p ? 0 : 1;
}
