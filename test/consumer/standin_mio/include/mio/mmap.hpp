// Stand-in for mandreyel/mio's header of the same name: same path, same namespace.
#pragma once

#include <cstddef>

namespace mio {
struct mmap_source {
    std::size_t size() const noexcept { return 42; }
};
}  // namespace mio
