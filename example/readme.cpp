// mio's README example, translated: a TCP server and a client registered with one poll,
// and an event loop that dispatches on their tokens.
//
//   readme          runs the example as mio's README does (blocks until both sides are ready)
//   readme --demo   the same, bounded to 5 seconds; exits 0 only when the server accepted the
//                   connection and the client saw its connect complete without error
#include <mio/mio.hpp>
#include <mio/net/tcp_listener.hpp>

#include <chrono>
#include <cstdio>
#include <optional>
#include <string_view>
#include <system_error>

// Some tokens to tell the two sources apart.
constexpr mio::token SERVER{0};
constexpr mio::token CLIENT{1};

static int fail(const char* what, std::error_code e = {}) {
    std::fprintf(stderr, "readme: %s%s%s\n", what, e ? ": " : "", e ? e.message().c_str() : "");
    return 1;
}

int main(int argc, char** argv) {
    const bool demo = argc > 1 && std::string_view(argv[1]) == "--demo";

    // Create a poll instance and storage for up to 128 events.
    auto poll = mio::poll::create();
    if (!poll) return fail("poll::create", poll.error());
    mio::events events(128);

    // Set up a server socket. mio's README uses port 13265; port 0 lets the OS pick a free one.
    auto addr = mio::net::socket_address::parse("127.0.0.1:0");
    if (!addr) return fail("parse", addr.error());
    auto server = mio::net::tcp_listener::bind(*addr);
    if (!server) return fail("bind", server.error());
    auto bound = server->local_addr();
    if (!bound) return fail("local_addr", bound.error());

    // Start listening for incoming connections.
    if (auto r = poll->registry().add(*server, SERVER, mio::interest::readable); !r) return fail("add server", r.error());

    // Set up a client socket and register it for both readiness kinds.
    auto client = mio::net::tcp_stream::connect(*bound);
    if (!client) return fail("connect", client.error());
    if (auto r = poll->registry().add(*client, CLIENT, mio::interest::readable | mio::interest::writable); !r)
        return fail("add client", r.error());

    // mio's loop blocks forever; the demo gives up after 5 seconds so that a bug cannot hang it.
    const std::optional<std::chrono::nanoseconds> timeout =
        demo ? std::optional<std::chrono::nanoseconds>(std::chrono::seconds{5}) : std::nullopt;
    bool accepted = false;
    bool connected = false;

    // Start an event loop.
    while (!(accepted && connected)) {
        // Poll for events.
        if (auto r = poll->poll(events, timeout); !r) {
            if (r.error() == std::errc::interrupted) continue;  // a signal: poll again, as mio's users do
            return fail("poll", r.error());
        }
        if (events.empty()) return fail("timed out waiting for the connection");

        // Process each event.
        for (auto event : events) {
            // We can use the token we previously provided to `add` to tell which socket the event is for.
            if (event.token() == SERVER) {
                // Edge-triggered: accept until the queue is empty. Dropping a connection closes it.
                for (;;) {
                    auto connection = server->accept();
                    if (!connection) {
                        if (mio::is_would_block(connection.error())) break;
                        return fail("accept", connection.error());
                    }
                    accepted = true;
                }
            } else if (event.token() == CLIENT) {
                if (event.is_writable()) {
                    // Writable after a non-blocking connect: it finished; take_error() tells how.
                    auto pending = client->take_error();
                    if (!pending) return fail("take_error", pending.error());
                    if (*pending) return fail("connect completed with an error", *pending);
                    connected = true;
                }
                if (event.is_readable()) {
                    // We could read from the socket here; the server sends nothing.
                }
            } else {
                return fail("event with an unknown token");  // mio's unreachable!()
            }
        }
    }
    std::puts("readme: server accepted the connection and the client connected");
    return 0;
}
