// libFuzzer target: scenario text from bytes, through the JSON parser (duplicate keys, line and
// column errors), the schema validator and the loader's semantic checks, then the event estimate.
// Bad input must end in a ScenarioError (exit code 2 in the program); any other exception, a
// crash, a leak or undefined behaviour is a finding.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "app/scenario/event_estimate.hpp"
#include "app/scenario/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        lockstage::app::Scenario s = lockstage::app::load_scenario_text(text, "fuzz.json");
        const auto estimate = lockstage::app::estimate_events(s);
        (void)lockstage::app::event_budget(estimate, std::nullopt);
    } catch (const lockstage::app::ScenarioError&) {
        // refused with a message: the expected outcome for bad input
    }
    return 0;
}
