// mio::iocp_waker: wakes an afd_selector by posting a packet to its completion port
// (mio's Windows waker).
#pragma once

#include <mio/selector/afd.hpp>

#include <type_traits>
#include <utility>

namespace mio {

/// Wakes a poll over afd_selector with PostQueuedCompletionStatus: the packet carries the
/// waker's token and comes out of the poll as a readable event. Wakes coalesce: while one
/// packet is queued and not yet polled, further wakes post nothing. No handle of its own;
/// wake() allocates nothing. Works with afd_selector only (a compile error with any other).
struct iocp_waker {
    template <class Selector>
    static constexpr bool supports = std::is_same_v<Selector, afd_selector>;

    template <class Selector>
    class instance {
    public:
        /// Errors: bad_file_descriptor for a closed selector.
        static result<instance> create(Selector& s, token t) {
            auto clone = s.try_clone();
            if (!clone) return clone.error();
            return instance(std::move(*clone), t);
        }

        /// Posts the wake-up packet unless one is already pending. Errors: the port's (Win32).
        result<void> wake() const noexcept { return selector_.post_wake(token_); }

    private:
        instance(Selector s, token t) noexcept : selector_(std::move(s)), token_(t) {}
        Selector selector_;
        token token_;
    };
};

}  // namespace mio
