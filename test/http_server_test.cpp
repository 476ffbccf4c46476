// example/http_server's protocol and event loop, driven in-process: keep-alive, pipelining,
// Connection: close and HTTP/1.0, requests split anywhere, malformed, truncated and oversized
// requests (a status, Connection: close, then a close), a slowloris client, the request
// timeout, and no allocation per request.
#include "../example/http.hpp"
#include "alloc_counter.hpp"
#include "request_server_fixture.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace std::chrono_literals;
using mio_test::client;

constexpr std::string_view body = "Hello, World!\n";
const std::string get = "GET / HTTP/1.1\r\nHost: test\r\n\r\n";

// The response head up to its Date, and what follows the Date line.
const std::string head = "HTTP/1.1 200 OK\r\nServer: mio-example\r\nDate: ";
std::string after_date(std::string_view connection, bool with_body = true) {
    std::string s = "\r\nContent-Type: text/plain\r\nContent-Length: 14\r\n";
    if (!connection.empty()) s += "Connection: " + std::string(connection) + "\r\n";
    s += "\r\n";
    if (with_body) s += body;
    return s;
}
// A response with the Date value removed, to compare with after_date.
std::string without_date(std::string s) {
    for (std::size_t at = s.find("\r\nDate: "); at != std::string::npos; at = s.find("\r\nDate: ", at + 1))
        s.erase(at + 8, s.find("\r\n", at + 8) - (at + 8));
    return s;
}
std::string ok(std::string_view connection = "", bool with_body = true) {
    return without_date(head + "Thu, 01 Jan 1970 00:00:00 GMT" + after_date(connection, with_body));
}
std::string refusal(int status, std::string_view reason) {
    std::string r = std::string(reason) + "\n";
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
           "\r\nServer: mio-example\r\nDate: \r\nContent-Type: text/plain\r\nContent-Length: " +
           std::to_string(r.size()) + "\r\nConnection: close\r\n\r\n" + r;
}

std::pair<std::string, bool> answer(http::protocol& p, std::string_view in) {
    example::byte_buffer out;
    auto h = p.handle(in, out);
    return {without_date(std::string(out.view())), h.close};
}

class http_server_test : public mio_test::fd_leak_check {
protected:
    void expect_bystander_served(client& c) {
        ASSERT_TRUE(c.send(get));
        EXPECT_EQ(without_date(c.read(ok().size() + 29)), ok());  // 29: the Date value
    }
    http::protocol protocol_{body};
};

TEST_F(http_server_test, responses_and_connection_handling_follow_http_1_1) {
    http::protocol p(body);
    EXPECT_EQ(answer(p, get), std::make_pair(ok(), false));
    EXPECT_EQ(answer(p, "HEAD /x?y=1 HTTP/1.1\r\nhost: a\r\n\r\n"), std::make_pair(ok("", false), false));
    EXPECT_EQ(answer(p, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Close\r\n\r\n" + get),
              std::make_pair(ok("close"), true));  // nothing after it is answered
    EXPECT_EQ(answer(p, "GET / HTTP/1.1\r\nHost: a\r\nConnection: upgrade, close\r\n\r\n"),
              std::make_pair(ok("close"), true));
    EXPECT_EQ(answer(p, "GET / HTTP/1.0\r\n\r\n"), std::make_pair(ok("close"), true));
    EXPECT_EQ(answer(p, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), std::make_pair(ok("keep-alive"), false));
    EXPECT_EQ(answer(p, "\r\nGET / HTTP/1.1\nHost: a\n\n"), std::make_pair(ok(), false));  // bare LFs, a leading CRLF
    EXPECT_EQ(answer(p, "POST /f HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello" + get),
              std::make_pair(ok() + ok(), false));  // the body is skipped, not taken for a request
    // A Date header in the real thing: the RFC's IMF-fixdate.
    example::byte_buffer out;
    (void)p.handle(get, out);
    std::string real(out.view());
    ASSERT_EQ(real.size(), ok().size() + 29);
    EXPECT_EQ(real.substr(head.size() + 25, 4), " GMT");
}

TEST_F(http_server_test, bad_requests_get_their_status_and_a_close) {
    struct bad {
        std::string request;
        int status;
        std::string_view reason;
    };
    const bad cases[] = {
        {"GARBAGE\r\n\r\n", 400, "Bad Request"},
        {"GET /\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1 extra\r\nHost: a\r\n\r\n", 400, "Bad Request"},
        {"G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request"},
        {"GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\n\r\n", 400, "Bad Request"},  // HTTP/1.1 without Host
        {"GET / HTTP/1.1\r\nHost a\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 10000000\r\n\r\n", 413, "Content Too Large"},
        {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999\r\n\r\n", 413, "Content Too Large"},
        {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 501, "Not Implemented"},
        {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP Version Not Supported"},
        {"GET / HTTP/1.x\r\nHost: a\r\n\r\n", 400, "Bad Request"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'x') + "\r\n\r\n", 431,
         "Request Header Fields Too Large"},
        {"GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'x'), 431, "Request Header Fields Too Large"},
        {std::string(9000, '\n'), 431, "Request Header Fields Too Large"},
    };
    http::protocol p(body);
    for (const auto& b : cases) {
        // After a good request on the same connection: its response first, then the refusal.
        auto a = answer(p, get + b.request);
        EXPECT_EQ(a.first, ok() + refusal(b.status, b.reason)) << b.request.substr(0, 60);
        EXPECT_TRUE(a.second) << b.request.substr(0, 60);
    }

    // The same through the server: the connection is closed after the refusal, and a
    // bystander is served all along.
    mio_test::server_thread server(protocol_, {});
    client bystander(server.port());
    for (const auto& b : cases) {
        client c(server.port());
        ASSERT_TRUE(c.send(b.request));
        std::string got;
        EXPECT_TRUE(c.read_to_close(got)) << b.request.substr(0, 60);
        EXPECT_EQ(without_date(got), refusal(b.status, b.reason)) << b.request.substr(0, 60);
        expect_bystander_served(bystander);
    }
    // A request larger than the server's own limit, headers complete but endless: 431 too.
    client flood(server.port());
    std::string big = "GET / HTTP/1.1\r\nHost: a\r\n";
    while (big.size() < (2u << 20)) big += "X-Filler: " + std::string(100, 'f') + "\r\n";
    (void)flood.send(big);  // the server may close before taking it all
    std::string got;
    EXPECT_TRUE(flood.read_to_close(got));
    EXPECT_EQ(without_date(got), refusal(431, "Request Header Fields Too Large"));
    expect_bystander_served(bystander);
}

TEST_F(http_server_test, a_request_split_anywhere_gets_the_same_responses) {
    const std::string in = "POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc" + get +
                           "HEAD / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
    const std::string want = ok() + ok() + ok("keep-alive", false);
    for (std::size_t cut = 0; cut <= in.size(); ++cut) {
        http::protocol p(body);
        example::byte_buffer out;
        auto h = p.handle(std::string_view(in).substr(0, cut), out);
        ASSERT_FALSE(h.close) << "cut at " << cut;
        auto rest = p.handle(std::string_view(in).substr(h.consumed), out);
        EXPECT_EQ(h.consumed + rest.consumed, in.size()) << "cut at " << cut;
        EXPECT_EQ(without_date(std::string(out.view())), want) << "cut at " << cut;
    }
}

TEST_F(http_server_test, keep_alive_pipelining_and_close_through_the_server) {
    mio_test::server_thread server(protocol_, {});
    client c(server.port());
    for (int i = 0; i < 3; ++i) expect_bystander_served(c);  // one connection, kept alive
    std::string requests, want;
    for (int i = 0; i < 500; ++i) {
        requests += i % 2 ? get : "HEAD /" + std::to_string(i) + " HTTP/1.1\r\nHost: t\r\n\r\n";
        want += i % 2 ? ok() : ok("", false);
    }
    ASSERT_TRUE(c.send(requests));
    std::string got = c.read(want.size() + 500 * 29);
    EXPECT_EQ(without_date(got), want);

    client closing(server.port());
    ASSERT_TRUE(closing.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n" + get));
    std::string rest;
    EXPECT_TRUE(closing.read_to_close(rest));
    EXPECT_EQ(without_date(rest), ok("close"));
    client old(server.port());
    ASSERT_TRUE(old.send("GET / HTTP/1.0\r\n\r\n"));
    rest.clear();
    EXPECT_TRUE(old.read_to_close(rest));
    EXPECT_EQ(without_date(rest), ok("close"));
}

TEST_F(http_server_test, clients_that_vanish_or_crawl_leave_the_others_served) {
    mio_test::server_thread server(protocol_, {});
    client bystander(server.port());
    {
        client half(server.port());
        ASSERT_TRUE(half.send("GET / HTTP/1.1\r\nHo"));  // then closes
    }
    {
        client reset(server.port());
        ASSERT_TRUE(reset.send(get + "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nabc"));
        reset.reset();
    }
    client slow(server.port());
    std::thread loris([&] { EXPECT_TRUE(slow.send_slowly(get, 8ms)); });  // a byte at a time
    for (int i = 0; i < 20; ++i) expect_bystander_served(bystander);
    loris.join();
    EXPECT_EQ(without_date(slow.read(ok().size() + 29)), ok());
    for (int i = 0; i < 200 && server.open_connections() > 2; ++i) std::this_thread::sleep_for(5ms);
    EXPECT_EQ(server.open_connections(), 2u);  // the two that went away are closed
}

TEST_F(http_server_test, a_request_still_incomplete_after_the_timeout_gets_408_and_a_close) {
    example::server_options o;
    o.request_timeout = 150ms;
    mio_test::server_thread server(protocol_, o);
    client slow(server.port()), bystander(server.port());
    ASSERT_TRUE(slow.send(get + "GET / HTTP/1.1\r\n"));
    std::string got;
    EXPECT_TRUE(slow.read_to_close(got));
    EXPECT_EQ(without_date(got), ok() + refusal(408, "Request Timeout"));
    std::this_thread::sleep_for(200ms);
    expect_bystander_served(bystander);  // idle between requests: not timed out
    EXPECT_EQ(server.stats().timed_out, 1u);
}

TEST_F(http_server_test, the_timeout_runs_per_request_so_a_client_streaming_requests_is_never_cut_off) {
    example::server_options o;
    o.request_timeout = 150ms;
    mio_test::server_thread server(protocol_, o);
    client c(server.port());
    // Every piece completes one request and starts the next: a request is always incomplete,
    // for longer than the timeout in all, but none for long.
    const std::string half = get.substr(0, 10), rest = get.substr(10);
    ASSERT_TRUE(c.send(half));
    for (int i = 0; i < 8; ++i) {
        std::this_thread::sleep_for(50ms);
        ASSERT_TRUE(c.send(rest + half));
        EXPECT_EQ(without_date(c.read(ok().size() + 29)), ok()) << "request " << i;
    }
    EXPECT_EQ(server.stats().timed_out, 0u);
}

TEST_F(http_server_test, serving_requests_allocates_nothing) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new is not counted in this build";
    mio_test::server_thread server(protocol_, {});
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    const std::string two = get + get;
    const std::size_t reply = 2 * (ok().size() + 29);
    char buf[1024];
    auto exchange = [&] {
        if (::send(fd, two.data(), two.size(), 0) != static_cast<ssize_t>(two.size())) return false;
        std::size_t got = 0;
        while (got < reply) {
            ssize_t n = ::recv(fd, buf + got, sizeof buf - got, 0);
            if (n <= 0) return false;
            got += static_cast<std::size_t>(n);
        }
        return got == reply;
    };
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(exchange());
    // The response is rebuilt when the second turns (that allocates): measure within one second.
    for (int attempt = 0; attempt < 3; ++attempt) {
        std::time_t start = std::time(nullptr);
        mio_alloc::allocation_snapshot before;
        bool ok_all = true;
        for (int i = 0; i < 500 && ok_all; ++i) ok_all = exchange();
        mio_alloc::allocation_snapshot after;
        ASSERT_TRUE(ok_all);
        if (std::time(nullptr) != start) continue;
        EXPECT_EQ(after.total() - before.total(), 0) << "allocations while serving 1,000 requests";
        break;
    }
    ::close(fd);
}

}  // namespace
