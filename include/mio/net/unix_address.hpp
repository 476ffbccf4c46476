// mio::net::unix_address: the address of a Unix-domain socket (mio's unix SocketAddr):
// a filesystem path, a Linux abstract name, or unnamed. Every constructor bounds what it
// copies by the size of sockaddr_un, so untrusted input can never overrun it.
#pragma once

#include <mio/detail/source_base.hpp>
#include <mio/detail/sys.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <cstring>
#include <optional>
#include <ostream>
#include <string_view>
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
    /// The OS's types for the address (sockaddr_un, sockaddr and socklen_t on POSIX).
    using native_type = detail::sys::unix_sockaddr;
    using sockaddr_type = detail::sys::sockaddr_type;
    using socklen_type = detail::sys::socklen_type;

    /// Bytes of sun_path: paths must be shorter (one byte is left for the terminating NUL, as
    /// portable code and Rust's std require); abstract names may be one byte shorter.
    static constexpr std::size_t path_capacity = sizeof(detail::sys::unix_sockaddr::sun_path);

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
        a.len_ = static_cast<socklen_type>(path_offset + path.size() + 1);  // with its NUL
        return a;
    }

    /// The abstract name `name` (Linux and Android; any bytes, NUL included, may be empty).
    /// Errors: filename_too_long when name.size() >= path_capacity (the leading NUL takes a
    /// byte); operation_not_supported on systems without the abstract namespace.
    static result<unix_address> from_abstract(std::string_view name) noexcept {
        if constexpr (!detail::sys::has_abstract_unix_names) {
            (void)name;
            return std::errc::operation_not_supported;
        } else {
            if (name.size() >= path_capacity) return std::errc::filename_too_long;
            unix_address a;
            if (!name.empty()) std::memcpy(a.addr_.sun_path + 1, name.data(), name.size());
            a.len_ = static_cast<socklen_type>(path_offset + 1 + name.size());
            return a;
        }
    }

    /// The unnamed address (as a default-constructed one).
    static unix_address unnamed() noexcept { return unix_address(); }

    /// Reads an address the OS filled in (accept, getsockname, recvfrom...): exactly `len`
    /// bytes from `a`, never more. A `len` of 0 (or of just the family) is unnamed.
    /// Errors: invalid_argument when `len` exceeds sizeof(sockaddr_un), when `a` is null with a
    /// non-zero `len`, or when the family is not AF_UNIX.
    static result<unix_address> from_native(const sockaddr_type* a, socklen_type len) noexcept {
        if (len == 0) return unix_address();
        if (a == nullptr || len > sizeof(native_type)) return std::errc::invalid_argument;
        if (len < sizeof(detail::sys::family_type)) return std::errc::invalid_argument;
        detail::sys::family_type family;
        std::memcpy(&family, reinterpret_cast<const char*>(a) + offsetof(native_type, sun_family), sizeof family);
        if (family != detail::sys::unix_family) return std::errc::invalid_argument;
        unix_address r;
        if (len <= path_offset) return r;
        const char* raw = reinterpret_cast<const char*>(a) + path_offset;
        std::size_t n = len - path_offset;  // <= path_capacity, checked above
        if (raw[0] != '\0') {
            // A pathname: up to its NUL, which the OS may or may not count in `len`.
            std::size_t plen = bounded_length(raw, n);
            std::memcpy(r.addr_.sun_path, raw, plen);
            r.len_ = static_cast<socklen_type>(path_offset + plen + (plen < path_capacity ? 1 : 0));
            return r;
        }
        if constexpr (detail::sys::has_abstract_unix_names) {
            // An abstract name: every byte after the leading NUL counts.
            std::memcpy(r.addr_.sun_path, raw, n);
            r.len_ = static_cast<socklen_type>(path_offset + n);
        }
        // Elsewhere a leading NUL means unnamed (BSDs report unnamed sockets zero-filled).
        return r;
    }
    static result<unix_address> from_native(const native_type& a, socklen_type len) noexcept {
        return from_native(reinterpret_cast<const sockaddr_type*>(&a), len);
    }

    /// The path, for a pathname address; nullopt otherwise. Views this object's storage.
    std::optional<std::string_view> pathname() const noexcept {
        if (kind() != kind_type::path) return std::nullopt;
        return std::string_view(addr_.sun_path, bounded_length(addr_.sun_path, path_capacity));
    }

    /// The name without its leading NUL, for an abstract address; nullopt otherwise.
    std::optional<std::string_view> abstract_name() const noexcept {
        if (kind() != kind_type::abstract) return std::nullopt;
        return std::string_view(addr_.sun_path + 1, len_ - path_offset - 1);
    }

    /// True for the address of an unbound socket or of one end of a pair().
    bool is_unnamed() const noexcept { return kind() == kind_type::unnamed; }

    /// The sockaddr_un to hand to bind/connect/sendto, with native_size() as its length.
    const native_type& native() const noexcept { return addr_; }
    const sockaddr_type* native_ptr() const noexcept { return reinterpret_cast<const sockaddr_type*>(&addr_); }
    socklen_type native_size() const noexcept { return len_; }

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
    static constexpr std::size_t path_offset = offsetof(native_type, sun_path);
    enum class kind_type { unnamed, path, abstract };

    kind_type kind() const noexcept {
        if (len_ <= path_offset) return kind_type::unnamed;
        return addr_.sun_path[0] != '\0' ? kind_type::path : kind_type::abstract;
    }
    void clear() noexcept {
        std::memset(&addr_, 0, sizeof addr_);
        addr_.sun_family = detail::sys::unix_family;
        len_ = static_cast<socklen_type>(path_offset);
    }

    static std::size_t bounded_length(const char* s, std::size_t max) noexcept {
        const void* nul = std::memchr(s, '\0', max);
        return nul == nullptr ? max : static_cast<std::size_t>(static_cast<const char*>(nul) - s);
    }

    native_type addr_;
    socklen_type len_;
};

}  // namespace mio::net

namespace mio::detail {

template <>
struct address_traits<net::unix_address> {
    /// getsockname (local) or getpeername (peer) as a unix_address.
    static result<net::unix_address> local(sys::handle h) noexcept { return name(h, false); }
    static result<net::unix_address> peer(sys::handle h) noexcept { return name(h, true); }

    /// What the OS filled into `r` as a unix_address (never reading past it).
    static result<net::unix_address> from_raw(const sys::raw_sockaddr& r) noexcept {
        auto len = static_cast<sys::socklen_type>(r.len);  // an int on Windows
        if (len > sizeof(net::unix_address::native_type)) len = sizeof(net::unix_address::native_type);
        return net::unix_address::from_native(r.get(), len);
    }

private:
    static result<net::unix_address> name(sys::handle h, bool peer) noexcept {
        sys::raw_sockaddr r;
        if (auto ok = peer ? sys::peer_name(h, r) : sys::local_name(h, r); !ok) return ok.error();
        return from_raw(r);
    }
};

}  // namespace mio::detail

namespace mio::detail::unix_sock {

// The helpers unix_listener, unix_stream and unix_datagram share.

/// A new AF_UNIX socket of `type`, bound to `addr` when given.
inline result<sys::handle> open_bound(sys::socket_type type, const net::unix_address* addr) noexcept {
    auto h = sys::open_socket(sys::address_family::local, type);
    if (!h) return h.error();
    if (addr != nullptr) {
        if (auto r = sys::bind(*h, addr->native_ptr(), addr->native_size()); !r) {
            sys::close(*h);
            return r.error();
        }
    }
    return *h;
}

}  // namespace mio::detail::unix_sock
