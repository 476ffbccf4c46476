// Testing event-driven code with the fake selector.
//
// `line_shouter` (example/line_shouter.hpp) is a small connection handler, written once as a
// template over the poll type and its two byte streams: it reads one line, and writes it back
// upper-cased. It registers its output only when a write would block (a common pattern), and
// gives up after an idle timeout.
//
// main() runs it twice:
//   real  over mio::poll (epoll) with two real pipes and a peer thread;
//   fake  over basic_poll<fake_selector, fixed_storage<64>, fake_waker> with made-up fds and
//         scripted streams: readable -> read -> write -> would_block -> writable -> done, a
//         30-second idle timeout through the virtual clock (it takes microseconds), an EINTR
//         and two ENOMEMs injected.
// It exits 0 only if every check passed. `fake_selector_unit real|fake` runs one half.
#include <mio/mio.hpp>
#include <mio/selector/fake.hpp>
#include <mio/storage/fixed.hpp>
#include <mio/waker/fake.hpp>

#include "line_shouter.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <deque>
#include <iostream>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

namespace {

// ---------------------------------------------------------------------------------------------
// A tiny check harness: prints every check, remembers failures.

int failures = 0;
void check(bool ok, std::string_view what) {
    std::cout << (ok ? "  ok    " : "  FAIL  ") << what << '\n';
    if (!ok) ++failures;
}

// ---------------------------------------------------------------------------------------------
// Real: epoll, two pipes, a peer thread that sends a 200 KiB line and reads the answer.

void run_real() {
    std::cout << "real (epoll, pipes):\n";
    auto poll = mio::poll::create();
    auto request = mio::posix::pipe();
    auto response = mio::posix::pipe();
    check(poll && request && response, "poll and pipes created");
    if (!poll || !request || !response) return;
    // Plain references, not structured bindings: lambdas capture those only from C++20 on
    // and clang 14 does not yet.
    auto& request_tx = request->first;
    auto& request_rx = request->second;
    auto& response_tx = response->first;
    auto& response_rx = response->second;

    std::string line(200 * 1024, 'x');
    for (std::size_t i = 0; i < line.size(); ++i) line[i] = static_cast<char>('a' + i % 26);
    line.back() = '\n';

    std::string answer;
    std::thread peer([&] {
        (void)request_tx.set_nonblocking(false);
        (void)response_rx.set_nonblocking(false);
        for (std::size_t sent = 0; sent < line.size();) {
            auto n = request_tx.write(std::span<const char>(line).subspan(sent));
            if (!n) return;
            sent += *n;
        }
        char buf[8192];
        while (answer.size() < line.size()) {
            auto n = response_rx.read(std::span<char>(buf));
            if (!n || *n == 0) return;
            answer.append(buf, *n);
        }
    });

    line_shouter shouter(*poll, request_rx, response_tx, std::chrono::seconds(5));
    check(bool(shouter.start()), "start registers the input");
    auto outcome = shouter.run();
    peer.join();
    std::string expected = line;
    std::transform(expected.begin(), expected.end(), expected.begin(), [](char c) {
        return static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    });
    check(outcome && *outcome == decltype(shouter)::state::done, "runs to done");
    check(answer == expected, "the peer got its 200 KiB line back, upper-cased");
}

// ---------------------------------------------------------------------------------------------
// Fake: scripted streams over made-up fds; nothing reaches the kernel.

// Reads what the test scripted, then would_block (or end of stream once `eof` is set).
struct scripted_input {
    int fd;
    std::deque<std::string> chunks;
    bool eof = false;
    int native_handle() const noexcept { return fd; }
    mio::result<std::size_t> read(std::span<char> buf) {
        if (chunks.empty()) return eof ? mio::result<std::size_t>(std::size_t{0}) : std::errc::operation_would_block;
        std::string& c = chunks.front();
        std::size_t n = std::min(buf.size(), c.size());
        std::memcpy(buf.data(), c.data(), n);
        c.erase(0, n);
        if (c.empty()) chunks.pop_front();
        return n;
    }
};

// Accepts up to `room` bytes, then would_block until the test makes room.
struct scripted_output {
    int fd;
    std::size_t room;
    std::string written;
    int native_handle() const noexcept { return fd; }
    mio::result<std::size_t> write(std::span<const char> buf) {
        if (room == 0) return std::errc::operation_would_block;
        std::size_t n = std::min(buf.size(), room);
        written.append(buf.data(), n);
        room -= n;
        return n;
    }
};

using fake_poll = mio::basic_poll<mio::fake_selector, mio::fixed_storage<64>, mio::fake_waker>;
using fake_shouter = line_shouter<fake_poll, scripted_input, scripted_output>;
using state = fake_shouter::state;
using mio::fake_operation;

std::vector<fake_operation> operations(const std::vector<mio::fake_call>& trace) {
    std::vector<fake_operation> ops;
    for (const auto& c : trace) ops.push_back(c.operation);
    return ops;
}

void fake_happy_path() {
    std::cout << "fake: readable -> read -> write -> would_block -> writable -> done\n";
    auto poll = std::move(*fake_poll::create());
    auto& fake = poll.selector();
    scripted_input in{.fd = 10, .chunks = {"hello ", "mio\n"}};
    scripted_output out{.fd = 11, .room = 4, .written = {}};
    fake_shouter shouter(poll, in, out, std::chrono::seconds(30));

    check(bool(shouter.start()), "start");
    check(fake.interest_of(fake_shouter::input_token) == mio::interest::readable, "input registered readable");
    check(!fake.interest_of(fake_shouter::output_token), "output not registered yet");

    check(bool(fake.inject(fake_shouter::input_token, mio::interest::readable)), "inject readable");
    auto s = shouter.step();
    check(s && *s == state::writing, "read the line, wrote what fit, now writing");
    check(out.written == "HELL", "wrote 4 bytes before would_block");
    check(fake.interest_of(fake_shouter::output_token) == mio::interest::writable,
          "would_block registered the output writable");

    out.room = 100;
    check(bool(fake.inject(fake_shouter::output_token, mio::interest::writable)), "inject writable");
    s = shouter.step();
    check(s && *s == state::done, "done");
    check(out.written == "HELLO MIO\n", "the whole line went out upper-cased");
    check(fake.registrations().empty(), "both streams removed");
    check(operations(fake.trace()) == std::vector<fake_operation>{fake_operation::add, fake_operation::poll,
                                                                  fake_operation::add, fake_operation::poll,
                                                                  fake_operation::remove, fake_operation::remove},
          "trace: add, poll, add, poll, remove, remove");
    // The exact record of the lazy registration: handle 11, token 2, writable (bits 2), no error.
    check(fake.trace()[2] == mio::fake_call{fake_operation::add, 11, 2, 2, 0, 0, 0, 0}, "trace record of the lazy add");
    check(fake.now() == std::chrono::nanoseconds(0), "no virtual time passed");
    for (const auto& c : fake.trace()) std::cout << "        " << c << '\n';
}

void fake_idle_timeout() {
    std::cout << "fake: 30 s idle timeout on the virtual clock\n";
    auto poll = std::move(*fake_poll::create());
    auto& fake = poll.selector();
    scripted_input in{.fd = 10, .chunks = {}};
    scripted_output out{.fd = 11, .room = 100, .written = {}};
    fake_shouter shouter(poll, in, out, std::chrono::seconds(30));
    auto started = std::chrono::steady_clock::now();

    check(bool(shouter.start()), "start");
    fake.advance(std::chrono::seconds(10));
    in.chunks.push_back("partial");  // activity at t = 10 s resets the idle timer
    check(bool(fake.inject(fake_shouter::input_token, mio::interest::readable)), "inject readable at 10 s");
    auto s = shouter.step();
    check(s && *s == state::reading, "still reading after a partial line");
    s = shouter.step();  // nothing pending: the fake "sleeps" the 30 s timeout at once
    check(s && *s == state::idle_timeout, "idle timeout");
    check(fake.now() == std::chrono::seconds(40), "virtual clock at 40 s (10 + 30)");
    check(fake.registrations().empty(), "input removed on timeout");
    check(std::chrono::steady_clock::now() - started < std::chrono::seconds(1), "took well under a second of real time");
}

void fake_eintr() {
    std::cout << "fake: EINTR from poll is retried\n";
    auto poll = std::move(*fake_poll::create());
    auto& fake = poll.selector();
    scripted_input in{.fd = 10, .chunks = {"hi\n"}};
    scripted_output out{.fd = 11, .room = 100, .written = {}};
    fake_shouter shouter(poll, in, out, std::chrono::seconds(30));
    check(bool(shouter.start()), "start");
    check(bool(fake.inject(fake_shouter::input_token, mio::interest::readable)), "inject readable");
    fake.fail_next(fake_operation::poll, std::make_error_code(std::errc::interrupted));
    auto s = shouter.step();
    check(s && *s == state::reading && shouter.interruptions() == 1, "EINTR seen, nothing lost");
    check(fake.pending_count() == 1, "the readable event is still pending");
    s = shouter.run();
    check(s && *s == state::done && out.written == "HI\n", "then runs to done");
}

void fake_enomem() {
    std::cout << "fake: ENOMEM from add\n";
    {
        auto poll = std::move(*fake_poll::create());
        auto& fake = poll.selector();
        scripted_input in{.fd = 10, .chunks = {}};
        scripted_output out{.fd = 11, .room = 0, .written = {}};
        fake_shouter shouter(poll, in, out, std::chrono::seconds(30));
        fake.fail_next(fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
        auto r = shouter.start();
        check(r.error() == std::errc::not_enough_memory, "start reports ENOMEM");
        check(fake.registrations().empty(), "nothing registered");
    }
    {
        auto poll = std::move(*fake_poll::create());
        auto& fake = poll.selector();
        scripted_input in{.fd = 10, .chunks = {"hi\n"}};
        scripted_output out{.fd = 11, .room = 0, .written = {}};
        fake_shouter shouter(poll, in, out, std::chrono::seconds(30));
        check(bool(shouter.start()), "start");
        check(bool(fake.inject(fake_shouter::input_token, mio::interest::readable)), "inject readable");
        fake.fail_next(fake_operation::add, std::make_error_code(std::errc::not_enough_memory));
        auto s = shouter.step();  // write would_block -> add(output) fails
        check(s.error() == std::errc::not_enough_memory, "the lazy add's ENOMEM reaches the caller");
        check(fake.registrations().empty(), "and the input was removed");
    }
}

}  // namespace

int main(int argc, char** argv) {
    std::string_view mode = argc > 1 ? argv[1] : "all";
    if (mode == "all" || mode == "real") run_real();
    if (mode == "all" || mode == "fake") {
        fake_happy_path();
        fake_idle_timeout();
        fake_eintr();
        fake_enomem();
    }
    std::cout << (failures ? "FAILED: " : "all checks passed") << (failures ? std::to_string(failures) : "") << '\n';
    return failures ? 1 : 0;
}
