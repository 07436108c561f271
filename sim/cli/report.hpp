#pragma once
// Turns a run's results into the files of its result folder and the summary printed on the
// terminal. Everything here is a pure function of the scenario and the results, so the same
// scenario and seed give byte-identical files (no wall-clock time, no host name).
#include <string>

#include <optional>
#include <vector>

#include "models/server/queue_model.hpp"
#include "models/server/script.hpp"
#include "models/workload/clients.hpp"
#include "sim/cli/scenario.hpp"

namespace lockstage::cli {

/// summary.json: the headline figures of the run.
std::string queue_summary_json(const Scenario& s, const models::QueueModelResult& r);
/// timeline.csv: one row per output interval.
std::string queue_timeline_csv(const models::QueueModelResult& r);
/// latency_histogram.csv: the non-empty histogram buckets of each latency metric.
std::string queue_histogram_csv(const models::QueueModelResult& r);
/// The short human summary printed by `lockstage run`.
std::string queue_summary_text(const Scenario& s, const models::QueueModelResult& r);

/// trace.csv of a scripted run: one row per statement, sorted by session then seq.
std::string trace_csv(const std::vector<models::server::TraceRow>& rows);
/// What a mariadb-model run produced besides the trace.
struct RunReport {
    const std::vector<models::workload::GroupResult>& groups;
    const std::optional<models::backup::BackupResult>& backup;
    const std::optional<models::server::ReplicaResult>& replica;
    const std::optional<models::server::GaleraResult>& galera;
};
/// summary.json of a mariadb-model run.
std::string mariadb_summary_json(const Scenario& s,
                                 const std::vector<models::server::TraceRow>& rows,
                                 const RunReport& report, std::uint64_t events);
/// replica_lag.csv: per interval, the largest replication lag and the transactions applied.
std::string replica_lag_csv(const models::server::ReplicaResult& r);
/// galera_queue.csv: per interval, the largest receive queue of Galera node 1.
std::string galera_queue_csv(const models::server::GaleraResult& r);
/// timeline.csv of a mariadb-model run with client groups: one row per interval and group.
std::string groups_timeline_csv(const std::vector<models::workload::GroupResult>& groups);
/// latency_histogram.csv of the client groups.
std::string groups_histogram_csv(const std::vector<models::workload::GroupResult>& groups);
/// The terminal summary of a mariadb-model run: client groups, backup, replica or
/// Galera node, then the trace.
std::string mariadb_summary_text(const Scenario& s,
                                 const std::vector<models::server::TraceRow>& rows,
                                 const RunReport& report);

}  // namespace lockstage::cli
