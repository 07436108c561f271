#pragma once
// Reads JSON text into a document in one linear pass, with the limits every lockstage input
// shares (scenario, sweep, sweep base, shard.json, the sweep resume file): at most kMaxJsonDepth
// nested arrays and objects, no duplicate keys, and, when the caller knows them, the most items
// each array may hold, refused at the first item too many rather than after the whole file is
// built. Nothing recurses over the document while it is read, so no input can exhaust the stack.
// Every refusal is a ScenarioError naming the file and the JSON pointer (line and column for
// malformed JSON).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace lockstage::app {

/// Deepest nesting of arrays and objects (the root container is level 1). The shipped scenarios
/// and tests go at most 9 deep (workload groups and their distributions).
inline constexpr std::size_t kMaxJsonDepth = 64;
/// Largest input file read, in bytes (256 MiB).
inline constexpr std::uintmax_t kMaxInputBytes = std::uintmax_t{256} << 20;

/// The most items the array at `tokens` (the unescaped pointer tokens from the root, array
/// indices in decimal) may hold; SIZE_MAX for no bound.
using ItemLimit = std::function<std::size_t(const std::vector<std::string>& tokens)>;

/// JSON text to a document; `file` names the input in errors; `limit`, if given, bounds arrays.
nlohmann::ordered_json read_json(std::string_view text, const std::string& file,
                                 const ItemLimit& limit = {});

}  // namespace lockstage::app
