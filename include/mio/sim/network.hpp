// mio::sim::network: a simulated network under the fake selector's virtual clock (turmoil for
// C++). Its sockets (listener, stream, datagram) register with a basic_poll<fake_selector, ...>
// like real ones and have the member names and result types of tcp_listener, tcp_stream and
// udp_socket, so one component template runs over both; the network injects their readiness
// itself, when bytes, FINs, RSTs, SYNs and datagrams arrive in virtual time.
//
// Rules of time and delivery (DESIGN.md "Deterministic simulation"; doc/simulation.md says more):
//   time       stream bytes and datagrams arrive link.latency + a jitter drawn in [0, jitter]
//              after they were written; a stream's bytes stay in order (a later write never
//              arrives before an earlier one), datagrams may reorder. A poll with nothing to
//              deliver moves now() to the earliest arrival within its timeout and delivers
//              it; poll(std::nullopt) moves to the next arrival; fake_selector::advance runs the
//              arrivals on the way. Same seed and same calls: same events, bytes and clock.
//   connect    the SYN arrives after one latency: established (client writable, listener
//              readable) or, with nobody listening there, refused: an error event on the
//              client and take_error() == connection_refused. A write before that is
//              would_block. The client's address is the destination's IP and a port from
//              49152 up, unless connect(to, from) names it.
//   buffer     a direction holds at most link.buffer bytes written and not yet read by the
//              peer (in flight plus arrived and unread); then write is would_block, and the
//              writer gets a writable event when the reader frees room.
//   close      shutdown(write) or closing sends a FIN behind the bytes in flight: the peer
//              reads them, then 0 (read_closed event). Bytes that reach a closed socket are
//              dropped and the sender is reset. reset() discards the bytes in flight toward
//              the peer; after one latency the peer's next read or write fails with
//              connection_reset (error event); the resetting socket is closed (not_connected).
//   partition  partition(a, b) holds stream segments (and SYNs) between matching addresses at
//              the head of their queue and drops datagrams, until heal(); held segments arrive
//              one latency after heal(). An address with port 0 matches every port of its IP,
//              the unspecified IP every IP.
//   datagrams  loss draws per datagram; a datagram to an address nobody bound, or to a socket
//              whose queue holds link.buffer bytes, is dropped; recv_from into a short buffer
//              truncates (the rest of that datagram is lost), as UDP does.
//   handles    numbered per network from detail::world::handle_base (2^30) in creation order,
//              so two networks built the same way give the same handles and traces.
//   registry   add/modify of a socket that is already ready reports that readiness at the next
//              poll (as EPOLL_CTL_ADD/MOD do); destroying a registered socket removes it.
// Destroy order: sockets, then the network, then the poll (sockets share the network's state,
// so another order is still memory-safe). Threads: a network and its sockets belong to the
// poll's thread. Allocation: creating sockets and growing queues; never per poll once the
// queues have reached their largest size. One network per fake selector (handles would clash).
#pragma once

#include <mio/buffer.hpp>
#include <mio/detail/sim_random.hpp>
#include <mio/interest.hpp>
#include <mio/io_source_state.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/net/tcp_stream.hpp>  // net::shutdown_how
#include <mio/result.hpp>
#include <mio/selector/fake.hpp>
#include <mio/sim/detail/world.hpp>
#include <mio/token.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <system_error>
#include <type_traits>
#include <utility>

namespace mio::sim {

class network;

namespace detail {

// What a registry hands to add_to/modify_in/remove_from: the fake selector itself, or a
// registry over it.
template <class R>
concept fake_registrar = std::is_same_v<R, fake_selector> || requires(R& r) {
    { r.selector() } -> std::same_as<fake_selector&>;
};
template <class R>
fake_selector& fake_of(R& r) noexcept {
    if constexpr (std::is_same_v<R, fake_selector>) return r;
    else return r.selector();
}

// What the three socket types share: the network's state, the endpoint's index, the
// registration bookkeeping, and how they register.
class socket_base {
public:
    socket_base(socket_base&& o) noexcept
        : w_(std::move(o.w_)), id_(o.id_), io_(std::move(o.io_)) {}
    socket_base& operator=(socket_base&& o) noexcept {
        if (this != &o) {
            close();
            w_ = std::move(o.w_);
            id_ = o.id_;
            io_ = std::move(o.io_);
        }
        return *this;
    }
    ~socket_base() { close(); }

    /// The handle the fake selector records (-1 once moved from).
    int native_handle() const noexcept { return w_ ? w_->handle(id_) : -1; }

    /// The address this socket is bound to. Errors: bad_file_descriptor once moved from.
    result<net::socket_address> local_addr() const noexcept {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->ep(id_).local;
    }

    /// Registration bookkeeping (the registry's debug checks and the fake's close hook).
    io_source_state& io_state() noexcept { return io_; }

    /// Called by basic_registry::add: records the registration in the fake selector (traced,
    /// subject to fail_next/fail_nth) and reports readiness the socket already has.
    template <fake_registrar R>
    result<void> add_to(R& r, token t, interest i) {
        if (!w_) return std::errc::bad_file_descriptor;
        auto res = fake_of(r).add(native_handle(), t, i);
        if (res) w_->registered(id_, t);
        return res;
    }
    /// Called by basic_registry::modify; reports readiness the socket already has.
    template <fake_registrar R>
    result<void> modify_in(R& r, token t, interest i) {
        if (!w_) return std::errc::bad_file_descriptor;
        auto res = fake_of(r).modify(native_handle(), t, i);
        if (res) w_->registered(id_, t);
        return res;
    }
    /// Called by basic_registry::remove.
    template <fake_registrar R>
    result<void> remove_from(R& r) {
        if (!w_) return std::errc::bad_file_descriptor;
        auto res = fake_of(r).remove(native_handle());
        if (res) w_->unregistered(id_);
        return res;
    }

protected:
    socket_base(std::shared_ptr<world> w, std::uint32_t id) noexcept : w_(std::move(w)), id_(id) {}
    void close() noexcept {
        if (!w_) return;
        io_.on_close(w_->handle(id_));  // the fake forgets the registration, as epoll does
        w_->close(id_);
        w_.reset();
    }
    std::shared_ptr<world> w_;
    std::uint32_t id_ = 0;
    io_source_state io_;
};

}  // namespace detail

/// A simulated TCP stream: tcp_stream's members and results. Movable, not copyable; closes
/// (FIN) on destruction.
class stream : public detail::socket_base {
public:
    /// Reads arrived bytes; 0 at the peer's FIN (after its bytes) or after shutdown(read).
    /// Errors: would_block when nothing has arrived (or not yet connected); connection_reset
    /// once after the peer's reset(); connection_refused once after a refused connect;
    /// not_connected after this socket's own reset() or a refused connect.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> read(B&& buf) {
        return io(mio::detail::mutable_bytes(buf), false);
    }
    /// As read, leaving the bytes in place.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::size_t> peek(B&& buf) {
        return io(mio::detail::mutable_bytes(buf), true);
    }

    /// Queues up to the room left in the direction's buffer. Errors: would_block when it is
    /// full (a writable event follows when the peer reads) or before the connection is
    /// established; broken_pipe after shutdown(write) or once the peer's reset was seen;
    /// connection_reset once after the peer's reset(); not_connected as for read.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> write(const B& buf) {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->write(id_, mio::detail::const_bytes(buf));
    }

    /// read: later reads return 0 and unread bytes are dropped; write: a FIN follows the bytes
    /// in flight. Errors: not_connected before the connection is established or after reset().
    result<void> shutdown(net::shutdown_how how) {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->shutdown(id_, how != net::shutdown_how::write, how != net::shutdown_how::read);
    }

    /// The peer's address. Errors: not_connected while connecting, after a refused connect or
    /// after reset().
    result<net::socket_address> peer_addr() const noexcept {
        if (!w_) return std::errc::bad_file_descriptor;
        const auto& e = w_->ep(id_);
        if (e.ph != detail::world::phase::established) return std::errc::not_connected;
        return e.peer;
    }

    /// The pending error (connection_refused, connection_reset), cleared by this call; falsy
    /// when there is none.
    result<std::error_code> take_error() const noexcept {
        if (!w_) return std::errc::bad_file_descriptor;
        // The pending error is the value (built in place); a bare error_code would mean failure.
        return result<std::error_code>(std::in_place, std::exchange(w_->ep(id_).error, std::error_code{}));
    }

    /// Aborts the connection (SO_LINGER 0 then close): bytes in flight toward the peer are
    /// dropped; the peer's next read fails with connection_reset after one latency. This
    /// socket is closed from now on. Errors: not_connected when it already is.
    result<void> reset() {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->reset(id_);
    }

private:
    friend class network;
    friend class listener;
    stream(std::shared_ptr<detail::world> w, std::uint32_t id) noexcept : socket_base(std::move(w), id) {}
    result<std::size_t> io(std::span<std::byte> buf, bool peek) {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->read(id_, buf, peek);
    }
};

/// A simulated TCP listener: tcp_listener's members and results.
class listener : public detail::socket_base {
public:
    /// The next connection whose SYN arrived, with the peer's address. Errors: would_block
    /// when none is waiting.
    result<std::pair<stream, net::socket_address>> accept() {
        if (!w_) return std::errc::bad_file_descriptor;
        auto r = w_->accept(id_);
        if (!r) return r.error();
        return std::pair<stream, net::socket_address>(stream(w_, r->first), r->second);
    }

    /// Always falsy: a simulated listener has no socket error.
    result<std::error_code> take_error() const noexcept { return result<std::error_code>(std::in_place); }

private:
    friend class network;
    listener(std::shared_ptr<detail::world> w, std::uint32_t id) noexcept : socket_base(std::move(w), id) {}
};

/// A simulated UDP socket: udp_socket's send_to/recv_from/peek_from.
class datagram : public detail::socket_base {
public:
    /// Sends one datagram; it may be lost (link.loss), dropped (partition, nobody bound at
    /// `to`, a full receive queue) or reordered (jitter), and the call still reports it sent.
    /// Errors: message_size above 65507 bytes.
    template <byte_buffer B = std::span<const std::byte>>
    result<std::size_t> send_to(const B& buf, const net::socket_address& to) {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->send_to(id_, mio::detail::const_bytes(buf), to);
    }

    /// The next datagram and its sender; a short buffer truncates it. Errors: would_block.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::pair<std::size_t, net::socket_address>> recv_from(B&& buf) {
        return recv(mio::detail::mutable_bytes(buf), false);
    }
    /// As recv_from, leaving the datagram queued.
    template <mutable_byte_buffer B = std::span<std::byte>>
    result<std::pair<std::size_t, net::socket_address>> peek_from(B&& buf) {
        return recv(mio::detail::mutable_bytes(buf), true);
    }

    /// Always falsy: a simulated datagram socket has no socket error.
    result<std::error_code> take_error() const noexcept { return result<std::error_code>(std::in_place); }

private:
    friend class network;
    datagram(std::shared_ptr<detail::world> w, std::uint32_t id) noexcept : socket_base(std::move(w), id) {}
    result<std::pair<std::size_t, net::socket_address>> recv(std::span<std::byte> buf, bool peek) {
        if (!w_) return std::errc::bad_file_descriptor;
        return w_->recv_from(id_, buf, peek);
    }
};

/// A simulated network over one fake selector's clock. See the rules at the top of this file.
class network {
public:
    /// A network on `s` (a poll's selector(); the network keeps a clone of it). `seed` drives
    /// jitter and loss. Errors: none; std::bad_alloc propagates when exceptions are on.
    explicit network(fake_selector& s, std::uint64_t seed = 0)
        : w_(std::make_shared<detail::world>(std::move(*s.try_clone()), seed)) {}

    /// Replaces the link; it applies to what is sent from now on.
    void set_link(const link& l) noexcept { w_->link_ = l; }
    /// The link in effect.
    const link& link_config() const noexcept { return w_->link_; }

    /// From now until heal(), nothing passes between a and b (either way): stream segments and
    /// SYNs wait, datagrams are dropped. Port 0 matches every port, the unspecified IP every IP.
    void partition(const net::socket_address& a, const net::socket_address& b) { w_->partition(a, b); }
    /// Ends every partition; held stream segments and SYNs arrive one latency later.
    void heal() { w_->heal(); }

    /// A listener at `addr` (port 0: one from 49152 up). Errors: address_in_use.
    result<listener> listen(const net::socket_address& addr) {
        auto id = w_->create(detail::world::kind::listener);
        auto local = w_->reserve(addr, false, id);
        if (!local) return close_failed(id, local.error());
        w_->ep(id).local = *local;
        return listener(w_, id);
    }

    /// A stream toward `to`, from the same IP and a picked port. Always succeeds at once; the
    /// outcome comes after one latency (writable, or an error event with take_error() ==
    /// connection_refused). Errors: address_in_use when no port is free.
    result<stream> connect(const net::socket_address& to) {
        auto from = to;
        from.set_port(0);
        return connect(to, from);
    }
    /// As connect(to), from `from` (port 0: one is picked). Errors: address_in_use.
    result<stream> connect(const net::socket_address& to, const net::socket_address& from) {
        auto id = w_->connect(to, from);
        if (!id) return id.error();
        return stream(w_, *id);
    }

    /// A datagram socket at `addr` (port 0: one from 49152 up). Errors: address_in_use.
    result<datagram> bind(const net::socket_address& addr) {
        auto id = w_->create(detail::world::kind::datagram);
        auto local = w_->reserve(addr, true, id);
        if (!local) return close_failed(id, local.error());
        w_->ep(id).local = *local;
        return datagram(w_, id);
    }

    /// Stream segments, SYNs and datagrams not yet arrived (held ones included).
    std::size_t in_flight() const noexcept { return w_->in_flight(); }
    /// The virtual clock (the fake selector's now()).
    std::chrono::nanoseconds now() const { return w_->now(); }

private:
    std::error_code close_failed(std::uint32_t id, std::error_code ec) {
        w_->close(id);
        return ec;
    }
    std::shared_ptr<detail::world> w_;
};

}  // namespace mio::sim
