// mio::result<T>: a value or a std::error_code, for every fallible call.
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/sys/base.hpp>

#include <cstdlib>
#include <new>
#include <system_error>
#include <type_traits>
#include <utility>

#if MIO_HAS_EXCEPTIONS
#  include <stdexcept>
#endif

namespace mio {

namespace detail {
// Throws std::system_error when exceptions are on; aborts when they are off
// (-fno-exceptions builds must never reach here silently).
[[noreturn]] inline void throw_error(std::error_code ec) {
#if MIO_HAS_EXCEPTIONS
    throw std::system_error(ec);
#else
    (void)ec;
    std::abort();
#endif
}
}  // namespace detail

/// True when `ec` means "try again later": the library's would_block errors, and the OS's own
/// code (EAGAIN/EWOULDBLOCK; WSAEWOULDBLOCK on Windows) from a call the user made in try_io.
inline bool is_would_block(std::error_code ec) noexcept {
    return ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block ||
           detail::sys::is_would_block_error(ec);
}

/// Holds a T or a std::error_code. [[nodiscard]]: an ignored error is a bug.
/// value() throws std::system_error (or aborts under -fno-exceptions) when it holds an error;
/// operator* and operator-> do not check.
template <class T>
class [[nodiscard]] result {
    static_assert(!std::is_reference_v<T>, "mio: result<T&> is not supported; use a pointer");

    static constexpr bool is_error_code = std::is_same_v<std::remove_cv_t<T>, std::error_code>;

public:
    using value_type = T;

    // For result<std::error_code> (take_error()) a bare error_code always means failure;
    // a value is built with std::in_place.
    result(const T& v) noexcept(std::is_nothrow_copy_constructible_v<T>) requires(!is_error_code)
        : ok_(true) { ::new (&value_) T(v); }
    result(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) requires(!is_error_code)
        : ok_(true) { ::new (&value_) T(std::move(v)); }
    template <class... Args>
    explicit result(std::in_place_t, Args&&... args) : ok_(true) {
        ::new (&value_) T(std::forward<Args>(args)...);
    }
    result(std::error_code ec) noexcept : error_(ec), ok_(false) {}
    result(std::errc e) noexcept : result(std::make_error_code(e)) {}

    result(const result& o) noexcept(std::is_nothrow_copy_constructible_v<T>) requires std::is_copy_constructible_v<T>
        : ok_(o.ok_) {
        if (ok_) ::new (&value_) T(o.value_);
        else error_ = o.error_;
    }
    result(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(o.ok_) {
        if (ok_) ::new (&value_) T(std::move(o.value_));
        else error_ = o.error_;
    }
    result& operator=(const result& o) requires std::is_copy_constructible_v<T> {
        if (this != &o) { destroy(); construct_from(o); }
        return *this;
    }
    result& operator=(result&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
        if (this != &o) { destroy(); construct_from(std::move(o)); }
        return *this;
    }
    ~result() { destroy(); }

    bool has_value() const noexcept { return ok_; }
    explicit operator bool() const noexcept { return ok_; }

    T& value() & { check(); return value_; }
    const T& value() const& { check(); return value_; }
    T&& value() && { check(); return std::move(value_); }

    T& operator*() & noexcept { return value_; }
    const T& operator*() const& noexcept { return value_; }
    T&& operator*() && noexcept { return std::move(value_); }
    T* operator->() noexcept { return &value_; }
    const T* operator->() const noexcept { return &value_; }

    /// The error; a default (falsy) error_code when a value is held.
    std::error_code error() const noexcept { return ok_ ? std::error_code{} : error_; }

private:
    void check() const {
        if (!ok_) detail::throw_error(error_);
    }
    void destroy() noexcept {
        if (ok_) value_.~T();
    }
    template <class R>
    void construct_from(R&& o) {
        ok_ = o.ok_;
        if (ok_) ::new (&value_) T(std::forward<R>(o).value_);
        else error_ = o.error_;
    }

    union {
        T value_;
        std::error_code error_;
    };
    bool ok_;
};

/// Success or a std::error_code.
template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;
    result() noexcept = default;
    result(std::error_code ec) noexcept : error_(ec) {}
    result(std::errc e) noexcept : error_(std::make_error_code(e)) {}

    bool has_value() const noexcept { return !error_; }
    explicit operator bool() const noexcept { return !error_; }
    void value() const {
        if (error_) detail::throw_error(error_);
    }
    void operator*() const noexcept {}
    std::error_code error() const noexcept { return error_; }

private:
    std::error_code error_{};
};

}  // namespace mio
