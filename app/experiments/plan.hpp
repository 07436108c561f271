#pragma once
// `lockstage plan`: which backup window, strategy and tool options hurt a named client group
// least. The candidates are start times (the quietest hours of the daily profile) x strategies x
// tool options (--log-copy-interval; --kill-long-queries-timeout when the scenario has long
// queries; MyISAM converted to Aria when it has MyISAM tables). They run as sweeps of the scenario
// (sweep.hpp: one per engine variant, every candidate with the same replication seeds, in
// parallel, independent of --jobs); each candidate's objective (a metric of the metric table for
// the group) gets its mean and Student t confidence interval over the replications, and the
// candidates are ranked by it.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "app/experiments/sweep.hpp"
#include "app/scenario/overrides.hpp"
#include "sim/stats/tally.hpp"

namespace lockstage::app {

/// A bad option value (the command line turns it into a usage error, exit code 2).
struct PlanOptionError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct PlanOptions {
    std::string group;                        ///< "" for the scenario's first client group
    std::string objective = "write-blocked";  ///< "write-blocked" or "p99"
    std::string start_times = "auto";         ///< "auto" or "HH:MM,HH:MM,..."
    std::vector<std::string> strategies = {"ftwrl", "mariabackup-stages"};
    int replications = 5;
    std::string confidence = "0.95";          ///< a number in (0, 1)
    std::optional<std::uint64_t> seed;        ///< overrides the scenario's
    std::optional<std::uint64_t> max_events;  ///< every run's budget
    std::vector<Override> overrides;          ///< --set, applied to the scenario as read
};

/// One candidate: where it sits in the plan's sweeps and what it sets.
struct PlanCandidate {
    std::size_t sweep = 0;  ///< index into Plan::sweeps
    std::size_t point = 0;  ///< the point in that sweep
    std::size_t strategy = 0;
    std::string strategy_name;
    std::optional<double> time_of_day_s;  ///< with an hourly profile: when it starts, 0..86400
    double start_at_s = 0;
    double log_copy_interval_ms = 0;
    double kill_long_queries_timeout_s = 0;  ///< 0: off
    bool to_aria = false;                    ///< MyISAM tables converted to Aria
    std::string words;                       ///< "BACKUP STAGE at 03:00, --log-copy-interval=100"
};

struct Plan {
    std::string file;
    std::vector<std::string> overrides;  ///< the --set texts, as given
    std::string name;
    std::uint64_t seed = 1;
    std::vector<std::string> groups;
    std::string group;   ///< the group ranked on
    std::string metric;  ///< the objective's metric (metric table)
    int replications = 0;
    double confidence = 0.95;
    std::vector<SweepSpec> sweeps;  ///< without and (if any) with the engine change
    std::vector<PlanCandidate> candidates;
    std::string start_times_note;  ///< how the start times were chosen
    /// The largest run's event estimate, and where.
    EventEstimate largest_estimate;
    std::string largest_estimate_at;
};

/// Reads the scenario and makes every candidate, each validated (as a sweep point) and estimated
/// before anything runs. ScenarioError for the scenario, PlanOptionError for an option.
Plan make_plan(const std::filesystem::path& scenario, const PlanOptions& options);

/// Runs every candidate's replications, `jobs` at a time; `progress(done, total)` in runs.
std::vector<SweepValues> run_plan(const Plan& plan, unsigned jobs,
                                  const std::function<void(std::size_t, std::size_t)>& progress);

/// A candidate's figures, ranked.
struct PlanRow {
    const PlanCandidate* candidate = nullptr;
    std::size_t rank = 0;  ///< 1 = best
    std::optional<stats::ConfidenceInterval> objective;
    std::vector<std::optional<stats::ConfidenceInterval>> per_group;  ///< the metric, by group
    std::optional<double> backup_s;                                   ///< its mean
    int not_finished = 0;  ///< replications whose backup did not finish
    int inconsistent = 0;  ///< replications whose backup finished with an inconsistent copy
    std::vector<std::size_t> ties;  ///< ranks whose interval overlaps this one's
    std::string reason;
};
std::vector<PlanRow> rank_plan(const Plan& plan, const std::vector<SweepValues>& values);

std::string plan_text(const Plan& plan, const std::vector<PlanRow>& rows, std::size_t top);
std::string plan_json(const Plan& plan, const std::vector<PlanRow>& rows);
std::string plan_csv(const Plan& plan, const std::vector<PlanRow>& rows);

}  // namespace lockstage::app
