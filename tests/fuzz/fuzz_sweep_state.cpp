// libFuzzer target: the files that carry a sweep's finished runs, shard.json (read by `merge`)
// and the resume file of an interrupted sweep, through their reader read_sweep_state(), as a
// shard and as a resume file. Bad input must end in a ScenarioError (exit code 2 in the
// program); any other exception, a crash, a leak or undefined behaviour is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "app/experiments/sweep_state.hpp"
#include "app/scenario/scenario_loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace app = lockstage::app;
    // The reader takes a path: the input goes to a file of this process's own.
    static const std::filesystem::path file =
        std::filesystem::temp_directory_path() /
        ("lockstage-fuzz-sweep-state-" + std::to_string(::getpid()) + ".json");
    {
        std::ofstream out(file, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    }
    for (const auto kind : {app::SweepStateKind::Shard, app::SweepStateKind::Resume}) {
        try {
            (void)app::read_sweep_state(file, kind);
        } catch (const app::ScenarioError&) {
            // refused with a message: the expected outcome for bad input
        }
    }
    return 0;
}
