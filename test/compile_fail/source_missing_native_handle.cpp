// Registering something that is not a source: the registry must say what is missing.
// expect: mio: source is missing `native_handle()`
#include "toy_selector.hpp"

#include <mio/registry.hpp>

struct not_a_source {
#ifdef MIO_COMPILE_FAIL_CONTROL
    int native_handle() const noexcept { return 3; }
#endif
};

int main() {
    auto r = mio::basic_registry<toy::selector>::create();
    not_a_source s;
    return r->add(s, mio::token{1}, mio::interest::readable) ? 0 : 1;
}
