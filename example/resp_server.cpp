// A Redis-protocol (RESP2) server: PING, ECHO, SET, GET, DEL over one thread and one mio::poll,
// fast enough to be measured with redis-benchmark beside redis-server (bench/real_clients).
//
//   resp_server                      serve on 127.0.0.1 and a free port (printed) until Ctrl-C
//                                    (try: redis-cli -p <port> set k v; redis-cli -p <port> get k)
//   resp_server --port 6380          serve on 127.0.0.1:6380
//   resp_server --request-timeout-ms T   refuse requests still incomplete after T ms (default: none,
//                                    as redis)
//   resp_server --demo               also run a client on another thread that checks the replies
//                                    to every command, pipelined and split requests, a large value,
//                                    and malformed input; exit 0 only if all are right
//
// The protocol is in resp.hpp, the event loop (reads, writes, limits) in request_server.hpp.
#include "request_server.hpp"
#include "resp.hpp"

#include <cstdio>
#include <string>

namespace {

std::string command(std::initializer_list<std::string_view> args) {
    std::string s = "*" + std::to_string(args.size()) + "\r\n";
    for (auto a : args) s += "$" + std::to_string(a.size()) + "\r\n" + std::string(a) + "\r\n";
    return s;
}

std::string bulk(std::string_view v) { return "$" + std::to_string(v.size()) + "\r\n" + std::string(v) + "\r\n"; }

// The demo's checks, in order; false at the first wrong reply (it is printed).
bool run_demo(const mio::net::socket_address& server) {
    auto c = example::demo_client::connect(server);
    if (!c) return std::fprintf(stderr, "demo: connect failed\n"), false;
    int checks = 0;
    auto check = [&](std::string_view request, std::string_view expected, std::size_t chunk = std::size_t(-1)) {
        ++checks;
        return c->exchange(request, expected, chunk);
    };
    if (!check("PING\r\n", "+PONG\r\n")) return false;  // inline, as PING_INLINE sends it
    if (!check(command({"PING"}), "+PONG\r\n")) return false;
    if (!check(command({"ECHO", "hello world"}), bulk("hello world"))) return false;
    if (!check(command({"SET", "key", "value"}), "+OK\r\n")) return false;
    if (!check(command({"GET", "key"}), bulk("value"))) return false;
    if (!check("set key2 v2\r\nget key2\r\n", "+OK\r\n" + bulk("v2"))) return false;
    if (!check(command({"DEL", "key", "key2", "nokey"}), ":2\r\n")) return false;
    if (!check(command({"GET", "key"}), "$-1\r\n")) return false;
    if (!check(command({"FLY", "me"}), "-ERR unknown command 'FLY', with args beginning with: 'me' \r\n")) return false;
    if (!check(command({"GET"}), "-ERR wrong number of arguments for 'get' command\r\n")) return false;

    // 1,000 pipelined requests in one write; the replies come in order.
    std::string many, replies;
    for (int i = 0; i < 1000; ++i) {
        std::string v = "v" + std::to_string(i);
        many += command({"SET", "k", v}) + command({"GET", "k"});
        replies += "+OK\r\n" + bulk(v);
    }
    if (!check(many, replies)) return false;

    // A request that arrives a few bytes at a time.
    if (!check(command({"ECHO", "split across many writes"}), bulk("split across many writes"), 3)) return false;

    // A value larger than the socket buffers: the replies go out in several partial writes.
    std::string big(400 * 1024, 'x');
    for (std::size_t i = 0; i < big.size(); i += 997) big[i] = static_cast<char>('a' + i % 26);
    if (!check(command({"SET", "big", big}), "+OK\r\n")) return false;
    if (!check(command({"GET", "big"}) + command({"GET", "big"}), bulk(big) + bulk(big))) return false;

    // Malformed input on a second connection: an error, then the server closes it; the first
    // connection is still served.
    auto bad = example::demo_client::connect(server);
    if (!bad || !bad->exchange("*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n") ||
        !bad->closed_by_server())
        return std::fprintf(stderr, "demo: malformed request not refused and closed\n"), false;
    if (!check("PING\r\n", "+PONG\r\n")) return false;
    std::printf("demo: %d exchanges checked, all replies right\n", checks + 1);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    auto cl = example::parse_command_line(argc, argv);
    if (!cl) {
        std::fprintf(stderr, "usage: %s [--port P] [--request-timeout-ms T] [--demo]\n", argv[0]);
        return 2;
    }
    resp::protocol protocol;
    return example::serve_main("resp_server", protocol, cl->options, cl->demo, run_demo);
}
