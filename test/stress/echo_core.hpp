// The echo logic the reliability tests drive: a set of stream connections, each echoing
// what it reads, over any registry (epoll, poll(2), the fake selector) and any stream type
// (tcp_stream, unix_stream). One copy of the logic serves the fault tests (where
// fail_next makes each registry operation fail) and the load server (test/stress/).
//
// How it handles each failure (what the tests hold it to):
//   add fails     the connection is closed at once (its peer sees end of stream), counted in
//                 rejected; the server goes on.
//   modify fails  (asking for writable after would_block, or back to readable once the
//                 backlog is flushed) the connection cannot make progress: closed, counted.
//   remove fails  retried once (a transient ENOMEM must not leave a handle that is about to
//                 be closed, and reused, registered); then the connection is closed anyway
//                 (closing takes an fd out of epoll and, for the library's own sockets, out
//                 of the poll(2) backend and the fake selector); counted. Events that still arrive for its token are
//                 ignored and counted as stray.
//   read/write    would_block: wait for the next edge; end of stream: flush what is owed,
//                 then close; any other error (ECONNRESET, EPIPE): close, counted.
// Nothing acknowledged is lost: every byte a peer receives is the next byte it sent, and a
// connection that goes away goes away visibly (the peer reads end of stream or an error).
#pragma once

#include <mio/interest.hpp>
#include <mio/result.hpp>
#include <mio/token.hpp>

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <span>
#include <system_error>
#include <unordered_map>
#include <utility>
#include <vector>

namespace mio_stress {

/// `e` is the errno value `v` in the generic category (the library's POSIX errors), compared
/// without a member call on the category: the load server runs out of fds on purpose, and there
/// UBSan's vptr check of such a call cannot probe memory (it needs a pipe) and fails it.
inline bool is_errno(const std::error_code& e, int v) noexcept {
    return e.value() == v && &e.category() == &std::generic_category();
}

/// A position-sensitive checksum of a byte stream, the same whatever the chunking
/// (Fletcher-style, 64-bit). The load client and server each sum the streams they saw.
struct stream_sum {
    std::uint64_t a = 0, b = 0;
    void add(const std::byte* p, std::size_t n) noexcept {
        for (std::size_t k = 0; k < n; ++k) {
            a += static_cast<std::uint8_t>(p[k]);
            b += a;
        }
    }
    std::uint64_t value() const noexcept { return a ^ (b * 0x9e3779b97f4a7c15ull); }
};

struct echo_stats {
    std::uint64_t adopted = 0;         // connections registered
    std::uint64_t rejected = 0;        // add failed: closed at once
    std::uint64_t closed_eof = 0;      // peer finished and everything was echoed
    std::uint64_t closed_error = 0;    // I/O error (reset, broken pipe)
    std::uint64_t modify_failed = 0;   // closed because modify failed
    std::uint64_t remove_failed = 0;   // remove failed while closing (then retried once)
    std::uint64_t remove_failed_twice = 0;  // the retry failed too (closed anyway)
    std::uint64_t stray_events = 0;    // events for tokens no longer known
    std::uint64_t bytes_in = 0;
    std::uint64_t bytes_out = 0;
    std::uint64_t checksum = 0;        // sum of stream_sum values of the connections closed at eof
};

/// Echo connections registered with `Registry`. Tokens start at `first_token` and are never
/// reused, so a stale event can never reach a newer connection.
template <class Registry, class Stream>
class echo_core {
public:
    /// Bytes held per connection before it stops reading (backpressure).
    static constexpr std::size_t max_backlog = 256 * 1024;

    echo_core(Registry& registry, std::size_t first_token) : reg_(registry), next_token_(first_token) {}

    /// Registers `s` readable under a new token. On failure `s` is closed and the error
    /// returned (counted in rejected).
    mio::result<mio::token> adopt(Stream s) {
        mio::token t{next_token_++};
        auto [it, inserted] = conns_.try_emplace(t.value, std::move(s));
        (void)inserted;
        auto r = reg_.add(it->second.stream, t, mio::interest::readable);
        if (!r) {
            conns_.erase(it);  // closes it
            ++stats_.rejected;
            return r.error();
        }
        ++stats_.adopted;
        // Edge-triggered: data that arrived before add is reported by add (epoll and poll
        // do); nothing else to do here.
        return t;
    }

    /// Handles one event (any event view with token() and the is_* flags).
    template <class Event>
    void handle(const Event& e) {
        auto it = conns_.find(e.token().value);
        if (it == conns_.end()) {
            ++stats_.stray_events;
            return;
        }
        if (e.is_readable() || e.is_read_closed() || e.is_error()) it->second.readable = true;
        if (e.is_writable() || e.is_write_closed() || e.is_error()) it->second.writable = true;
        drive(it);
    }

    /// Closes every connection (removing each).
    void close_all() {
        while (!conns_.empty()) close(conns_.begin(), false);
    }

    std::size_t size() const noexcept { return conns_.size(); }
    bool contains(mio::token t) const { return conns_.count(t.value) != 0; }
    const echo_stats& stats() const noexcept { return stats_; }
    std::size_t next_token() const noexcept { return next_token_; }

private:
    struct conn {
        explicit conn(Stream s) : stream(std::move(s)) {}
        Stream stream;
        std::vector<std::byte> backlog;  // read, not yet written back
        std::size_t sent = 0;            // how much of backlog is written
        bool readable = true;            // not known to be drained (edge-triggered)
        bool writable = true;
        bool eof = false;
        bool want_write = false;         // registered readable | writable
        stream_sum sum;                  // of every byte read
    };
    using iterator = typename std::unordered_map<std::size_t, conn>::iterator;

    // Moves bytes until the connection is blocked both ways, then fixes its interest.
    void drive(iterator it) {
        conn& c = it->second;
        for (bool progress = true; progress;) {
            progress = false;
            while (c.readable && !c.eof && c.backlog.size() - c.sent < max_backlog) {
                std::byte buf[16 * 1024];
                auto n = c.stream.read(std::span<std::byte>(buf));
                if (!n) {
                    if (mio::is_would_block(n.error())) { c.readable = false; break; }
                    if (is_errno(n.error(), EINTR)) continue;
                    return close(it, true);
                }
                if (*n == 0) { c.eof = true; break; }
                if (c.sent > 0 && c.sent == c.backlog.size()) c.backlog.clear(), c.sent = 0;
                c.backlog.insert(c.backlog.end(), buf, buf + *n);
                c.sum.add(buf, *n);
                stats_.bytes_in += *n;
                progress = true;
            }
            while (c.writable && c.sent < c.backlog.size()) {
                auto n = c.stream.write(std::span<const std::byte>(c.backlog.data() + c.sent, c.backlog.size() - c.sent));
                if (!n) {
                    if (mio::is_would_block(n.error())) { c.writable = false; break; }
                    if (is_errno(n.error(), EINTR)) continue;
                    return close(it, true);
                }
                c.sent += *n;
                stats_.bytes_out += *n;
                progress = true;
            }
            if (c.sent == c.backlog.size()) c.backlog.clear(), c.sent = 0;
            else if (c.sent > max_backlog) c.backlog.erase(c.backlog.begin(), c.backlog.begin() + std::ptrdiff_t(c.sent)), c.sent = 0;
        }
        if (c.eof && c.backlog.empty()) {
            ++stats_.closed_eof;
            stats_.checksum += c.sum.value();
            return close(it, false);
        }
        // Ask for writable exactly while bytes are owed and the socket is full.
        bool need = !c.writable && !c.backlog.empty();
        if (need != c.want_write) {
            auto i = need ? mio::interest::readable | mio::interest::writable : mio::interest::readable;
            if (!reg_.modify(c.stream, mio::token{it->first}, i)) {
                ++stats_.modify_failed;
                return close(it, false);
            }
            c.want_write = need;
        }
    }

    void close(iterator it, bool error) {
        if (error) ++stats_.closed_error;
        // One retry: a transient failure (ENOMEM) must not leave the selector holding a
        // handle that is about to be closed and reused (poll(2) and the fake would keep it).
        if (!reg_.remove(it->second.stream)) {
            ++stats_.remove_failed;
            if (!reg_.remove(it->second.stream)) ++stats_.remove_failed_twice;
        }
        conns_.erase(it);  // closes the stream
    }

    Registry& reg_;
    std::size_t next_token_;
    std::unordered_map<std::size_t, conn> conns_;
    echo_stats stats_;
};

}  // namespace mio_stress
