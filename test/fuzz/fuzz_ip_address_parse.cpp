// libFuzzer target: mio_fuzz::ip_address_parse (see targets.hpp for what it checks).
#include "targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    mio_fuzz::ip_address_parse(data, size);
    return 0;
}
