// The metric table (app/experiments/metrics.hpp): every figure defined once, and its formulas on
// real runs: TPS during the backup, the backup window's latency, write-blocked time for all
// groups, and metrics that do not apply.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include "app/experiments/compare.hpp"
#include "app/experiments/mariadb_run.hpp"
#include "app/experiments/metrics.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace {

namespace app = lockstage::app;

app::Scenario load(const std::string& text) {
    return app::load_scenario_text(text, "x.json");
}

app::MetricValues run(const app::Scenario& s) {
    return app::MetricValues::of(s, app::simulate_mariadb(s));
}

/// An InnoDB application at `rate` tps and a backup of tiny data with the given strategy; the
/// backup lasts about `log_copy_ms` (it ends on the redo copier's first check-in).
std::string tiny_backup(const std::string& strategy, const std::string& rate,
                        const std::string& log_copy_ms, const std::string& extra = "") {
    return R"({"name": "t", "seed": 3, "duration_s": 10, "server": {},
      "tables": [{"name": "orders"}],
      "data": {"innodb_gb": 0.000001, "innodb_tables": 1},
      "backup": {"strategy": ")" +
           strategy + R"(", "start_at_s": 2, "log_copy_interval_ms": )" + log_copy_ms +
           R"(},
      "workload": {"groups": [{"name": "app", "arrivals": {"kind": "open", "rate_tps": )" +
           rate + R"(}, "transactions": [{"statements": [{"sql": "UPDATE orders"}]}]}]})" + extra +
           "}";
}

}  // namespace

TEST_CASE("metric table: names are unique, each metric has the formula its scope needs") {
    std::set<std::string> names;
    std::size_t headline = 0;
    for (const auto& m : app::metric_table()) {
        INFO(m.name);
        CHECK(names.insert(m.name).second);
        CHECK(!m.unit.empty());
        CHECK(!m.window.empty());
        CHECK(!m.definition.empty());
        CHECK(static_cast<bool>(m.of_group) == (m.scope == app::Scope::Group));
        CHECK(static_cast<bool>(m.of_run) == (m.scope == app::Scope::Run));
        headline += m.headline ? 1 : 0;
    }
    CHECK(headline >= 8);
    CHECK(app::find_metric("write_blocked_s") != nullptr);
    CHECK(app::find_metric("no_such_metric") == nullptr);
    CHECK_THROWS_AS(app::metric("no_such_metric"), std::logic_error);
    // Columns: a group metric for all groups, then per group; a run metric once.
    const auto cols = app::metric_columns({"a", "b"}, true);
    std::set<std::string> col_names;
    for (const auto& c : cols) {
        col_names.insert(c.name());
    }
    CHECK(col_names.count("write_blocked_s") == 1);
    CHECK(col_names.count("write_blocked_s[a]") == 1);
    CHECK(col_names.count("write_blocked_s[b]") == 1);
    CHECK(col_names.count("backup_s") == 1);
    CHECK(col_names.count("backup_s[a]") == 0);
}

TEST_CASE("tps during a backup shorter than one interval: the window is one piece, not 0/0") {
    // The backup lasts 0.3 s (its redo check-in) under 1000 tps: the old whole-seconds formula
    // found no whole second inside and reported 0 and 0.
    const auto s = load(tiny_backup("no-lock", "1000", "300"));
    const auto v = run(s);
    REQUIRE(v.get("backup_s").has_value());
    CHECK(*v.get("backup_s") == doctest::Approx(0.3).epsilon(0.01));
    REQUIRE(v.get("tps_mean").has_value());
    CHECK(*v.get("tps_mean") == doctest::Approx(1000).epsilon(0.15));
    CHECK(*v.get("tps_min") == *v.get("tps_mean"));
    CHECK(*v.get("backup_requests") >= *v.get("tps_mean") * 0.3);
}

TEST_CASE("tps_min: a short last piece joins the one before, so it is not a sliver's noise") {
    // 20 tps, a backup of 2.05 s: pieces [0, 1 s) and [1 s, 2.05 s). A lone 50 ms piece would
    // often hold no completion (probability e^-1) and report tps_min = 0.
    for (const char* seed : {"1", "2", "3", "4", "5", "6"}) {
        std::string text = tiny_backup("no-lock", "20", "2050");
        text.replace(text.find("\"seed\": 3"), 9, std::string("\"seed\": ") + seed);
        const auto v = run(load(text));
        INFO("seed " << seed);
        CHECK(*v.get("backup_s") == doctest::Approx(2.05).epsilon(0.001));
        CHECK(*v.get("tps_min") > 5);
        CHECK(*v.get("tps_min") <= *v.get("tps_mean"));
    }
}

TEST_CASE("tps_min <= tps_mean for every group and strategy of the main job") {
    const auto s = app::load_scenario_file(LOCKSTAGE_SOURCE_DIR "/scenarios/default.json");
    for (const auto& row : app::compare_strategies(
             s, {"ftwrl", "mariabackup-stages", "mariabackup-legacy", "no-lock"})) {
        for (const std::string g : {"", "app", "log_writer"}) {
            INFO(row.strategy << " group '" << g << "'");
            const auto lo = row.values.get("tps_min", g);
            const auto mean = row.values.get("tps_mean", g);
            REQUIRE(lo.has_value());
            REQUIRE(mean.has_value());
            CHECK(*lo <= *mean);
        }
    }
}

TEST_CASE("write-blocked for all groups: the time no group committed while a write waited") {
    const auto s = app::load_scenario_file(LOCKSTAGE_SOURCE_DIR "/scenarios/default.json");
    const auto rows = app::compare_strategies(s, {"ftwrl", "mariabackup-stages"});
    const auto& ftwrl = rows[0].values;
    const auto& stages = rows[1].values;
    // FTWRL stops everyone for the whole non-InnoDB copy: all groups ~ each group.
    CHECK(*ftwrl.get("write_blocked_s") == doctest::Approx(5.14).epsilon(0.01));
    CHECK(*ftwrl.get("write_blocked_s") >= *ftwrl.get("write_blocked_s", "app"));
    // BACKUP STAGE: the MyISAM writer waits from FLUSH to END (~6.1 s), but the application
    // commits until BLOCK_COMMIT: nobody commits only for about one redo check-in (~1 s). The
    // old sweep metric (the largest over groups) reported 6.1 s and hid the application.
    CHECK(*stages.get("write_blocked_s", "log_writer") > 6);
    CHECK(*stages.get("write_blocked_s", "app") == doctest::Approx(1.0).epsilon(0.02));
    CHECK(*stages.get("write_blocked_s") == doctest::Approx(1.0).epsilon(0.02));
    // The requests caught in the interval: the first ones waited all of it.
    CHECK(*ftwrl.get("blocked_max_ms") >= 1000 * *ftwrl.get("write_blocked_s") - 1);
    CHECK(*ftwrl.get("blocked_requests") > 0);
    // The backup window's p99 is over the requests that overlapped the window; the whole run's
    // p99 is diluted by the minute without a backup.
    CHECK(*ftwrl.get("backup_p99_ms") >= *ftwrl.get("p99_ms"));
    CHECK(*ftwrl.get("backup_requests") < *ftwrl.get("arrived"));
}

TEST_CASE("metrics that do not apply have no value") {
    // No backup: no window, no backup figures; no write ever waited: no blocked interval.
    const auto v = run(load(R"({"name": "n", "duration_s": 5, "server": {},
      "tables": [{"name": "orders"}],
      "workload": {"groups": [{"name": "app", "arrivals": {"kind": "open", "rate_tps": 100},
        "transactions": [{"statements": [{"sql": "UPDATE orders"}]}]}]}})"));
    for (const char* name : {"backup_s", "backup_finished", "consistent", "tps_mean", "tps_min",
                             "backup_p99_ms", "backup_requests", "blocked_p99_ms",
                             "write_blocked_start_s", "replica_peak_lag_s", "galera_pause_s"}) {
        INFO(name);
        CHECK_FALSE(v.get(name).has_value());
    }
    CHECK(*v.get("write_blocked_s") == 0);
    CHECK(*v.get("p99_ms") > 0);
    CHECK(*v.get("throughput_tps") == doctest::Approx(100).epsilon(0.1));
}
