#pragma once
// One-line overrides of a scenario: `--set POINTER=VALUE` on run, check, compare and sweep. The
// value is JSON (a bare word that is not JSON is a string: `--set /backup/strategy=ftwrl`), put
// into the parsed document with the semantics of JSON Patch "add" (RFC 6902): an existing member
// is replaced, a missing object member is added, an array index inserts before that element and
// "-" appends; a pointer whose parent does not exist is an error. Overrides apply before the
// schema and the loader, so an overridden value is checked exactly as one in the file; their
// messages name the file as `FILE (with --set P=V ...)`.
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/scenario/scenario.hpp"

namespace lockstage::app {

struct Override {
    std::string text;  ///< as given: "/workload/groups/0/arrivals/rate_tps=2500"
    nlohmann::ordered_json::json_pointer pointer;
    nlohmann::ordered_json value;
};

/// A malformed --set argument (no "=", a pointer not starting with "/", a bad "~" escape): the
/// message is "--set ARG: expected ..."; the command line reports it as a usage error.
struct OverrideSyntaxError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

/// Parses "POINTER=VALUE" (split at the first "="). Throws OverrideSyntaxError, or a ScenarioError
/// for JSON that is well formed but refused by the shared reader (duplicate keys, too deep).
Override parse_override(const std::string& arg);
std::vector<Override> parse_overrides(const std::vector<std::string>& args);

/// An RFC 6901 pointer, parsed: a syntax error (a "~" not followed by 0 or 1) is a ScenarioError
/// at `file` and `where`.
nlohmann::ordered_json::json_pointer parse_pointer(const std::string& file,
                                                   const std::string& where,
                                                   const std::string& text);

/// JSON Patch "add" of `value` at `pointer` in `doc` (see above). A parent that does not exist
/// or is not a container, or an array index out of range, is a ScenarioError naming `source`
/// and the pointer of the first missing element.
void json_add(nlohmann::ordered_json& doc, const nlohmann::ordered_json::json_pointer& pointer,
              nlohmann::ordered_json value, const std::string& source);

/// Applies each override in order (errors name "--set TEXT").
void apply_overrides(nlohmann::ordered_json& doc, const std::vector<Override>& overrides);

/// The overrides recorded under "overrides" in `doc` (a sweep document that shard.json
/// carries), parsed again; none if it has no such key. An entry that is not an override text is
/// a ScenarioError at `file` and `where`/overrides/I.
std::vector<Override> recorded_overrides(const nlohmann::ordered_json& doc, const std::string& file,
                                         const std::string& where);

/// How messages name a file read with overrides: "FILE (with --set A --set B)"; FILE itself
/// without any.
std::string overridden_name(const std::string& file, const std::vector<Override>& overrides);

/// The overrides' texts, as recorded in summary.json, compare.json and sweep.json.
std::vector<std::string> override_texts(const std::vector<Override>& overrides);

/// Reads the scenario file, applies the overrides, then validates and loads it as
/// load_scenario_file does; relative paths inside it still resolve against its folder.
/// `Scenario::overrides` holds their texts.
Scenario load_scenario_file(const std::filesystem::path& path,
                            const std::vector<Override>& overrides);

}  // namespace lockstage::app
