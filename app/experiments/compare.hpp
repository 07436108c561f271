#pragma once
// `lockstage compare`: one scenario, run once per backup strategy on the same random streams,
// and the tutorial's table T1 side by side: write-blocked time, TPS during the backup, p99 and
// max latency, timeouts, backup duration, consistency.
#include <string>
#include <vector>

#include "app/scenario/scenario.hpp"

namespace lockstage::app {

struct CompareRow {
    std::string strategy;
    std::string flavor;
    /// Per client group (in scenario order): its write-blocked time, the longest interval with
    /// no commit while its writes waited for a lock.
    std::vector<std::pair<std::string, double>> write_blocked_s;
    double tps_during_backup_min = 0;  ///< over the whole seconds the backup ran
    double tps_during_backup_mean = 0;
    double p99_ms = 0;  ///< all client groups' transactions together
    double max_ms = 0;
    std::uint32_t peak_queue = 0;  ///< sessions waiting for a lock, at the peak
    std::string peak_statements;  ///< the waiting statements by kind then, "157 INSERT + 89 UPDATE"
    std::uint64_t timeouts = 0;
    std::uint64_t failed = 0;
    double backup_s = 0;
    bool backup_finished = false;
    bool consistent = false;
    std::string failure;
};

/// Runs `base` once per strategy (the scenario must have a backup). A strategy that needs
/// another server flavour (mysql-lock-instance, percona-backup-locks) runs on that flavour.
std::vector<CompareRow> compare_strategies(const Scenario& base,
                                           const std::vector<std::string>& strategies);

std::string compare_json(const Scenario& base, const std::vector<CompareRow>& rows);
std::string compare_csv(const std::vector<CompareRow>& rows);
std::string compare_text(const Scenario& base, const std::vector<CompareRow>& rows);

}  // namespace lockstage::app
