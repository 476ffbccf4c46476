// libFuzzer target: mio_fuzz::sockaddr_roundtrip (see targets.hpp for what it checks).
#include "targets.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#if MIO_FUZZ_HAVE_NET
    mio_fuzz::sockaddr_roundtrip(data, size);
#else
    (void)data, (void)size;
#endif
    return 0;
}
