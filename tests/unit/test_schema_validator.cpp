#include <doctest/doctest.h>

#include <stdexcept>
#include <string>

#include "app/scenario/schema_validator.hpp"

namespace {

using lockstage::app::closest_match;
using lockstage::app::SchemaValidator;
using nlohmann::ordered_json;

// Validates `doc` against `schema`; "ok" or "POINTER | MESSAGE" of the first error.
std::string check(const SchemaValidator& v, const std::string& doc) {
    ordered_json d = ordered_json::parse(doc);
    const auto e = v.validate_and_fill(d);
    return e ? e->pointer + " | " + e->message : "ok";
}

std::string check(const char* schema, const std::string& doc) {
    return check(SchemaValidator(ordered_json::parse(schema)), doc);
}

// The document after validate_and_fill, compact, or the error as by check().
std::string filled(const char* schema, const std::string& doc) {
    ordered_json d = ordered_json::parse(doc);
    const auto e = SchemaValidator(ordered_json::parse(schema)).validate_and_fill(d);
    return e ? e->pointer + " | " + e->message : d.dump();
}

// The constructor's std::invalid_argument message, or "accepted".
std::string refusal(const char* schema) {
    try {
        SchemaValidator v(ordered_json::parse(schema));
        return "accepted";
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
}

constexpr const char* kWorkload = R"({
  "type": "object",
  "required": ["rate_tps"],
  "additionalProperties": false,
  "properties": {
    "rate_tps": {"type": "number", "exclusiveMinimum": 0},
    "service": {"enum": ["queue", "mariadb"]}
  }
})";

}  // namespace

TEST_CASE("closest_match: Levenshtein <= 2 or a prefix of at least 3 characters") {
    const std::vector<std::string> keys{"rate_tps", "service", "duration_s"};
    CHECK(closest_match("rate_tp", keys) == "rate_tps");
    CHECK(closest_match("sevrice", keys) == "service");
    CHECK(closest_match("duration", keys) == "duration_s");
    CHECK(closest_match("dur", keys) == "duration_s");
    CHECK(closest_match("du", keys) == "");
    CHECK(closest_match("seed", keys) == "");
    CHECK(closest_match("rate_tps_max", keys) == "rate_tps");
    CHECK(closest_match("ab", {"xy", "abc"}) == "abc");  // distance 1 beats distance 2
    CHECK(closest_match("anything", {}) == "");
}

TEST_CASE("type: each type name, with the value shown after got") {
    CHECK(check(R"({"type": "object"})", "[1]") == " | expected an object, got an array");
    CHECK(check(R"({"type": "array"})", "{}") == " | expected an array, got an object");
    CHECK(check(R"({"type": "string"})", "12") == " | expected a string, got 12");
    CHECK(check(R"({"type": "number"})", "true") == " | expected a number, got true");
    CHECK(check(R"({"type": "integer"})", R"("abc")") ==
          R"( | expected an integer, got a string ("abc"))");
    CHECK(check(R"({"type": "boolean"})", "null") == " | expected a boolean, got null");
    CHECK(check(R"({"type": "null"})", "0") == " | expected null, got 0");
    CHECK(check(R"({"type": ["string", "null"]})", "5") == " | expected a string or null, got 5");
    CHECK(check(R"({"type": ["string", "integer", "null"]})", "5.5") ==
          " | expected a string, an integer or null, got 5.5");
    CHECK(check(R"({"type": ["string", "null"]})", "null") == "ok");
}

TEST_CASE("type: integer means an integral value, number includes integers") {
    CHECK(check(R"({"type": "integer"})", "5") == "ok");
    CHECK(check(R"({"type": "integer"})", "5.0") == "ok");
    CHECK(check(R"({"type": "integer"})", "-3") == "ok");
    CHECK(check(R"({"type": "integer"})", "5.5") == " | expected an integer, got 5.5");
    CHECK(check(R"({"type": "number"})", "5") == "ok");
    CHECK(check(R"({"type": "number"})", "-0.25") == "ok");
}

TEST_CASE("properties, required, unknown keys with did-you-mean") {
    CHECK(check(kWorkload, R"({"rate_tps": 10, "service": "queue"})") == "ok");
    CHECK(check(kWorkload, R"({"service": "queue"})") == R"( | missing required key "rate_tps")");
    CHECK(
        check(kWorkload, R"({"rate_tps": 1, "rate_tp": 5})") ==
        R"(/rate_tp | unknown key "rate_tp"; expected one of: rate_tps, service (did you mean "rate_tps"?))");
    CHECK(check(kWorkload, R"({"rate_tps": 1, "colour": 5})") ==
          R"(/colour | unknown key "colour"; expected one of: rate_tps, service)");
    CHECK(check(kWorkload, R"({"rate_tps": "fast"})") ==
          R"(/rate_tps | expected a number, got a string ("fast"))");
    CHECK(check(R"({"additionalProperties": false})", R"({"a": 1})") ==
          R"(/a | unknown key "a"; no keys are allowed here)");
}

TEST_CASE("additionalProperties as a schema, and minProperties") {
    const char* schema = R"({"properties": {"a": {"type": "string"}},
                             "additionalProperties": {"type": "integer"}, "minProperties": 2})";
    CHECK(check(schema, R"({"a": "x", "b": 2})") == "ok");
    CHECK(check(schema, R"({"a": "x", "b": 2.5})") == "/b | expected an integer, got 2.5");
    CHECK(check(schema, R"({"a": "x"})") == " | expected at least 2 keys");
    CHECK(check(R"({"minProperties": 1})", "{}") == " | expected at least 1 key");
    CHECK(check(R"({"minProperties": 1})", "[]") == "ok");  // object keywords ignore non-objects
}

TEST_CASE("errors come in a fixed order: unknown keys, required, then values in document order") {
    const char* schema = R"({"required": ["z_first", "a_second"], "additionalProperties": false,
                             "properties": {"z_first": {"type": "string"},
                                            "a_second": {"type": "string"}}})";
    // A misspelt required key is reported as the typo, not as the key it was meant to be.
    CHECK(
        check(schema, R"({"z_firts": "x", "a_second": "y"})") ==
        R"(/z_firts | unknown key "z_firts"; expected one of: z_first, a_second (did you mean "z_first"?))");
    CHECK(check(schema, R"({"a_second": 1, "bogus": 1})") ==
          R"(/bogus | unknown key "bogus"; expected one of: z_first, a_second)");
    CHECK(check(schema, R"({"a_second": 1})") == R"( | missing required key "z_first")");
    CHECK(check(schema, R"({})") == R"( | missing required key "z_first")");
    // ordered_json keeps the file's order; nlohmann::json sorts keys.
    const SchemaValidator v(ordered_json::parse(schema));
    CHECK(check(v, R"({"z_first": 1, "a_second": 2})") == "/z_first | expected a string, got 1");
    nlohmann::json sorted = nlohmann::json::parse(R"({"z_first": 1, "a_second": 2})");
    const auto e = v.validate_and_fill(sorted);
    REQUIRE(e.has_value());
    CHECK(e->pointer == "/a_second");
    CHECK(e->message == "expected a string, got 2");
}

TEST_CASE("a schema given as nlohmann::json lists keys in sorted order") {
    const SchemaValidator v(nlohmann::json::parse(kWorkload));
    CHECK(
        check(v, R"({"rate_tps": 1, "servic": "queue"})") ==
        R"(/servic | unknown key "servic"; expected one of: rate_tps, service (did you mean "service"?))");
    const SchemaValidator reversed(nlohmann::json::parse(
        R"({"additionalProperties": false, "properties": {"zeta": {}, "alpha": {}}})"));
    CHECK(check(reversed, R"({"other": 1})") ==
          R"(/other | unknown key "other"; expected one of: alpha, zeta)");
}

TEST_CASE("enum and const, with did-you-mean on enum strings") {
    CHECK(check(kWorkload, R"({"rate_tps": 1, "service": "quue"})") ==
          R"(/service | expected one of "queue", "mariadb", got "quue" (did you mean "queue"?))");
    CHECK(check(kWorkload, R"({"rate_tps": 1, "service": "postgres"})") ==
          R"(/service | expected one of "queue", "mariadb", got "postgres")");
    CHECK(check(R"({"enum": [1, "two", null]})", "3") ==
          R"( | expected one of 1, "two", null, got 3)");
    CHECK(check(R"({"enum": [1, "two", null]})", "1.0") == "ok");
    CHECK(check(R"({"const": "x"})", R"("y")") == R"( | expected "x", got "y")");
    CHECK(check(R"({"const": {"a": 1, "b": 2}})", R"({"b": 2, "a": 1})") == "ok");
    CHECK(check(R"({"const": [1, 2]})", "[2, 1]") == " | expected [1,2], got [2,1]");
}

TEST_CASE("numeric bounds, inclusive and exclusive") {
    CHECK(check(R"({"minimum": 1})", "0") == " | expected a number >= 1, got 0");
    CHECK(check(R"({"minimum": 1})", "1") == "ok");
    CHECK(check(R"({"exclusiveMinimum": 0})", "-5") == " | expected a number > 0, got -5");
    CHECK(check(R"({"exclusiveMinimum": 0})", "0") == " | expected a number > 0, got 0");
    CHECK(check(R"({"maximum": 0.5})", "0.75") == " | expected a number <= 0.5, got 0.75");
    CHECK(check(R"({"maximum": 0.5})", "0.5") == "ok");
    CHECK(check(R"({"exclusiveMaximum": 10})", "10") == " | expected a number < 10, got 10");
    CHECK(check(R"({"exclusiveMaximum": 10})", "9.99") == "ok");
    CHECK(check(R"({"type": "integer", "minimum": 1})", "0") ==
          " | expected an integer >= 1, got 0");
    CHECK(check(R"({"type": ["integer", "null"], "maximum": 3})", "4") ==
          " | expected an integer <= 3, got 4");
    CHECK(check(R"({"type": ["integer", "number"], "minimum": 1})", "0") ==
          " | expected a number >= 1, got 0");
    CHECK(check(R"({"minimum": 1})", R"("text")") == "ok");  // bounds apply to numbers only
}

TEST_CASE("string length and pattern") {
    const char* schema =
        R"({"type": "string", "minLength": 2, "maxLength": 4, "pattern": "[0-9]"})";
    CHECK(check(schema, R"("a1")") == "ok");
    CHECK(check(schema, R"("1")") == R"( | expected a string of at least 2 characters, got "1")");
    CHECK(check(schema, R"("a12345")") ==
          R"( | expected a string of at most 4 characters, got "a12345")");
    CHECK(check(schema, R"("abc")") == R"( | expected a string matching [0-9], got "abc")");
    CHECK(check(R"({"minLength": 1})", R"("")") ==
          R"( | expected a string of at least 1 character, got "")");
    CHECK(check(R"({"maxLength": 2})", R"("éé")") == "ok");  // characters, not bytes
    CHECK(check(R"({"pattern": "^[a-z]+$"})", R"("ab_c")") ==
          R"( | expected a string matching ^[a-z]+$, got "ab_c")");
}

TEST_CASE("long values are cut to 40 characters") {
    const std::string long_text(50, 'x');
    CHECK(check(R"({"type": "integer"})", "\"" + long_text + "\"") ==
          " | expected an integer, got a string (\"" + std::string(39, 'x') + "…)");
}

TEST_CASE("arrays: items, minItems, maxItems, uniqueItems") {
    const char* schema = R"({"type": "array", "items": {"type": "integer"}, "minItems": 1,
                             "maxItems": 3, "uniqueItems": true})";
    CHECK(check(schema, "[1, 2]") == "ok");
    CHECK(check(schema, "[]") == " | expected at least 1 item, got 0");
    CHECK(check(schema, "[1, 2, 3, 4]") == " | expected at most 3 items, got 4");
    CHECK(check(schema, R"([1, "x"])") == R"(/1 | expected an integer, got a string ("x"))");
    CHECK(check(schema, "[1, 2, 1.0]") == " | expected unique items, item 2 repeats item 0");
    CHECK(check(R"({"minItems": 2})", "[1]") == " | expected at least 2 items, got 1");
    CHECK(check(R"({"maxItems": 1})", "[1, 2]") == " | expected at most 1 item, got 2");
    CHECK(check(R"({"uniqueItems": true})", R"([{"a": 1}, [1], {"a": 2}, [1]])") ==
          " | expected unique items, item 3 repeats item 1");
    CHECK(check(R"({"uniqueItems": false})", "[1, 1]") == "ok");
    // Objects are equal whatever their key order; the first repeat names its first equal item.
    CHECK(check(R"({"uniqueItems": true})", R"([3, {"a": 1, "b": 2}, 3, {"b": 2, "a": 1}])") ==
          " | expected unique items, item 2 repeats item 0");
    CHECK(check(R"({"uniqueItems": true})", R"([{"a": 1, "b": 2}, 5, {"b": 2, "a": 1}])") ==
          " | expected unique items, item 2 repeats item 0");
}

TEST_CASE("uniqueItems over 200,000 distinct items is not quadratic (8 s for 30,000 before)") {
    std::string doc = "[0";
    for (int i = 1; i < 200'000; ++i) {
        doc += "," + std::to_string(i);
    }
    CHECK(check(R"({"uniqueItems": true})", doc + "]") == "ok");
    CHECK(check(R"({"uniqueItems": true})", doc + ", 7.0]") ==
          " | expected unique items, item 200000 repeats item 7");
}

TEST_CASE("$ref to $defs") {
    const char* schema = R"({
      "$defs": {"positive": {"type": "number", "exclusiveMinimum": 0},
                "point": {"type": "object", "properties": {"x": {"$ref": "#/$defs/positive"}}}},
      "type": "object",
      "properties": {"where": {"$ref": "#/$defs/point"}}
    })";
    CHECK(check(schema, R"({"where": {"x": 2}})") == "ok");
    CHECK(check(schema, R"({"where": {"x": -1}})") == "/where/x | expected a number > 0, got -1");
    CHECK(check(schema, R"({"where": 3})") == "/where | expected an object, got 3");
}

namespace {
constexpr const char* kTagged = R"({
  "$defs": {
    "queue": {"type": "object", "required": ["kind", "servers"], "additionalProperties": false,
              "properties": {"kind": {"const": "queue"}, "servers": {"type": "integer", "minimum": 1}}},
    "mariadb": {"type": "object", "required": ["kind"], "additionalProperties": false,
                "properties": {"kind": {"const": "mariadb"}, "pool": {"type": "integer", "default": 8}}}
  },
  "type": "object",
  "properties": {"server": {"oneOf": [{"$ref": "#/$defs/queue"}, {"$ref": "#/$defs/mariadb"},
      {"type": "object", "properties": {"kind": {"const": "fake"}}}]}}
})";
}  // namespace

TEST_CASE("oneOf with a discriminator reports the selected branch's error") {
    CHECK(check(kTagged, R"({"server": {"kind": "queue", "servers": 2}})") == "ok");
    CHECK(check(kTagged, R"({"server": {"kind": "queue", "servers": 0}})") ==
          "/server/servers | expected an integer >= 1, got 0");
    CHECK(check(kTagged, R"({"server": {"kind": "mariadb", "servers": 2}})") ==
          R"(/server/servers | unknown key "servers"; expected one of: kind, pool)");
    CHECK(check(kTagged, R"({"server": {"servers": 2}})") ==
          R"(/server | missing required key "kind")");
    CHECK(check(kTagged, R"({"server": {"kind": "postgres"}})") ==
          R"(/server/kind | expected one of "queue", "mariadb", "fake", got "postgres")");
    CHECK(
        check(kTagged, R"({"server": {"kind": "mariadbb"}})") ==
        R"(/server/kind | expected one of "queue", "mariadb", "fake", got "mariadbb" (did you mean "mariadb"?))");
    CHECK(check(kTagged, R"({"server": [1]})") == "/server | expected an object, got an array");
}

TEST_CASE("generic oneOf: exactly one alternative must match") {
    const char* schema = R"({"oneOf": [
        {"type": "integer"},
        {"type": "number", "minimum": 10},
        {"type": "object", "properties": {"a": {"properties": {"b": {"type": "string"}}}}}]})";
    CHECK(check(schema, "2") == "ok");
    CHECK(check(schema, "10.5") == "ok");
    CHECK(check(schema, "12") ==
          " | expected exactly one of the alternatives to match, 2 did (alternatives 1, 2)");
    CHECK(check(schema, "2.5") ==
          " | expected exactly one of the alternatives to match, none did (closest: alternative 1: "
          "expected an integer, got 2.5)");
    CHECK(check(schema, R"({"a": {"b": 1}})") ==
          " | expected exactly one of the alternatives to match, none did (closest: alternative 3, "
          "at /a/b: expected a string, got 1)");
    CHECK(check(schema, R"({"a": {"b": "ok"}})") == "ok");
}

TEST_CASE("defaults are filled, recursively, only into valid documents") {
    const char* schema = R"({
      "$defs": {"retry": {"type": "object", "default": {},
                          "properties": {"attempts": {"type": "integer", "default": 3},
                                         "backoff_s": {"type": "number", "default": 0.5}}},
                "seed": {"type": "integer", "default": 42}},
      "type": "object",
      "required": ["name"],
      "properties": {
        "name": {"type": "string"},
        "seed": {"$ref": "#/$defs/seed"},
        "retry": {"$ref": "#/$defs/retry"},
        "tags": {"type": "array", "items": {"type": "object",
                 "properties": {"weight": {"type": "number", "default": 1}}}}
      }
    })";
    CHECK(filled(schema, R"({"name": "a"})") ==
          R"({"name":"a","seed":42,"retry":{"attempts":3,"backoff_s":0.5}})");
    CHECK(filled(schema, R"({"retry": {"attempts": 5}, "name": "a", "seed": 7})") ==
          R"({"retry":{"attempts":5,"backoff_s":0.5},"name":"a","seed":7})");
    CHECK(
        filled(schema, R"({"name": "a", "tags": [{}, {"weight": 2}]})") ==
        R"({"name":"a","tags":[{"weight":1},{"weight":2}],"seed":42,"retry":{"attempts":3,"backoff_s":0.5}})");
    // Invalid documents are left untouched.
    ordered_json doc = ordered_json::parse(R"({"retry": {"attempts": "x"}, "name": "a"})");
    const auto e = SchemaValidator(ordered_json::parse(schema)).validate_and_fill(doc);
    REQUIRE(e.has_value());
    CHECK(e->pointer == "/retry/attempts");
    CHECK(e->message == R"(expected an integer, got a string ("x"))");
    CHECK(doc.dump() == R"({"retry":{"attempts":"x"},"name":"a"})");
}

TEST_CASE("defaults are filled into a nlohmann::json document too") {
    const SchemaValidator v(ordered_json::parse(
        R"({"properties": {"b": {"default": {}, "properties": {"c": {"default": true}}}}})"));
    nlohmann::json doc = nlohmann::json::parse(R"({"a": 1})");
    CHECK_FALSE(v.validate_and_fill(doc).has_value());
    CHECK(doc.dump() == R"({"a":1,"b":{"c":true}})");
}

TEST_CASE("boolean schemas") {
    CHECK(check("true", "[1]") == "ok");
    CHECK(check("false", "1") == " | no value is allowed here");
    CHECK(check(R"({"properties": {"gone": false}})", R"({"gone": 1})") ==
          "/gone | no value is allowed here");
    CHECK(check(R"({"items": false})", "[]") == "ok");
}

TEST_CASE("defaults inside the selected oneOf branch are filled") {
    CHECK(filled(kTagged, R"({"server": {"kind": "mariadb"}})") ==
          R"({"server":{"kind":"mariadb","pool":8}})");
    CHECK(filled(kTagged, R"({"server": {"kind": "queue", "servers": 1}})") ==
          R"({"server":{"kind":"queue","servers":1}})");
    const char* generic = R"({"oneOf": [
        {"type": "object", "required": ["a"], "properties": {"n": {"default": 1}}},
        {"type": "object", "required": ["b"], "properties": {"n": {"default": 2}}}]})";
    CHECK(filled(generic, R"({"b": 0})") == R"({"b":0,"n":2})");
}

TEST_CASE("JSON pointers escape ~ and /") {
    const char* schema = R"({"properties": {"a/b": {"properties": {"c~d": {"type": "string"}}}},
                             "additionalProperties": false})";
    CHECK(check(schema, R"({"a/b": {"c~d": 1}})") == "/a~1b/c~0d | expected a string, got 1");
    CHECK(check(schema, R"({"x/y~": 1})") ==
          R"(/x~1y~0 | unknown key "x/y~"; expected one of: a/b)");
    CHECK(check(R"({"items": {"items": {"type": "null"}}})", "[[null], [null, 0]]") ==
          "/1/1 | expected null, got 0");
}

TEST_CASE("the constructor refuses keywords it does not implement") {
    CHECK(refusal(R"({"patternProperties": {"^a": {}}})") ==
          R"(schema: unsupported keyword "patternProperties" at /patternProperties)");
    CHECK(refusal(R"({"properties": {"x": {"if": {"type": "string"}}}})") ==
          R"(schema: unsupported keyword "if" at /properties/x/if)");
    CHECK(refusal(R"({"$defs": {"d": {"format": "email"}}})") ==
          R"(schema: unsupported keyword "format" at /$defs/d/format)");
    CHECK(refusal(R"({"oneOf": [{"type": "string"}, {"allOf": []}]})") ==
          R"(schema: unsupported keyword "allOf" at /oneOf/1/allOf)");
    CHECK(refusal(R"({"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": "s",
                      "$comment": "c", "title": "t", "description": "d", "examples": [1],
                      "default": 1, "deprecated": false, "x-unit": "s",
                      "properties": {"if": {"x-anything": {"then": 1}}}})") == "accepted");
}

TEST_CASE("the constructor refuses malformed keyword values") {
    CHECK(
        refusal(R"({"$ref": "#/definitions/a"})") ==
        R"(schema: keyword "$ref" expects "#/$defs/NAME" naming an existing $defs entry at /$ref)");
    CHECK(
        refusal(R"({"$ref": "#/$defs/missing", "$defs": {}})") ==
        R"(schema: keyword "$ref" expects "#/$defs/NAME" naming an existing $defs entry at /$ref)");
    CHECK(refusal(R"({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}}})") ==
          "schema: cyclic $ref at /$defs/b/$ref");
    CHECK(refusal(R"({"$defs": {"a": {"oneOf": [{"type": "null"}, {"$ref": "#/$defs/a"}]}}})") ==
          "schema: cyclic $ref at /$defs/a/oneOf/1/$ref");
    // Recursion through a property is fine: it descends into the document.
    CHECK(refusal(R"({"$defs": {"a": {"properties": {"next": {"$ref": "#/$defs/a"}}}}})") ==
          "accepted");
    CHECK(refusal(R"({"type": "text"})") ==
          R"(schema: keyword "type" expects a type name or an array of them at /type)");
    CHECK(refusal(R"({"minLength": -1})") ==
          R"(schema: keyword "minLength" expects a non-negative integer at /minLength)");
    CHECK(refusal(R"({"items": [{}]})") ==
          "schema: expected a schema (an object or a boolean) at /items");
    CHECK(refusal(R"({"pattern": "("})").starts_with(R"(schema: invalid pattern "(": )"));
    CHECK(refusal(R"([])") == "schema: expected a schema (an object or a boolean) at the root");
}
