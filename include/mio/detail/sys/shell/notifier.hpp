// sys layer, shell: a notifier that cannot be opened.
#pragma once

#include <mio/detail/sys/shell/io.hpp>

namespace mio::detail::sys {

class notifier {
public:
    enum class kind { eventfd, pipe };
    static result<notifier> open(kind) noexcept { return unsupported; }
    handle read_handle() const noexcept { return invalid_handle; }
    result<void> signal() const noexcept { return unsupported; }
    void drain() const noexcept {}
};

}  // namespace mio::detail::sys
