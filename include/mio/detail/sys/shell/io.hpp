// sys layer, shell: byte I/O, fd flags and pipes, all failing with operation_not_supported.
#pragma once

#include <mio/detail/sys/shell/base.hpp>
#include <mio/result.hpp>

#include <cstddef>
#include <utility>

namespace mio::detail::sys {

struct io_buffer {
    void* data;
    std::size_t len;
};
inline void set_io_buffer(io_buffer& b, const void* data, std::size_t len) noexcept {
    b.data = const_cast<void*>(data);
    b.len = len;
}

inline constexpr std::errc unsupported = std::errc::operation_not_supported;

inline result<std::size_t> size_result(long n) noexcept {
    if (n < 0) return last_error();
    return static_cast<std::size_t>(n);
}
inline result<void> void_result(int rc) noexcept {
    if (rc < 0) return last_error();
    return {};
}

inline result<std::size_t> read(handle, void*, std::size_t) noexcept { return unsupported; }
inline result<std::size_t> write(handle, const void*, std::size_t) noexcept { return unsupported; }
inline result<std::size_t> readv(handle, const io_buffer*, int) noexcept { return unsupported; }
inline result<std::size_t> writev(handle, const io_buffer*, int) noexcept { return unsupported; }
inline bool is_open(handle) noexcept { return false; }
inline result<void> set_nonblocking(handle, bool) noexcept { return unsupported; }
inline result<handle> dup_cloexec(handle) noexcept { return unsupported; }
inline result<std::pair<handle, handle>> pipe() noexcept { return unsupported; }

}  // namespace mio::detail::sys
