// mio::basic_events: the buffer poll() fills, and the event views iterated out of it.
#pragma once

#include <mio/concepts.hpp>

#include <cstddef>
#include <iterator>
#include <ostream>
#include <span>

namespace mio {

template <class Selector, class Storage, class WakerPolicy>
class basic_poll;

/// A view of one readiness event. Cheap to copy; valid until the next poll into its buffer.
/// Flags other than readable/writable are hints (as in mio); every accessor exists on every
/// platform and answers false where the OS has no such notion.
template <class Selector>
class basic_event {
    using traits = selector_traits<Selector>;

public:
    using native_event = typename Selector::native_event;

    explicit basic_event(const native_event& e) noexcept : e_(&e) {}

    mio::token token() const noexcept { return Selector::event_token(*e_); }
    bool is_readable() const noexcept { return Selector::is_readable(*e_); }
    bool is_writable() const noexcept { return Selector::is_writable(*e_); }
    bool is_error() const noexcept { return Selector::is_error(*e_); }
    bool is_read_closed() const noexcept { return Selector::is_read_closed(*e_); }
    bool is_write_closed() const noexcept { return Selector::is_write_closed(*e_); }
    bool is_priority() const noexcept { return traits::is_priority(*e_); }
    bool is_aio() const noexcept { return traits::is_aio(*e_); }
    bool is_lio() const noexcept { return traits::is_lio(*e_); }
    /// The backend's own event record (epoll_event, pollfd-derived record, ...).
    const native_event& native() const noexcept { return *e_; }

    friend std::ostream& operator<<(std::ostream& os, const basic_event& e) {
        return os << std::boolalpha << "event { token: " << e.token().value << ", readable: " << e.is_readable()
                  << ", writable: " << e.is_writable() << ", error: " << e.is_error()
                  << ", read_closed: " << e.is_read_closed() << ", write_closed: " << e.is_write_closed()
                  << ", priority: " << e.is_priority() << ", aio: " << e.is_aio() << ", lio: " << e.is_lio() << " }";
    }

private:
    const native_event* e_;
};

/// The events of one poll. Storage is a policy: fixed_storage<N> (inline, default
/// constructor, capacity N) or dynamic_storage (one allocation, explicit capacity).
/// A capacity of 0 makes poll fail with std::errc::invalid_argument.
template <class Selector, class Storage>
class basic_events {
    static_assert(detail::check_storage<Storage>());
    using native_event = typename Selector::native_event;
    using buffer_type = typename Storage::template buffer<native_event>;

public:
    using value_type = basic_event<Selector>;

    /// Forward iterator yielding basic_event views by value.
    class iterator {
    public:
        using iterator_category = std::forward_iterator_tag;
        using iterator_concept = std::forward_iterator_tag;
        using value_type = basic_event<Selector>;
        using difference_type = std::ptrdiff_t;
        using reference = value_type;
        using pointer = void;

        iterator() noexcept = default;
        explicit iterator(const native_event* p) noexcept : p_(p) {}
        value_type operator*() const noexcept { return value_type(*p_); }
        iterator& operator++() noexcept { ++p_; return *this; }
        iterator operator++(int) noexcept { auto t = *this; ++p_; return t; }
        friend bool operator==(iterator, iterator) noexcept = default;

    private:
        const native_event* p_ = nullptr;
    };
    using const_iterator = iterator;

    basic_events() requires std::default_initializable<buffer_type> = default;
    explicit basic_events(std::size_t capacity) requires std::constructible_from<buffer_type, std::size_t>
        : buffer_(capacity) {}

    basic_events(basic_events&&) noexcept = default;
    basic_events& operator=(basic_events&&) noexcept = default;

    std::size_t capacity() const noexcept { return buffer_.capacity(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    void clear() noexcept { size_ = 0; }

    iterator begin() const noexcept { return iterator(buffer_.data()); }
    iterator end() const noexcept { return iterator(buffer_.data() + size_); }

    friend std::ostream& operator<<(std::ostream& os, const basic_events& ev) {
        os << "events [";
        const char* sep = "";
        for (auto e : ev) { os << sep << e; sep = ", "; }
        return os << ']';
    }

private:
    template <class, class, class>
    friend class basic_poll;

    std::span<native_event> slots() noexcept { return {buffer_.data(), buffer_.capacity()}; }
    void set_size(std::size_t n) noexcept { size_ = n; }

    buffer_type buffer_;
    std::size_t size_ = 0;
};

}  // namespace mio
