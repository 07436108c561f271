#pragma once
// One run of the mariadb model: wires the server, scripted sessions, client groups, the
// topology (replica applier, Galera node), the backup actor and the lock-queue sampler as the
// scenario says, runs the simulation, and hands back every result. `run` and `compare` share it.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "app/scenario/scenario.hpp"
#include "models/backup/backup.hpp"
#include "models/server/lock_monitor.hpp"
#include "models/server/script.hpp"
#include "models/topology/galera.hpp"
#include "models/topology/replica.hpp"
#include "models/workload/clients.hpp"

namespace lockstage::app {

struct MariadbRun {
    std::vector<models::server::TraceRow> trace;
    models::workload::WorkloadResult workload;  ///< each client group's figures, and all groups'
    /// The backup's window as it happened: [start, end of its last statement), kForever parts
    /// not reached (a backup still running at the end).
    sim::Interval backup_window;
    std::optional<models::backup::BackupResult> backup;
    std::optional<models::topology::ReplicaResult> replica;
    std::optional<models::topology::GaleraResult> galera;
    models::server::QueueDepthResult queue_depth;
    std::uint64_t events = 0;
};

/// Runs `s` (a mariadb-model scenario); `progress`, if given, hears the fraction of simulated
/// time done about every 1 %.
MariadbRun simulate_mariadb(const Scenario& s, const std::function<void(double)>& progress = {});

/// The scenario with its run's length settled: `s` itself when it gives duration_s; without it
/// (a backup scenario), duration = the backup's end (found by a first run) + drain_after_backup,
/// or a bound of start_at + 10 x the copy's estimate + 1 h if it has not ended by then.
Scenario with_run_length(const Scenario& s);

}  // namespace lockstage::app
