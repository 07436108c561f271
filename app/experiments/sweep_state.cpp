#include "app/experiments/sweep_state.hpp"

#include <fmt/format.h>

#include <charconv>

#include "app/scenario/scenario_loader.hpp"
#include "sim/kernel/random.hpp"

namespace lockstage::app {

namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

std::string scenario_fingerprint(const json& effective) {
    // nlohmann::json keeps object keys sorted: the dump is canonical whatever the key order.
    const nlohmann::json canonical = effective;
    return fmt::format("{:016x}", sim::fnv1a64(canonical.dump()));
}

json sweep_column_names(const SweepSpec& spec) {
    json names = json::array();
    for (const auto& c : sweep_columns(spec)) {
        names.push_back(c.name());
    }
    return names;
}

namespace {

constexpr int kStateVersion = 1;

const char* format_name(SweepStateKind kind) {
    return kind == SweepStateKind::Shard ? "lockstage-sweep-shard" : "lockstage-sweep-resume";
}

/// Reads the parts of a shard or resume file, each checked; every refusal says how to start over.
class StateReader {
  public:
    StateReader(std::string file, SweepStateKind kind) : file_(std::move(file)), kind_(kind) {}

    [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
        throw ScenarioError(file_, pointer, what + hint());
    }

    std::string hint() const {
        return kind_ == SweepStateKind::Resume
                   ? fmt::format("; remove {} to start the sweep over", file_)
                   : "; run that shard again (lockstage sweep SWEEP.json --shard I/N)";
    }

    const json& member(const json& doc, const std::string& key, json::value_t type,
                       const char* expected) const {
        const auto it = doc.find(key);
        if (it == doc.end()) {
            fail("", fmt::format("missing key \"{}\": expected {}", key, expected));
        }
        const bool matches =
            type == json::value_t::number_unsigned ? it->is_number_unsigned() : it->type() == type;
        if (!matches) {
            fail("/" + key, fmt::format("expected {}, got {}", expected, it->dump()));
        }
        return *it;
    }

    std::size_t count(const json& doc, const std::string& key, std::size_t low,
                      std::size_t high) const {
        const std::string expected = fmt::format("a whole number from {} to {}", low, high);
        const auto n =
            member(doc, key, json::value_t::number_unsigned, expected.c_str()).get<std::uint64_t>();
        if (n < low || n > high) {
            fail("/" + key, fmt::format("expected {}, got {}", expected, n));
        }
        return static_cast<std::size_t>(n);
    }

    const std::string& file() const { return file_; }

  private:
    std::string file_;
    SweepStateKind kind_;
};

std::string short_dump(const json& v) {
    std::string s = v.dump();
    return s.size() > 60 ? s.substr(0, 57) + "..." : s;
}

}  // namespace

json sweep_state_json(const SweepSpec& spec, SweepStateKind kind, std::size_t shard,
                      std::size_t shards, const SweepValues& values) {
    json out;
    out["format"] = format_name(kind);
    out["version"] = kStateVersion;
    out["sweep_file"] = fs::absolute(spec.file).lexically_normal().string();
    out["sweep"] = spec.effective;
    out["columns"] = sweep_column_names(spec);
    out["fingerprints"] = spec.fingerprints;
    if (kind == SweepStateKind::Shard) {
        out["shard"] = shard;
        out["shards"] = shards;
    }
    out["runs"] = values.size();
    json done = json::object();
    for (std::size_t k = 0; k < values.size(); ++k) {
        if (!values[k].empty()) {
            done[std::to_string(k)] = sweep_values_json(values[k]);
        }
    }
    out["values"] = std::move(done);
    return out;
}

SweepState read_sweep_state(const fs::path& path, SweepStateKind kind) {
    const StateReader r(path.string(), kind);
    json doc;
    try {
        doc = parse_json_text(read_text_file(path), r.file());
    } catch (const ScenarioError& e) {
        throw ScenarioError(e.file(), e.where(), e.detail() + r.hint());
    }
    if (!doc.is_object()) {
        r.fail("", fmt::format("expected an object (a {} file), got {}", format_name(kind),
                               short_dump(doc)));
    }
    const std::string format_expected = fmt::format("\"{}\"", format_name(kind));
    if (r.member(doc, "format", json::value_t::string, format_expected.c_str()) !=
        format_name(kind)) {
        r.fail("/format",
               fmt::format("expected {}, got {}", format_expected, doc["format"].dump()));
    }
    if (!doc.contains("version") || doc["version"] != kStateVersion) {
        r.fail(doc.contains("version") ? "/version" : "",
               fmt::format("written by another version of lockstage (format version {}; this one "
                           "reads version {})",
                           doc.contains("version") ? short_dump(doc["version"]) : "missing",
                           kStateVersion));
    }
    SweepState s;
    s.kind = kind;
    s.file = r.file();
    s.sweep_file = r.member(doc, "sweep_file", json::value_t::string, "the sweep file's path")
                       .get<std::string>();
    s.sweep = r.member(doc, "sweep", json::value_t::object, "the sweep document (an object)");
    s.columns = r.member(doc, "columns", json::value_t::array, "the metric names (an array)");
    for (std::size_t i = 0; i < s.columns.size(); ++i) {
        if (!s.columns[i].is_string()) {
            r.fail(fmt::format("/columns/{}", i),
                   fmt::format("expected a metric name, got {}", short_dump(s.columns[i])));
        }
    }
    const auto& prints = r.member(doc, "fingerprints", json::value_t::array,
                                  "a fingerprint per point (an array of 16 hex digits each)");
    for (std::size_t i = 0; i < prints.size(); ++i) {
        if (!prints[i].is_string() || prints[i].get_ref<const std::string&>().size() != 16) {
            r.fail(fmt::format("/fingerprints/{}", i),
                   fmt::format("expected 16 hex digits, got {}", short_dump(prints[i])));
        }
        s.fingerprints.push_back(prints[i].get<std::string>());
    }
    constexpr std::size_t kMaxRuns = std::size_t{1} << 40;
    if (kind == SweepStateKind::Shard) {
        s.shards = r.count(doc, "shards", 1, kMaxRuns);
        s.shard = r.count(doc, "shard", 1, s.shards);
    }
    s.runs = r.count(doc, "runs", 1, kMaxRuns);
    const auto& values = r.member(doc, "values", json::value_t::object,
                                  "the finished runs (an object: run number -> values)");
    for (const auto& [key, v] : values.items()) {
        const std::string p = "/values/" + key;
        std::size_t run = 0;
        const auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), run);
        if (ec != std::errc() || end != key.data() + key.size() || run >= s.runs) {
            r.fail(p, fmt::format("expected a run number from 0 to {} as the key", s.runs - 1));
        }
        if (!v.is_array() || v.size() != s.columns.size()) {
            r.fail(p, fmt::format("expected an array of {} values (one per column), got {}",
                                  s.columns.size(), short_dump(v)));
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
            if (!v[i].is_number() && !v[i].is_null()) {
                r.fail(fmt::format("{}/{}", p, i),
                       fmt::format("expected a number or null, got {}", short_dump(v[i])));
            }
        }
        s.values[run] = sweep_values_from_json(v);
    }
    return s;
}

void check_sweep_state(const SweepState& state, const SweepSpec& spec, SweepValues& into) {
    const StateReader r(state.file, state.kind);
    const std::string when =
        state.kind == SweepStateKind::Resume ? "since the interrupted run" : "since this shard ran";
    if (state.sweep != spec.effective) {
        r.fail("/sweep", fmt::format("these runs are of another sweep than {} (it changed {})",
                                     spec.file, when));
    }
    if (state.columns != sweep_column_names(spec)) {
        r.fail("/columns",
               "these runs' values are not the metrics this lockstage computes (written by "
               "another version)");
    }
    if (state.fingerprints.size() != spec.fingerprints.size()) {
        r.fail("/fingerprints",
               fmt::format("expected {} fingerprints (a point of {} each), got {}",
                           spec.fingerprints.size(), spec.file, state.fingerprints.size()));
    }
    for (std::size_t i = 0; i < spec.fingerprints.size(); ++i) {
        if (state.fingerprints[i] != spec.fingerprints[i]) {
            r.fail(fmt::format("/fingerprints/{}", i),
                   fmt::format("point {} ({}) of {} is another scenario than when these runs "
                               "ran: the base scenario {} changed {}",
                               i, sweep_point_label(spec, i), spec.file, spec.base_file, when));
        }
    }
    const std::size_t runs = sweep_runs(spec);
    if (state.runs != runs) {
        r.fail("/runs",
               fmt::format("expected {} (the runs of {}), got {}", runs, spec.file, state.runs));
    }
    into.resize(runs);
    for (const auto& [run, v] : state.values) {
        into[run] = v;
    }
}

}  // namespace lockstage::app
