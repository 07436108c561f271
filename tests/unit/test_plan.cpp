// The plan's ranking on made-up run values: lower objective first, a candidate whose backup
// failed in any replication last whatever its figure, Student t intervals, ties where intervals
// overlap, and the reason line. Whole plans are tests/cli/check_plan.py.
#include <doctest/doctest.h>

#include <cmath>
#include <string>
#include <vector>

#include "app/experiments/metrics.hpp"
#include "app/experiments/plan.hpp"

namespace app = lockstage::app;

namespace {

struct Run {
    double app, log;
    bool finished = true;
};

}  // namespace

TEST_CASE("plan ranks by the group's mean, failed backups last, and says ties") {
    app::Plan plan;
    plan.groups = {"app", "log"};
    plan.group = "app";
    plan.metric = "write_blocked_s";
    plan.replications = 3;
    plan.confidence = 0.95;
    plan.sweeps.resize(1);
    plan.sweeps[0].strategies = {"ftwrl"};
    for (std::size_t p = 0; p < 3; ++p) {
        app::PlanCandidate c;
        c.point = p;
        c.strategy_name = "ftwrl";
        c.words = "candidate " + std::to_string(p);
        plan.candidates.push_back(c);
    }
    const auto columns = app::metric_columns(plan.groups, false);
    const auto at = [&](const std::string& metric, const std::string& group) {
        for (std::size_t i = 0; i < columns.size(); ++i) {
            if (columns[i].metric->name == metric && columns[i].group == group) {
                return i;
            }
        }
        FAIL("no column");
        return std::size_t{0};
    };
    const std::vector<std::vector<Run>> runs = {
        {{1.0, 2.0}, {1.2, 2.0}, {1.4, 2.0}},         // mean 1.2
        {{0.1, 0.0}, {0.1, 0.0}, {0.1, 0.0, false}},  // the lowest, but one backup failed
        {{0.8, 3.0}, {0.9, 3.0}, {1.0, 3.0}}};        // mean 0.9, overlaps candidate 0
    app::SweepValues values;
    for (const auto& candidate : runs) {
        for (const auto& r : candidate) {
            std::vector<std::optional<double>> v(columns.size());
            v[at("write_blocked_s", "")] = std::max(r.app, r.log);
            v[at("write_blocked_s", "app")] = r.app;
            v[at("write_blocked_s", "log")] = r.log;
            v[at("backup_s", "")] = 20.0;
            v[at("backup_finished", "")] = r.finished ? 1.0 : 0.0;
            v[at("consistent", "")] = r.finished ? 1.0 : 0.0;
            values.push_back(v);
        }
    }
    const auto rows = app::rank_plan(plan, {values});
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].candidate->words == "candidate 2");
    CHECK(rows[1].candidate->words == "candidate 0");
    CHECK(rows[2].candidate->words == "candidate 1");
    CHECK(rows[2].not_finished == 1);
    // candidate 0: mean 1.2, s = 0.2, t(0.975, 2) = 4.302652729911275
    const double half = 4.302652729911275 * 0.2 / std::sqrt(3.0);
    REQUIRE(rows[1].objective);
    CHECK(rows[1].objective->mean == doctest::Approx(1.2));
    CHECK(rows[1].objective->low == doctest::Approx(1.2 - half));
    CHECK(rows[1].objective->high == doctest::Approx(1.2 + half));
    CHECK(rows[0].ties == std::vector<std::size_t>{2});
    CHECK(rows[1].ties == std::vector<std::size_t>{1});
    CHECK(rows[2].ties.empty());  // [0.1, 0.1] overlaps neither
    CHECK(rows[0].reason.rfind("candidate 2: app blocked 0.900 s [", 0) == 0);
    CHECK(rows[0].reason.find(", log 3.000 s; backup 20.0 s; tie with #2") != std::string::npos);
    CHECK(rows[2].reason.find("the backup did not finish in 1 of 3 runs") != std::string::npos);
    const std::string csv = app::plan_csv(plan, rows);
    CHECK(csv.find("\n1,candidate 2,ftwrl,") != std::string::npos);
}
