// Fault enumeration and seed sweeps over the fake selector: the two loops of deterministic
// simulation testing, as a small public helper (doc/simulation.md shows the pattern).
//
//   enumerate_faults(op, ec, scenario)  runs scenario(injector) for n = 1, 2, ...; the scenario
//       builds its world and calls injector.arm(fake) once its poll exists, which makes the
//       n-th call of `op` from then on fail with `ec`. The loop ends with the first run in
//       which that call never came (the scenario made fewer than n calls of op): every call
//       of `op` the scenario makes has then been failed once. A run "fails" when the scenario
//       returns false; the report lists those n.
//   sweep_seeds(first, count, scenario) runs scenario(seed) for count seeds from `first` and
//       reports (and prints) each seed whose run returned false, so the run replays exactly
//       with that seed.
#pragma once

#include <mio/selector/fake.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <system_error>
#include <utility>
#include <vector>

namespace mio::sim {

/// Arms one fault in the scenario's fake selector and tells afterwards whether it fired.
class fault_injector {
public:
    fault_injector(fake_operation op, std::size_t n, std::error_code ec) noexcept : op_(op), n_(n), ec_(ec) {}

    /// Makes the n-th call of the operation from now fail (call it once, when the poll exists).
    void arm(fake_selector& fake) {
        fake.fail_nth(op_, n_, ec_);
        base_ = fake.call_count(op_);
        fake_.emplace(std::move(*fake.try_clone()));
    }

    /// Whether the armed call was made (so the fault fired). False when arm() was never called.
    bool fired() const { return fake_ && fake_->call_count(op_) - base_ >= n_; }

    fake_operation operation() const noexcept { return op_; }
    std::size_t n() const noexcept { return n_; }
    std::error_code error() const noexcept { return ec_; }

private:
    fake_operation op_;
    std::size_t n_;
    std::error_code ec_;
    std::size_t base_ = 0;
    std::optional<fake_selector> fake_;
};

/// What enumerate_faults saw.
struct fault_report {
    std::size_t runs = 0;             ///< scenario runs (the last one without the fault firing)
    std::size_t faults = 0;           ///< runs in which the fault fired
    std::vector<std::size_t> failed;  ///< the n of every run whose scenario returned false
    bool exhausted = false;           ///< true: a run made fewer than n calls (every call was failed)
    bool ok() const noexcept { return failed.empty() && exhausted; }
};

/// Runs `scenario(fault_injector&) -> bool` with the n-th call of `op` failing with `ec`, for
/// n = 1, 2, ... until a run in which the fault did not fire, or `max_runs`. Each run must
/// build a fresh world (poll, network, component) and call injector.arm(poll.selector()).
/// Failing runs are reported and printed to `log` (when not null) with their n.
template <class Scenario>
fault_report enumerate_faults(fake_operation op, std::error_code ec, Scenario&& scenario,
                              std::size_t max_runs = 100000, std::ostream* log = nullptr) {
    fault_report report;
    for (std::size_t n = 1; n <= max_runs; ++n) {
        fault_injector injector(op, n, ec);
        const bool passed = scenario(injector);
        ++report.runs;
        if (!passed) {
            report.failed.push_back(n);
            if (log) *log << "mio::sim: failing call " << n << " of " << op << " with " << ec.message() << " broke the scenario\n";
        }
        if (!injector.fired()) {
            report.exhausted = true;
            break;
        }
        ++report.faults;
    }
    return report;
}

/// What sweep_seeds saw.
struct seed_report {
    std::size_t runs = 0;
    std::vector<std::uint64_t> failed;  ///< seeds whose scenario returned false
    bool ok() const noexcept { return failed.empty(); }
};

/// Runs `scenario(std::uint64_t seed) -> bool` for `count` seeds from `first`; prints each
/// failing seed to `log` (when not null) so the run can be replayed with it.
template <class Scenario>
seed_report sweep_seeds(std::uint64_t first, std::size_t count, Scenario&& scenario, std::ostream* log = nullptr) {
    seed_report report;
    for (std::size_t k = 0; k < count; ++k) {
        const std::uint64_t seed = first + k;
        ++report.runs;
        if (!scenario(seed)) {
            report.failed.push_back(seed);
            if (log) *log << "mio::sim: seed " << seed << " failed; replay it with that seed\n";
        }
    }
    return report;
}

}  // namespace mio::sim
