// libFuzzer target: the files that carry a sweep's finished runs, shard.json (read by `merge`)
// and the resume file of an interrupted sweep, read as the program reads them. With the readers
// of app/experiments/sweep_state.hpp, every input goes through read_sweep_state() as a shard and
// as a resume file, and must be read or refused with a ScenarioError (exit code 2). Without them
// (before they are merged) only the pieces that exist are reached: the JSON parser and
// sweep_values_from_json() on a run's values, given what the old reader assumed (an array of
// numbers and nulls).
#include <unistd.h>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "app/experiments/sweep.hpp"
#include "app/scenario/scenario_loader.hpp"
#if __has_include("app/experiments/sweep_state.hpp")
#include "app/experiments/sweep_state.hpp"
#define LOCKSTAGE_HAVE_SWEEP_STATE 1
#endif

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace app = lockstage::app;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
#ifdef LOCKSTAGE_HAVE_SWEEP_STATE
    // The reader takes a path: the input goes to a file of this process's own.
    static const std::filesystem::path file =
        std::filesystem::temp_directory_path() /
        ("lockstage-fuzz-sweep-state-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
    }
    for (const auto kind : {app::SweepStateKind::Shard, app::SweepStateKind::Resume}) {
        try {
            (void)app::read_sweep_state(file, kind);
        } catch (const app::ScenarioError&) {
            // refused with a message: the expected outcome for bad input
        }
    }
#else
    try {
        const auto doc = app::parse_json_text(text, "shard.json");
        if (doc.is_object() && doc.contains("values") && doc["values"].is_object()) {
            for (const auto& [key, v] : doc["values"].items()) {
                bool numbers = v.is_array();
                for (const auto& x : v) {
                    numbers = numbers && (x.is_number() || x.is_null());
                }
                if (numbers) {
                    (void)app::sweep_values_from_json(v);
                }
            }
        }
    } catch (const app::ScenarioError&) {
        // refused with a message: the expected outcome for bad input
    }
#endif
    return 0;
}
