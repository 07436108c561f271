#pragma once
// Reads a scenario file: JSON syntax (errors with line and column), then the JSON Schema that
// ships in scenarios/ (compiled in), then the checks a schema cannot express (warm-up shorter
// than the run, uniform min <= max, one weight per value). Every refusal is a ScenarioError that
// names the file, the JSON pointer and what was expected; the CLI turns it into exit code 2.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "app/scenario/scenario.hpp"

namespace lockstage::app {

class ScenarioError : public std::runtime_error {
  public:
    /// `where` is a JSON pointer ("" for the root) or, for syntax errors, "line L, column C".
    ScenarioError(std::string file, std::string where, std::string what);
    const std::string& file() const { return file_; }
    const std::string& where() const { return where_; }
    const std::string& detail() const { return detail_; }

  private:
    std::string file_;
    std::string where_;
    std::string detail_;
};

/// Parses and validates scenario text; `file` is only used in messages.
Scenario load_scenario_text(std::string_view text, const std::string& file);
/// Validates an already parsed scenario document (a sweep point).
Scenario load_scenario_json(nlohmann::ordered_json doc, const std::string& file);
/// The same with relative paths inside it (a profile's csv) read from `dir`, when `file` is a
/// label rather than a path ("base.json at /pointer=value", "s.json (with --set ...)").
Scenario load_scenario_json(nlohmann::ordered_json doc, const std::string& file,
                            const std::filesystem::path& dir);
/// JSON text to a document: malformed JSON (with line and column), duplicate keys and nesting
/// deeper than kMaxJsonDepth (json_reader.hpp) are ScenarioErrors naming `file`.
nlohmann::ordered_json parse_json_text(std::string_view text, const std::string& file);
/// The same for a scenario, also refusing an array longer than the schema's maxItems as soon as
/// it is read.
nlohmann::ordered_json parse_scenario_text(std::string_view text, const std::string& file);
/// A whole file of at most kMaxInputBytes (ScenarioError naming it if it cannot be read).
std::string read_text_file(const std::filesystem::path& path);
/// Reads the file (an unreadable file is a ScenarioError too) and calls load_scenario_text.
Scenario load_scenario_file(const std::filesystem::path& path);

}  // namespace lockstage::app
