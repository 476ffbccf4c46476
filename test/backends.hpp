// The backends the typed suites run over: every selector that works on this machine, each
// with fixed and dynamic storage and with the wakers it supports. Add a backend here and
// every typed test runs on it.
#pragma once

#include <mio/basic_poll.hpp>
#include <mio/storage/dynamic.hpp>
#include <mio/storage/fixed.hpp>
#if defined(_WIN32)
#  include <mio/net/tcp_listener.hpp>
#  include <mio/net/tcp_stream.hpp>
#  include <mio/selector/afd.hpp>
#  include <mio/waker/iocp.hpp>
#else
#  include <mio/posix/pipe.hpp>
#  include <mio/posix/source_fd.hpp>
#  include <mio/selector/epoll.hpp>
#  include <mio/selector/poll.hpp>
#  include <mio/waker/eventfd.hpp>
#  include <mio/waker/pipe.hpp>
#endif
// kqueue rows where <sys/event.h> exists (the BSDs, Apple; Linux with libkqueue: the kqueue preset).
#if __has_include(<sys/event.h>)
#  include <mio/selector/kqueue.hpp>
#  include <mio/waker/kqueue.hpp>
#  define MIO_TEST_HAS_KQUEUE 1
#else
#  define MIO_TEST_HAS_KQUEUE 0
#endif
#if MIO_TEST_HAS_IO_URING
#  include <mio/selector/io_uring.hpp>
#endif

#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <optional>
#include <type_traits>
#if !defined(_WIN32)
#  include <unistd.h>
#endif

#include <string>

namespace mio_test {

template <class Selector, class Storage, class Waker>
struct backend {
    using selector_type = Selector;
    using poll_type = mio::basic_poll<Selector, Storage, Waker>;
    using events_type = typename poll_type::events_type;
    using waker_type = typename poll_type::waker_type;

    // Events with room for 64 (fixed storage ignores the argument: its capacity is 64).
    static events_type make_events() {
        if constexpr (std::is_default_constructible_v<events_type>) return events_type{};
        else return events_type(64);
    }
};

#if defined(_WIN32)
using all_backends = ::testing::Types<backend<mio::afd_selector, mio::fixed_storage<64>, mio::iocp_waker>,
                                      backend<mio::afd_selector, mio::dynamic_storage, mio::iocp_waker>>;
#else
using all_backends = ::testing::Types<
    backend<mio::epoll_selector, mio::fixed_storage<64>, mio::eventfd_waker>,
    backend<mio::epoll_selector, mio::dynamic_storage, mio::pipe_waker>,
    backend<mio::poll_selector, mio::fixed_storage<64>, mio::eventfd_waker>,
    backend<mio::poll_selector, mio::dynamic_storage, mio::pipe_waker>
#if MIO_TEST_HAS_KQUEUE
    , backend<mio::kqueue_selector, mio::fixed_storage<64>, mio::kqueue_waker>,
    backend<mio::kqueue_selector, mio::dynamic_storage, mio::pipe_waker>
#endif
#if MIO_TEST_HAS_IO_URING
    ,
    backend<mio::io_uring_selector, mio::fixed_storage<64>, mio::eventfd_waker>,
    backend<mio::io_uring_selector, mio::dynamic_storage, mio::pipe_waker>
#endif
    >;
#endif

/// True for the kqueue rows, where a test meets a documented kqueue or libkqueue difference.
template <class Selector>
inline constexpr bool is_kqueue =
#if MIO_TEST_HAS_KQUEUE
    std::is_same_v<Selector, mio::kqueue_selector>;
#else
    false;
#endif

/// True when kqueue is libkqueue's emulation on Linux (see doc/kqueue_selector.md).
#if defined(LIBKQUEUE)
inline constexpr bool kqueue_is_libkqueue = true;
#else
inline constexpr bool kqueue_is_libkqueue = false;
#endif

/// True when `e`, from creating a poll, says the backend cannot run on this machine (io_uring
/// missing or disabled): the typed tests then skip with that message instead of failing.
inline bool backend_unavailable(const std::error_code& e) {
    return e == std::errc::function_not_supported || e == std::errc::operation_not_permitted ||
           e == std::errc::permission_denied;
}

/// A one-way byte channel whose reading end is a source every backend here polls:
/// {writer, reader}. A pipe on POSIX; a loopback TCP connection on Windows (no pipes there).
inline auto byte_channel() {
#if defined(_WIN32)
    auto l = mio::net::tcp_listener::bind(*mio::net::socket_address::parse("127.0.0.1:0"));
    EXPECT_TRUE(l);
    auto tx = mio::net::tcp_stream::connect(*l->local_addr());
    EXPECT_TRUE(tx);
    for (int i = 0; i < 1000; ++i) {
        if (auto a = l->accept()) return std::make_optional(std::make_pair(std::move(*tx), std::move(a->first)));
        ::Sleep(1);
    }
    ADD_FAILURE() << "no connection to accept";
    return std::optional<std::pair<mio::net::tcp_stream, mio::net::tcp_stream>>{};
#else
    auto p = mio::posix::pipe();
    EXPECT_TRUE(p);
    return p ? std::make_optional(std::move(*p)) : std::nullopt;
#endif
}

/// True on Windows builds.
#if defined(_WIN32)
inline constexpr bool is_windows = true;
#else
inline constexpr bool is_windows = false;
#endif

/// True when this Windows program runs under Wine (ntdll exports wine_get_version), where a few
/// documented differences from Windows are checked as Wine behaves (doc/afd_selector.md, "Wine").
inline bool under_wine() {
#if defined(_WIN32)
    static const bool wine = ::GetProcAddress(::GetModuleHandleW(L"ntdll.dll"), "wine_get_version") != nullptr;
    return wine;
#else
    return false;
#endif
}

/// The value byte_channel() holds: {writer, reader}.
using byte_channel_type = decltype(byte_channel())::value_type;

/// A borrowed raw handle as a source (never closed by it): posix::source_fd on POSIX, a
/// SOCKET on Windows (where afd_selector polls sockets only). Built as `borrowed_source{h}`.
#if defined(_WIN32)
struct borrowed_source {
    SOCKET handle;
    SOCKET native_handle() const noexcept { return handle; }
};
inline constexpr SOCKET invalid_native = INVALID_SOCKET;
/// Closes a handle released from a library type.
inline void close_native(SOCKET s) { ::closesocket(s); }
#else
using borrowed_source = mio::posix::source_fd;
inline constexpr int invalid_native = -1;
inline void close_native(int fd) { ::close(fd); }
#endif

/// Base of the typed suites: a poll and events for backend B, and the check every test makes:
/// as many fds open after the test as before it.
template <class B>
class poll_fixture : public fd_leak_check {
protected:
    using poll_type = typename B::poll_type;

    void SetUp() override {
        auto p = poll_type::create();
        if (!p && backend_unavailable(p.error())) GTEST_SKIP() << "backend unavailable: " << p.error().message();
        ASSERT_TRUE(p) << p.error().message();
        poll_.emplace(std::move(*p));
    }
    void TearDown() override {
        poll_.reset();  // the poll's own fds first
        fd_leak_check::TearDown();
    }
    poll_type& poll() { return *poll_; }

    std::optional<poll_type> poll_;
    typename B::events_type events_ = B::make_events();
};

// Readable names for the typed suites ("epoll_fixed_eventfd"). Name every new policy here.
template <class T> constexpr const char* name_of = "unnamed";
template <std::size_t N> constexpr const char* name_of<mio::fixed_storage<N>> = "fixed";
template <> constexpr const char* name_of<mio::dynamic_storage> = "dynamic";
#if defined(_WIN32)
template <> constexpr const char* name_of<mio::afd_selector> = "afd";
template <> constexpr const char* name_of<mio::iocp_waker> = "iocp";
#else
template <> constexpr const char* name_of<mio::epoll_selector> = "epoll";
template <> constexpr const char* name_of<mio::poll_selector> = "poll";
template <> constexpr const char* name_of<mio::eventfd_waker> = "eventfd";
template <> constexpr const char* name_of<mio::pipe_waker> = "pipe";
#endif
#if MIO_TEST_HAS_KQUEUE
template <> constexpr const char* name_of<mio::kqueue_selector> = "kqueue";
template <> constexpr const char* name_of<mio::kqueue_waker> = "kqueue";
#endif
#if MIO_TEST_HAS_IO_URING
template <> constexpr const char* name_of<mio::io_uring_selector> = "io_uring";
#endif

template <class Selector, class Storage, class Waker>
std::string backend_name(const backend<Selector, Storage, Waker>*) {
    return std::string(name_of<Selector>) + "_" + name_of<Storage> + "_" + name_of<Waker>;
}

struct backend_names {
    template <class T>
    static std::string GetName(int) {
        return backend_name(static_cast<const T*>(nullptr));
    }
};

}  // namespace mio_test
