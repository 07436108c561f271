#pragma once
// The metric table: every figure lockstage reports about a mariadb-model run, defined once, with
// its name, unit, the window it is measured over, whether it is per client group or for the
// whole run, what it means, and the one function that computes it. summary.json, the printed
// tables, compare.json and compare.csv, the sweep's runs.csv, points.csv and expect lines, and
// `report tutorial` all read their figures from here, and `lockstage metrics` prints the table
// (the README's metric list is that output, checked by a test).
//
// A group metric has a value for each client group and one for all groups together (the
// groups' sums and merged histograms; for the intervals found by watching commits, such as
// write-blocked time, the groups watched as one). Its column in CSV files and expect lines is
// `name` for all groups and `name[group]` for one group. A metric that does not apply to a run
// (a backup figure without a backup, latency with no request) has no value: null in JSON, an
// empty field in CSV, "-" in printed tables.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/experiments/mariadb_run.hpp"
#include "app/scenario/scenario.hpp"

namespace lockstage::app {

enum class Scope { Group, Run };

/// What a metric is computed from: the scenario as run and what the run produced.
struct MetricContext {
    const Scenario& scenario;
    const MariadbRun& run;
};

struct Metric {
    using OfGroup = std::function<std::optional<double>(const MetricContext&,
                                                        const models::workload::GroupResult&)>;
    using OfRun = std::function<std::optional<double>(const MetricContext&)>;
    std::string name;
    std::string unit;
    Scope scope;
    std::string window;  ///< "run", "backup window", "blocked interval"
    std::string definition;
    int decimals;   ///< shown in printed tables
    bool integer;   ///< a count: written as a whole number in JSON
    bool headline;  ///< a column of compare.csv and of the sweep's runs.csv and points.csv
    /// Group scope: the value for one group's figures (or all groups'). Run scope: empty.
    OfGroup of_group;
    /// Run scope: the value for the run. Group scope: empty.
    OfRun of_run;
};

/// Every metric, in output order.
const std::vector<Metric>& metric_table();
/// The metric of that name, or nullptr.
const Metric* find_metric(std::string_view name);
/// The metric of that name; a name the program does not define is a bug (std::logic_error).
const Metric& metric(std::string_view name);

/// One value column: a run metric, a group metric for all groups (group ""), or for one group.
struct Column {
    const Metric* metric = nullptr;
    std::string group;
    /// "p99_ms" or "p99_ms[app]", as CSV headers and expect lines write it.
    std::string name() const;
};
/// The columns of a run with these client groups: every metric (or the headline ones), in
/// table order; a group metric for all groups, then for each group in order.
std::vector<Column> metric_columns(const std::vector<std::string>& groups, bool headline_only);

/// One run's values of every column (metric_columns(groups, false)).
struct MetricValues {
    std::vector<std::string> groups;
    std::vector<std::optional<double>> values;  ///< by column
    static MetricValues of(const Scenario& s, const MariadbRun& run);
    /// The value of a metric for all groups ("") or one group, or of a run metric ("").
    std::optional<double> get(std::string_view name, std::string_view group = "") const;
};

/// Formats for the outputs: a CSV field (shortest exact form, "" for no value), a printed cell
/// (the metric's decimals, "-" for no value).
std::string csv_value(std::optional<double> v);
std::string text_value(const Metric& m, std::optional<double> v);

/// A latency percentile a printed table shows (--percentiles 50,99,99.9): its column name and
/// the quantile it reads from a latency histogram. For a percentile the metric table defines
/// (50, 99, 99.9) these are the table's (p50_ms, p99_ms, p999_ms, and its quantile, so the
/// value is the metric's); any other is named like them with its number as given: p95_ms,
/// p99.99_ms. A window's prefix ("backup_") goes in front.
struct Percentile {
    std::string name;
    double q;
};
/// `percent` in (0, 100).
Percentile percentile(double percent);
/// The most percentiles --percentiles takes.
inline constexpr std::size_t kMaxPercentiles = 8;
/// "50,99,99.9": 1 to kMaxPercentiles plain decimal numbers above 0 and below 100, none twice;
/// nullopt if the text is not that.
std::optional<std::vector<double>> parse_percentiles(std::string_view text);
/// A quantile of a latency histogram in ms, as the latency metrics read it; no value when empty.
std::optional<double> latency_quantile_ms(const stats::Histogram& h, double q);

/// A latency histogram in ms, {count, mean, p50, p90, p99, p999, max} (0 when empty), with the
/// quantile the latency metrics use: for breakdowns that are not metrics of their own (latency
/// by transaction class, the queue model's wait and response).
nlohmann::ordered_json latency_summary_json(const stats::Histogram& h);

/// {"run": {...}, "all_groups": {...}, "groups": {"<group>": {...}}}: every value, null where a
/// metric does not apply, counts as whole numbers.
nlohmann::ordered_json metrics_json(const MetricValues& v);
/// A printed table: a header row, then one row per label; column i shows metric `metrics[i]`
/// (header `headers[i]`) with the metric's decimals ("-" for no value).
struct TextRow {
    std::string label;
    std::vector<std::optional<double>> values;  ///< by column
};
std::string metrics_text_table(const std::string& label_header,
                               const std::vector<std::string>& headers,
                               const std::vector<const Metric*>& metrics,
                               const std::vector<TextRow>& rows);

/// The table as Markdown, for the README and `lockstage metrics`.
std::string metric_table_markdown();

/// The backup window of a run: [start, end of its last statement), or [start, end of the run)
/// when it was still running; nullopt when there was no backup or it never started.
std::optional<std::pair<sim::Time, sim::Time>> backup_window(const Scenario& s,
                                                             const MariadbRun& run);

}  // namespace lockstage::app
