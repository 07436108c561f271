// The JSON reader every input goes through: depth limit, duplicate keys, item bounds checked
// while parsing, each refusal a ScenarioError with the file and the JSON pointer; documents are
// built in member order, in time linear in the input.
#include <doctest/doctest.h>

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "app/scenario/json_reader.hpp"
#include "app/scenario/scenario_loader.hpp"
#include "app/scenario/schema_validator.hpp"

using lockstage::app::ItemLimit;
using lockstage::app::kMaxJsonDepth;
using lockstage::app::read_json;
using lockstage::app::ScenarioError;
using lockstage::app::SchemaValidator;

namespace {

ScenarioError error_of(const std::string& text, const ItemLimit& limit = {}) {
    try {
        read_json(text, "x.json", limit);
    } catch (const ScenarioError& e) {
        return e;
    }
    FAIL("expected a ScenarioError");
    return ScenarioError("", "", "");
}

std::string nested(std::size_t depth, const std::string& open, const std::string& inner,
                   const std::string& close) {
    std::string s;
    for (std::size_t i = 0; i < depth; ++i) {
        s += open;
    }
    s += inner;
    for (std::size_t i = 0; i < depth; ++i) {
        s += close;
    }
    return s;
}

constexpr std::size_t kNone = std::numeric_limits<std::size_t>::max();

}  // namespace

TEST_CASE("documents keep their member order and values") {
    const auto doc =
        read_json(R"({"z": [1, -2, 3.5, "s", null, true, {}], "a": {"b": []}})", "x.json");
    REQUIRE(doc.is_object());
    CHECK(doc.begin().key() == "z");
    CHECK(doc.dump() == R"({"z":[1,-2,3.5,"s",null,true,{}],"a":{"b":[]}})");
    CHECK(read_json(" 7 ", "x.json") == 7);
    CHECK(read_json("\"s\"", "x.json") == "s");
    CHECK(doc.at("a").contains("b"));  // lookups work on appended members
}

TEST_CASE("nesting up to the limit is read; one level deeper is refused with its pointer") {
    CHECK_NOTHROW(read_json(nested(kMaxJsonDepth, "[", "", "]"), "x.json"));
    CHECK_NOTHROW(read_json(nested(kMaxJsonDepth - 1, "{\"a\":", "[]", "}"), "x.json"));
    auto e = error_of(nested(kMaxJsonDepth + 1, "[", "", "]"));
    CHECK(e.where() == nested(kMaxJsonDepth, "/0", "", ""));
    CHECK(e.detail() == "nesting deeper than 64 levels");
    e = error_of(nested(kMaxJsonDepth, "{\"a/b\":", "{}", "}"));
    CHECK(e.where() == nested(kMaxJsonDepth, "/a~1b", "", ""));
    // 100,000 levels (a stack overflow before): refused at level 65, without recursion.
    e = error_of("{\"x\": [1, " + nested(100'000, "[", "", "]") + "]}");
    CHECK(std::string(e.what()) == "x.json: /x/1" + nested(kMaxJsonDepth - 2, "/0", "", "") +
                                       ": nesting deeper than 64 levels");
}

TEST_CASE("duplicate keys, malformed JSON and huge numbers keep their messages") {
    auto e = error_of(R"({"a": [0, {"b": 1, "b": 2}]})");
    CHECK(e.where() == "/a/1/b");
    CHECK(e.detail() == "duplicate key \"b\"");
    e = error_of("{\n  \"a\": 1 x\n}");
    CHECK(e.where() == "line 2, column 10");
    CHECK(e.detail().find("malformed JSON: ") == 0);
    e = error_of(R"({"a": [1, 2, 1e999]})");
    CHECK(e.where() == "/a/2");
    CHECK(e.detail() == "expected a number a double can hold (within 1.7e308), got 1e999");
    e = error_of("[" + std::string(100'000, '9') + "]");  // cut, not repeated back whole
    CHECK(e.detail() == "expected a number a double can hold (within 1.7e308), got " +
                            std::string(40, '9') + "…");
}

TEST_CASE("item bounds are checked while reading, at the first item too many") {
    const ItemLimit limit = [](const std::vector<std::string>& tokens) {
        return tokens == std::vector<std::string>{"a", "1", "b"} ? std::size_t{2} : kNone;
    };
    CHECK_NOTHROW(read_json(R"({"a": [0, {"b": [1, 2]}]})", "x.json", limit));
    // The bound is met before the array's end: the malformed tail is never reached.
    const auto e = error_of(R"({"a": [0, {"b": [1, 2, 3, oops)", limit);
    CHECK(e.where() == "/a/1/b");
    CHECK(e.detail() == "expected at most 2 items, got more");
}

TEST_CASE("the schema's maxItems at a pointer, through $ref, items and oneOf") {
    const SchemaValidator v(nlohmann::ordered_json::parse(R"({
      "type": "object",
      "properties": {
        "list": {"type": "array", "maxItems": 3, "items": {"$ref": "#/$defs/inner"}},
        "free": {"type": "array"},
        "either": {"oneOf": [{"type": "array", "maxItems": 2}, {"type": "array", "maxItems": 5}]}
      },
      "additionalProperties": {"type": "array", "maxItems": 7},
      "$defs": {"inner": {"type": "object", "properties": {"xs": {"maxItems": 4}}}}
    })"));
    using T = std::vector<std::string>;
    CHECK(v.max_items(T{"list"}) == 3);
    CHECK(v.max_items(T{"list", "12", "xs"}) == 4);
    CHECK(v.max_items(T{"free"}) == kNone);
    CHECK(v.max_items(T{"either"}) == 5);  // the loosest branch
    CHECK(v.max_items(T{"other"}) == 7);
    CHECK(v.max_items(T{"list", "x", "xs"}) == kNone);  // not an index: no bound known
}

TEST_CASE("an array of 200,000 objects and an object of 200,000 keys are read in linear time") {
    std::string array = "[";
    std::string object = "{";
    for (int i = 0; i < 200'000; ++i) {
        array += (i == 0 ? "" : ",") + std::string("{\"sql\": \"SELECT 1\"}");
        object += (i == 0 ? "\"k" : ",\"k") + std::to_string(i) + "\": 1";
    }
    array += "]";
    object += "}";
    const auto start = std::chrono::steady_clock::now();
    CHECK(read_json(array, "x.json").size() == 200'000);
    CHECK(read_json(object, "x.json").size() == 200'000);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    MESSAGE("read 2 x 200,000 members in " << took.count() << " s");
    CHECK(took.count() < 10.0);  // a hang guard only (quadratic took minutes), not a benchmark
}
