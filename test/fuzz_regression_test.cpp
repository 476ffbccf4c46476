// Replays every seed and every kept crash of the fuzz targets (test/fuzz/corpus/<target>/
// and test/fuzz/crashes/<target>/) through the same checks the libFuzzer programs run, so
// the ordinary test run (any compiler, any sanitizer preset) guards what fuzzing found.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>

// A failed fuzz check is a test failure naming the check (set before targets.hpp).
#define MIO_FUZZ_FAIL(what) ADD_FAILURE() << "fuzz check failed: " << (what)
#include "fuzz/targets.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

namespace {

namespace fs = std::filesystem;
using target_fn = void (*)(const std::uint8_t*, std::size_t);

// The fuzz directory next to this file (MIO_FUZZ_DIR overrides it for out-of-tree runs).
fs::path fuzz_dir() {
    if (const char* d = std::getenv("MIO_FUZZ_DIR")) return d;
    return fs::path(__FILE__).parent_path() / "fuzz";
}

std::vector<std::uint8_t> read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Feeds every file of corpus/<name> and crashes/<name> to `fn`; returns how many.
std::size_t replay(const std::string& name, target_fn fn) {
    std::size_t n = 0;
    for (const char* kind : {"corpus", "crashes"}) {
        auto dir = fuzz_dir() / kind / name;
        if (!fs::is_directory(dir)) continue;
        for (const auto& e : fs::directory_iterator(dir)) {
            if (!e.is_regular_file()) continue;
            auto bytes = read_all(e.path());
            SCOPED_TRACE(e.path().string());
            fn(bytes.data(), bytes.size());
            ++n;
        }
    }
    return n;
}

void run(const std::string& text, target_fn fn) {
    fn(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

TEST(fuzz_regression, ip_address_parse) {
    EXPECT_GE(replay("ip_address_parse", mio_fuzz::ip_address_parse), 10u);
}

TEST(fuzz_regression, socket_address_parse) {
    EXPECT_GE(replay("socket_address_parse", mio_fuzz::socket_address_parse), 10u);
}

TEST(fuzz_regression, sockaddr_roundtrip) {
    EXPECT_GE(replay("sockaddr_roundtrip", mio_fuzz::sockaddr_roundtrip), 10u);
}

TEST(fuzz_regression, unix_address_build) {
    EXPECT_GE(replay("unix_address_build", mio_fuzz::unix_address_build), 10u);
}

// The targets also run on inputs no corpus is needed for: every byte alone, and texts at
// the length limits of the parsers.
TEST(fuzz_regression, edge_inputs) {
    for (int b = 0; b < 256; ++b) {
        std::string one(1, char(b));
        run(one, mio_fuzz::ip_address_parse);
        run(one, mio_fuzz::socket_address_parse);
        run(one, mio_fuzz::sockaddr_roundtrip);
        run(one, mio_fuzz::unix_address_build);
    }
    run(std::string(45, '1'), mio_fuzz::ip_address_parse);
    run(std::string(46, ':'), mio_fuzz::ip_address_parse);
    run("[" + std::string(45, '0') + "]:1", mio_fuzz::socket_address_parse);
    run(std::string(1, '\0') + std::string(200, 'x'), mio_fuzz::unix_address_build);
    run(std::string(1, '\1') + std::string(200, 'x'), mio_fuzz::unix_address_build);
    run(std::string(1, '\2') + std::string(1, char(110)) + std::string(200, 'x'), mio_fuzz::unix_address_build);
    run(std::string(1, '\0') + std::string(300, '\xff'), mio_fuzz::sockaddr_roundtrip);
}

// The checks themselves can fail: a wrong expectation is reported, not silently passed.
void wrong_expectation() { MIO_FUZZ_REQUIRE(!mio::net::ipv4_address::parse("1.2.3.4")); }

TEST(fuzz_regression, checks_can_fail) { EXPECT_NONFATAL_FAILURE(wrong_expectation(), "fuzz check failed"); }

}  // namespace

