// sys layer, Windows: no fd notifier. The Windows waker posts to the completion port
// (iocp_waker); the eventfd and pipe wakers and poll(2) are POSIX only.
#pragma once

#include <mio/detail/sys/windows/io.hpp>

namespace mio::detail::sys {

class notifier {
public:
    enum class kind { eventfd, pipe };
    static result<notifier> open(kind) noexcept { return std::errc::operation_not_supported; }
    handle read_handle() const noexcept { return invalid_handle; }
    result<void> signal() const noexcept { return std::errc::operation_not_supported; }
    void drain() const noexcept {}
};

}  // namespace mio::detail::sys
