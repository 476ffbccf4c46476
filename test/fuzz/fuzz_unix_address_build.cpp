// libFuzzer target: mio_fuzz::unix_address_build (see targets.hpp for what it checks).
#include "targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mio_fuzz::unix_address_build(data, size);
    return 0;
}
