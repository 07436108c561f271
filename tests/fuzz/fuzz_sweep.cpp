// libFuzzer target: sweep file text through the JSON parser, the sweep schema, the axes (JSON
// pointers, ranges, the grid bound), the expect lines and the validation of every point as a
// scenario, stopping there: nothing is simulated. The base scenario is read relative to
// tests/bad-input/sweep (the seeds' "base" is made absolute by run.sh). The points limit is 64
// instead of 100,000 so that an input takes milliseconds. Bad input must end in a
// ScenarioError (exit code 2 in the program); anything else is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/experiments/sweep.hpp"
#include "app/scenario/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto spec = lockstage::app::load_sweep_text(
            text, "fuzz-sweep.json", LOCKSTAGE_SOURCE_DIR "/tests/bad-input/sweep", 64);
        (void)lockstage::app::sweep_runs(spec);
    } catch (const lockstage::app::ScenarioError&) {
        // refused with a message: the expected outcome for bad input
    }
    return 0;
}
