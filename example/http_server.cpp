// An HTTP/1.1 server that answers every request with the same small 200 response: keep-alive,
// pipelining, one thread and one mio::poll, fast enough to be measured with wrk beside nginx
// (bench/real_clients).
//
//   http_server                      serve on 127.0.0.1 and a free port (printed) until Ctrl-C
//                                    (try: curl -v http://127.0.0.1:<port>/)
//   http_server --port 8080          serve on 127.0.0.1:8080
//   http_server --request-timeout-ms T   answer 408 and close when a request is still incomplete
//                                    after T ms (default 10,000: a slowloris client is cut off)
//   http_server --demo               also run a client on another thread that checks keep-alive,
//                                    pipelining, Connection: close, HTTP/1.0 and malformed requests;
//                                    exit 0 only if all are right
//
// The protocol is in http.hpp, the event loop (reads, writes, limits) in request_server.hpp.
#include "http.hpp"
#include "request_server.hpp"

#include <cstdio>
#include <string>

namespace {

constexpr std::string_view body = "Hello, World!\n";

// The fixed response as the server makes it (its Date aside: the demo's client masks it).
std::string response(std::string_view connection, bool with_body = true) {
    http::protocol p(body);
    example::byte_buffer out;
    std::string request = with_body ? "GET" : "HEAD";
    request += " / HTTP/1.1\r\nHost: x\r\n";
    if (!connection.empty()) request += "Connection: " + std::string(connection) + "\r\n";
    request += "\r\n";
    (void)p.handle(request, out);
    return std::string(out.view());
}

bool run_demo(const mio::net::socket_address& server) {
    int checks = 0;
    auto connect = [&] {
        auto c = example::demo_client::connect(server);
        if (c) c->mask_dates(true);
        return c;
    };
    auto c = connect();
    if (!c) return std::fprintf(stderr, "demo: connect failed\n"), false;
    auto check = [&](example::demo_client& client, auto make_request, auto make_expected, std::size_t chunk) {
        ++checks;
        return client.exchange(make_request(), make_expected(), chunk);
    };
    auto get = [] { return std::string("GET / HTTP/1.1\r\nHost: demo\r\n\r\n"); };
    const std::size_t whole = std::size_t(-1);

    if (!check(*c, get, [] { return response(""); }, whole)) return false;
    if (!check(*c, get, [] { return response(""); }, whole)) return false;  // the same connection: kept alive
    if (!check(*c, [] { return std::string("HEAD /x HTTP/1.1\r\nHost: demo\r\n\r\n"); },
               [] { return response("", false); }, whole))
        return false;
    // 100 pipelined requests in one write, one with a body to skip.
    auto pipelined = [] {
        std::string s = "POST /form HTTP/1.1\r\nHost: demo\r\nContent-Length: 5\r\n\r\nhello";
        for (int i = 0; i < 99; ++i) s += "GET /" + std::to_string(i) + " HTTP/1.1\r\nHost: demo\r\n\r\n";
        return s;
    };
    auto hundred = [] {
        std::string s;
        for (int i = 0; i < 100; ++i) s += response("");
        return s;
    };
    if (!check(*c, pipelined, hundred, whole)) return false;
    // A request that comes a few bytes at a time.
    if (!check(*c, get, [] { return response(""); }, 5)) return false;

    // Connection: close, and HTTP/1.0 without keep-alive: answered, then closed.
    auto closing = connect();
    if (!closing ||
        !check(*closing, [] { return std::string("GET / HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n\r\n"); },
               [] { return response("close"); }, whole) ||
        !closing->closed_by_server())
        return std::fprintf(stderr, "demo: Connection: close not honoured\n"), false;
    auto old = connect();
    if (!old || !check(*old, [] { return std::string("GET / HTTP/1.0\r\n\r\n"); }, [] { return response("close"); },
                       whole) ||
        !old->closed_by_server())
        return std::fprintf(stderr, "demo: HTTP/1.0 connection not closed\n"), false;

    // A malformed request: 400, then closed; the first connection is still served.
    auto bad = connect();
    const std::string bad_request = "GET / HTTP/1.1\r\nHost demo\r\n\r\n";
    auto refusal = [] {
        return std::string("HTTP/1.1 400 Bad Request\r\nServer: mio-example\r\nDate: \r\nContent-Type: "
                           "text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n");
    };
    if (!bad || !check(*bad, [&] { return bad_request; }, refusal, whole) || !bad->closed_by_server())
        return std::fprintf(stderr, "demo: malformed request not refused with 400 and closed\n"), false;
    if (!check(*c, get, [] { return response(""); }, whole)) return false;
    std::printf("demo: %d exchanges checked, all responses right\n", checks);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    example::server_options defaults;
    defaults.request_timeout = std::chrono::seconds(10);
    auto cl = example::parse_command_line(argc, argv, defaults);
    if (!cl) {
        std::fprintf(stderr, "usage: %s [--port P] [--request-timeout-ms T] [--demo]\n", argv[0]);
        return 2;
    }

    http::protocol protocol(body);
    return example::serve_main("http_server", protocol, cl->options, cl->demo, run_demo);
}
