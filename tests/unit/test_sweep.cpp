// The sweep's pieces that need no simulation: the least-squares fit and when it refuses to fit,
// the expect-line reader, and the grid bound. Whole sweeps are tests/cli/check_sweep.sh; bad
// sweep files, each with its exact message, tests/bad-input/sweep/.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "app/experiments/sweep.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace app = lockstage::app;

namespace {

app::SweepSpec spec() {
    app::SweepSpec s;
    s.file = "s.json";
    s.strategies = {"ftwrl", "mariabackup-stages"};
    s.groups = {"app", "batch"};
    return s;
}

/// The message of the ScenarioError `f` throws ("" if it throws none).
template <class F>
std::string refusal(F f) {
    try {
        f();
    } catch (const app::ScenarioError& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("a fit of a line through noisy points has its slope and an R^2 below 1") {
    const auto fit = app::fit_linear({{1}, {2}, {3}, {4}}, {2.1, 3.9, 6.2, 7.8}, {"/x"});
    REQUIRE(fit.coefficients.size() == 2);
    CHECK(fit.coefficients[1] == doctest::Approx(1.94));
    CHECK(fit.r2 > 0.99);
    CHECK(fit.r2 < 1);
    CHECK(fit.no_fit.empty());
}

TEST_CASE("degenerate fits are no fit, with the reason, never a negative R^2") {
    // as many points as coefficients
    CHECK(app::fit_linear({{1}, {2}}, {1, 2}, {"/x"}).no_fit ==
          "2 points for 2 coefficients: a fit needs more points than coefficients");
    // a constant axis
    const auto constant_x = app::fit_linear({{5}, {5}, {5}}, {1, 2, 3}, {"/x"});
    CHECK(constant_x.coefficients.empty());
    CHECK(constant_x.no_fit == "/x takes one value (5) at every point");
    // a constant metric, also when rounding makes it differ in the last digits
    CHECK(app::fit_linear({{1}, {2}, {3}}, {0, 0, 0}, {"/x"}).no_fit ==
          "the metric is constant (0) at every point");
    CHECK(app::fit_linear({{1}, {2}, {3}}, {0.1 + 0.2, 0.3, 0.3}, {"/x"}).no_fit ==
          "the metric is constant (0.3) at every point");
    // two axes that move together
    CHECK(app::fit_linear({{1, 2}, {2, 4}, {3, 6}, {4, 8}}, {1, 2, 3, 5}, {"/x", "/y"}).no_fit ==
          "the axes' values are collinear: their effects cannot be told apart");
    // a value no double arithmetic survives
    CHECK(app::fit_linear({{1}, {2}, {3}}, {1, 1e308 * 10, 3}, {"/x"}).no_fit ==
          "a value is not a finite number");
    // squares that overflow: no fit rather than a NaN or negative R^2
    const auto huge = app::fit_linear({{1e200}, {-1e200}, {3e200}}, {1e200, 3e200, -2e200}, {"/x"});
    CHECK((huge.coefficients.empty() || (huge.r2 >= 0 && huge.r2 <= 1)));
}

TEST_CASE("expect lines: the forms, and refusals with the pointer") {
    const auto s = spec();
    const auto e = app::parse_expectation(s, "  write_blocked_s[app][ftwrl]<=1.5e-3 ", "/expect/0");
    CHECK(e.lhs.metric == "write_blocked_s");
    CHECK(e.lhs.group == "app");
    CHECK(e.lhs.strategy == "ftwrl");
    CHECK(e.op == "<=");
    CHECK(e.against_number);
    CHECK(e.number == doctest::Approx(1.5e-3));
    const auto two =
        app::parse_expectation(s, "backup_s[ftwrl] != backup_s[mariabackup-stages]", "/expect/1");
    CHECK_FALSE(two.against_number);
    CHECK(two.rhs.strategy == "mariabackup-stages");
    const std::string form =
        "expected \"metric[strategy] OP metric[strategy]\" or \"metric[strategy] OP number\" (a "
        "group metric may name a group: metric[group][strategy]), got ";
    for (const std::string bad :
         {"", "backup_s[ftwrl]", "backup_s[ftwrl] <", "backup_s [ftwrl] < 1",
          "backup_s[ftwrl] =< 1", "backup_s[] < 1", "backup_s[ftwrl < 1", "backup_s[ftwrl] < 1 1",
          "backup_s[a][b][c] < 1", "backup_s[FTWRL] < 1"}) {
        CHECK(refusal([&] { app::parse_expectation(s, bad, "/expect/2"); }) ==
              "s.json: /expect/2: " + form + "\"" + bad + "\"");
    }
    for (const std::string number : {".", "-", "1e999", "1..2", "+-1", "e"}) {
        CHECK(refusal([&] { app::parse_expectation(s, "backup_s[ftwrl] > " + number, "/e"); }) ==
              "s.json: /e: expected a finite number after >, got \"" + number + "\"");
    }
    // a number too small for a double reads as 0 (or a subnormal)
    CHECK(app::parse_expectation(s, "backup_s[ftwrl] > 1e-400", "/e").number == 0);
    // a line of 200,000 characters is read without recursion (std::regex overflowed the stack)
    const std::string spaces(200000, ' ');
    CHECK(app::parse_expectation(s, "backup_s[ftwrl] <" + spaces + "1", "/e").number == 1);
    CHECK(refusal([&] {
              app::parse_expectation(s, std::string(200000, 'a') + "[ftwrl] < 1", "/e");
          }).find("unknown metric") != std::string::npos);
}

TEST_CASE("a sweep above the points limit is refused with its count before any point is made") {
    const std::string dir = LOCKSTAGE_SOURCE_DIR "/scenarios";
    const std::string axes =
        R"([{"pointer": "/data/myisam_gb", "range": {"from": 1, "to": 2, "steps": 10}},
            {"pointer": "/data/innodb_gb", "range": {"from": 1, "to": 2, "steps": 10}}])";
    const std::string text = R"({"name": "s", "base": "default.json", "axes": )" + axes + "}";
    CHECK(refusal([&] { app::load_sweep_text(text, "s.json", dir, 99); }) ==
          "s.json: /axes: 100 points (10 x 10 values), above the limit of 99 points per sweep: "
          "give the axes fewer values or split the sweep");
    CHECK(app::kMaxSweepPoints == 100000);
}

TEST_CASE("summarize_sweep writes a degenerate fit as a row without coefficients and says why") {
    auto s = spec();
    s.strategies = {"no-lock"};
    s.groups = {"app"};
    s.axes = {{"/data/myisam_gb", {1, 2, 3}}};
    // the base the axis changes (runs.csv's seed column is read from each point's document)
    s.base = nlohmann::ordered_json::parse(R"({"seed": 1, "data": {"myisam_gb": 2}})");
    const auto columns = app::sweep_columns(s);
    // every metric 0 at every point: a constant, nothing to fit
    const app::SweepValues values(3, std::vector<std::optional<double>>(columns.size(), 0.0));
    const auto out = app::summarize_sweep(s, values);
    CHECK(out.fits_csv.rfind("strategy,metric,intercept,coef /data/myisam_gb,r2,points,no_fit\n",
                             0) == 0);
    CHECK(out.fits_csv.find("no-lock,write_blocked_s,,,,3,the metric is constant (0) at every "
                            "point\n") != std::string::npos);
    REQUIRE_FALSE(out.fit_lines.empty());
    CHECK(out.fit_lines.front() ==
          "no-lock write_blocked_s: no fit: the metric is constant (0) at every point");
}
