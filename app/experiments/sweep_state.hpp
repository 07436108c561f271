#pragma once
// The files that carry a sweep's finished runs between processes: shard.json (written by
// `sweep --shard I/N`, read by `merge`) and the resume file of an interrupted sweep
// (".NAME.sweep-resume.json" beside the result folder). Both record the sweep document, the
// metric columns and a fingerprint of every point's resolved scenario, so that runs of an
// edited sweep or base scenario are never mixed with new ones. Reading checks every key and
// type: anything wrong is a ScenarioError naming the file, the JSON pointer, what was expected
// and how to start over (exit code 2).
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/experiments/sweep.hpp"

namespace lockstage::app {

/// The fingerprint of a resolved scenario (its effective document): FNV-1a 64 of its canonical
/// JSON (keys sorted, no spaces), as 16 hex digits (sim::fnv1a64: stable on every machine).
std::string scenario_fingerprint(const nlohmann::ordered_json& effective);

enum class SweepStateKind { Shard, Resume };

struct SweepState {
    SweepStateKind kind = SweepStateKind::Shard;
    std::string file;        ///< where it was read from, for messages
    std::string sweep_file;  ///< the sweep file it belongs to (absolute)
    nlohmann::ordered_json sweep;
    nlohmann::ordered_json columns;
    std::vector<std::string> fingerprints;  ///< per point
    std::size_t shard = 1, shards = 1, runs = 0;
    std::map<std::size_t, std::vector<std::optional<double>>> values;  ///< by run index
};

/// The names of the values a sweep run stores, in order (the files' "columns").
nlohmann::ordered_json sweep_column_names(const SweepSpec& spec);

/// The file's JSON: the finished runs of `values` (the others are left out).
nlohmann::ordered_json sweep_state_json(const SweepSpec& spec, SweepStateKind kind,
                                        std::size_t shard, std::size_t shards,
                                        const SweepValues& values);

/// Reads and checks a shard or resume file on its own (before the sweep it names is loaded).
SweepState read_sweep_state(const std::filesystem::path& file, SweepStateKind kind);

/// Checks that `state` holds runs of `spec` as it is now: the same sweep document, metric
/// columns and resolved scenarios; else a ScenarioError naming both files. Then puts its runs
/// into `into` (sweep_runs(spec) entries).
void check_sweep_state(const SweepState& state, const SweepSpec& spec, SweepValues& into);

}  // namespace lockstage::app
