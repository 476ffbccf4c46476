// A made-up selector that models mio::selector with the least code, for the compile-fail
// cases: each case breaks one piece of it (or of a policy used with it). It is not an fd
// selector (no `polls_fds`), so fd-based wakers must refuse it.
#pragma once

#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>

namespace toy {

struct event {
    std::size_t token_value = 0;
};

struct selector {
    using handle_type = int;
    using native_event = event;

    static mio::result<selector> create() { return selector{}; }
    mio::result<selector> try_clone() const { return selector{}; }
    mio::result<void> add(int, mio::token, mio::interest) { return {}; }
    mio::result<void> modify(int, mio::token, mio::interest) { return {}; }
    mio::result<void> remove(int) { return {}; }
    mio::result<std::size_t> select(std::span<event>, std::optional<std::chrono::nanoseconds>) { return std::size_t{0}; }

    static mio::token event_token(const event& e) { return mio::token{e.token_value}; }
    static bool is_readable(const event&) { return false; }
    static bool is_writable(const event&) { return false; }
    static bool is_error(const event&) { return false; }
    static bool is_read_closed(const event&) { return false; }
    static bool is_write_closed(const event&) { return false; }
};

}  // namespace toy
