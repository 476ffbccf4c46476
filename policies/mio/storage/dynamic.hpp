// mio::dynamic_storage: a run-time capacity, allocated once when the events object is made.
#pragma once

#include <cstddef>
#include <memory>
#include <utility>

namespace mio {

/// Event storage whose capacity is chosen at run time: one allocation at construction,
/// none afterwards. A capacity of 0 is allowed here but makes poll fail with invalid_argument.
struct dynamic_storage {
    template <class Event>
    class buffer {
    public:
        explicit buffer(std::size_t capacity)
            : events_(capacity ? std::make_unique_for_overwrite<Event[]>(capacity) : nullptr), capacity_(capacity) {}
        buffer(buffer&& o) noexcept : events_(std::move(o.events_)), capacity_(std::exchange(o.capacity_, 0)) {}
        buffer& operator=(buffer&& o) noexcept {
            events_ = std::move(o.events_);
            capacity_ = std::exchange(o.capacity_, 0);
            return *this;
        }

        Event* data() noexcept { return events_.get(); }
        const Event* data() const noexcept { return events_.get(); }
        std::size_t capacity() const noexcept { return capacity_; }

    private:
        std::unique_ptr<Event[]> events_;
        std::size_t capacity_;
    };
};

}  // namespace mio
