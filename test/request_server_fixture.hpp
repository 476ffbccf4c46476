// What resp_server_test and http_server_test share: an example server (example/request_server.hpp
// with a protocol) running on its own thread in this process, and blocking clients with time
// limits, written with plain sockets so that they can misbehave (send a byte at a time, stop
// mid-request, vanish without reading).
#pragma once

#include "../example/request_server.hpp"
#include "fd_count.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

namespace mio_test {

/// A request_server<Protocol> serving on a thread of its own until stop() or destruction.
template <class Protocol>
class server_thread {
public:
    server_thread(Protocol& protocol, example::server_options options) {
        auto s = example::request_server<Protocol>::create(protocol, options);
        if (!s) {
            ADD_FAILURE() << "server: " << s.error().message();
            return;
        }
        server_ = std::move(*s);
        port_ = server_->local_addr().port();
        thread_ = std::thread([this] { result_ = server_->run(); });
    }
    ~server_thread() { stop(); }

    std::uint16_t port() const noexcept { return port_; }

    /// Stops the loop and joins it; the stats may be read after this.
    void stop() {
        if (!thread_.joinable()) return;
        EXPECT_TRUE(server_->stop());
        thread_.join();
        EXPECT_TRUE(result_) << result_.error().message();
    }
    const example::server_stats& stats() const { return server_->stats(); }
    std::size_t open_connections() const { return server_->open_connections(); }

private:
    std::unique_ptr<example::request_server<Protocol>> server_;
    std::uint16_t port_ = 0;
    std::thread thread_;
    mio::result<void> result_{};
};

/// A blocking TCP client to 127.0.0.1 whose reads give up after `timeout`.
class client {
public:
    explicit client(std::uint16_t port, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval tv{static_cast<time_t>(timeout.count() / 1000), static_cast<suseconds_t>(timeout.count() % 1000 * 1000)};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
        int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    }
    ~client() { close(); }
    client(const client&) = delete;
    client& operator=(const client&) = delete;

    bool connected() const noexcept { return connected_; }

    /// Sends all of `data`; false if the server refused it (reset, closed).
    bool send(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    /// Sends `data` one byte at a time, `pause` apart (a slowloris client).
    bool send_slowly(std::string_view data, std::chrono::milliseconds pause) {
        for (char c : data) {
            if (!send(std::string_view(&c, 1))) return false;
            std::this_thread::sleep_for(pause);
        }
        return true;
    }

    /// Reads exactly `n` bytes, or fewer if the server closes or the time runs out.
    std::string read(std::size_t n) {
        std::string s;
        char buf[65536];
        while (s.size() < n) {
            ssize_t r = ::recv(fd_, buf, std::min(sizeof buf, n - s.size()), 0);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) {
                eof_ = r == 0 || errno == ECONNRESET;
                break;
            }
            s.append(buf, static_cast<std::size_t>(r));
        }
        return s;
    }

    /// Reads until the server closes (true) or the time runs out (false); `rest` gets the bytes.
    bool read_to_close(std::string& rest) {
        while (!eof_) {
            std::string s = read(65536);
            rest += s;
            if (s.empty() && !eof_) return false;  // timed out
        }
        return true;
    }
    bool closed_by_server() {
        std::string rest;
        return read_to_close(rest) && rest.empty();
    }

    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }
    /// Closes with a reset (SO_LINGER 0), as a client that crashes may.
    void reset() {
        linger l{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &l, sizeof l);
        close();
    }

private:
    int fd_ = -1;
    bool connected_ = false, eof_ = false;
};

}  // namespace mio_test
