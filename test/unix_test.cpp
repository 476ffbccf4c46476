// Unix-domain sockets: unix_address, unix_listener, unix_stream, unix_datagram, through the
// public API, with real sockets in a temporary directory and in the abstract namespace.
#include <mio/net/unix_address.hpp>
#include <mio/net/unix_datagram.hpp>
#include <mio/net/unix_listener.hpp>
#include <mio/net/unix_stream.hpp>

#include "backends.hpp"
#include "fd_count.hpp"

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <sstream>
#include <string>
#include <sys/socket.h>
#include <sys/stat.h>
#include <type_traits>
#include <unistd.h>
#include <vector>

namespace {

using namespace std::chrono_literals;
using mio::net::unix_address;
using mio::net::unix_datagram;
using mio::net::unix_listener;
using mio::net::unix_stream;

static_assert(!std::is_copy_constructible_v<unix_stream> && std::is_nothrow_move_constructible_v<unix_stream>);
static_assert(!std::is_copy_constructible_v<unix_listener> && std::is_nothrow_move_constructible_v<unix_listener>);
static_assert(!std::is_copy_constructible_v<unix_datagram> && std::is_nothrow_move_constructible_v<unix_datagram>);
static_assert(std::is_copy_constructible_v<unix_address>);

// A fresh directory (mkdtemp) whose socket files are removed, with it, at scope exit.
class temp_dir {
public:
    temp_dir() {
        char tmpl[] = "/tmp/mio-unix-XXXXXX";
        if (::mkdtemp(tmpl) != nullptr) dir_ = tmpl;
    }
    ~temp_dir() {
        for (auto& p : made_) ::unlink(p.c_str());
        if (!dir_.empty()) ::rmdir(dir_.c_str());
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    bool ok() const { return !dir_.empty(); }
    std::string path(const std::string& name) {
        made_.push_back(dir_ + "/" + name);
        return made_.back();
    }

private:
    std::string dir_;
    std::vector<std::string> made_;
};

// A name in the abstract namespace no other test run uses.
std::string abstract_name(const char* what) {
    static int counter = 0;
    return std::string("mio-test-") + std::to_string(::getpid()) + "-" + what + "-" + std::to_string(++counter);
}

std::span<const char> text(const char* s) { return {s, std::strlen(s)}; }

bool would_block(const auto& r) { return !r && mio::is_would_block(r.error()); }

// Every test checks that it closed every fd it opened.
class unix_net : public mio_test::fd_leak_check {};

// ---------------------------------------------------------------------------------------
// unix_address
// ---------------------------------------------------------------------------------------

TEST_F(unix_net, address_from_path_round_trips) {
    auto a = unix_address::from_path("/tmp/some.sock");
    ASSERT_TRUE(a) << a.error().message();
    ASSERT_TRUE(a->pathname());
    EXPECT_EQ(*a->pathname(), "/tmp/some.sock");
    EXPECT_FALSE(a->abstract_name());
    EXPECT_FALSE(a->is_unnamed());
    EXPECT_EQ(a->native().sun_family, AF_UNIX);

    auto back = unix_address::from_native(a->native(), a->native_size());
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, *a);
    EXPECT_NE(*a, *unix_address::from_path("/tmp/other.sock"));

    std::ostringstream os;
    os << *a;
    EXPECT_EQ(os.str(), "/tmp/some.sock");
}

TEST_F(unix_net, address_path_length_limits) {
    std::string longest(unix_address::path_capacity - 1, 'x');
    auto ok = unix_address::from_path(longest);
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok->pathname(), longest);

    auto too_long = unix_address::from_path(longest + "x");
    ASSERT_FALSE(too_long);
    EXPECT_EQ(too_long.error(), std::errc::filename_too_long);
    EXPECT_EQ(unix_address::from_path(std::string(4096, 'y')).error(), std::errc::filename_too_long);

    EXPECT_EQ(unix_address::from_path("").error(), std::errc::invalid_argument);
    EXPECT_EQ(unix_address::from_path(std::string_view("/tmp/a\0b", 8)).error(), std::errc::invalid_argument);

    // The sockets refuse the same paths with the same errors.
    EXPECT_EQ(unix_listener::bind(longest + "x").error(), std::errc::filename_too_long);
    EXPECT_EQ(unix_stream::connect(longest + "x").error(), std::errc::filename_too_long);
    EXPECT_EQ(unix_datagram::bind(longest + "x").error(), std::errc::filename_too_long);
}

TEST_F(unix_net, address_abstract_and_unnamed) {
    const std::string_view name("a\0b\x01", 4);
    auto a = unix_address::from_abstract(name);
#if MIO_OS_LINUX
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->abstract_name());
    EXPECT_EQ(*a->abstract_name(), name);
    EXPECT_FALSE(a->pathname());
    EXPECT_FALSE(a->is_unnamed());
    std::ostringstream os;
    os << *a;
    EXPECT_EQ(os.str(), "@a\\x00b\\x01");

    auto back = unix_address::from_native(a->native(), a->native_size());
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, *a);
    EXPECT_NE(*a, *unix_address::from_abstract("a"));
    // An abstract name is not the path of the same bytes.
    EXPECT_NE(*unix_address::from_abstract("x"), *unix_address::from_path("x"));

    auto empty = unix_address::from_abstract("");
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty->abstract_name(), "");

    EXPECT_TRUE(unix_address::from_abstract(std::string(unix_address::path_capacity - 1, 'n')));
    EXPECT_EQ(unix_address::from_abstract(std::string(unix_address::path_capacity, 'n')).error(),
              std::errc::filename_too_long);
#else
    EXPECT_EQ(a.error(), std::errc::operation_not_supported);
#endif

    unix_address u = unix_address::unnamed();
    EXPECT_TRUE(u.is_unnamed());
    EXPECT_FALSE(u.pathname());
    EXPECT_FALSE(u.abstract_name());
    EXPECT_EQ(u, unix_address{});
    std::ostringstream os2;
    os2 << u;
    EXPECT_EQ(os2.str(), "(unnamed)");
}

TEST_F(unix_net, address_from_native_bounds_untrusted_input) {
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    // Lengths of 0 and of the family alone are unnamed (BSD and Linux report unnamed so).
    EXPECT_TRUE(unix_address::from_native(sa, 0)->is_unnamed());
    EXPECT_TRUE(unix_address::from_native(sa, sizeof(sa_family_t))->is_unnamed());
    EXPECT_TRUE(unix_address::from_native(nullptr, 0)->is_unnamed());

    EXPECT_EQ(unix_address::from_native(nullptr, 4).error(), std::errc::invalid_argument);
    EXPECT_EQ(unix_address::from_native(sa, sizeof sa + 1).error(), std::errc::invalid_argument);
    EXPECT_EQ(unix_address::from_native(sa, 1).error(), std::errc::invalid_argument);
    sockaddr_un wrong = sa;
    wrong.sun_family = AF_INET;
    EXPECT_EQ(unix_address::from_native(wrong, sizeof wrong).error(), std::errc::invalid_argument);

    // A path filling sun_path with no NUL: read exactly the bytes given, never past them.
    std::memset(sa.sun_path, 'p', sizeof sa.sun_path);
    auto full = unix_address::from_native(sa, sizeof sa);
    ASSERT_TRUE(full);
    EXPECT_EQ(full->pathname()->size(), sizeof sa.sun_path);
    // A shorter length cuts the path there.
    auto cut = unix_address::from_native(sa, static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 3));
    ASSERT_TRUE(cut);
    EXPECT_EQ(*cut->pathname(), "ppp");
    // Bytes after the path's NUL are ignored, whatever the length says.
    std::strcpy(sa.sun_path, "/x");
    auto padded = unix_address::from_native(sa, sizeof sa);
    ASSERT_TRUE(padded);
    EXPECT_EQ(*padded, *unix_address::from_path("/x"));

    // Every length of garbage gives an address or an error, never a crash (ASan watches).
    std::array<unsigned char, sizeof(sockaddr_un)> junk;
    for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<unsigned char>(i * 37 + 1);
    std::memcpy(junk.data(), &sa.sun_family, sizeof sa.sun_family);
    for (socklen_t len = 0; len <= junk.size(); ++len) {
        auto r = unix_address::from_native(reinterpret_cast<const sockaddr*>(junk.data()), len);
        if (r) {
            EXPECT_LE(r->native_size(), sizeof(sockaddr_un));
        }
    }
}

// ---------------------------------------------------------------------------------------
// Errors and plain I/O without a poll
// ---------------------------------------------------------------------------------------

TEST_F(unix_net, bind_to_an_existing_path_is_address_in_use) {
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    auto path = dir.path("l.sock");
    auto first = unix_listener::bind(path);
    ASSERT_TRUE(first) << first.error().message();
    auto second = unix_listener::bind(path);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error(), std::errc::address_in_use);
    auto dgram = unix_datagram::bind(path);
    ASSERT_FALSE(dgram);
    EXPECT_EQ(dgram.error(), std::errc::address_in_use);

    // A directory that does not exist.
    EXPECT_EQ(unix_listener::bind(dir.path("no/such/dir.sock")).error(), std::errc::no_such_file_or_directory);
}

TEST_F(unix_net, connect_to_missing_or_dead_path_fails) {
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    // Nothing at the path: Linux says ENOENT.
    auto missing = unix_stream::connect(dir.path("missing.sock"));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error(), std::errc::no_such_file_or_directory) << missing.error().message();

    // A socket file nobody listens on any more: ECONNREFUSED.
    auto stale = dir.path("stale.sock");
    { auto l = unix_listener::bind(stale); ASSERT_TRUE(l); }
    auto refused = unix_stream::connect(stale);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error(), std::errc::connection_refused) << refused.error().message();

#if MIO_OS_LINUX
    auto no_name = unix_stream::connect(*unix_address::from_abstract(abstract_name("nobody")));
    ASSERT_FALSE(no_name);
    EXPECT_EQ(no_name.error(), std::errc::connection_refused) << no_name.error().message();
#endif
}

TEST_F(unix_net, peer_cred_is_our_own_process) {
    auto p = unix_stream::pair();
    ASSERT_TRUE(p) << p.error().message();
    auto c = p->first.peer_cred();
    ASSERT_TRUE(c) << c.error().message();
#if MIO_OS_LINUX
    ASSERT_TRUE(c->pid.has_value());
    EXPECT_EQ(*c->pid, ::getpid());
#endif
    EXPECT_EQ(c->uid, ::getuid());
    EXPECT_EQ(c->gid, ::getgid());

    // Through a listener too.
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    auto path = dir.path("cred.sock");
    auto l = unix_listener::bind(path);
    ASSERT_TRUE(l);
    auto client = unix_stream::connect(path);
    ASSERT_TRUE(client) << client.error().message();
    auto accepted = l->accept();
    ASSERT_TRUE(accepted) << accepted.error().message();
    auto c2 = accepted->first.peer_cred();
    ASSERT_TRUE(c2);
    EXPECT_EQ(c2->uid, ::getuid());
#if MIO_OS_LINUX
    EXPECT_EQ(c2->pid, ::getpid());
#endif

    // Not a socket: an error, not a crash.
    auto bogus = unix_stream::from_native(-1);
    EXPECT_EQ(bogus.peer_cred().error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(bogus.take_error().error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(bogus.local_addr().error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(bogus.write(text("x")).error(), std::errc::bad_file_descriptor);
    EXPECT_EQ(bogus.release(), -1);
}

TEST_F(unix_net, accept_until_would_block) {
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    auto path = dir.path("acc.sock");
    auto l = unix_listener::bind(path);
    ASSERT_TRUE(l);
    EXPECT_TRUE(would_block(l->accept()));

    constexpr int n = 5;
    std::vector<unix_stream> clients;
    for (int i = 0; i < n; ++i) {
        auto c = unix_stream::connect(path);
        ASSERT_TRUE(c) << c.error().message();
        clients.push_back(std::move(*c));
    }
    std::vector<unix_stream> accepted;
    for (;;) {
        auto a = l->accept();
        if (!a) {
            EXPECT_TRUE(mio::is_would_block(a.error())) << a.error().message();
            break;
        }
        EXPECT_TRUE(a->second.is_unnamed());  // the clients never bound
        // Born non-blocking and close-on-exec.
        int fd = a->first.native_handle();
        EXPECT_TRUE(::fcntl(fd, F_GETFL) & O_NONBLOCK);
        EXPECT_TRUE(::fcntl(fd, F_GETFD) & FD_CLOEXEC);
        accepted.push_back(std::move(a->first));
    }
    EXPECT_EQ(accepted.size(), std::size_t{n});

    auto local = l->local_addr();
    ASSERT_TRUE(local);
    EXPECT_EQ(*local->pathname(), path);
    auto peer = clients[0].peer_addr();
    ASSERT_TRUE(peer);
    EXPECT_EQ(*peer, *local);
    EXPECT_TRUE(clients[0].local_addr()->is_unnamed());
    EXPECT_FALSE(*l->take_error());
}

TEST_F(unix_net, stream_io_vectored_peek_and_eof) {
    auto p = unix_stream::pair();
    ASSERT_TRUE(p);
    auto& [a, b] = *p;
    EXPECT_TRUE(a.peer_addr()->is_unnamed());
    EXPECT_TRUE(::fcntl(a.native_handle(), F_GETFL) & O_NONBLOCK);
    EXPECT_TRUE(::fcntl(b.native_handle(), F_GETFD) & FD_CLOEXEC);

    std::array<std::byte, 8> buf{};
    EXPECT_TRUE(would_block(b.read(buf)));

    const std::array<std::byte, 3> x{std::byte{1}, std::byte{2}, std::byte{3}};
    const std::array<std::byte, 2> y{std::byte{4}, std::byte{5}};
    const std::array<std::span<const std::byte>, 2> out{std::span<const std::byte>(x), std::span<const std::byte>(y)};
    auto w = a.writev(out);
    ASSERT_TRUE(w);
    EXPECT_EQ(*w, 5u);

    std::array<char, 2> peeked{};
    auto pk = b.peek(std::span<char>(peeked));
    ASSERT_TRUE(pk);
    EXPECT_EQ(*pk, 2u);
    EXPECT_EQ(peeked[0], 1);

    std::array<std::byte, 2> r1{};
    std::array<std::byte, 8> r2{};
    const std::array<std::span<std::byte>, 2> in{std::span<std::byte>(r1), std::span<std::byte>(r2)};
    auto r = b.readv(in);
    ASSERT_TRUE(r);
    EXPECT_EQ(*r, 5u);
    EXPECT_EQ(r1[1], std::byte{2});
    EXPECT_EQ(r2[2], std::byte{5});

    ASSERT_TRUE(a.shutdown(mio::net::shutdown_how::write));
    auto eof = b.read(buf);
    ASSERT_TRUE(eof);
    EXPECT_EQ(*eof, 0u);
    // Writing after shutdown(write) is EPIPE, and no SIGPIPE kills the test.
    EXPECT_EQ(a.write(text("late")).error(), std::errc::broken_pipe);
    EXPECT_EQ(a.writev(out).error(), std::errc::broken_pipe);
}

TEST_F(unix_net, write_to_closed_peer_is_epipe_without_sigpipe) {
    auto p = unix_stream::pair();
    ASSERT_TRUE(p);
    unix_stream a = std::move(p->first);
    { unix_stream gone = std::move(p->second); }
    EXPECT_EQ(a.write(text("hello")).error(), std::errc::broken_pipe);
    const std::array<std::span<const std::byte>, 1> one{std::as_bytes(text("x"))};
    EXPECT_EQ(a.writev(one).error(), std::errc::broken_pipe);
    EXPECT_FALSE(*a.take_error());
}

TEST_F(unix_net, release_and_from_native_hand_the_fd_over) {
    auto p = unix_stream::pair();
    ASSERT_TRUE(p);
    int fd = p->first.release();
    ASSERT_GE(fd, 0);
    EXPECT_EQ(p->first.native_handle(), -1);
    unix_stream again = unix_stream::from_native(fd);
    EXPECT_EQ(again.native_handle(), fd);
    ASSERT_TRUE(again.write(text("z")));
    std::array<char, 4> buf{};
    EXPECT_EQ(*p->second.read(std::span<char>(buf)), 1u);

    auto l = unix_listener::bind(*unix_address::from_abstract(abstract_name("native")));
#if MIO_OS_LINUX
    ASSERT_TRUE(l);
    unix_listener l2 = unix_listener::from_native(l->release());
    EXPECT_TRUE(would_block(l2.accept()));
#endif

    auto d = unix_datagram::unbound();
    ASSERT_TRUE(d);
    unix_datagram d2 = unix_datagram::from_native(d->release());
    EXPECT_TRUE(would_block(d2.recv(std::span<char>(buf))));
}

TEST_F(unix_net, datagram_pair_send_recv_peek) {
    auto p = unix_datagram::pair();
    ASSERT_TRUE(p) << p.error().message();
    auto& [a, b] = *p;
    std::array<char, 16> buf{};
    EXPECT_TRUE(would_block(b.recv(std::span<char>(buf))));

    ASSERT_EQ(*a.send(text("one")), 3u);
    ASSERT_EQ(*a.send(text("three")), 5u);
    EXPECT_EQ(*b.peek(std::span<char>(buf)), 3u);
    EXPECT_EQ(*b.recv(std::span<char>(buf)), 3u);  // boundaries kept: "one" alone
    EXPECT_EQ(std::string_view(buf.data(), 3), "one");
    auto from = b.recv_from(std::span<char>(buf));
    ASSERT_TRUE(from);
    EXPECT_EQ(from->first, 5u);
    EXPECT_TRUE(from->second.is_unnamed());
    EXPECT_TRUE(a.peer_addr()->is_unnamed());

    ASSERT_TRUE(b.shutdown(mio::net::shutdown_how::write));
    EXPECT_EQ(b.send(text("x")).error(), std::errc::broken_pipe);
}

TEST_F(unix_net, datagram_bound_send_to_recv_from_returns_sender) {
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    auto rx_path = dir.path("rx.sock");
    auto tx_path = dir.path("tx.sock");
    auto rx = unix_datagram::bind(rx_path);
    ASSERT_TRUE(rx) << rx.error().message();
    auto tx = unix_datagram::bind(tx_path);
    ASSERT_TRUE(tx);
    EXPECT_EQ(*rx->local_addr()->pathname(), rx_path);

    ASSERT_EQ(*tx->send_to(text("ping"), rx_path), 4u);
    std::array<std::byte, 16> buf{};
    auto got = rx->recv_from(buf);
    ASSERT_TRUE(got) << got.error().message();
    EXPECT_EQ(got->first, 4u);
    ASSERT_TRUE(got->second.pathname());
    EXPECT_EQ(*got->second.pathname(), tx_path);

    // Reply to the address that came back.
    ASSERT_EQ(*rx->send_to(std::as_bytes(text("pong")), got->second), 4u);
    auto reply = tx->recv_from(std::span<char>(reinterpret_cast<char*>(buf.data()), buf.size()));
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->first, 4u);
    EXPECT_EQ(*reply->second.pathname(), rx_path);

    // peek_from leaves it queued.
    ASSERT_TRUE(tx->send_to(text("again"), rx_path));
    EXPECT_EQ(rx->peek_from(buf)->first, 5u);
    EXPECT_EQ(rx->recv_from(buf)->first, 5u);
    EXPECT_TRUE(would_block(rx->recv_from(buf)));

    // Connected: send/recv and peer_addr.
    ASSERT_TRUE(tx->connect(rx_path));
    EXPECT_EQ(*tx->peer_addr()->pathname(), rx_path);
    ASSERT_TRUE(tx->send(text("c")));
    EXPECT_EQ(*rx->recv(buf), 1u);

    // Nobody there.
    EXPECT_EQ(tx->send_to(text("x"), dir.path("nobody.sock")).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(rx->connect(dir.path("nobody2.sock")).error(), std::errc::no_such_file_or_directory);
    EXPECT_EQ(rx->peer_addr().error(), std::errc::not_connected);
    EXPECT_EQ(rx->send_to(text("x"), std::string(300, 'q')).error(), std::errc::filename_too_long);
}

TEST_F(unix_net, unbound_datagram_sends_but_cannot_be_answered_by_name) {
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    auto rx_path = dir.path("rx.sock");
    auto rx = unix_datagram::bind(rx_path);
    ASSERT_TRUE(rx);
    auto tx = unix_datagram::unbound();
    ASSERT_TRUE(tx) << tx.error().message();
    EXPECT_TRUE(tx->local_addr()->is_unnamed());
    EXPECT_EQ(tx->send(text("x")).error(), std::errc::not_connected);

    ASSERT_EQ(*tx->send_to(text("hi"), *unix_address::from_path(rx_path)), 2u);
    std::array<char, 8> buf{};
    auto got = rx->recv_from(std::span<char>(buf));
    ASSERT_TRUE(got);
    EXPECT_EQ(got->first, 2u);
    EXPECT_TRUE(got->second.is_unnamed());
    EXPECT_TRUE(would_block(tx->recv(std::span<char>(buf))));

#if MIO_OS_LINUX
    // An abstract datagram socket.
    auto name = *unix_address::from_abstract(abstract_name("dgram"));
    auto ab = unix_datagram::bind(name);
    ASSERT_TRUE(ab);
    EXPECT_EQ(*ab->local_addr(), name);
    ASSERT_TRUE(tx->send_to(text("abs"), name));
    EXPECT_EQ(ab->recv(std::span<char>(buf)).value(), 3u);
    EXPECT_EQ(unix_datagram::bind(name).error(), std::errc::address_in_use);
#endif
}

// ---------------------------------------------------------------------------------------
// With a poll, on every backend
// ---------------------------------------------------------------------------------------

template <class Backend>
class unix_poll : public unix_net {
protected:
    using poll_type = typename Backend::poll_type;
    using events_type = typename Backend::events_type;

    // Polls until an event for `t` satisfies `pred`, for at most two seconds.
    template <class Pred>
    static bool wait_for(poll_type& poll, events_type& events, mio::token t, Pred pred) {
        auto deadline = std::chrono::steady_clock::now() + 2s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (!poll.poll(events, 100ms)) return false;
            for (auto e : events)
                if (e.token() == t && pred(e)) return true;
        }
        return false;
    }
    // True when no event for `t` arrives within a short wait.
    static bool quiet(poll_type& poll, events_type& events, mio::token t) {
        if (!poll.poll(events, 50ms)) return false;
        for (auto e : events)
            if (e.token() == t) return false;
        return true;
    }
};
TYPED_TEST_SUITE(unix_poll, mio_test::all_backends, mio_test::backend_names);

constexpr auto is_readable = [](const auto& e) { return e.is_readable(); };
constexpr auto is_writable = [](const auto& e) { return e.is_writable(); };

TYPED_TEST(unix_poll, stream_pair_exchanges_data_both_ways) {
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto p = unix_stream::pair();
    ASSERT_TRUE(p);
    auto& [a, b] = *p;
    const mio::token ta{1}, tb{2};
    ASSERT_TRUE(poll->registry().add(a, ta, mio::interest::readable | mio::interest::writable));
    ASSERT_TRUE(poll->registry().add(b, tb, mio::interest::readable | mio::interest::writable));
    EXPECT_TRUE(this->wait_for(*poll, events, ta, is_writable));

    std::array<char, 64> buf{};
    for (int round = 0; round < 3; ++round) {
        ASSERT_EQ(*a.write(text("ping")), 4u);
        ASSERT_TRUE(this->wait_for(*poll, events, tb, is_readable));
        EXPECT_EQ(*b.read(std::span<char>(buf)), 4u);
        EXPECT_EQ(std::string_view(buf.data(), 4), "ping");
        EXPECT_TRUE(would_block(b.read(std::span<char>(buf))));

        ASSERT_EQ(*b.write(std::as_bytes(text("pong!"))), 5u);
        ASSERT_TRUE(this->wait_for(*poll, events, ta, is_readable));
        EXPECT_EQ(*a.read(std::as_writable_bytes(std::span<char>(buf))), 5u);
        EXPECT_EQ(std::string_view(buf.data(), 5), "pong!");
        EXPECT_TRUE(would_block(a.read(std::span<char>(buf))));
    }
    // The debug one-registry check covers unix sockets too.
    if (MIO_DEBUG_CHECKS) {
        EXPECT_EQ(poll->registry().add(a, ta, mio::interest::readable).error(), std::errc::file_exists);
    }
    ASSERT_TRUE(poll->registry().remove(a));
    EXPECT_FALSE(poll->registry().remove(a));
    ASSERT_TRUE(b.write(text("unseen")));
    EXPECT_TRUE(this->quiet(*poll, events, ta));
}

TYPED_TEST(unix_poll, listener_accepts_over_temp_path) {
    temp_dir dir;
    ASSERT_TRUE(dir.ok());
    auto path = dir.path("listen.sock");
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto l = unix_listener::bind(path);
    ASSERT_TRUE(l) << l.error().message();
    const mio::token tl{7}, tc{8}, ts{9};
    ASSERT_TRUE(poll->registry().add(*l, tl, mio::interest::readable));
    EXPECT_TRUE(this->quiet(*poll, events, tl));

    auto client = unix_stream::connect(path);
    ASSERT_TRUE(client) << client.error().message();
    ASSERT_TRUE(poll->registry().add(*client, tc, mio::interest::readable));
    ASSERT_TRUE(this->wait_for(*poll, events, tl, is_readable));
    auto accepted = l->accept();
    ASSERT_TRUE(accepted) << accepted.error().message();
    EXPECT_TRUE(would_block(l->accept()));
    auto server = std::move(accepted->first);
    ASSERT_TRUE(poll->registry().add(server, ts, mio::interest::readable));

    ASSERT_TRUE(client->write(text("over a path")));
    ASSERT_TRUE(this->wait_for(*poll, events, ts, is_readable));
    std::array<char, 32> buf{};
    EXPECT_EQ(std::string_view(buf.data(), *server.read(std::span<char>(buf))), "over a path");
    ASSERT_TRUE(server.write(text("and back")));
    ASSERT_TRUE(this->wait_for(*poll, events, tc, is_readable));
    EXPECT_EQ(std::string_view(buf.data(), *client->read(std::span<char>(buf))), "and back");

    // A second client after the first was drained: a new edge.
    auto client2 = unix_stream::connect(*unix_address::from_path(path));
    ASSERT_TRUE(client2);
    ASSERT_TRUE(this->wait_for(*poll, events, tl, is_readable));
    EXPECT_TRUE(l->accept());
}

TYPED_TEST(unix_poll, listener_accepts_over_abstract_name) {
#if !MIO_OS_LINUX
    GTEST_SKIP() << "no abstract namespace on this OS";
#else
    auto name = unix_address::from_abstract(abstract_name("listen"));
    ASSERT_TRUE(name);
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto l = unix_listener::bind(*name);
    ASSERT_TRUE(l) << l.error().message();
    EXPECT_EQ(unix_listener::bind(*name).error(), std::errc::address_in_use);
    EXPECT_EQ(*l->local_addr(), *name);
    ASSERT_TRUE(poll->registry().add(*l, mio::token{1}, mio::interest::readable));

    auto client = unix_stream::connect(*name);
    ASSERT_TRUE(client) << client.error().message();
    EXPECT_EQ(*client->peer_addr(), *name);
    ASSERT_TRUE(this->wait_for(*poll, events, mio::token{1}, is_readable));
    auto accepted = l->accept();
    ASSERT_TRUE(accepted);
    ASSERT_TRUE(accepted->first.write(text("abstract")));
    std::array<char, 16> buf{};
    EXPECT_EQ(*client->read(std::span<char>(buf)), 8u);
#endif
}

TYPED_TEST(unix_poll, shutdown_write_gives_peer_read_closed_and_eof) {
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto p = unix_stream::pair();
    ASSERT_TRUE(p);
    auto& [a, b] = *p;
    ASSERT_TRUE(poll->registry().add(b, mio::token{2}, mio::interest::readable));
    ASSERT_TRUE(a.write(text("last")));
    ASSERT_TRUE(a.shutdown(mio::net::shutdown_how::write));
    ASSERT_TRUE(this->wait_for(*poll, events, mio::token{2}, [](const auto& e) { return e.is_read_closed(); }));
    std::array<char, 16> buf{};
    EXPECT_EQ(*b.read(std::span<char>(buf)), 4u);
    auto eof = b.read(std::span<char>(buf));
    ASSERT_TRUE(eof);
    EXPECT_EQ(*eof, 0u);
    // b can still write: only a's write half is shut.
    EXPECT_TRUE(b.write(text("back")));
    EXPECT_EQ(*a.read(std::span<char>(buf)), 4u);
}

TYPED_TEST(unix_poll, moved_stream_keeps_its_registration) {
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto p = unix_stream::pair();
    ASSERT_TRUE(p);
    unix_stream a = std::move(p->first);
    ASSERT_TRUE(poll->registry().add(p->second, mio::token{5}, mio::interest::readable));

    unix_stream moved = std::move(p->second);
    EXPECT_EQ(p->second.native_handle(), -1);
    ASSERT_TRUE(a.write(text("after move")));
    ASSERT_TRUE(this->wait_for(*poll, events, mio::token{5}, is_readable));
    std::array<char, 16> buf{};
    EXPECT_EQ(*moved.read(std::span<char>(buf)), 10u);

    // The registration moved with it: modify and remove go through the new object.
    ASSERT_TRUE(poll->registry().modify(moved, mio::token{6}, mio::interest::writable));
    ASSERT_TRUE(this->wait_for(*poll, events, mio::token{6}, is_writable));
    ASSERT_TRUE(poll->registry().remove(moved));

    // Destroying a registered stream removes it: no event for it afterwards.
    ASSERT_TRUE(poll->registry().add(a, mio::token{9}, mio::interest::readable));
    { unix_stream gone = std::move(a); }
    ASSERT_TRUE(moved.write(text("x")).error());  // peer is gone: EPIPE
    EXPECT_TRUE(this->quiet(*poll, events, mio::token{9}));
}

TYPED_TEST(unix_poll, datagram_events) {
    auto poll = TypeParam::poll_type::create();
    ASSERT_TRUE(poll);
    auto events = TypeParam::make_events();
    auto p = unix_datagram::pair();
    ASSERT_TRUE(p);
    auto& [a, b] = *p;
    ASSERT_TRUE(poll->registry().add(a, mio::token{1}, mio::interest::writable));
    ASSERT_TRUE(poll->registry().add(b, mio::token{2}, mio::interest::readable));
    EXPECT_TRUE(this->wait_for(*poll, events, mio::token{1}, is_writable));
    std::array<char, 16> buf{};
    for (int i = 0; i < 3; ++i) {
        ASSERT_TRUE(a.send(text("dgram")));
        ASSERT_TRUE(this->wait_for(*poll, events, mio::token{2}, is_readable));
        EXPECT_EQ(*b.recv(std::span<char>(buf)), 5u);
        EXPECT_TRUE(would_block(b.recv(std::span<char>(buf))));
    }
}

}  // namespace
