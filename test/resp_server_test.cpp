// example/resp_server's protocol and event loop, driven in-process: every command's reply,
// pipelining, requests split anywhere, malformed, truncated and oversized input, a slowloris
// client, clients that do not read, and no allocation per request.
#include "../example/resp.hpp"
#include "alloc_counter.hpp"
#include "request_server_fixture.hpp"

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

namespace {

using namespace std::chrono_literals;
using mio_test::client;

std::string command(std::initializer_list<std::string_view> args) {
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (auto a : args) s += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
    return s;
}
std::string bulk(std::string_view v) { return "$" + std::to_string(v.size()) + "\r\n" + std::string(v) + "\r\n"; }

// What the protocol answers to `in` taken whole, and whether it closes.
std::pair<std::string, bool> answer(resp::protocol& p, std::string_view in) {
    example::byte_buffer out;
    auto h = p.handle(in, out);
    return {std::string(out.view()), h.close};
}

class resp_server_test : public mio_test::fd_leak_check {
protected:
    // A connection that must keep being served whatever the others do.
    void expect_bystander_served(client& c) {
        ASSERT_TRUE(c.send(command({"ECHO", "still here"})));
        EXPECT_EQ(c.read(bulk("still here").size()), bulk("still here"));
    }
    resp::protocol protocol_;
};

TEST_F(resp_server_test, every_command_answers_as_redis_does) {
    resp::protocol p;
    EXPECT_EQ(answer(p, "PING\r\n").first, "+PONG\r\n");  // inline, as redis-benchmark's PING_INLINE
    EXPECT_EQ(answer(p, "ping\n").first, "+PONG\r\n");    // a bare LF ends an inline request too
    EXPECT_EQ(answer(p, command({"PING"})).first, "+PONG\r\n");
    EXPECT_EQ(answer(p, command({"PiNg", "hi"})).first, bulk("hi"));
    EXPECT_EQ(answer(p, command({"ECHO", "a\r\nb"})).first, bulk("a\r\nb"));  // bulks are binary-safe
    EXPECT_EQ(answer(p, command({"GET", "k"})).first, "$-1\r\n");
    EXPECT_EQ(answer(p, command({"SET", "k", "v1"})).first, "+OK\r\n");
    EXPECT_EQ(answer(p, command({"SET", "k", "value two"})).first, "+OK\r\n");
    EXPECT_EQ(answer(p, "GET k\r\n").first, bulk("value two"));
    EXPECT_EQ(answer(p, command({"SET", "empty", ""})).first, "+OK\r\n");
    EXPECT_EQ(answer(p, command({"GET", "empty"})).first, "$0\r\n\r\n");
    EXPECT_EQ(p.keys(), 2u);
    EXPECT_EQ(answer(p, command({"DEL", "k", "empty", "k", "none"})).first, ":2\r\n");
    EXPECT_EQ(p.keys(), 0u);
    EXPECT_EQ(answer(p, command({"CONFIG", "GET", "save"})).first, "*2\r\n$4\r\nsave\r\n$0\r\n\r\n");
    EXPECT_EQ(answer(p, command({"CONFIG", "GET", "maxmemory"})).first, "*0\r\n");
    EXPECT_EQ(answer(p, "\r\n\r\n*0\r\n*-1\r\n").first, "");  // empty requests are skipped

    EXPECT_EQ(answer(p, command({"FLUSHALL", "a\r\nb", "c"})).first,
              "-ERR unknown command 'FLUSHALL', with args beginning with: 'a  b' 'c' \r\n");
    EXPECT_EQ(answer(p, command({"GET"})).first, "-ERR wrong number of arguments for 'get' command\r\n");
    EXPECT_EQ(answer(p, command({"GET", "a", "b"})).first, "-ERR wrong number of arguments for 'get' command\r\n");
    EXPECT_EQ(answer(p, command({"SET", "a"})).first, "-ERR wrong number of arguments for 'set' command\r\n");
    EXPECT_EQ(answer(p, command({"DEL"})).first, "-ERR wrong number of arguments for 'del' command\r\n");
    EXPECT_EQ(answer(p, command({"ECHO"})).first, "-ERR wrong number of arguments for 'echo' command\r\n");
    EXPECT_EQ(answer(p, command({"PING", "a", "b"})).first, "-ERR wrong number of arguments for 'ping' command\r\n");
    EXPECT_EQ(answer(p, command({"SET", "a", "b", "EX", "10"})).first, "-ERR syntax error\r\n");
    EXPECT_EQ(p.keys(), 0u);  // a refused SET stores nothing
    auto quit = answer(p, command({"QUIT"}) + command({"PING"}));
    EXPECT_EQ(quit.first, "+OK\r\n");  // nothing after QUIT is answered
    EXPECT_TRUE(quit.second);
}

TEST_F(resp_server_test, a_request_split_anywhere_gets_the_same_replies) {
    const std::string in = command({"SET", "key", "some value"}) + "PING\r\n" + command({"GET", "key"}) +
                           command({"ECHO", "x"});
    const std::string want = "+OK\r\n+PONG\r\n" + bulk("some value") + bulk("x");
    for (std::size_t cut = 0; cut <= in.size(); ++cut) {
        resp::protocol p;
        example::byte_buffer out;
        auto h = p.handle(std::string_view(in).substr(0, cut), out);
        ASSERT_FALSE(h.close) << "cut at " << cut;
        ASSERT_LE(h.consumed, cut);
        auto rest = p.handle(std::string_view(in).substr(h.consumed), out);
        EXPECT_EQ(h.consumed + rest.consumed, in.size()) << "cut at " << cut;
        EXPECT_EQ(out.view(), want) << "cut at " << cut;
    }
}

TEST_F(resp_server_test, pipelined_requests_are_answered_in_order) {
    mio_test::server_thread server(protocol_, {});
    client c(server.port());
    ASSERT_TRUE(c.connected());
    std::string requests, replies;
    for (int i = 0; i < 2000; ++i) {
        std::string v = std::string(static_cast<std::size_t>(i % 50), 'v') + std::to_string(i);
        requests += command({"SET", "k" + std::to_string(i % 7), v}) + command({"GET", "k" + std::to_string(i % 7)});
        requests += i % 3 == 0 ? "PING\r\n" : command({"PING"});
        replies += "+OK\r\n" + bulk(v) + "+PONG\r\n";
    }
    ASSERT_TRUE(c.send(requests));
    EXPECT_EQ(c.read(replies.size()), replies);
}

TEST_F(resp_server_test, malformed_input_gets_a_protocol_error_and_a_close_while_others_are_served) {
    mio_test::server_thread server(protocol_, {});
    client bystander(server.port());
    struct bad {
        std::string input, error;
    };
    const bad cases[] = {
        {"*x\r\n", "invalid multibulk length"},
        {"*1\r\n+PING\r\n", "expected '$'"},
        {"*1\r\n$-5\r\n", "invalid bulk length"},
        {"*1\r\n$4x\r\nPING\r\n", "invalid bulk length"},
        {"*1\r\n$4\r\nPINGXX", "expected CRLF after bulk"},
        {"*1\r\n$999999999\r\n", "invalid bulk length"},     // larger than the bulk limit
        {"*99999999999\r\n", "invalid multibulk length"},    // more arguments than allowed
        {"*" + std::string(40, '1'), "invalid multibulk length"},  // a length without end
        {"*1\r\n$" + std::string(40, '4'), "invalid bulk length"},
        {"*1\rX", "invalid multibulk length"},
        {std::string(70 * 1024, 'a'), "too big inline request"},  // an inline line without end
        // Three bulks under the bulk limit but over the request limit together.
        {"*3\r\n$500000\r\n" + std::string(500000, 'a') + "\r\n$500000\r\n" + std::string(500000, 'b') +
             "\r\n$500000\r\n" + std::string(500000, 'c'),
         "request too big"},
    };
    for (const auto& b : cases) {
        client c(server.port());
        ASSERT_TRUE(c.send(command({"PING"}) + b.input)) << b.error;
        const std::string want = "+PONG\r\n-ERR Protocol error: " + b.error + "\r\n";
        EXPECT_EQ(c.read(want.size()), want) << b.input.substr(0, 40);
        EXPECT_TRUE(c.closed_by_server()) << b.input.substr(0, 40);
        expect_bystander_served(bystander);
    }
}

TEST_F(resp_server_test, clients_that_vanish_mid_request_leave_the_others_alone) {
    mio_test::server_thread server(protocol_, {});
    client bystander(server.port());
    {
        client half(server.port());
        ASSERT_TRUE(half.send("*2\r\n$3\r\nGET\r\n$"));  // then closes
    }
    {
        client reset(server.port());
        ASSERT_TRUE(reset.send(command({"SET", "k", "v"}) + "*3\r\n$3\r\nSET\r\n"));
        reset.reset();
    }
    {
        // Pipelines a large reply and vanishes without reading it: the server's write fails.
        client gone(server.port());
        ASSERT_TRUE(gone.send(command({"SET", "big", std::string(300 * 1024, 'x')})));
        EXPECT_EQ(gone.read(5), "+OK\r\n");
        std::string gets;
        for (int i = 0; i < 20; ++i) gets += command({"GET", "big"});
        ASSERT_TRUE(gone.send(gets));
        gone.reset();
    }
    expect_bystander_served(bystander);
    client later(server.port());
    ASSERT_TRUE(later.send(command({"GET", "k"})));
    EXPECT_EQ(later.read(bulk("v").size()), bulk("v"));  // the complete SET before the reset ran
    for (int i = 0; i < 200 && server.open_connections() > 2; ++i) std::this_thread::sleep_for(5ms);
    server.stop();
    EXPECT_EQ(server.stats().accepted, 5u);
    EXPECT_EQ(server.stats().closed, 3u);  // the three that went away; fds are not leaked
}

TEST_F(resp_server_test, a_client_that_does_not_read_its_replies_stalls_only_itself) {
    mio_test::server_thread server(protocol_, {});
    client slow(server.port());
    const std::string value(256 * 1024, 'z');
    ASSERT_TRUE(slow.send(command({"SET", "big", value})));
    EXPECT_EQ(slow.read(5), "+OK\r\n");
    std::string gets;
    for (int i = 0; i < 40; ++i) gets += command({"GET", "big"});  // 10 MiB of replies
    ASSERT_TRUE(slow.send(gets));
    client bystander(server.port());
    expect_bystander_served(bystander);
    // Now it reads: every reply arrives whole, through many partial writes.
    std::string want;
    for (int i = 0; i < 40; ++i) want += bulk(value);
    EXPECT_TRUE(slow.read(want.size()) == want);
}

TEST_F(resp_server_test, a_slowloris_client_is_served_without_holding_up_the_others) {
    mio_test::server_thread server(protocol_, {});
    client slow(server.port()), bystander(server.port());
    std::thread loris([&] { EXPECT_TRUE(slow.send_slowly(command({"ECHO", "slow"}), 10ms)); });
    for (int i = 0; i < 20; ++i) expect_bystander_served(bystander);  // while the bytes trickle in
    loris.join();
    EXPECT_EQ(slow.read(bulk("slow").size()), bulk("slow"));
}

TEST_F(resp_server_test, with_a_request_timeout_an_incomplete_request_is_refused_and_closed) {
    example::server_options o;
    o.request_timeout = 150ms;
    mio_test::server_thread server(protocol_, o);
    client slow(server.port()), bystander(server.port());
    ASSERT_TRUE(slow.send(command({"PING"}) + "*2\r\n$4\r\nECHO\r\n"));
    const std::string want = "+PONG\r\n-ERR Protocol error: request timed out\r\n";
    EXPECT_EQ(slow.read(want.size()), want);
    EXPECT_TRUE(slow.closed_by_server());
    expect_bystander_served(bystander);  // idle between requests: not timed out
    server.stop();
    EXPECT_EQ(server.stats().timed_out, 1u);
}

TEST_F(resp_server_test, serving_requests_allocates_nothing_once_buffers_have_grown) {
    if (!mio_alloc::counts_new) GTEST_SKIP() << "operator new is not counted in this build";
    mio_test::server_thread server(protocol_, {});
    const std::string batch = command({"SET", "k", "abc"}) + command({"GET", "k"}) + "PING\r\n" +
                              command({"ECHO", "e"}) + command({"DEL", "nothing"});
    const std::size_t reply = std::string_view("+OK\r\n$3\r\nabc\r\n+PONG\r\n$1\r\ne\r\n:0\r\n").size();
    char buf[256];
    // The client side must not allocate either: raw send/recv into a fixed buffer.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(server.port());
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    auto exchange = [&] {
        if (::send(fd, batch.data(), batch.size(), 0) != static_cast<ssize_t>(batch.size())) return false;
        std::size_t got = 0;
        while (got < reply) {
            ssize_t n = ::recv(fd, buf + got, sizeof buf - got, 0);
            if (n <= 0) return false;
            got += static_cast<std::size_t>(n);
        }
        return got == reply;
    };
    for (int i = 0; i < 100; ++i) ASSERT_TRUE(exchange());  // warm up: the key exists, buffers grew
    mio_alloc::allocation_snapshot before;
    bool ok = true;
    for (int i = 0; i < 1000 && ok; ++i) ok = exchange();
    mio_alloc::allocation_snapshot after;
    ::close(fd);
    ASSERT_TRUE(ok);
    EXPECT_EQ(after.total() - before.total(), 0) << "allocations while serving 5,000 requests";
}

}  // namespace
