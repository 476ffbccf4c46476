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

/// True when `ec` means "try again later": the library's would_block errors, std::errc's
/// would-block values, and the OS's own code (EAGAIN/EWOULDBLOCK; WSAEWOULDBLOCK on Windows)
/// from a call the user made in try_io. Compares the value, then the category's address: no
/// virtual call, no call at all on the path that ends every drain loop.
inline bool is_would_block(std::error_code ec) noexcept {
    return detail::sys::is_would_block_error(ec);
}

namespace detail {

// The storage of result<T>: the value, or an error as its two halves (value and category),
// with a null category meaning "holds a value". result<std::size_t> is then 16 bytes, as
// std::error_code alone is, and returned in registers when not inlined.
template <class T, bool = std::is_trivially_copyable_v<T>>
class result_storage {
protected:
    template <class... Args>
    explicit result_storage(std::in_place_t, Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args...>)
        : value_(std::forward<Args>(args)...) {}
    explicit result_storage(std::error_code ec) noexcept : error_value_(ec.value()), category_(&ec.category()) {}

    int error_value() const noexcept { return error_value_; }

    union {
        T value_;
        int error_value_;
    };
    const std::error_category* category_ = nullptr;
};

// An integer T (byte counts): the error's value is kept in the value itself, not in a union
// beside it, so that the paths that make a result (bytes, end of stream, error) join into one
// register instead of two halves that the compiler splices back together.
template <class T>
    requires(std::is_integral_v<T> && sizeof(T) >= sizeof(int))
class result_storage<T, true> {
protected:
    template <class... Args>
    explicit result_storage(std::in_place_t, Args&&... args) noexcept : value_(std::forward<Args>(args)...) {}
    explicit result_storage(std::error_code ec) noexcept
        : value_(static_cast<T>(ec.value())), category_(&ec.category()) {}
    // Converting back is exact: C++20 integer conversions are modulo 2^N, and T is at least
    // as wide as int.
    int error_value() const noexcept { return static_cast<int>(value_); }

    T value_;
    const std::error_category* category_ = nullptr;
};

// A T that is not trivially copyable (sockets, strings): the special members construct,
// assign and destroy the value by hand, and exist only where T's do.
template <class T>
class result_storage<T, false> {
protected:
    template <class... Args>
    explicit result_storage(std::in_place_t, Args&&... args) noexcept(std::is_nothrow_constructible_v<T, Args...>)
        : value_(std::forward<Args>(args)...) {}
    explicit result_storage(std::error_code ec) noexcept : error_value_(ec.value()), category_(&ec.category()) {}

    result_storage(const result_storage& o) noexcept(std::is_nothrow_copy_constructible_v<T>)
        requires std::is_copy_constructible_v<T>
    {
        construct_from(o);
    }
    result_storage(result_storage&& o) noexcept(std::is_nothrow_move_constructible_v<T>) { construct_from(std::move(o)); }
    result_storage& operator=(const result_storage& o) requires std::is_copy_constructible_v<T> {
        if (this != &o) {
            destroy();
            construct_from(o);
        }
        return *this;
    }
    result_storage& operator=(result_storage&& o) noexcept(std::is_nothrow_move_constructible_v<T>) {
        if (this != &o) {
            destroy();
            construct_from(std::move(o));
        }
        return *this;
    }
    ~result_storage() { destroy(); }

    int error_value() const noexcept { return error_value_; }

    union {
        T value_;
        int error_value_;
    };
    const std::error_category* category_ = nullptr;

private:
    void destroy() noexcept {
        if (!category_) value_.~T();
    }
    template <class R>
    void construct_from(R&& o) {
        category_ = o.category_;
        if (!category_) ::new (&value_) T(std::forward<R>(o).value_);
        else error_value_ = o.error_value_;
    }
};

}  // namespace detail

/// Holds a T or a std::error_code. [[nodiscard]]: an ignored error is a bug.
/// value() throws std::system_error (or aborts under -fno-exceptions) when it holds an error;
/// operator* and operator-> do not check. Trivially copyable and trivially destructible when
/// T is (as std::expected); result<std::size_t> is 16 bytes.
template <class T>
class [[nodiscard]] result : private detail::result_storage<T> {
    static_assert(!std::is_reference_v<T>, "mio: result<T&> is not supported; use a pointer");

    static constexpr bool is_error_code = std::is_same_v<std::remove_cv_t<T>, std::error_code>;
    using storage = detail::result_storage<T>;
    using storage::category_;
    using storage::error_value;
    using storage::value_;

public:
    using value_type = T;

    // For result<std::error_code> (take_error()) a bare error_code always means failure;
    // a value is built with std::in_place.
    result(const T& v) noexcept(std::is_nothrow_copy_constructible_v<T>) requires(!is_error_code)
        : storage(std::in_place, v) {}
    result(T&& v) noexcept(std::is_nothrow_move_constructible_v<T>) requires(!is_error_code)
        : storage(std::in_place, std::move(v)) {}
    template <class... Args>
    explicit result(std::in_place_t, Args&&... args) : storage(std::in_place, std::forward<Args>(args)...) {}
    result(std::error_code ec) noexcept : storage(ec) {}
    result(std::errc e) noexcept : result(std::make_error_code(e)) {}

    bool has_value() const noexcept { return category_ == nullptr; }
    explicit operator bool() const noexcept { return category_ == nullptr; }

    T& value() & { check(); return value_; }
    const T& value() const& { check(); return value_; }
    T&& value() && { check(); return std::move(value_); }

    T& operator*() & noexcept { return value_; }
    const T& operator*() const& noexcept { return value_; }
    T&& operator*() && noexcept { return std::move(value_); }
    T* operator->() noexcept { return &value_; }
    const T* operator->() const noexcept { return &value_; }

    /// The error; a default (falsy) error_code when a value is held.
    std::error_code error() const noexcept {
        return category_ ? std::error_code(error_value(), *category_) : std::error_code{};
    }

private:
    void check() const {
        if (category_) detail::throw_error(error());
    }
};

/// Success or a std::error_code (a falsy one means success). Kept as the code's value and
/// category pointer, null on success, rather than as a std::error_code: a default error_code
/// asks libstdc++ for system_category() through a call, which every `return {}` would pay.
template <>
class [[nodiscard]] result<void> {
public:
    using value_type = void;
    result() noexcept = default;
    result(std::error_code ec) noexcept : category_(ec ? &ec.category() : nullptr), error_value_(ec.value()) {}
    result(std::errc e) noexcept : result(std::make_error_code(e)) {}

    bool has_value() const noexcept { return category_ == nullptr; }
    explicit operator bool() const noexcept { return category_ == nullptr; }
    void value() const {
        if (category_) detail::throw_error(error());
    }
    void operator*() const noexcept {}
    std::error_code error() const noexcept {
        return category_ ? std::error_code(error_value_, *category_) : std::error_code{};
    }

private:
    const std::error_category* category_ = nullptr;
    int error_value_ = 0;
};

}  // namespace mio
