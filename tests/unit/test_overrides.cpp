// --set overrides: parsing "POINTER=VALUE" (JSON, else a bare word as a string) and JSON Patch
// "add" semantics (RFC 6902) on the parsed document, each refusal naming the --set argument and
// the pointer of the first element that is missing.
#include <doctest/doctest.h>

#include <string>

#include "app/scenario/overrides.hpp"
#include "app/scenario/scenario_loader.hpp"

using lockstage::app::apply_overrides;
using lockstage::app::OverrideSyntaxError;
using lockstage::app::parse_override;
using lockstage::app::parse_overrides;
using lockstage::app::ScenarioError;
using json = nlohmann::ordered_json;

namespace {

json doc() {
    return json::parse(R"({"name": "x", "tables": [{"name": "a"}, {"name": "b"}],
                           "backup": {"strategy": "ftwrl"}})");
}

json with(const std::vector<std::string>& sets) {
    json d = doc();
    apply_overrides(d, parse_overrides(sets));
    return d;
}

/// The ScenarioError applying `set` gives: "where: detail".
std::string refusal(const std::string& set) {
    try {
        with({set});
    } catch (const ScenarioError& e) {
        CHECK(e.file() == "--set " + set);
        return e.where() + ": " + e.detail();
    }
    FAIL("expected a ScenarioError for " << set);
    return "";
}

std::string syntax_error(const std::string& set) {
    try {
        parse_override(set);
    } catch (const OverrideSyntaxError& e) {
        return e.what();
    }
    FAIL("expected an OverrideSyntaxError for " << set);
    return "";
}

}  // namespace

TEST_CASE("a value is JSON, else the bare word as a string") {
    CHECK(parse_override("/a=2500").value == json(2500));
    CHECK(parse_override("/a=-5").value == json(-5));
    CHECK(parse_override("/a=true").value == json(true));
    CHECK(parse_override("/a=null").value.is_null());
    CHECK(parse_override("/a=ftwrl").value == json("ftwrl"));
    CHECK(parse_override("/a=\"ftwrl\"").value == json("ftwrl"));
    CHECK(parse_override("/a=").value == json(""));
    CHECK(parse_override("/a=[1, 2").value == json("[1, 2"));
    CHECK(parse_override("/a={\"b\": [1]}").value == json::parse(R"({"b": [1]})"));
    // split at the first "=": the value may hold more
    CHECK(parse_override("/a=x=y").value == json("x=y"));
    CHECK(parse_override("/a/b~1c=1").pointer.back() == "b/c");
}

TEST_CASE("add: replace a member, add a missing one, insert and append in arrays") {
    CHECK(with({"/backup/strategy=no-lock"})["backup"]["strategy"] == "no-lock");
    CHECK(with({"/backup/start_at_s=5"})["backup"] ==
          json::parse(R"({"strategy": "ftwrl", "start_at_s": 5})"));
    CHECK(with({"/tables/0={\"name\": \"z\"}"})["tables"] ==
          json::parse(R"([{"name": "z"}, {"name": "a"}, {"name": "b"}])"));
    CHECK(with({"/tables/2={\"name\": \"z\"}"})["tables"].back() ==
          json::parse(R"({"name": "z"})"));
    CHECK(with({"/tables/-=7"})["tables"].size() == 3);
    CHECK(with({"/tables/1/name=c"})["tables"][1]["name"] == "c");
    // in order: the second sees the first
    CHECK(with({"/output={}", "/output/timeline_interval_s=2"})["output"] ==
          json::parse(R"({"timeline_interval_s": 2})"));
}

TEST_CASE("add: a parent that does not exist is refused at the first missing element") {
    CHECK(refusal("/tables/9/name=x") == "/tables/9: no such element (the array has 2)");
    CHECK(refusal("/tables/-/name=x") == "/tables/-: no such element (the array has 2)");
    CHECK(refusal("/tables/3=1") ==
          "/tables/3: no such element (the array has 2; an index inserts before its element, "
          "\"-\" or 2 appends)");
    CHECK(refusal("/tables/01=1") ==
          "/tables/01: expected an array index (0 to 2) or \"-\", got \"01\"");
    CHECK(refusal("/backup/copy/threads=2") == "/backup/copy: no such member");
    CHECK(refusal("/name/first=y") ==
          "/name: expected an object or array to add /name/first into, got a string (\"x\")");
}

TEST_CASE("a malformed --set is a syntax error") {
    const std::string expected =
        ": expected POINTER=VALUE, a JSON pointer starting with \"/\" and a JSON value or a bare "
        "word (e.g. --set /backup/strategy=ftwrl)";
    CHECK(syntax_error("foo") == "--set foo" + expected);
    CHECK(syntax_error("/foo") == "--set /foo" + expected);
    CHECK(syntax_error("a/b=1") == "--set a/b=1" + expected);
    CHECK(syntax_error("=1") == "--set =1" + expected);
    CHECK(syntax_error("") == "--set \"\"" + expected);
    CHECK(syntax_error("/a~2=1") ==
          "--set /a~2=1: expected a JSON pointer (RFC 6901: \"~\" is written \"~0\" and \"/\" in "
          "a name \"~1\"), got \"/a~2\"");
}
