#pragma once
// `lockstage compare`: one scenario, run once per backup strategy on the same random streams,
// side by side. Every figure is a metric of the metric table (metrics.hpp).
#include <functional>
#include <string>
#include <vector>

#include "app/experiments/html_report.hpp"
#include "app/experiments/mariadb_run.hpp"
#include "app/experiments/metrics.hpp"
#include "app/scenario/scenario.hpp"

namespace lockstage::app {

struct CompareRow {
    std::string strategy;
    std::string flavor;
    std::string failure;          ///< why the backup did not finish, "" if it did
    std::string peak_statements;  ///< the waiting statements at the lock queue's peak, "4 INSERT +
                                  ///< 16 UPDATE"
    std::vector<std::string> inconsistencies;  ///< "table: reason"
    MetricValues values;
    /// All groups' latency over the backup window, for the printed table's --percentiles.
    stats::Histogram backup_latency;
    ReportRun charts;  ///< what report.html draws
};

/// Hears each strategy's run as it is made: the scenario run (that strategy and flavour, its run
/// length settled) and the run itself (`compare` writes it to runs/<strategy>/).
using CompareRunHandler = std::function<void(const Scenario&, const MariadbRun&)>;

/// Runs `base` once per strategy (the scenario must have a backup). A strategy that needs
/// another server flavour (mysql-lock-instance, percona-backup-locks) runs on that flavour.
std::vector<CompareRow> compare_strategies(const Scenario& base,
                                           const std::vector<std::string>& strategies,
                                           const CompareRunHandler& each = {});

/// The columns compare.csv and the printed table show: the headline metrics.
std::vector<Column> compare_columns(const std::vector<CompareRow>& rows);

std::string compare_json(const Scenario& base, const std::vector<CompareRow>& rows);
std::string compare_csv(const std::vector<CompareRow>& rows);
/// The printed table; `percentiles` (--percentiles) replace its backup_p99_ms column.
std::string compare_text(const Scenario& base, const std::vector<CompareRow>& rows,
                         const std::vector<double>& percentiles = {});

}  // namespace lockstage::app
