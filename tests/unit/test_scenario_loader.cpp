// The scenario loader: typed values and defaults from a valid file; one clear ScenarioError
// (file, JSON pointer, what was expected) for each kind of bad input. The full corpus of bad
// files, with their exact messages, is tests/bad-input/ (run by tests/cli/check_bad_input.sh).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/scenario/embedded_schema.hpp"
#include "app/scenario/scenario_loader.hpp"

using lockstage::app::load_scenario_file;
using lockstage::app::load_scenario_text;
using lockstage::app::ScenarioError;
namespace sim = lockstage::sim;

namespace {

constexpr const char* kMinimal = R"({
  "name": "t",
  "duration_s": 2.5,
  "server": {"model": "queue"},
  "workload": {"rate_tps": 50, "service": {"dist": "uniform", "min_ms": 1, "max_ms": 3}}
})";

/// Loads `text` and returns the error it raises ("" if none).
ScenarioError error_of(const std::string& text) {
    try {
        load_scenario_text(text, "x.json");
    } catch (const ScenarioError& e) {
        return e;
    }
    FAIL("expected a ScenarioError");
    return ScenarioError("", "", "");
}

std::string with(const std::string& replace, const std::string& by) {
    std::string s = kMinimal;
    const auto at = s.find(replace);
    REQUIRE(at != std::string::npos);
    return s.replace(at, replace.size(), by);
}

}  // namespace

TEST_CASE("a minimal scenario loads with the schema's defaults, in nanoseconds") {
    const auto s = load_scenario_text(kMinimal, "x.json");
    CHECK(s.name == "t");
    CHECK(s.file == "x.json");
    CHECK(s.seed == 1);                                 // default
    CHECK(s.duration == 2'500'000'000);                 // 2.5 s
    CHECK(s.warmup == 0);                               // default
    CHECK(s.timeline_interval == sim::kSecond);         // default of output.timeline_interval_s
    CHECK(s.queue_sample_interval == sim::millis(10));  // default of output.queue_sample_ms
    CHECK(s.model == "queue");
    CHECK(s.queue.connections == 16);  // default
    CHECK(s.queue.rate_tps == 50.0);
    CHECK(s.queue.service.kind() == sim::Distribution::Kind::Uniform);
    CHECK(s.queue.service.mean() == doctest::Approx(2e6));
    CHECK(s.queue.duration == s.duration);
    // The effective document carries the defaults, as written to scenario.json.
    CHECK(s.effective.at("server").at("connections") == 16);
    CHECK(s.effective.at("output").at("timeline_interval_s") == 1);
    CHECK(s.effective.at("description") == "");
}

TEST_CASE("every distribution kind loads with its parameters") {
    auto load = [](const std::string& dist) {
        return load_scenario_text(with(R"({"dist": "uniform", "min_ms": 1, "max_ms": 3})", dist),
                                  "x.json")
            .queue.service;
    };
    CHECK(load(R"({"dist": "constant", "value_ms": 0.25})").mean() == 250000.0);
    CHECK(load(R"({"dist": "exponential", "mean_ms": 4})").mean() == 4e6);
    const auto logn = load(R"({"dist": "lognormal", "mean_ms": 8, "sd_ms": 16})");
    CHECK(logn.kind() == sim::Distribution::Kind::Lognormal);
    CHECK(logn.mean() == 8e6);
    const auto emp = load(R"({"dist": "empirical", "values_ms": [1, 3], "weights": [3, 1]})");
    CHECK(emp.kind() == sim::Distribution::Kind::Empirical);
    CHECK(emp.mean() == doctest::Approx(1.5e6));
}

TEST_CASE("schema errors name the pointer and what was expected") {
    auto e = error_of(with("\"rate_tps\": 50", "\"rate_tps\": -5"));
    CHECK(e.file() == "x.json");
    CHECK(e.where() == "/workload/rate_tps");
    CHECK(e.detail() == "expected a number > 0, got -5");
    CHECK(std::string(e.what()) == "x.json: /workload/rate_tps: expected a number > 0, got -5");

    e = error_of(with("\"duration_s\": 2.5", "\"duration_s\": 2.5, \"sed\": 3"));
    CHECK(e.where() == "/sed");
    CHECK(e.detail().find("unknown key \"sed\"") == 0);
    CHECK(e.detail().find("(did you mean \"seed\"?)") != std::string::npos);

    e = error_of(with("\"name\": \"t\",", ""));
    CHECK(e.where() == "");
    CHECK(e.detail() == "missing required key \"name\"");
    CHECK(std::string(e.what()) == "x.json: /: missing required key \"name\"");

    e = error_of(with("2.5", "\"long\""));
    CHECK(e.where() == "/duration_s");
    CHECK(e.detail() == "expected a number, got a string (\"long\")");
}

TEST_CASE("malformed JSON is reported with line and column") {
    const auto e = error_of("{\n  \"name\": \"t\",\n  \"duration_s\": 2.5 s\n}");
    CHECK(e.where() == "line 3, column 21");  // the "s" after 2.5
    CHECK(e.detail().find("malformed JSON: ") == 0);
}

TEST_CASE("duplicate keys are refused, at any depth") {
    auto e = error_of(with("\"name\": \"t\",", "\"name\": \"t\", \"name\": \"u\","));
    CHECK(e.where() == "/name");
    CHECK(e.detail() == "duplicate key \"name\"");
    // Inside an array of objects, the pointer carries the array index.
    e = error_of(
        with("\"name\": \"t\",", "\"name\": \"t\", \"x\": [1, {\"a\": 1}, {\"b\": 1, \"b\": 2}],"));
    CHECK(e.where() == "/x/2/b");
    // The same key in two different objects is fine (the unknown key "x" is what is refused).
    e = error_of(with("\"name\": \"t\",", "\"name\": \"t\", \"x\": [{\"a\": 1}, {\"a\": 1}],"));
    CHECK(e.where() == "/x");
    CHECK(e.detail().find("unknown key") == 0);
}

TEST_CASE("a number beyond a double is bad input named by its pointer (found by fuzz_scenario)") {
    // nlohmann throws out_of_range, not parse_error, for these: it used to escape the loader,
    // and the program said "failed" with exit code 1.
    auto e = error_of(with("\"duration_s\": 2.5", "\"duration_s\": 1e999"));
    CHECK(e.where() == "/duration_s");
    CHECK(e.detail() == "expected a number a double can hold (within 1.7e308), got 1e999");
    e = error_of(with("\"name\": \"t\",", "\"name\": \"t\", \"x\": [1, {\"a\": 2}, -8e08983],"));
    CHECK(e.where() == "/x/2");
    e = error_of("-8e08983;0nm");  // the fuzzer's input: a lone number at the root
    CHECK(e.where() == "");
    CHECK(e.detail().find("got -8e08983") != std::string::npos);
}

TEST_CASE("checks beyond the schema") {
    auto e = error_of(with("\"duration_s\": 2.5", "\"duration_s\": 2.5, \"warmup_s\": 3"));
    CHECK(e.where() == "/warmup_s");
    CHECK(e.detail() == "expected less than duration_s (2.5), got 3");

    e = error_of(with("\"min_ms\": 1, \"max_ms\": 3", "\"min_ms\": 3, \"max_ms\": 1"));
    CHECK(e.where() == "/workload/service/max_ms");
    CHECK(e.detail() == "expected a number >= min_ms (3), got 1");

    e = error_of(with(R"({"dist": "uniform", "min_ms": 1, "max_ms": 3})",
                      R"({"dist": "empirical", "values_ms": [1], "weights": [1, 2]})"));
    CHECK(e.where() == "/workload/service/weights");
    CHECK(e.detail() == "expected 1 weights, one per value in values_ms, got 2");

    e = error_of(with(R"({"dist": "uniform", "min_ms": 1, "max_ms": 3})",
                      R"({"dist": "exponential", "mean_ms": 1e-7})"));
    CHECK(e.where() == "/workload/service/mean_ms");
    CHECK(e.detail() == "expected a duration of at least 1 ns, got 1e-07");

    e = error_of(with("\"duration_s\": 2.5", "\"duration_s\": 2.5e-10"));
    CHECK(e.where() == "/duration_s");
}

TEST_CASE("an unreadable file is a ScenarioError naming it") {
    const auto missing = std::filesystem::temp_directory_path() / "lockstage-no-such-file.json";
    try {
        load_scenario_file(missing);
        FAIL("expected a ScenarioError");
    } catch (const ScenarioError& e) {
        CHECK(e.file() == missing.string());
        CHECK(e.detail() == "cannot open the file for reading");
    }
}

TEST_CASE("the compiled-in schema is the shipped one, byte for byte") {
    std::ifstream in(std::string(LOCKSTAGE_SOURCE_DIR) + "/scenarios/scenario.schema.json",
                     std::ios::binary);
    REQUIRE(in);
    std::ostringstream text;
    text << in.rdbuf();
    CHECK(lockstage::app::embedded_scenario_schema() == text.str());
}

TEST_CASE("topology galera: the galera object with the schema's defaults") {
    const auto s = load_scenario_text(R"({"name": "g", "duration_s": 10,
        "server": {"flavor": "mariadb-10.11"}, "tables": [{"name": "t1"}],
        "topology": "galera", "galera": {"fc_limit": 32}})",
                                      "x.json");
    REQUIRE(s.galera.has_value());
    CHECK_FALSE(s.replica.has_value());
    CHECK(s.galera->cluster_rate_tps == 200.0);                   // default
    CHECK(s.galera->apply.mean() == doctest::Approx(200'000.0));  // 0.2 ms
    CHECK(s.galera->fc_limit == 32);
    CHECK(s.galera->desync);
    CHECK_FALSE(s.galera->bf_abort_mariabackup);
    CHECK(s.galera->queue_sample_interval == sim::kSecond);
    CHECK(s.effective.at("galera").at("desync") == true);
    const auto missing = error_of(R"({"name": "g", "duration_s": 10,
        "server": {"flavor": "mariadb-10.11"}, "topology": "galera"})");
    CHECK(std::string(missing.what()).find("missing required key \"galera\"") != std::string::npos);
}

namespace {

/// A mariadb scenario with one open group whose arrivals are `arrivals`, and `extra` keys.
std::string open_group(const std::string& arrivals, const std::string& extra = "") {
    return R"({"name": "p", "tables": [{"name": "t"}], )" + extra +
           R"("workload": {"groups": [{"name": "app", "arrivals": )" + arrivals +
           R"(, "transactions": [{"statements": [{"sql": "UPDATE t"}]}]}]}})";
}

}  // namespace

TEST_CASE("arrivals.profile: hourly rates from start_hour, or a CSV file of steps") {
    const std::string hours = R"([1,1,1,2,2,2,3,3,3,4,4,4,5,5,5,6,6,6,7,7,7,8,8,8])";
    const auto s =
        load_scenario_text(open_group(R"({"kind": "open", "profile": {"rate_tps_by_hour": )" +
                                          hours + R"(, "start_hour": 2.5}})",
                                      R"("duration_s": 3600, )"),
                           "x.json");
    const auto& p = s.groups.at(0).arrivals.profile;
    REQUIRE_FALSE(p.empty());
    CHECK(p.period() == 24 * sim::kHour);
    CHECK(p.rate_at(0) == 1.0);                  // 02:30
    CHECK(p.rate_at(30 * sim::kMinute) == 2.0);  // 03:00
    CHECK(s.effective.at("workload")
              .at("groups")
              .at(0)
              .at("arrivals")
              .at("profile")
              .at("start_hour") == 2.5);
    // A CSV file, relative to the scenario file.
    const auto dir = std::filesystem::temp_directory_path() / "lockstage-profile-test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "rates.csv") << "t_s,rate_tps\r\n0,5\r\n10.5,0\r\n20,1\r\n\r\n";
        std::ofstream(dir / "s.json") << open_group(
            R"({"kind": "open", "profile": {"csv": "rates.csv"}})", R"("duration_s": 60, )");
    }
    const auto c = load_scenario_file(dir / "s.json");
    const auto& steps = c.groups.at(0).arrivals.profile.steps();
    REQUIRE(steps.size() == 3);
    CHECK(steps[1].at == sim::millis(10'500));
    CHECK(steps[2].rate == 1.0);
    CHECK(c.groups.at(0).arrivals.profile.period() == 0);
    std::filesystem::remove_all(dir);
}

TEST_CASE("server may be left out; engines are named in any case, stored canonically") {
    const auto s = load_scenario_text(
        R"({"name": "e", "duration_s": 1, "tables": [{"name": "a", "engine": "innodb"},
            {"name": "b", "engine": "myIsam"}, {"name": "c", "engine": "memory"}]})",
        "x.json");
    CHECK(s.model == "mariadb");
    CHECK(s.effective.at("server").at("flavor") == "mariadb-10.11");
    CHECK(s.effective.at("tables").at(0).at("engine") == "InnoDB");
    CHECK(s.effective.at("tables").at(1).at("engine") == "MyISAM");
    CHECK(s.effective.at("tables").at(2).at("engine") == "MEMORY");
    CHECK(s.tables.at(1).engine == lockstage::models::server::Engine::MyISAM);
    const auto e = error_of(R"({"name": "e", "duration_s": 1, "tables": [{"name": "a",
        "engine": "Inodb"}]})");
    CHECK(e.where() == "/tables/0/engine");
    CHECK(e.detail().find("did you mean \"InnoDB\"?") != std::string::npos);
}

TEST_CASE("duration_s may be left out with a backup: the loader estimates the run's end") {
    const auto s = load_scenario_text(
        open_group(R"({"kind": "open", "rate_tps": 10})",
                   R"("data": {"innodb_gb": 0.45, "innodb_tables": 10, "myisam_gb": 0},
                      "backup": {"strategy": "mariabackup-stages", "start_at_s": 5,
                                 "throughput_mb_s": 450, "per_table_ms": 100},
                      "output": {"drain_after_backup_s": 30}, )"),
        "x.json");
    REQUIRE(s.drain_after_backup.has_value());
    CHECK(*s.drain_after_backup == 30 * sim::kSecond);
    // 460.8 MB / 450 MB/s + 10 x 100 ms + .frm (10 x 10 ms) = 2.124 s after 5 s, + 30 s.
    const auto copy = lockstage::models::backup::copy_estimate(*s.backup, s.data);
    CHECK(copy == sim::millis(1024) + sim::millis(1000) + sim::millis(100));
    CHECK(s.duration == 5 * sim::kSecond + copy + 30 * sim::kSecond);
    const auto e = error_of(open_group(R"({"kind": "open", "rate_tps": 10})"));
    CHECK(e.where() == "/");
    CHECK(e.detail().find("missing required key \"duration_s\"") == 0);
}
