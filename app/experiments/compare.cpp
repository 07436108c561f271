#include "app/experiments/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "app/experiments/mariadb_run.hpp"
#include "lockstage_version.hpp"
#include "sim/stats/histogram.hpp"

namespace lockstage::app {

namespace {

using models::backup::Strategy;
using models::server::Flavor;

using models::backup::flavor_for;

CompareRow run_one(const Scenario& s) {
    const MariadbRun run = simulate_mariadb(s);
    const auto& groups = run.groups;
    const auto& b = *run.backup;

    CompareRow row;
    row.strategy = std::string(models::backup::strategy_name(s.backup->strategy));
    row.flavor = std::string(models::server::traits(s.server.flavor).name);
    row.backup_finished = b.finished;
    row.consistent = b.consistent();
    row.failure = b.failure;
    row.backup_s = sim::to_seconds(b.ended - b.began);
    row.peak_queue = run.queue_depth.peak;
    for (const auto& [kind, n] : run.queue_depth.peak_kinds) {
        row.peak_statements +=
            fmt::format("{}{} {}", row.peak_statements.empty() ? "" : " + ", n, kind);
    }
    stats::Histogram all;
    for (const auto& g : groups) {
        all.merge(g.latency);
        row.timeouts += g.timeouts;
        row.failed += g.failed;
        row.write_blocked_s.emplace_back(g.name, sim::to_seconds(g.write_blocked));
    }
    row.p99_ms = static_cast<double>(all.quantile(0.99)) / 1e6;
    row.max_ms = static_cast<double>(all.max()) / 1e6;
    // TPS during the backup: all groups' completed transactions in each whole interval that
    // lies inside [began, ended).
    if (!groups.empty() && b.ended > b.began) {
        const sim::Time width = groups.front().completed_per_interval.interval();
        const auto first = static_cast<std::size_t>((b.began + width - 1) / width);
        const auto last = static_cast<std::size_t>(b.ended / width);  // exclusive
        double min_tps = std::numeric_limits<double>::infinity();
        double sum = 0;
        std::size_t n = 0;
        for (std::size_t i = first; i < last; ++i) {
            double done = 0;
            for (const auto& g : groups) {
                done += i < g.completed_per_interval.size() ? g.completed_per_interval.at(i) : 0.0;
            }
            const double tps = done / sim::to_seconds(width);
            min_tps = std::min(min_tps, tps);
            sum += tps;
            ++n;
        }
        if (n > 0) {
            row.tps_during_backup_min = min_tps;
            row.tps_during_backup_mean = sum / static_cast<double>(n);
        }
    }
    return row;
}

}  // namespace

std::vector<CompareRow> compare_strategies(const Scenario& base,
                                           const std::vector<std::string>& strategies) {
    std::vector<CompareRow> rows;
    for (const auto& name : strategies) {
        Scenario s = base;
        s.backup->strategy = *models::backup::strategy_from_name(name);
        s.server.flavor = flavor_for(s.backup->strategy, base.server.flavor);
        rows.push_back(run_one(s));
    }
    return rows;
}

std::string compare_json(const Scenario& base, const std::vector<CompareRow>& rows) {
    nlohmann::ordered_json j;
    j["lockstage_version"] = LOCKSTAGE_VERSION;
    j["scenario"] = base.name;
    j["seed"] = base.seed;
    j["duration_s"] = sim::to_seconds(base.duration);
    auto& out = j["strategies"] = nlohmann::ordered_json::array();
    for (const auto& r : rows) {
        nlohmann::ordered_json blocked = nlohmann::ordered_json::object();
        for (const auto& [group, seconds] : r.write_blocked_s) {
            blocked[group] = seconds;
        }
        out.push_back({{"strategy", r.strategy},
                       {"flavor", r.flavor},
                       {"write_blocked_s", blocked},
                       {"tps_during_backup_min", r.tps_during_backup_min},
                       {"tps_during_backup_mean", r.tps_during_backup_mean},
                       {"p99_ms", r.p99_ms},
                       {"max_ms", r.max_ms},
                       {"peak_queue", r.peak_queue},
                       {"peak_statements", r.peak_statements},
                       {"timeouts", r.timeouts},
                       {"failed", r.failed},
                       {"backup_s", r.backup_s},
                       {"backup_finished", r.backup_finished},
                       {"consistent", r.consistent},
                       {"failure", r.failure}});
    }
    return j.dump(2) + "\n";
}

std::string compare_csv(const std::vector<CompareRow>& rows) {
    std::string out = "strategy,flavor";
    if (!rows.empty()) {
        for (const auto& [group, seconds] : rows.front().write_blocked_s) {
            fmt::format_to(std::back_inserter(out), ",write_blocked_s_{}", group);
        }
    }
    out +=
        ",tps_during_backup_min,tps_during_backup_mean,p99_ms,max_ms,timeouts,failed,backup_s,"
        "backup_finished,consistent\n";
    for (const auto& r : rows) {
        fmt::format_to(std::back_inserter(out), "{},{}", r.strategy, r.flavor);
        for (const auto& [group, seconds] : r.write_blocked_s) {
            fmt::format_to(std::back_inserter(out), ",{:.6f}", seconds);
        }
        fmt::format_to(
            std::back_inserter(out), ",{:.3f},{:.3f},{:.6f},{:.6f},{},{},{},{:.6f},{},{}\n",
            r.tps_during_backup_min, r.tps_during_backup_mean, r.p99_ms, r.max_ms, r.peak_queue,
            r.timeouts, r.failed, r.backup_s, r.backup_finished, r.consistent);
    }
    return out;
}

std::string compare_text(const Scenario& base, const std::vector<CompareRow>& rows) {
    std::string out = fmt::format("scenario {} compared across {} backup strategies, seed {}\n",
                                  base.name, rows.size(), base.seed);
    out += fmt::format("  {:<22}", "strategy");
    if (!rows.empty()) {
        for (const auto& [group, seconds] : rows.front().write_blocked_s) {
            out += fmt::format("{:>22}", fmt::format("{}_blocked_s", group.substr(0, 10)));
        }
    }
    out += fmt::format("{:>10}{:>10}{:>11}{:>11}{:>11}{:>10}{:>10}  {}\n", "tps_min", "tps_mean",
                       "p99_ms", "max_ms", "peak_queue", "timeouts", "backup_s", "copy");
    for (const auto& r : rows) {
        out += fmt::format("  {:<22}", r.strategy);
        for (const auto& [group, seconds] : r.write_blocked_s) {
            out += fmt::format("{:>22.3f}", seconds);
        }
        out += fmt::format("{:>10.1f}{:>10.1f}{:>11.2f}{:>11.2f}{:>11}{:>10}{:>10.2f}  {}\n",
                           r.tps_during_backup_min, r.tps_during_backup_mean, r.p99_ms, r.max_ms,
                           r.peak_queue, r.timeouts, r.backup_s,
                           !r.backup_finished ? "FAILED: " + r.failure
                                              : (r.consistent ? "consistent" : "NOT consistent"));
    }
    out +=
        "  (<group>_blocked_s: write-blocked time, the longest interval with no commit of the "
        "group while its writes waited; tps: all groups, over the whole seconds the backup "
        "ran)\n";
    return out;
}

}  // namespace lockstage::app
