// libFuzzer target: one sweep expect line ("metric[strategy] OP metric[strategy]", "metric[group]
// [strategy] OP number") against a sweep with strategies ftwrl, mariabackup-stages and no-lock and
// client groups app and batch. It must be read or refused with a ScenarioError (exit code 2 in
// the program), never throw anything else, crash or recurse without bound.
#include <cstddef>
#include <cstdint>
#include <string>

#include "app/experiments/sweep.hpp"
#include "app/scenario/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const lockstage::app::SweepSpec spec = [] {
        lockstage::app::SweepSpec s;
        s.file = "fuzz-sweep.json";
        s.strategies = {"ftwrl", "mariabackup-stages", "no-lock"};
        s.groups = {"app", "batch"};
        return s;
    }();
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const auto e = lockstage::app::parse_expectation(spec, text, "/expect/0");
        (void)e.lhs.text();
    } catch (const lockstage::app::ScenarioError&) {
        // refused with a message: the expected outcome for bad input
    }
    return 0;
}
