#pragma once
// `lockstage sweep`: a base scenario, axes that change it (JSON pointers and their values), the
// backup strategies to run at every point, and replications. Every point x strategy x
// replication is a run; runs go in parallel across threads, and the output does not depend on
// how many (results are stored by run index, seeds come from the replication number).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/experiments/compare.hpp"
#include "app/experiments/metrics.hpp"
#include "app/scenario/event_estimate.hpp"
#include "app/scenario/overrides.hpp"

namespace lockstage::app {

/// One side of an expect line: `metric[strategy]` (all groups, or a run metric) or
/// `metric[group][strategy]`.
struct SweepTerm {
    std::string metric, group, strategy;
    std::size_t column = 0;  ///< its column among metric_columns(groups, false)
    std::string text() const;
};

struct SweepExpectation {
    std::string text;  ///< as written
    SweepTerm lhs;
    std::string op;
    bool against_number = false;
    double number = 0;
    SweepTerm rhs;
};

struct SweepSpec {
    std::string file;
    std::string name;
    nlohmann::ordered_json base;  ///< the base scenario document
    std::string base_file;
    /// How messages name the base scenario: base_file, with its --set overrides if any.
    std::string base_label;
    std::filesystem::path base_dir;  ///< its folder (relative paths inside it resolve there)
    struct Axis {
        std::string pointer;
        std::vector<nlohmann::ordered_json> values;
    };
    std::vector<Axis> axes;
    std::vector<std::string> strategies;
    std::vector<std::string> groups;  ///< the client groups (the same at every point)
    int replications = 1;
    std::vector<SweepExpectation> expect;
    nlohmann::ordered_json effective;  ///< the sweep document with defaults filled in
    /// Per point, scenario_fingerprint() of its resolved scenario (base + axis values, loaded).
    std::vector<std::string> fingerprints;
    /// The largest point's event estimate, and that point ("FILE at /pointer=value, ...").
    EventEstimate largest_estimate;
    std::string largest_estimate_at;
    /// --max-events: every run's event budget (else each run's default budget).
    std::optional<std::uint64_t> max_events;
};

/// The largest sweep lockstage accepts: points (the product of the axes' value counts) and runs
/// (points x strategies x replications). A larger one is refused (exit code 2) with its count,
/// before any point is made.
inline constexpr std::uint64_t kMaxSweepPoints = 100'000;
inline constexpr std::uint64_t kMaxSweepRuns = 1'000'000;

/// Reads and checks a sweep file and its base scenario, with `overrides` (--set) applied to the
/// base before the axes; every point is validated as a scenario before anything runs. Errors are
/// ScenarioErrors (exit code 2). The effective sweep document records the overrides' texts
/// under "overrides".
SweepSpec load_sweep(const std::filesystem::path& path,
                     const std::vector<Override>& overrides = {});
/// The same from the sweep file's text: `file` names it in messages, `base` is read relative to
/// `dir`; `max_points` lowers the points limit (the fuzz target's, to keep inputs fast);
/// `base_document`, if given, is the base scenario instead of `base`'s file, which then only names
/// it in messages (`lockstage plan` sweeps variants of a scenario that exist only in memory).
SweepSpec load_sweep_text(std::string_view text, const std::string& file,
                          const std::filesystem::path& dir,
                          std::uint64_t max_points = kMaxSweepPoints,
                          const std::vector<Override>& overrides = {},
                          const nlohmann::ordered_json* base_document = nullptr);

/// One expect line of `s` (its strategies and client groups must be set), checked: a ScenarioError
/// at `s.file` and `where` if it is not "metric[strategy] OP metric[strategy]" or
/// "metric[strategy] OP number" with a known metric, group and strategy.
SweepExpectation parse_expectation(const SweepSpec& s, const std::string& text,
                                   const std::string& where);

/// Every column a run stores (all metrics; metric_columns(spec.groups, false)), and the ones
/// runs.csv and points.csv show (the headline metrics).
std::vector<Column> sweep_columns(const SweepSpec& spec);
std::vector<Column> sweep_csv_columns(const SweepSpec& spec);

struct SweepOutcome {
    std::string runs_csv;    ///< a row per point, strategy and replication
    std::string points_csv;  ///< per point and strategy: each metric's mean and 95 % CI
    /// Per strategy and headline metric, a least-squares fit of the point means against the
    /// numeric axes (metric ~ intercept + sum of coefficient x axis), with R^2, or no_fit's
    /// reason and no coefficients.
    std::string fits_csv;
    std::vector<std::string> fit_lines;   ///< the write_blocked_s fits (or "no fit: why")
    std::vector<std::string> violations;  ///< expect lines that failed, with their point
    std::size_t runs = 0;
};

/// Per run (point, then strategy, then replication), its values in sweep_columns() order (no
/// value where a metric does not apply); empty for runs not made (another shard's).
using SweepValues = std::vector<std::vector<std::optional<double>>>;
/// JSON forms of a run's values (null for no value), for shard and resume files.
nlohmann::ordered_json sweep_values_json(const std::vector<std::optional<double>>& v);
std::vector<std::optional<double>> sweep_values_from_json(const nlohmann::ordered_json& j);
std::size_t sweep_runs(const SweepSpec& spec);
/// A point's axis values, "/pointer=value, ..." (as in messages about the point).
std::string sweep_point_label(const SweepSpec& spec, std::size_t point);

/// How a sweep hears SIGINT and SIGTERM: `signals` counts them (a signal handler adds 1 per
/// SIGINT, 2 for SIGTERM). At the first, no new run starts and `waiting(running)` is called once
/// (the runs still running are waited for); at the second, `abandon(finished)` is called once
/// with every run finished so far, to keep them (it may end the process at once).
struct SweepStop {
    const std::atomic<int>* signals = nullptr;
    std::function<void(std::size_t running)> waiting;
    std::function<void(const SweepValues& finished)> abandon;
};

/// Runs shard `shard` of `shards` (every shards-th run from `shard`) on `jobs` threads;
/// `progress(done, total)` is called from the main thread.
/// Runs already in `done` (same size as the sweep, or empty) are kept, not run again. When
/// `stop` hears a signal, no new run starts; the runs finished so far are returned, the others
/// left empty.
SweepValues run_sweep_values(const SweepSpec& spec, unsigned jobs,
                             const std::function<void(std::size_t, std::size_t)>& progress,
                             std::size_t shard, std::size_t shards, SweepValues done = {},
                             const SweepStop* stop = nullptr);
/// A least-squares fit y ~ intercept + sum of coefficient x column, or why there is none.
struct LinearFit {
    std::vector<double> coefficients;  ///< the intercept, then one per column; empty: no fit
    double r2 = 0;
    std::string no_fit;  ///< why there is no fit: too few points, a constant column or metric,
                         ///< collinear columns, a value not finite, or R^2 < 0 (rounding)
};
/// `x`: a row per point with a value per column (`names` names them in reasons); `y`: the
/// metric at each point.
LinearFit fit_linear(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                     const std::vector<std::string>& names);

/// The CSVs, fits and expectations from every run's values.
SweepOutcome summarize_sweep(const SweepSpec& spec, const SweepValues& values);
/// run_sweep_values for all runs, then summarize_sweep.
SweepOutcome run_sweep(const SweepSpec& spec, unsigned jobs,
                       const std::function<void(std::size_t, std::size_t)>& progress);

}  // namespace lockstage::app
