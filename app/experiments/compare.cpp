#include "app/experiments/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <optional>

#include <nlohmann/json.hpp>

#include "app/experiments/csv.hpp"
#include "app/experiments/mariadb_run.hpp"
#include "lockstage_version.hpp"

namespace lockstage::app {

namespace {

using models::backup::flavor_for;

CompareRow run_one(const Scenario& given, const CompareRunHandler& each) {
    const Scenario s = with_run_length(given);  // duration_s left out: until the backup's end
    const MariadbRun run = simulate_mariadb(s);
    if (each) {
        each(s, run);
    }
    CompareRow row;
    row.strategy = std::string(models::backup::strategy_name(s.backup->strategy));
    row.flavor = std::string(models::server::traits(s.server.flavor).name);
    row.failure = run.backup->failure;
    for (const auto& i : run.backup->inconsistencies) {
        row.inconsistencies.push_back(i.table + ": " + i.reason);
    }
    for (const auto& [kind, n] : run.queue_depth.peak_kinds) {
        row.peak_statements +=
            fmt::format("{}{} {}", row.peak_statements.empty() ? "" : " + ", n, kind);
    }
    row.values = MetricValues::of(s, run);
    row.backup_latency = run.workload.all.latency_backup;
    row.charts = report_run(s, run);
    return row;
}

/// The verdict on the copy, as the printed table's last column says it.
std::string copy_verdict(const CompareRow& r) {
    const auto finished = r.values.get("backup_finished");
    if (!finished || *finished == 0) {
        return "FAILED: " + r.failure;
    }
    return r.values.get("consistent").value_or(0) == 1 ? "consistent" : "NOT consistent";
}

}  // namespace

std::vector<CompareRow> compare_strategies(const Scenario& base,
                                           const std::vector<std::string>& strategies,
                                           const CompareRunHandler& each) {
    std::vector<CompareRow> rows;
    for (const auto& name : strategies) {
        Scenario s = base;
        s.backup->strategy = *models::backup::strategy_from_name(name);
        s.server.flavor = flavor_for(s.backup->strategy, base.server.flavor);
        // The scenario as this strategy's run is made (its scenario.json under runs/).
        s.effective["backup"]["strategy"] = name;
        s.effective["server"]["flavor"] = models::server::traits(s.server.flavor).name;
        rows.push_back(run_one(s, each));
    }
    return rows;
}

std::vector<Column> compare_columns(const std::vector<CompareRow>& rows) {
    return metric_columns(rows.empty() ? std::vector<std::string>{} : rows.front().values.groups,
                          true);
}

std::string compare_json(const Scenario& base, const std::vector<CompareRow>& rows) {
    nlohmann::ordered_json j;
    j["lockstage_version"] = LOCKSTAGE_VERSION;
    j["scenario"] = base.name;
    j["seed"] = base.seed;
    if (!base.overrides.empty()) {
        j["overrides"] = base.overrides;
    }
    j["duration_s"] = sim::to_seconds(base.duration);
    auto& out = j["strategies"] = nlohmann::ordered_json::array();
    for (const auto& r : rows) {
        out.push_back({{"strategy", r.strategy},
                       {"flavor", r.flavor},
                       {"failure", r.failure},
                       {"inconsistencies", r.inconsistencies},
                       {"peak_statements", r.peak_statements},
                       {"metrics", metrics_json(r.values)}});
    }
    return j.dump(2) + "\n";
}

std::string compare_csv(const std::vector<CompareRow>& rows) {
    const auto columns = compare_columns(rows);
    std::vector<std::string> header = {"strategy", "flavor"};
    for (const auto& c : columns) {
        header.push_back(c.name());
    }
    header.push_back("failure");
    std::string out = csv_line(header);
    for (const auto& r : rows) {
        std::vector<std::string> fields = {r.strategy, r.flavor};
        for (const auto& c : columns) {
            fields.push_back(csv_value(r.values.get(c.metric->name, c.group)));
        }
        fields.push_back(r.failure);
        out += csv_line(fields);
    }
    return out;
}

std::string compare_text(const Scenario& base, const std::vector<CompareRow>& rows,
                         const std::vector<double>& percentiles) {
    std::string out = fmt::format("scenario {} compared across {} backup strategies, seed {}\n",
                                  base.name, rows.size(), base.seed);
    // Headline metrics, all groups together (write-blocked time per group too); the verdict on
    // the copy (backup_finished, consistent) in words in the last column.
    std::vector<Column> shown;
    const std::vector<std::string> groups =
        rows.empty() ? std::vector<std::string>{} : rows.front().values.groups;
    for (const auto& c : compare_columns(rows)) {
        const std::string_view name = c.metric->name;
        if (c.metric->unit == "0/1" || name == "failed" ||
            (!c.group.empty() && name != "write_blocked_s")) {
            continue;
        }
        shown.push_back(c);
    }
    // Write-blocked time first: it is what the comparison is about.
    std::stable_partition(shown.begin(), shown.end(),
                          [](const Column& c) { return c.metric->name == "write_blocked_s"; });
    // --percentiles: backup_p99_ms gives way to the chosen percentiles of the same histogram.
    struct Cell {
        const Column* column;
        std::optional<Percentile> percentile;  ///< nullopt: the column's metric
    };
    std::vector<Cell> cells;
    std::vector<std::string> headers;
    std::vector<const Metric*> metrics;
    for (const auto& c : shown) {
        if (!percentiles.empty() && c.metric->name == "backup_p99_ms") {
            for (const double p : percentiles) {
                cells.push_back({&c, percentile(p)});
                headers.push_back("backup_" + cells.back().percentile->name);
                metrics.push_back(c.metric);
            }
            continue;
        }
        cells.push_back({&c, std::nullopt});
        headers.push_back(c.name());
        metrics.push_back(c.metric);
    }
    std::vector<TextRow> text;
    for (const auto& r : rows) {
        TextRow t{r.strategy, {}};
        for (const auto& cell : cells) {
            t.values.push_back(cell.percentile
                                   ? latency_quantile_ms(r.backup_latency, cell.percentile->q)
                                   : r.values.get(cell.column->metric->name, cell.column->group));
        }
        text.push_back(std::move(t));
    }
    // The verdict column is text: appended after the numbers.
    const std::string table = metrics_text_table("strategy", headers, metrics, text);
    std::size_t line_start = 0;
    for (std::size_t i = 0; i <= rows.size(); ++i) {
        const std::size_t end = table.find('\n', line_start);
        out += table.substr(line_start, end - line_start);
        out += i == 0 ? "  copy\n" : "  " + copy_verdict(rows[i - 1]) + "\n";
        line_start = end + 1;
    }
    out +=
        "  (write_blocked_s: the longest time with no commit while writes waited for a lock, all "
        "groups then each group; tps_, backup_p99_ms, backup_max_ms: all groups' requests over "
        "the backup window; 'lockstage metrics' defines every column";
    out += percentiles.empty() ? ")\n" : "; backup_pN_ms the N-th percentile, as backup_p99_ms)\n";
    return out;
}

}  // namespace lockstage::app
