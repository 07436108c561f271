// report.html (app/experiments/html_report.hpp): escaping, the same bytes for the same run,
// the backup's stages on the charts, and the wait-for graph drawn or listed. Rendering in a
// browser is tests/cli/check_html.py.
#include <doctest/doctest.h>

#include <string>

#include "app/experiments/html_report.hpp"
#include "app/experiments/mariadb_run.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace {

namespace app = lockstage::app;

std::size_t count(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) {
        ++n;
    }
    return n;
}

app::Scenario tiny() {
    return app::load_scenario_text(
        R"({"name": "t", "description": "<script>alert('x')</script> & \"q\"", "seed": 3,
      "duration_s": 10, "server": {}, "tables": [{"name": "orders"}],
      "data": {"innodb_gb": 0.001, "innodb_tables": 1},
      "backup": {"strategy": "ftwrl", "start_at_s": 2},
      "workload": {"groups": [{"name": "app", "arrivals": {"kind": "open", "rate_tps": 200},
        "transactions": [{"statements": [{"sql": "UPDATE orders"}]}]}]}})",
        "x.json");
}

std::string page(const app::Scenario& s, const app::MariadbRun& run, app::ReportRun r) {
    return app::run_html(s, app::MetricValues::of(s, run), r);
}

}  // namespace

TEST_CASE("html_escape replaces the five special characters") {
    CHECK(app::html_escape("<a href=\"x\">'&'</a>") ==
          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    CHECK(app::html_escape("plain") == "plain");
}

TEST_CASE("a run's report: escaped text, every section, stages shaded, same bytes twice") {
    const app::Scenario s = tiny();
    const app::MariadbRun run = app::simulate_mariadb(s);
    const app::ReportRun r = app::report_run(s, run);
    const std::string html = page(s, run, r);
    CHECK(html.find("<script") == std::string::npos);
    CHECK(html.find("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;") !=
          std::string::npos);
    for (const char* id :
         {"verdict", "metrics", "commits", "zoom", "queue-depth", "latency", "wait-graph"}) {
        CHECK_MESSAGE(html.find(std::string("<section id=\"") + id + "\"") != std::string::npos,
                      id);
    }
    CHECK(count(html, "<svg") == count(html, "</svg>"));
    CHECK(count(html, "<svg") >= 6);
    REQUIRE(!r.stages.empty());
    CHECK(r.stages.front().statement == "FLUSH TABLES WITH READ LOCK");
    CHECK(count(html, "<g class=\"stage\">") >= r.stages.size());
    CHECK(html.find("data-verdict=\"consistent\"") != std::string::npos);
    CHECK(page(s, app::simulate_mariadb(s), app::report_run(s, app::simulate_mariadb(s))) == html);
}

TEST_CASE("the wait-for graph: drawn when small (a cycle too), listed when large") {
    const app::Scenario s = tiny();
    const app::MariadbRun run = app::simulate_mariadb(s);
    app::ReportRun r = app::report_run(s, run);
    // Two sessions waiting for each other, one named with markup.
    r.peak_graph.nodes = {{1, "<a>", "UPDATE", true, "Waiting for table metadata lock"},
                          {2, "b", "ALTER", true, "Waiting for table metadata lock"}};
    r.peak_graph.edges = {{0, 1}, {1, 0}};
    std::string html = page(s, run, r);
    CHECK(html.find("class=\"chart wait-graph\"") != std::string::npos);
    CHECK(count(html, "class=\"edge\"") == 2);
    CHECK(html.find("&lt;a&gt;: UPDATE") != std::string::npos);
    // 50 waiters for one blocker: a table instead of a drawing.
    r.peak_graph.nodes.clear();
    r.peak_graph.edges.clear();
    r.peak_graph.nodes.push_back({0, "blocker", "SELECT", true, ""});
    for (std::uint32_t i = 1; i <= 50; ++i) {
        r.peak_graph.nodes.push_back(
            {i, "w" + std::to_string(i), "INSERT", true, "Waiting for backup lock"});
        r.peak_graph.edges.emplace_back(i, 0);
    }
    html = page(s, run, r);
    CHECK(html.find("class=\"chart wait-graph\"") == std::string::npos);
    CHECK(html.find("51 sessions at t = ") != std::string::npos);
    CHECK(count(html, "<td>blocker</td>") == 51);  // its row, and each waiter's "waits for"
}
