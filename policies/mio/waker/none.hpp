// mio::no_waker: a poll without a waker; basic_poll<..., no_waker>::waker_type does not exist.
#pragma once

namespace mio {

/// The waker policy for polls that are never woken from another thread. Works with
/// every selector and costs nothing.
struct no_waker {
    static constexpr bool none = true;
    template <class Selector>
    static constexpr bool supports = true;
};

}  // namespace mio
