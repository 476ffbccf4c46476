// mio::sim::detail::world: the state of one simulated network (mio/sim/network.hpp is the
// public face). Endpoints live in one vector, indexed by handle - handle_base, and are never
// reused, so a stale timer or peer index can never reach a newer socket. Every arrival is one
// timer in the fake selector (fake_selector::schedule); nothing else schedules.
//
// Streams: bytes a socket writes go to its peer's `flight` queue with one segment record
// (arrival time, length); arrivals are in order (a segment never overtakes the previous one)
// and move bytes to the peer's `inbound` queue. FIN and RST travel as segments too, so they
// arrive after the bytes written before them. A partition holds the segments of a direction at
// the head of its queue until heal(). Datagrams travel alone (one timer each) and may reorder.
// Allocation: endpoints, queues and payload buffers grow to their largest size and are reused.
#pragma once

#include <mio/detail/sim_random.hpp>
#include <mio/interest.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>
#include <mio/selector/fake.hpp>
#include <mio/token.hpp>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

namespace mio::sim {

/// The simulated link: applies to every pair of endpoints of a network.
struct link {
    std::chrono::nanoseconds latency{0};  ///< one way, for stream bytes and datagrams
    std::chrono::nanoseconds jitter{0};   ///< extra delay drawn in [0, jitter]; datagrams may reorder
    double loss = 0;                      ///< datagrams only: chance that one is dropped
    std::size_t buffer = 65536;           ///< bytes in flight per stream direction before write would_block
};

namespace detail {

// A FIFO in one vector: push appends, pop advances a head; the consumed front is reclaimed by
// moving the rest down, so no allocation happens once the vector reached its largest size.
template <class T>
class fifo {
public:
    std::size_t size() const noexcept { return v_.size() - head_; }
    bool empty() const noexcept { return head_ == v_.size(); }
    T& front() noexcept { return v_[head_]; }
    T& back() noexcept { return v_.back(); }
    void push(const T& x) {
        reclaim();
        v_.push_back(x);
    }
    void pop() noexcept {
        if (++head_ == v_.size()) clear();
    }
    void clear() noexcept {
        v_.clear();
        head_ = 0;
    }
    T* begin() noexcept { return v_.data() + head_; }
    T* end() noexcept { return v_.data() + v_.size(); }

private:
    void reclaim() noexcept {
        if (head_ > 0 && head_ * 2 >= v_.size()) {
            v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
    }
    std::vector<T> v_;
    std::size_t head_ = 0;
};

// A FIFO of bytes (same reuse as fifo).
class byte_queue {
public:
    std::size_t size() const noexcept { return v_.size() - head_; }
    bool empty() const noexcept { return head_ == v_.size(); }
    void push(std::span<const std::byte> b) {
        if (head_ > 0 && head_ * 2 >= v_.size()) {
            v_.erase(v_.begin(), v_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        v_.insert(v_.end(), b.begin(), b.end());
    }
    // Copies up to out.size() bytes from the front; removes them unless peeking.
    std::size_t pop(std::span<std::byte> out, bool remove = true) noexcept {
        std::size_t n = std::min(out.size(), size());
        if (n > 0) std::memcpy(out.data(), v_.data() + head_, n);
        if (remove) drop(n);
        return n;
    }
    // Moves n bytes from the front of this queue to the back of `to`.
    void move_to(byte_queue& to, std::size_t n) {
        n = std::min(n, size());
        to.push(std::span<const std::byte>(v_.data() + head_, n));
        drop(n);
    }
    void drop(std::size_t n) noexcept {
        head_ += std::min(n, size());
        if (head_ == v_.size()) clear();
    }
    void clear() noexcept {
        v_.clear();
        head_ = 0;
    }

private:
    std::vector<std::byte> v_;
    std::size_t head_ = 0;
};

class world {
public:
    /// Sim handles start here (far above real fds), per network, in creation order.
    static constexpr int handle_base = 1 << 30;

    enum class kind : std::uint8_t { listener, stream, datagram };
    enum class phase : std::uint8_t { connecting, established, refused, closed };
    enum class seg_kind : std::uint8_t { data, fin, rst };
    enum class timer_kind : std::uint64_t { stream_arrival = 1, connect = 2, datagram = 3 };

    struct segment {
        std::chrono::nanoseconds at;
        std::size_t len;
        seg_kind what;
    };
    struct queued_datagram {
        net::socket_address from;
        std::uint32_t payload;
    };

    struct endpoint {
        kind k = kind::stream;
        phase ph = phase::established;
        net::socket_address local{}, peer{};
        std::uint32_t peer_ep = 0;  // streams: the other end
        std::optional<mio::token> tok;
        bool registered = false;
        bool holds_binding = false;  // its local address is reserved in `bound`
        // Streams: the receive side of this end (what the peer sent toward it).
        fifo<segment> segs;
        byte_queue flight, inbound;
        bool rx_blocked = false;       // a partition holds segs.front()
        bool connect_blocked = false;  // a partition holds the SYN
        bool eof = false, reset_in = false, rd_shut = false, wr_shut = false;
        bool write_blocked = false;    // a write hit would_block: say writable when room comes back
        bool rst_sent = false;         // this end already told its peer to reset
        std::error_code error{};       // pending: take_error(), or the next read/write
        // Listeners: connections not yet accepted.
        fifo<std::uint32_t> backlog;
        // Datagram sockets: received, not yet read.
        fifo<queued_datagram> dgrams;
        std::size_t dgram_bytes = 0;
    };

    world(fake_selector sel, std::uint64_t seed) : sel_(std::move(sel)), rng_(seed) {}
    world(const world&) = delete;
    world& operator=(const world&) = delete;
    ~world() { sel_.cancel_timers(this); }

    fake_selector& selector() noexcept { return sel_; }
    std::chrono::nanoseconds now() const { return sel_.now(); }
    int handle(std::uint32_t id) const noexcept { return handle_base + static_cast<int>(id); }
    endpoint& ep(std::uint32_t id) noexcept { return eps_[id]; }

    link link_{};

    // ---- addresses and partitions ----

    static bool same_ip(const net::socket_address& a, const net::socket_address& b) noexcept { return a.ip() == b.ip(); }
    static bool is_any(const net::socket_address& a) noexcept {
        return std::visit([](auto ip) { return ip.is_unspecified(); }, a.ip());
    }
    // A partition side matches an address when the IPs are equal (or the side's is
    // unspecified) and its port is the same (or 0).
    static bool matches(const net::socket_address& side, const net::socket_address& a) noexcept {
        return side.is_ipv4() == a.is_ipv4() && (is_any(side) || same_ip(side, a)) &&
               (side.port() == 0 || side.port() == a.port());
    }
    bool partitioned(const net::socket_address& x, const net::socket_address& y) const noexcept {
        for (const auto& r : parts_)
            if ((matches(r.first, x) && matches(r.second, y)) || (matches(r.first, y) && matches(r.second, x)))
                return true;
        return false;
    }
    void partition(const net::socket_address& a, const net::socket_address& b) { parts_.emplace_back(a, b); }

    void heal() {
        parts_.clear();
        const auto at = now() + link_.latency;
        for (std::uint32_t id = 0; id < eps_.size(); ++id) {
            auto& e = eps_[id];
            if (e.rx_blocked) {
                e.rx_blocked = false;
                for (auto& s : e.segs) {
                    s.at = std::max(s.at, at);  // the held bytes go again once the link is back
                    schedule(s.at, timer_kind::stream_arrival, id);
                }
            }
            if (e.connect_blocked) {
                e.connect_blocked = false;
                schedule(at, timer_kind::connect, id);
            }
        }
    }

    // Reserves `a` (port 0: the next free port from 49152) for TCP or UDP. EADDRINUSE when
    // taken: same protocol, family and port, and the same IP or either unspecified.
    result<net::socket_address> reserve(net::socket_address a, bool udp, std::uint32_t owner) {
        auto taken = [&](const net::socket_address& x) {
            for (const auto& b : bound_)
                if (b.udp == udp && b.addr.port() == x.port() && b.addr.is_ipv4() == x.is_ipv4() &&
                    (same_ip(b.addr, x) || is_any(b.addr) || is_any(x)))
                    return true;
            return false;
        };
        if (a.port() == 0) {
            for (int tries = 0; tries < 16384; ++tries) {
                a.set_port(next_port_);
                next_port_ = next_port_ == 65535 ? 49152 : static_cast<std::uint16_t>(next_port_ + 1);
                if (!taken(a)) break;
            }
        }
        if (taken(a)) return std::errc::address_in_use;
        bound_.push_back({a, udp, owner});
        eps_[owner].holds_binding = true;
        return a;
    }
    void release(std::uint32_t id) {
        if (!eps_[id].holds_binding) return;
        eps_[id].holds_binding = false;
        std::erase_if(bound_, [&](const binding& b) { return b.owner == id; });
    }
    // The socket bound at `a` (exactly, else on the unspecified IP with the same port).
    std::optional<std::uint32_t> lookup(const net::socket_address& a, bool udp) const noexcept {
        std::optional<std::uint32_t> wildcard;
        for (const auto& b : bound_) {
            if (b.udp != udp || b.addr.port() != a.port() || b.addr.is_ipv4() != a.is_ipv4()) continue;
            if (udp ? eps_[b.owner].k != kind::datagram : eps_[b.owner].k != kind::listener) continue;
            if (same_ip(b.addr, a)) return b.owner;
            if (is_any(b.addr)) wildcard = b.owner;
        }
        return wildcard;
    }

    std::uint32_t create(kind k) {
        eps_.emplace_back();
        eps_.back().k = k;
        return static_cast<std::uint32_t>(eps_.size() - 1);
    }

    // ---- readiness ----

    fake_readiness levels(std::uint32_t id) noexcept {
        auto& e = eps_[id];
        fake_readiness r{};
        switch (e.k) {
        case kind::listener: r.readable = !e.backlog.empty(); break;
        case kind::datagram:
            r.readable = !e.dgrams.empty();
            r.writable = true;
            break;
        case kind::stream:
            if (e.ph == phase::refused) return {true, true, true, true, true, false};
            if (e.ph != phase::established) return r;
            r.read_closed = e.eof || e.reset_in || e.rd_shut;
            r.readable = !e.inbound.empty() || r.read_closed;
            r.writable = e.reset_in || (!e.wr_shut && room_toward(e.peer_ep) > 0);
            r.write_closed = e.reset_in;
            r.error = bool(e.error);
            break;
        }
        return r;
    }

    // A readiness edge for a registered endpoint (the fake filters it by interest).
    void signal(std::uint32_t id, fake_readiness r) {
        auto& e = eps_[id];
        if (!e.registered || !e.tok) return;
        if (r.readable || r.writable || r.error || r.read_closed || r.write_closed || r.priority)
            (void)sel_.inject(*e.tok, r);
    }

    // After a successful add or modify: epoll reports a source that is already ready.
    void registered(std::uint32_t id, mio::token t) {
        eps_[id].tok = t;
        eps_[id].registered = true;
        signal(id, levels(id));
    }
    void unregistered(std::uint32_t id) noexcept { eps_[id].registered = false; }

    // ---- streams ----

    // Bytes the stream toward `dest` may still take: buffer minus written and unread.
    std::size_t room_toward(std::uint32_t dest) const noexcept {
        const auto& d = eps_[dest];
        std::size_t used = d.flight.size() + d.inbound.size();
        return link_.buffer > used ? link_.buffer - used : 0;
    }

    void send_segment(std::uint32_t dest, seg_kind what, std::size_t len) {
        auto& d = eps_[dest];
        auto at = now() + link_.latency + rng_.up_to(link_.jitter);
        if (!d.segs.empty()) at = std::max(at, d.segs.back().at);  // a stream stays in order
        d.segs.push({at, len, what});
        schedule(at, timer_kind::stream_arrival, dest);
    }

    // A stream from `from` (port 0: one is picked) toward `to`; its SYN arrives after one
    // latency. Errors: address_in_use for a `from` that is taken.
    result<std::uint32_t> connect(const net::socket_address& to, const net::socket_address& from) {
        auto id = create(kind::stream);
        auto local = reserve(from, false, id);
        if (!local) {
            eps_[id].ph = phase::closed;
            return local.error();
        }
        eps_[id].ph = phase::connecting;
        eps_[id].local = *local;
        eps_[id].peer = to;
        schedule(now() + link_.latency, timer_kind::connect, id);
        return id;
    }

    result<std::size_t> write(std::uint32_t id, std::span<const std::byte> buf) {
        auto& e = eps_[id];
        if (auto r = usable(e); !r) return r.error();
        if (e.wr_shut || e.reset_in) return std::errc::broken_pipe;
        if (buf.empty()) return std::size_t{0};
        std::size_t n = std::min(buf.size(), room_toward(e.peer_ep));
        if (n == 0) {
            e.write_blocked = true;
            return std::errc::operation_would_block;
        }
        eps_[e.peer_ep].flight.push(buf.first(n));
        send_segment(e.peer_ep, seg_kind::data, n);
        return n;
    }

    result<std::size_t> read(std::uint32_t id, std::span<std::byte> buf, bool peek) {
        auto& e = eps_[id];
        if (auto r = usable(e); !r) return r.error();
        if (e.rd_shut || buf.empty()) return std::size_t{0};
        if (!e.inbound.empty()) {
            std::size_t n = e.inbound.pop(buf, !peek);
            if (!peek) drained(id);
            return n;
        }
        if (e.eof || e.reset_in) return std::size_t{0};
        return std::errc::operation_would_block;
    }

    result<void> shutdown(std::uint32_t id, bool rd, bool wr) {
        auto& e = eps_[id];
        if (auto r = usable(e, false); !r) return r.error();
        if (rd && !e.rd_shut) {
            e.rd_shut = true;
            e.inbound.clear();
            drained(id);
            signal(id, {.readable = true, .read_closed = true});
        }
        if (wr && !e.wr_shut) {
            e.wr_shut = true;
            if (!e.reset_in) send_segment(e.peer_ep, seg_kind::fin, 0);
        }
        return {};
    }

    // reset(): bytes toward the peer are discarded and an RST takes their place; this end is
    // closed for its owner (not_connected from now on).
    result<void> reset(std::uint32_t id) {
        auto& e = eps_[id];
        if (e.ph == phase::closed) return std::errc::not_connected;
        if (e.ph == phase::established) {
            auto& p = eps_[e.peer_ep];
            p.segs.clear();
            p.flight.clear();
            p.rx_blocked = false;
            if (!e.rst_sent && !e.reset_in) send_segment(e.peer_ep, seg_kind::rst, 0);
            e.rst_sent = true;
        }
        discard_receive_side(e);
        e.ph = phase::closed;
        return {};
    }

    // ---- closing (the owning handle went away) ----

    void close(std::uint32_t id) {
        auto& e = eps_[id];
        release(id);
        switch (e.k) {
        case kind::stream:
            if (e.ph == phase::established && !e.wr_shut && !e.rst_sent && !e.reset_in)
                send_segment(e.peer_ep, seg_kind::fin, 0);  // the peer reads what is in flight, then 0
            discard_receive_side(eps_[id]);
            break;
        case kind::listener:
            // Connections nobody accepted are reset, as the kernel does.
            while (!e.backlog.empty()) {
                auto s = e.backlog.front();
                eps_[id].backlog.pop();
                (void)reset(s);
            }
            break;
        case kind::datagram:
            for (auto& d : e.dgrams) free_payloads_.push_back(d.payload);
            e.dgrams.clear();
            e.dgram_bytes = 0;
            break;
        }
        eps_[id].ph = phase::closed;
        eps_[id].registered = false;
    }

    // ---- listeners ----

    result<std::pair<std::uint32_t, net::socket_address>> accept(std::uint32_t id) {
        auto& l = eps_[id];
        if (l.backlog.empty()) return std::errc::operation_would_block;
        auto s = l.backlog.front();
        l.backlog.pop();
        return std::pair{s, eps_[s].peer};
    }

    // ---- datagrams ----

    static constexpr std::size_t max_datagram = 65507;  // an IPv4 UDP payload's limit

    result<std::size_t> send_to(std::uint32_t id, std::span<const std::byte> buf, const net::socket_address& to) {
        if (buf.size() > max_datagram) return std::errc::message_size;
        const auto from = eps_[id].local;
        if (partitioned(from, to) || rng_.chance(link_.loss)) return buf.size();  // sent, then lost
        std::uint32_t p = new_payload();
        payloads_[p].assign(buf.begin(), buf.end());
        std::uint32_t slot;
        if (!free_flights_.empty()) {
            slot = free_flights_.back();
            free_flights_.pop_back();
            flights_[slot] = {from, to, p};
        } else {
            slot = static_cast<std::uint32_t>(flights_.size());
            flights_.push_back({from, to, p});
        }
        schedule(now() + link_.latency + rng_.up_to(link_.jitter), timer_kind::datagram, slot);
        return buf.size();
    }

    result<std::pair<std::size_t, net::socket_address>> recv_from(std::uint32_t id, std::span<std::byte> buf, bool peek) {
        auto& e = eps_[id];
        if (e.dgrams.empty()) return std::errc::operation_would_block;
        auto d = e.dgrams.front();
        const auto& bytes = payloads_[d.payload];
        std::size_t n = std::min(buf.size(), bytes.size());  // a short buffer truncates, as UDP does
        if (n > 0) std::memcpy(buf.data(), bytes.data(), n);
        if (!peek) {
            e.dgram_bytes -= bytes.size();
            e.dgrams.pop();
            free_payloads_.push_back(d.payload);
        }
        return std::pair{n, d.from};
    }

    std::size_t in_flight() const noexcept {
        std::size_t n = flights_.size() - free_flights_.size();
        for (const auto& e : eps_) n += e.segs.size() + (e.ph == phase::connecting ? 1 : 0);
        return n;
    }

private:
    struct binding {
        net::socket_address addr;
        bool udp;
        std::uint32_t owner;
    };
    struct datagram_flight {
        net::socket_address from, to;
        std::uint32_t payload;
    };

    // Whether a stream end may read or write; a pending error is returned (once).
    static result<void> usable(endpoint& e, bool take_pending = true) {
        switch (e.ph) {
        case phase::connecting: return std::errc::operation_would_block;
        case phase::closed: return std::errc::not_connected;
        case phase::refused:
            if (take_pending && e.error) return std::exchange(e.error, {});
            return std::errc::not_connected;
        case phase::established: break;
        }
        if (take_pending && e.error) return std::exchange(e.error, {});
        return {};
    }

    static void discard_receive_side(endpoint& e) noexcept {
        e.segs.clear();
        e.flight.clear();
        e.inbound.clear();
        e.rx_blocked = false;
    }

    // The reader of `id` freed room: a writer that hit would_block hears it can write again.
    void drained(std::uint32_t id) {
        auto w = eps_[id].peer_ep;
        if (eps_[w].write_blocked && room_toward(id) > 0) {
            eps_[w].write_blocked = false;
            signal(w, {.writable = true});
        }
    }

    std::uint32_t new_payload() {
        if (!free_payloads_.empty()) {
            auto p = free_payloads_.back();
            free_payloads_.pop_back();
            return p;
        }
        payloads_.emplace_back();
        return static_cast<std::uint32_t>(payloads_.size() - 1);
    }

    void schedule(std::chrono::nanoseconds at, timer_kind k, std::uint32_t index) {
        sel_.schedule(at, &on_timer, this, (static_cast<std::uint64_t>(k) << 32) | index);
    }

    static void on_timer(void* self, std::uint64_t arg) noexcept {
        auto* w = static_cast<world*>(self);
        auto index = static_cast<std::uint32_t>(arg);
        switch (static_cast<timer_kind>(arg >> 32)) {
        case timer_kind::stream_arrival: w->arrive(index); break;
        case timer_kind::connect: w->syn(index); break;
        case timer_kind::datagram: w->datagram_arrives(index); break;
        }
    }

    // The SYN of a connecting stream reaches its address: established (both ends at once,
    // writable for the client, readable for the listener) or refused.
    void syn(std::uint32_t c) {
        if (eps_[c].ph != phase::connecting) return;  // closed before the handshake ended
        if (partitioned(eps_[c].local, eps_[c].peer)) {
            eps_[c].connect_blocked = true;
            return;
        }
        auto l = lookup(eps_[c].peer, false);
        if (!l) {
            eps_[c].ph = phase::refused;
            eps_[c].error = std::make_error_code(std::errc::connection_refused);
            signal(c, levels(c));
            return;
        }
        auto s = create(kind::stream);
        auto& server = eps_[s];
        auto& client = eps_[c];
        server.local = client.peer;
        server.peer = client.local;
        server.peer_ep = c;
        client.peer_ep = s;
        client.ph = phase::established;
        eps_[*l].backlog.push(s);
        signal(c, {.writable = true});
        signal(*l, {.readable = true});
    }

    // Segments toward `d` whose time has come arrive, in order, unless a partition holds them.
    void arrive(std::uint32_t d) {
        while (!eps_[d].segs.empty() && eps_[d].segs.front().at <= now()) {
            auto& e = eps_[d];
            if (partitioned(eps_[e.peer_ep].local, e.local)) {
                e.rx_blocked = true;
                return;
            }
            auto seg = e.segs.front();
            e.segs.pop();
            if (e.ph == phase::closed) {
                // Nobody will read: bytes are dropped and the sender is told to reset.
                e.flight.drop(seg.len);
                if (seg.what == seg_kind::data && !e.rst_sent) {
                    e.rst_sent = true;
                    if (!eps_[e.peer_ep].rst_sent) send_segment(e.peer_ep, seg_kind::rst, 0);
                }
                continue;
            }
            switch (seg.what) {
            case seg_kind::data:
                if (e.rd_shut) {
                    e.flight.drop(seg.len);
                } else {
                    e.flight.move_to(e.inbound, seg.len);
                    signal(d, {.readable = true});
                }
                break;
            case seg_kind::fin:
                e.eof = true;
                signal(d, {.readable = true, .read_closed = true});
                break;
            case seg_kind::rst:
                e.reset_in = true;
                e.error = std::make_error_code(std::errc::connection_reset);
                e.inbound.clear();
                e.flight.clear();
                signal(d, {true, true, true, true, true, false});
                break;
            }
        }
    }

    void datagram_arrives(std::uint32_t slot) {
        auto f = flights_[slot];
        free_flights_.push_back(slot);
        auto to = lookup(f.to, true);
        const auto size = payloads_[f.payload].size();
        if (partitioned(f.from, f.to) || !to || eps_[*to].dgram_bytes + size > link_.buffer) {
            free_payloads_.push_back(f.payload);  // dropped: no receiver, a partition, or a full queue
            return;
        }
        eps_[*to].dgrams.push({f.from, f.payload});
        eps_[*to].dgram_bytes += size;
        signal(*to, {.readable = true});
    }

    fake_selector sel_;
    mio::detail::sim_random rng_;
    std::vector<endpoint> eps_;
    std::vector<binding> bound_;
    std::vector<std::pair<net::socket_address, net::socket_address>> parts_;
    std::vector<datagram_flight> flights_;
    std::vector<std::uint32_t> free_flights_;
    std::vector<std::vector<std::byte>> payloads_;
    std::vector<std::uint32_t> free_payloads_;
    std::uint16_t next_port_ = 49152;
};

}  // namespace detail
}  // namespace mio::sim
