// mio::net::unix_address: the address of a Unix-domain socket (mio's unix SocketAddr):
// a filesystem path, a Linux abstract name, or unnamed. Every constructor bounds what it
// copies by the size of sockaddr_un, so untrusted input can never overrun it.
#pragma once

#include <mio/detail/config.hpp>
#include <mio/detail/socket_ops.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <cstring>
#include <optional>
#include <ostream>
#include <string_view>
#include <sys/socket.h>
#include <sys/un.h>
#include <utility>

namespace mio::net {

/// The address of a Unix-domain socket, one of three kinds:
/// - a pathname (a socket file in the filesystem),
/// - an abstract name (Linux and Android only: a name in a namespace of its own, with no
///   file; any bytes, NUL included),
/// - unnamed (an unbound socket, or one end of a pair()).
/// A plain value: copyable, comparable, printable. Holds a sockaddr_un and its length.
class unix_address {
public:
    /// Bytes of sun_path: paths must be shorter (one byte is left for the terminating NUL, as
    /// portable code and Rust's std require); abstract names may be one byte shorter.
    static constexpr std::size_t path_capacity = sizeof(sockaddr_un::sun_path);

    /// The unnamed address.
    unix_address() noexcept { clear(); }

    /// The address of the socket file at `path`.
    /// Errors: filename_too_long (ENAMETOOLONG) when path.size() >= path_capacity (108 on
    /// Linux); invalid_argument when `path` is empty or contains a NUL byte (the kernel would
    /// silently cut it there).
    static result<unix_address> from_path(std::string_view path) noexcept {
        if (path.empty() || path.find('\0') != std::string_view::npos) return std::errc::invalid_argument;
        if (path.size() >= path_capacity) return std::errc::filename_too_long;
        unix_address a;
        std::memcpy(a.addr_.sun_path, path.data(), path.size());
        a.len_ = static_cast<socklen_t>(path_offset + path.size() + 1);  // with its NUL
        return a;
    }

    /// The abstract name `name` (Linux and Android; any bytes, NUL included, may be empty).
    /// Errors: filename_too_long when name.size() >= path_capacity (the leading NUL takes a
    /// byte); operation_not_supported on systems without the abstract namespace.
    static result<unix_address> from_abstract(std::string_view name) noexcept {
#if MIO_OS_LINUX
        if (name.size() >= path_capacity) return std::errc::filename_too_long;
        unix_address a;
        if (!name.empty()) std::memcpy(a.addr_.sun_path + 1, name.data(), name.size());
        a.len_ = static_cast<socklen_t>(path_offset + 1 + name.size());
        return a;
#else
        (void)name;
        return std::errc::operation_not_supported;
#endif
    }

    /// The unnamed address (as a default-constructed one).
    static unix_address unnamed() noexcept { return unix_address(); }

    /// Reads an address the OS filled in (accept, getsockname, recvfrom...): exactly `len`
    /// bytes from `a`, never more. A `len` of 0 (or of just the family) is unnamed.
    /// Errors: invalid_argument when `len` exceeds sizeof(sockaddr_un), when `a` is null with a
    /// non-zero `len`, or when the family is not AF_UNIX.
    static result<unix_address> from_native(const sockaddr* a, socklen_t len) noexcept {
        if (len == 0) return unix_address();
        if (a == nullptr || len > sizeof(sockaddr_un)) return std::errc::invalid_argument;
        if (len < sizeof(sa_family_t)) return std::errc::invalid_argument;
        sa_family_t family;
        std::memcpy(&family, reinterpret_cast<const char*>(a) + offsetof(sockaddr_un, sun_family), sizeof family);
        if (family != AF_UNIX) return std::errc::invalid_argument;
        unix_address r;
        if (len <= path_offset) return r;
        const char* raw = reinterpret_cast<const char*>(a) + path_offset;
        std::size_t n = len - path_offset;  // <= path_capacity, checked above
        if (raw[0] != '\0') {
            // A pathname: up to its NUL, which the OS may or may not count in `len`.
            std::size_t plen = ::strnlen(raw, n);
            std::memcpy(r.addr_.sun_path, raw, plen);
            r.len_ = static_cast<socklen_t>(path_offset + plen + (plen < path_capacity ? 1 : 0));
            return r;
        }
#if MIO_OS_LINUX
        // An abstract name: every byte after the leading NUL counts.
        std::memcpy(r.addr_.sun_path, raw, n);
        r.len_ = static_cast<socklen_t>(path_offset + n);
#endif
        // Elsewhere a leading NUL means unnamed (BSDs report unnamed sockets zero-filled).
        return r;
    }
    static result<unix_address> from_native(const sockaddr_un& a, socklen_t len) noexcept {
        return from_native(reinterpret_cast<const sockaddr*>(&a), len);
    }

    /// The path, for a pathname address; nullopt otherwise. Views this object's storage.
    std::optional<std::string_view> pathname() const noexcept {
        if (kind() != kind_type::path) return std::nullopt;
        return std::string_view(addr_.sun_path, ::strnlen(addr_.sun_path, path_capacity));
    }

    /// The name without its leading NUL, for an abstract address; nullopt otherwise.
    std::optional<std::string_view> abstract_name() const noexcept {
        if (kind() != kind_type::abstract) return std::nullopt;
        return std::string_view(addr_.sun_path + 1, len_ - path_offset - 1);
    }

    /// True for the address of an unbound socket or of one end of a pair().
    bool is_unnamed() const noexcept { return kind() == kind_type::unnamed; }

    /// The sockaddr_un to hand to bind/connect/sendto, with native_size() as its length.
    const sockaddr_un& native() const noexcept { return addr_; }
    const sockaddr* native_ptr() const noexcept { return reinterpret_cast<const sockaddr*>(&addr_); }
    socklen_t native_size() const noexcept { return len_; }

    /// Same kind and same bytes.
    friend bool operator==(const unix_address& a, const unix_address& b) noexcept {
        return a.len_ == b.len_ && std::memcmp(a.addr_.sun_path, b.addr_.sun_path, a.len_ - path_offset) == 0;
    }

    /// Prints a path as is, an abstract name as `@name` (bytes outside printable ASCII as
    /// \xHH, as ss(8) shows them), and `(unnamed)`.
    friend std::ostream& operator<<(std::ostream& os, const unix_address& a) {
        if (auto p = a.pathname()) return os << *p;
        if (auto n = a.abstract_name()) {
            static constexpr char hex[] = "0123456789abcdef";
            os << '@';
            for (char c : *n) {
                auto u = static_cast<unsigned char>(c);
                if (u >= 0x20 && u < 0x7f && u != '\\') os << c;
                else os << '\\' << 'x' << hex[u >> 4] << hex[u & 0xf];
            }
            return os;
        }
        return os << "(unnamed)";
    }

private:
    static constexpr std::size_t path_offset = offsetof(sockaddr_un, sun_path);
    enum class kind_type { unnamed, path, abstract };

    kind_type kind() const noexcept {
        if (len_ <= path_offset) return kind_type::unnamed;
        return addr_.sun_path[0] != '\0' ? kind_type::path : kind_type::abstract;
    }
    void clear() noexcept {
        std::memset(&addr_, 0, sizeof addr_);
        addr_.sun_family = AF_UNIX;
        len_ = static_cast<socklen_t>(path_offset);
    }

    sockaddr_un addr_;
    socklen_t len_;
};

}  // namespace mio::net

namespace mio::detail::unix_sock {

// The helpers unix_listener, unix_stream and unix_datagram share.

/// A new AF_UNIX socket of `type`, bound to `addr` when given.
inline result<int> open_bound(int type, const net::unix_address* addr) noexcept {
    auto fd = sock::open(AF_UNIX, type);
    if (!fd) return fd.error();
    if (addr != nullptr && ::bind(*fd, addr->native_ptr(), addr->native_size()) < 0) {
        auto e = last_error();
        sys::close(*fd);
        return e;
    }
    return *fd;
}

/// connect(2); EINPROGRESS counts as success (the socket turns writable once connected).
inline result<void> connect(int fd, const net::unix_address& addr) noexcept {
    // Not retried on EINTR: a second connect would report EALREADY (and a non-blocking
    // connect does not sleep, so a signal cannot interrupt it in practice).
    if (::connect(fd, addr.native_ptr(), addr.native_size()) < 0 && errno != EINPROGRESS) return last_error();
    return {};
}

/// getsockname (local) or getpeername (peer) as a unix_address.
inline result<net::unix_address> name(int fd, bool peer) noexcept {
    sockaddr_un sa{};
    socklen_t len = sizeof sa;
    auto* p = reinterpret_cast<sockaddr*>(&sa);
    if ((peer ? ::getpeername(fd, p, &len) : ::getsockname(fd, p, &len)) < 0) return last_error();
    if (len > sizeof sa) len = sizeof sa;  // truncated by the OS: never read past our buffer
    return net::unix_address::from_native(sa, len);
}

/// socketpair(2), both ends non-blocking and close-on-exec.
inline result<std::pair<int, int>> pair(int type) noexcept {
    int fds[2];
    if (::socketpair(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) < 0) return last_error();
    return std::pair<int, int>(fds[0], fds[1]);
}

}  // namespace mio::detail::unix_sock
