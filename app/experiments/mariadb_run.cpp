#include "app/experiments/mariadb_run.hpp"

#include <algorithm>

#include "sim/kernel/simulation.hpp"

namespace lockstage::app {

namespace {

/// The run; with `until_backup_end`, it stops soon after the backup's last statement (at a step
/// of at most a second), the results then being those of a run cut short.
MariadbRun simulate(const Scenario& s, const std::function<void(double)>& progress,
                    bool until_backup_end) {
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
    auto step = progress ? std::max<sim::Time>(s.duration / 100, 1) : s.duration;
    if (until_backup_end) {
        step = std::min(step, sim::kSecond);
    }
    for (sim::Time t = 0; t < s.duration;) {
        t = std::min(s.duration, t + step);
        sim.run_until(t);
        if (until_backup_end && backup && backup->window().end != sim::kForever) {
            break;
        }
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

}  // namespace

MariadbRun simulate_mariadb(const Scenario& s, const std::function<void(double)>& progress) {
    return simulate(s, progress, false);
}

Scenario with_run_length(const Scenario& s) {
    if (!s.drain_after_backup || !s.backup) {
        return s;
    }
    // A first run finds when the backup ends: it runs up to a generous bound (ten times the
    // copy's estimate after start_at, plus an hour) and stops at the backup's end. Every random
    // stream is the scenario's, so the second run, which lasts until then plus the drain,
    // repeats the first up to that point.
    Scenario probe = s;
    const sim::Time copy = models::backup::copy_estimate(*s.backup, s.data);
    probe.duration = std::min(
        sim::seconds(31'536'000),
        sim::add_saturating(sim::add_saturating(s.backup->start_at, sim::mul_saturating(copy, 10)),
                            sim::kHour));
    probe.drain_after_backup.reset();
    const MariadbRun first = simulate(probe, {}, true);
    Scenario out = s;
    out.drain_after_backup.reset();
    out.duration = first.backup_window.end == sim::kForever
                       ? probe.duration
                       : std::min(probe.duration, sim::add_saturating(first.backup_window.end,
                                                                      *s.drain_after_backup));
    return out;
}

}  // namespace lockstage::app
