// sys layer, shell: sockets. The types have the shape the net types need (a sockaddr_un-like
// record for unix_address); every call fails with operation_not_supported.
#pragma once

#include <mio/detail/sys/shell/io.hpp>
#include <mio/net/shutdown_how.hpp>
#include <mio/net/socket_address.hpp>
#include <mio/result.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>

namespace mio::detail::sys {

enum class address_family { ipv4, ipv6, local };
enum class socket_type { stream, datagram };

using socklen_type = unsigned;
using family_type = unsigned short;
struct sockaddr_type {
    family_type sa_family;
};
struct unix_sockaddr {
    family_type sun_family;
    char sun_path[108];
};
using pid_type = int;
using uid_type = unsigned;
using gid_type = unsigned;
inline constexpr family_type unix_family = 1;
inline constexpr bool has_abstract_unix_names = false;

struct raw_sockaddr {
    alignas(8) unsigned char storage[128]{};
    socklen_type len = sizeof storage;
    sockaddr_type* get() noexcept { return reinterpret_cast<sockaddr_type*>(&storage); }
    const sockaddr_type* get() const noexcept { return reinterpret_cast<const sockaddr_type*>(&storage); }
    int family() const noexcept { return 0; }
};

inline result<handle> open_socket(address_family, socket_type) noexcept { return unsupported; }
inline result<std::pair<handle, handle>> socket_pair(socket_type) noexcept { return unsupported; }
inline result<void> bind(handle, const sockaddr_type*, socklen_type) noexcept { return unsupported; }
inline result<void> bind(handle, const raw_sockaddr&) noexcept { return unsupported; }
inline result<void> listen(handle, int) noexcept { return unsupported; }
inline result<void> connect(handle, const sockaddr_type*, socklen_type) noexcept { return unsupported; }
inline result<void> connect(handle, const raw_sockaddr&) noexcept { return unsupported; }
inline result<handle> accept(handle, raw_sockaddr&) noexcept { return unsupported; }
inline result<std::size_t> send(handle, const void*, std::size_t) noexcept { return unsupported; }
inline result<std::size_t> recv(handle, void*, std::size_t, bool) noexcept { return unsupported; }
inline result<std::size_t> send_to(handle, const void*, std::size_t, const sockaddr_type*, socklen_type) noexcept {
    return unsupported;
}
inline result<std::size_t> recv_from(handle, void*, std::size_t, bool, raw_sockaddr&) noexcept { return unsupported; }
inline result<std::size_t> send_vectored(handle, const io_buffer*, int) noexcept { return unsupported; }
inline result<void> shutdown(handle, net::shutdown_how) noexcept { return unsupported; }
inline result<void> local_name(handle, raw_sockaddr&) noexcept { return unsupported; }
inline result<void> peer_name(handle, raw_sockaddr&) noexcept { return unsupported; }
inline raw_sockaddr to_sockaddr(const net::socket_address&) noexcept { return {}; }
inline result<net::socket_address> from_sockaddr(const raw_sockaddr&) noexcept {
    return std::errc::address_family_not_supported;
}
inline result<address_family> family_of(handle) noexcept { return unsupported; }

enum class socket_option {
    reuse_address, keepalive, broadcast, tcp_nodelay, keepalive_idle, keepalive_interval, keepalive_count,
    ip_ttl, ipv6_unicast_hops, ip_multicast_loop, ip_multicast_ttl, ipv6_multicast_loop, ipv6_multicast_if,
    ipv6_multicast_hops, ipv6_only,
};
constexpr bool has_option(socket_option) noexcept { return false; }
inline result<void> set_option(handle, socket_option, int) noexcept { return unsupported; }
inline result<int> get_option(handle, socket_option) noexcept { return unsupported; }
inline result<void> set_linger(handle, std::optional<int>) noexcept { return unsupported; }
inline result<std::optional<int>> linger(handle) noexcept { return unsupported; }
inline result<std::error_code> take_error(handle) noexcept { return unsupported; }
inline result<void> set_multicast_if_v4(handle, const std::array<std::uint8_t, 4>&) noexcept { return unsupported; }
inline result<void> multicast_membership_v4(handle, bool, const std::array<std::uint8_t, 4>&,
                                            const std::array<std::uint8_t, 4>&) noexcept {
    return unsupported;
}
inline result<void> multicast_membership_v6(handle, bool, const std::array<std::uint8_t, 16>&, unsigned) noexcept {
    return unsupported;
}

struct peer_credentials_raw {
    std::optional<pid_type> pid;
    uid_type uid;
    gid_type gid;
};
inline result<peer_credentials_raw> peer_credentials(handle) noexcept { return unsupported; }

inline constexpr int max_backlog = 128;

}  // namespace mio::detail::sys
