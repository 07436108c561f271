#include "app/experiments/mariadb_run.hpp"

#include <algorithm>

#include "sim/kernel/simulation.hpp"

namespace lockstage::app {

MariadbRun simulate_mariadb(const Scenario& s, const std::function<void(double)>& progress) {
    MariadbRun run;
    sim::Simulation sim;
    sim.set_event_limit(s.max_events);
    models::server::Server server(sim, s.server, s.tables, s.users);
    models::server::start_scripts(server, s.sessions, run.trace);
    models::workload::Workload workload(server, s.seed, s.duration, s.timeline_interval, s.groups);
    workload.start();
    std::optional<models::topology::ReplicaApplier> replica;
    if (s.replica) {
        replica.emplace(server, s.seed, s.duration, s.timeline_interval, *s.replica);
        replica->start();
    }
    std::optional<models::topology::GaleraNode> galera;
    if (s.galera) {
        galera.emplace(server, s.seed, s.duration, *s.galera);
        galera->start();
    }
    std::optional<models::backup::BackupActor> backup;
    if (s.backup) {
        backup.emplace(server, *s.backup, s.data, run.trace, s.sessions.size());
        // --safe-slave-backup stops the SQL thread of the server backed up; a primary has none.
        const bool on_replica =
            replica && s.replica->backed_up == models::topology::BackedUp::Replica;
        backup->set_replica(on_replica ? &*replica : nullptr);
        backup->start();
        workload.set_backup_window(&backup->window());
    }
    models::server::LockMonitor monitor(server, s.queue_sample_interval, s.duration);
    monitor.start();
    const auto step = progress ? std::max<sim::Time>(s.duration / 100, 1) : s.duration;
    for (sim::Time t = 0; t < s.duration;) {
        t = std::min(s.duration, t + step);
        sim.run_until(t);
        if (progress) {
            progress(static_cast<double>(t) / static_cast<double>(s.duration));
        }
    }
    run.workload = workload.finish();
    if (backup) {
        run.backup = backup->finish();
        run.backup_window = backup->window();
    }
    if (replica) {
        run.replica = replica->finish();
    }
    if (galera) {
        run.galera = galera->finish();
    }
    run.queue_depth = monitor.finish();
    run.events = sim.events_executed();
    return run;
}

}  // namespace lockstage::app
