// Value semantics of token, interest and result.
#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <type_traits>
#include <unordered_set>

namespace {

TEST(token, compares_hashes_and_prints) {
    mio::token a{1}, b{2}, c{1};
    EXPECT_EQ(a, c);
    EXPECT_NE(a, b);
    EXPECT_LT(a, b);
    EXPECT_EQ(std::hash<mio::token>{}(a), std::hash<mio::token>{}(c));
    std::unordered_set<mio::token> set{a, b, c};
    EXPECT_EQ(set.size(), 2u);
    std::ostringstream os;
    os << b;
    EXPECT_EQ(os.str(), "token(2)");
    constexpr mio::token max{~std::size_t{0}};
    static_assert(max.value == ~std::size_t{0});
}

TEST(interest, combines_and_queries) {
    constexpr auto rw = mio::interest::readable | mio::interest::writable;
    static_assert(rw.is_readable() && rw.is_writable() && !rw.is_priority());
    EXPECT_TRUE(rw.is_readable());
    EXPECT_TRUE(rw.is_writable());
    EXPECT_FALSE(mio::interest::readable.is_writable());
    EXPECT_EQ(mio::interest::readable.add(mio::interest::writable), rw);
    EXPECT_NE(mio::interest::readable, rw);
    EXPECT_FALSE(rw.is_aio());
    EXPECT_FALSE(rw.is_lio());
#if MIO_HAS_PRIORITY
    EXPECT_TRUE(mio::interest::priority.is_priority());
    EXPECT_FALSE(mio::interest::priority.is_readable());
#endif
}

TEST(interest, remove_to_empty_is_nullopt) {
    constexpr auto rw = mio::interest::readable | mio::interest::writable;
    auto r = rw.remove(mio::interest::writable);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(*r, mio::interest::readable);
    EXPECT_FALSE(mio::interest::readable.remove(mio::interest::readable).has_value());
    EXPECT_FALSE(rw.remove(rw).has_value());
    // Removing something not present leaves the set as it was.
    EXPECT_EQ(mio::interest::readable.remove(mio::interest::writable), mio::interest::readable);
}

TEST(interest, prints_its_members) {
    std::ostringstream os;
    os << (mio::interest::readable | mio::interest::writable);
    EXPECT_EQ(os.str(), "READABLE | WRITABLE");
}

TEST(result, holds_value_or_error) {
    mio::result<int> ok(42);
    ASSERT_TRUE(ok);
    EXPECT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, 42);
    EXPECT_EQ(ok.value(), 42);
    EXPECT_FALSE(ok.error());

    mio::result<int> bad(std::errc::bad_file_descriptor);
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), std::errc::bad_file_descriptor);
#if MIO_HAS_EXCEPTIONS
    EXPECT_THROW((void)bad.value(), std::system_error);
#endif
}

TEST(result, moves_non_copyable_values) {
    mio::result<std::unique_ptr<int>> r(std::make_unique<int>(7));
    auto moved = std::move(r);
    ASSERT_TRUE(moved);
    EXPECT_EQ(**moved, 7);
    mio::result<std::string> s(std::string("abc"));
    EXPECT_EQ(s->size(), 3u);
    s = mio::result<std::string>(std::errc::invalid_argument);
    EXPECT_EQ(s.error(), std::errc::invalid_argument);
    s = mio::result<std::string>(std::string("x"));
    EXPECT_EQ(*s, "x");
}

// Issue 11: a result is as cheap to pass as the error_code it may hold, and as trivial as its T.
static_assert(sizeof(mio::result<std::size_t>) == 16);
static_assert(sizeof(mio::result<void>) == 16);
static_assert(std::is_trivially_copyable_v<mio::result<std::size_t>>);
static_assert(std::is_trivially_destructible_v<mio::result<std::size_t>>);
static_assert(std::is_trivially_copyable_v<mio::result<void>>);
static_assert(std::is_trivially_copyable_v<mio::result<std::error_code>>);
static_assert(!std::is_trivially_copyable_v<mio::result<std::string>>);
static_assert(!std::is_copy_constructible_v<mio::result<std::unique_ptr<int>>>);

TEST(result, trivial_copies_keep_value_and_error) {
    mio::result<std::size_t> ok(7);
    auto ok_copy = ok;
    ASSERT_TRUE(ok_copy);
    EXPECT_EQ(*ok_copy, 7u);
    // An error whose value is 0 is still an error: only a value makes a result truthy.
    mio::result<std::size_t> zero_error(std::error_code(0, std::system_category()));
    EXPECT_FALSE(zero_error);
    EXPECT_EQ(zero_error.error().category(), std::system_category());
    mio::result<std::size_t> bad(std::errc::connection_reset);
    ok_copy = bad;
    EXPECT_FALSE(ok_copy);
    EXPECT_EQ(ok_copy.error(), std::errc::connection_reset);
    EXPECT_EQ(&ok_copy.error().category(), &std::generic_category());
    // take_error's shape: an error_code as the value, built in place.
    mio::result<std::error_code> pending(std::in_place, std::make_error_code(std::errc::timed_out));
    ASSERT_TRUE(pending);
    EXPECT_EQ(*pending, std::errc::timed_out);
}

TEST(result, copies_non_trivial_values) {
    mio::result<std::string> a(std::string(100, 'x'));
    auto b = a;
    ASSERT_TRUE(b);
    EXPECT_EQ(b->size(), 100u);
    a = mio::result<std::string>(std::errc::invalid_argument);
    b = a;
    EXPECT_EQ(b.error(), std::errc::invalid_argument);
}

// Integer results keep an error's value in the value itself (no union): every value an
// error_code can hold must come back exactly, for each width and signedness.
template <class T>
void expect_error_values_round_trip() {
    static_assert(sizeof(mio::result<T>) <= 16 && std::is_trivially_copyable_v<mio::result<T>>);
    for (int v : {1, EAGAIN, -1, -5, INT_MAX, INT_MIN}) {
        mio::result<T> r(std::error_code(v, std::generic_category()));
        ASSERT_FALSE(r) << v;
        EXPECT_EQ(r.error().value(), v);
        EXPECT_EQ(&r.error().category(), &std::generic_category());
    }
    mio::result<T> zero(T{0});
    EXPECT_TRUE(zero);
    EXPECT_EQ(*zero, T{0});
    EXPECT_FALSE(zero.error());
    mio::result<T> init(std::in_place);
    EXPECT_EQ(*init, T{0});
}

TEST(result, integer_results_keep_every_error_value) {
    expect_error_values_round_trip<std::size_t>();
    expect_error_values_round_trip<std::ptrdiff_t>();
    expect_error_values_round_trip<int>();
    expect_error_values_round_trip<unsigned>();
    expect_error_values_round_trip<std::uint64_t>();
}

TEST(result, void_result) {
    mio::result<void> ok;
    EXPECT_TRUE(ok);
    mio::result<void> bad(std::errc::no_such_file_or_directory);
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error(), std::errc::no_such_file_or_directory);
#if MIO_HAS_EXCEPTIONS
    EXPECT_THROW(bad.value(), std::system_error);
    EXPECT_NO_THROW(ok.value());
#endif
    // Kept as value and category, not as a std::error_code: the category comes back as given,
    // a falsy code is success, and success reads back as a default (falsy) error_code.
    mio::result<void> sys(std::error_code(EPIPE, std::system_category()));
    EXPECT_FALSE(sys.has_value());
    EXPECT_EQ(sys.error(), std::error_code(EPIPE, std::system_category()));
    EXPECT_NE(sys.error(), std::error_code(EPIPE, std::generic_category()));
    EXPECT_TRUE(mio::result<void>(std::error_code{}).has_value());
    EXPECT_TRUE(mio::result<void>(std::error_code(0, std::generic_category())).has_value());
    EXPECT_FALSE(ok.error());
    auto copy = bad;
    EXPECT_EQ(copy.error(), std::errc::no_such_file_or_directory);
}

TEST(result, would_block_detection) {
    EXPECT_TRUE(mio::is_would_block(std::error_code(EAGAIN, std::generic_category())));
    EXPECT_TRUE(mio::is_would_block(std::error_code(EWOULDBLOCK, std::generic_category())));
    EXPECT_TRUE(mio::is_would_block(std::make_error_code(std::errc::operation_would_block)));
    EXPECT_FALSE(mio::is_would_block(std::error_code(EINTR, std::generic_category())));
    EXPECT_FALSE(mio::is_would_block(std::error_code{}));
#if !defined(_WIN32)
    // The system category carries errno values on POSIX, as std::system_error reports them
    // (on Windows it carries Win32 codes: WSAEWOULDBLOCK there, tested in windows_error_test).
    EXPECT_TRUE(mio::is_would_block(std::error_code(EAGAIN, std::system_category())));
#endif
    // Same value, another category: not would_block.
    struct other_category : std::error_category {
        const char* name() const noexcept override { return "other"; }
        std::string message(int) const override { return "other"; }
    };
    static const other_category other;
    EXPECT_FALSE(mio::is_would_block(std::error_code(EAGAIN, other)));
}

}  // namespace
