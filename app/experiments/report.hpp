#pragma once
// Turns a run's results into the files of its result folder and the summary printed on the
// terminal. Everything here is a pure function of the scenario and the results, so the same
// scenario and seed give byte-identical files (no wall-clock time, no host name).
#include <string>

#include <optional>
#include <vector>

#include "app/experiments/mariadb_run.hpp"
#include "app/scenario/scenario.hpp"
#include "models/queue/queue_model.hpp"
#include "models/server/lock_monitor.hpp"
#include "models/server/script.hpp"
#include "models/workload/clients.hpp"

namespace lockstage::app {

/// summary.json: the headline figures of the run.
std::string queue_summary_json(const Scenario& s, const models::queue::QueueModelResult& r);
/// timeline.csv: one row per output interval.
std::string queue_timeline_csv(const models::queue::QueueModelResult& r);
/// latency_histogram.csv: the non-empty histogram buckets of each latency metric.
std::string queue_histogram_csv(const models::queue::QueueModelResult& r);
/// The short human summary printed by `lockstage run`.
std::string queue_summary_text(const Scenario& s, const models::queue::QueueModelResult& r);

/// trace.csv of a scripted run: one row per statement, sorted by session then seq.
std::string trace_csv(const std::vector<models::server::TraceRow>& rows);
/// One lock statement of the backup (session "backup"; not its copy phases or SET statements):
/// when it was requested and granted, its error name ("" if none), and when its lock gave way
/// to the next statement (or the backup ended; nullopt while it still held at the end). Without
/// a backup actor, a scripted session named "backup" is read the same way, its last statement
/// released when it finished.
struct BackupStage {
    std::string statement;
    sim::Time requested = 0;
    std::optional<sim::Time> granted;  ///< nullopt: still waiting or running at the end
    std::string error;
    std::optional<sim::Time> released;
};
std::vector<BackupStage> backup_stages(const MariadbRun& run);
/// summary.json of a mariadb-model run: the metric table's values, then what is not a metric.
std::string mariadb_summary_json(const Scenario& s, const MariadbRun& run);
/// replica_lag.csv: per interval, the largest replication lag and the transactions applied.
std::string replica_lag_csv(const models::topology::ReplicaResult& r);
/// galera_queue.csv: per interval, the largest receive queue of Galera node 1.
std::string galera_queue_csv(const models::topology::GaleraResult& r);
/// timeline.csv of a mariadb-model run with client groups: one row per interval and group.
std::string groups_timeline_csv(const std::vector<models::workload::GroupResult>& groups);
/// latency_histogram.csv of the client groups: latency and pool_wait, latency by transaction
/// class (latency_read, latency_innodb_write, latency_myisam_write, latency_ddl) and the same
/// for transactions that arrived in the backup window (..._backup_window), and
/// blocked_backup_lock (time per transaction waiting for backup-related locks).
std::string groups_histogram_csv(const std::vector<models::workload::GroupResult>& groups);
/// queue_depth.csv: per sample, t_s, the sessions waiting in each state that occurs, total.
std::string queue_depth_csv(const models::server::QueueDepthResult& q);
/// waits_at_peak.dot: the wait-for graph at the first peak of the queue depth, in Graphviz
/// (edges waiter -> blocker; a node is a session, labelled with its name and statement).
std::string wait_graph_dot(const models::server::WaitGraph& g);
/// The terminal summary of a mariadb-model run: client groups (metrics of the table, the latency
/// `percentiles`, default 99: see Percentile), backup, replica or Galera node, then the trace.
std::string mariadb_summary_text(const Scenario& s, const MariadbRun& run,
                                 const std::vector<double>& percentiles = {});

}  // namespace lockstage::app
