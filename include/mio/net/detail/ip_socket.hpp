// Calls the IP socket types (tcp_listener, tcp_stream, udp_socket) share, over the sys layer.
#pragma once

#include <mio/detail/fd.hpp>
#include <mio/detail/source_base.hpp>
#include <mio/detail/sys.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <cstdint>

namespace mio::detail {

template <>
struct address_traits<net::socket_address> {
    static result<net::socket_address> local(sys::handle h) noexcept {
        sys::raw_sockaddr r;
        if (auto ok = sys::local_name(h, r); !ok) return ok.error();
        return sys::from_sockaddr(r);
    }
    /// Errors: ENOTCONN when not (yet) connected.
    static result<net::socket_address> peer(sys::handle h) noexcept {
        sys::raw_sockaddr r;
        if (auto ok = sys::peer_name(h, r); !ok) return ok.error();
        return sys::from_sockaddr(r);
    }
};

}  // namespace mio::detail

namespace mio::detail::ip {

inline sys::address_family family_of(const net::socket_address& a) noexcept {
    return a.is_ipv4() ? sys::address_family::ipv4 : sys::address_family::ipv6;
}

/// A new non-blocking, close-on-exec socket of `type` for `addr`'s family, bound to `addr`.
inline result<owned_handle> bound_socket(const net::socket_address& addr, sys::socket_type type,
                                         bool reuse_address) noexcept {
    auto h = sys::open_socket(family_of(addr), type);
    if (!h) return h.error();
    owned_handle s(*h);
    // Where the OS offers it: the Windows family does not (there SO_REUSEADDR would let another
    // socket take the port over; exclusive use is Windows' default, as Rust's std leaves it).
    if (reuse_address && sys::has_option(sys::socket_option::reuse_address)) {
        auto r = sys::set_option(s.get(), sys::socket_option::reuse_address, 1);
        if (!r) return r.error();
    }
    if (auto r = sys::bind(s.get(), sys::to_sockaddr(addr)); !r) return r.error();
    return s;
}

/// A boolean option.
inline result<bool> get_flag(sys::handle h, sys::socket_option o) noexcept {
    auto v = sys::get_option(h, o);
    if (!v) return v.error();
    return *v != 0;
}
inline result<void> set_flag(sys::handle h, sys::socket_option o, bool on) noexcept { return sys::set_option(h, o, on ? 1 : 0); }

/// An option 0-255 (TTLs, hop limits). Errors: invalid_argument above 255.
inline result<void> set_byte_option(sys::handle h, sys::socket_option o, std::uint32_t v) noexcept {
    if (v > 255) return std::errc::invalid_argument;
    return sys::set_option(h, o, static_cast<int>(v));
}
inline result<std::uint32_t> get_byte_option(sys::handle h, sys::socket_option o) noexcept {
    auto v = sys::get_option(h, o);
    if (!v) return v.error();
    return static_cast<std::uint32_t>(*v);
}

/// The option that holds the unicast TTL / hop limit for `h`'s family.
inline result<sys::socket_option> ttl_option(sys::handle h) noexcept {
    auto fam = sys::family_of(h);
    if (!fam) return fam.error();
    return *fam == sys::address_family::ipv6 ? sys::socket_option::ipv6_unicast_hops : sys::socket_option::ip_ttl;
}

/// The unicast TTL / hop limit: IP_TTL on IPv4 sockets, IPV6_UNICAST_HOPS on IPv6 ones.
/// Errors: invalid_argument above 255.
inline result<void> set_ttl(sys::handle h, std::uint32_t ttl) noexcept {
    if (ttl > 255) return std::errc::invalid_argument;
    auto o = ttl_option(h);
    if (!o) return o.error();
    return set_byte_option(h, *o, ttl);
}
inline result<std::uint32_t> ttl(sys::handle h) noexcept {
    auto o = ttl_option(h);
    if (!o) return o.error();
    return get_byte_option(h, *o);
}

}  // namespace mio::detail::ip

namespace mio::detail {

// What the three IP socket types share on top of socket_base.
class ip_socket_base : public socket_base<net::socket_address> {
public:
    /// Unicast TTL (IPv4) or hop limit (IPv6), 1-255 (for a listener: of the connections it
    /// accepts). Errors: invalid_argument above 255.
    result<void> set_ttl(std::uint32_t ttl) noexcept { return ip::set_ttl(io_.get(), ttl); }
    result<std::uint32_t> ttl() const noexcept { return ip::ttl(io_.get()); }

protected:
    using socket_base::socket_base;
};

}  // namespace mio::detail
