#pragma once
// A small JSON Schema (draft 2020-12) validator, so the scenario loader checks files against the
// very schema that ships in scenarios/ (single source of truth: no hand-written checks that could
// drift from it). Only the subset the scenario schema needs is implemented: type, properties,
// required, additionalProperties, minProperties, enum, const, minimum/maximum and their exclusive
// forms, minLength/maxLength/pattern, items/minItems/maxItems/uniqueItems, $defs with
// "#/$defs/NAME" refs, and oneOf (with a discriminator shortcut for tagged unions). Any other
// keyword is refused when the validator is built, so nothing in the schema is silently ignored.
// Errors name the JSON pointer of the offending value and say what was expected, with a
// "did you mean" hint for near-miss keys and enum values.
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace lockstage::app {

namespace detail {
class CompiledSchema;  // the checked schema plus its compiled patterns
}

struct ValidationError {
    /// JSON pointer of the offending value, e.g. "/workload/rate_tps" ("" = root).
    std::string pointer;
    /// What was expected, e.g. "expected a number > 0, got -5".
    std::string message;
};

class SchemaValidator {
  public:
    /// Throws std::invalid_argument naming the keyword and schema pointer if the schema uses a
    /// keyword this validator does not implement (so nothing is silently ignored), or a keyword
    /// with a malformed value (bad regex, dangling $ref, ...).
    explicit SchemaValidator(nlohmann::json schema);
    /// Same, keeping the schema's key order (used to list the expected keys in schema order).
    explicit SchemaValidator(nlohmann::ordered_json schema);

    /// Validates `doc` against the schema. On success, fills in defaults: every absent optional
    /// property whose subschema (after resolving $ref) has "default" gets that default, recursively
    /// (so a default object is itself then filled). Returns the first error, or std::nullopt.
    /// Object keys are visited in the document's order (sorted for nlohmann::json). An invalid
    /// `doc` is left untouched; inserted defaults are validated too, so a bad default in the
    /// schema is reported rather than passed on.
    std::optional<ValidationError> validate_and_fill(nlohmann::json& doc) const;
    std::optional<ValidationError> validate_and_fill(nlohmann::ordered_json& doc) const;
    /// The maxItems bound of the array at `tokens` (unescaped pointer tokens from the root),
    /// following properties, additionalProperties, items, $ref, and the loosest oneOf branch;
    /// SIZE_MAX where the schema sets none. Lets a reader refuse an overlong array while
    /// parsing it, before building the rest.
    std::size_t max_items(const std::vector<std::string>& tokens) const;

  private:
    std::shared_ptr<const detail::CompiledSchema> schema_;
};

/// The candidate close to `word` (Levenshtein distance <= 2, or one is a prefix of the other and
/// at least 3 characters long), the closest first-listed one if several are; "" if none is.
std::string closest_match(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace lockstage::app
