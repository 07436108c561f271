#pragma once
// An asynchronous replica's SQL applier (docs/topologies.md#async-replica; observed:
// docs/measured.md#replicas-and-galera-observed). The modelled server is the replica, where the
// backup runs. The primary commits transactions as a Poisson stream; the IO thread receives each
// one at its commit time (relay log, no network delay); ONE applier session
// ("replica/sql_thread", like slave_parallel_threads=0) applies them in order, each as an
// autocommit `UPDATE <table>` run through server::Server::execute with the `apply` execution time.
// It therefore takes the locks a client write takes: it waits from the moment FTWRL is queued or
// held, and under BACKUP STAGE only while BLOCK_COMMIT is held (for an InnoDB table).
//
// Lag is MariaDB's Seconds_Behind_Master, in nanoseconds: now minus the primary commit time of
// the transaction at the head of the relay log (the one being applied, or waiting to be), 0 when
// the relay log is empty. It is computed exactly, not sampled: between two events the head does
// not change, so the lag grows with slope 1 (or stays 0); it only drops when the head is applied.
// The maximum over any stretch of time is therefore reached just before a head is applied or at
// the end of the stretch, and those are the only points evaluated. Memory: the relay log is a
// deque of primary commit times (grows with the backlog, not with the run); the timelines grow
// with duration / interval.
//
// Errors: a lock wait timeout or deadlock is retried, up to 10 times per transaction
// (slave_transaction_retries); any other error (the session killed) stops the SQL thread, as a
// real replica does; start_sql_thread() resumes it (a killed session stays gone, so its
// statements keep failing and it stops again).
//
// Parallel replication (parallel_threads > 0, slave_parallel_threads;
// docs/topologies.md#parallel-replica-applier): that many worker sessions ("replica/worker1" ...)
// each take the next transaction of the relay log as soon as they are free (as if the primary
// had group-committed them all, or optimistic mode without conflicts) and run it as BEGIN,
// UPDATE, COMMIT; the commits stay in relay-log order: a worker waits for the previous
// transaction to commit before it sends COMMIT. MariaDB's worker takes MDL_BACKUP_COMMIT first
// and releases it while it waits for the prior commit (wait_for_commit::wait_for_prior_commit2(),
// the MDEV-21953 / MDEV-23586 fix), so BLOCK_COMMIT never waits for a worker that waits for its
// turn; taking the lock after the wait is the same (a lock held for no time blocks nobody).
// Commits are one after another (no binlog group commit). FTWRL pauses the workers first
// (rpl_pause_for_ftwrl()): FTWRL waits until every started transaction has committed, and no
// worker starts a new one until FTWRL has its lock or failed (rpl_unpause_after_ftwrl()); then
// the workers wait on FTWRL's lock like any writer. A fatal error in a worker stops the SQL
// thread; the transactions after it that have not committed are rolled back and run again
// after start_sql_thread().
//
// A replica of the server being backed up (backed_up = Primary;
// docs/topologies.md#a-replica-of-the-server-being-backed-up): the modelled server is the
// primary. The relay log receives every read-write transaction the primary commits, at its
// commit, stamped with the time its committing statement started (what its binlog events carry);
// the replica, not modelled as a server, applies them in order, `apply` each, taking no lock.
// Lag is again Seconds_Behind_Master: now minus the head's timestamp, 0 with an empty relay
// log. While the primary's commits stall the replica receives nothing and shows no lag; the
// stalled transactions then arrive with old timestamps and the lag jumps to about the stall.
#include <cstdint>
#include <deque>
#include <string>

#include "models/server/server.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/random.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sim/stats/timeline.hpp"

namespace lockstage::models::topology {

/// Which server of the pair the modelled server (and so the backup) is.
enum class BackedUp { Replica, Primary };

struct ReplicaConfig {
    BackedUp backed_up = BackedUp::Replica;
    double primary_rate_tps = 300;  ///< the primary's commits, Poisson (> 0); Replica only
    std::string table;  ///< an existing table the applier writes (InnoDB normally); Replica only
    /// slave_parallel_threads: 0 = the single SQL thread, else that many workers (Replica only).
    int parallel_threads = 0;
    /// Execution time of one applied transaction, once its locks are granted; the server's
    /// commit time (ServerConfig::commit) comes on top.
    sim::Distribution apply = sim::Distribution::constant(sim::micros(200));
    /// Width of the intervals of ReplicaResult::lag_max_per_interval (> 0).
    sim::Time lag_sample_interval = sim::kSecond;
};

/// What the replicated stream costs in kernel events (sim/kernel/event_cost.hpp): 4 an applied
/// transaction (its arrival on the primary, the applier's wake-up, its execution, its commit).
/// Key "primary_rate_tps".
sim::EventCosts estimate_events(const ReplicaConfig& c, sim::Time duration);

struct ReplicaResult {
    std::uint64_t received = 0;            ///< transactions committed on the primary before the end
    std::uint64_t applied = 0;             ///< transactions the applier committed before the end
    sim::Time peak_lag = 0;                ///< the highest lag over the run (ns)
    sim::Time peak_lag_at = 0;             ///< when it was reached (first time, if reached twice)
    std::uint64_t peak_relay_backlog = 0;  ///< transactions received, not yet applied
    /// Per interval of `lag_sample_interval`: the highest lag seen in it (ns, exact).
    stats::Timeline lag_max_per_interval;
    /// Per interval of the run's `interval`: transactions applied.
    stats::Timeline applied_per_interval;
    /// Time between stop_sql_thread() (or an error that stopped the SQL thread) and
    /// start_sql_thread() (or the end of the run). The transaction in flight at the stop finishes
    /// within it.
    sim::Time stopped_total = 0;
    std::uint64_t retries = 0;  ///< transactions retried after a lock wait timeout or deadlock
    server::Error last_error =
        server::Error::None;  ///< the error that last stopped the SQL thread, if any

    ReplicaResult(sim::Time lag_interval, sim::Time interval)
        : lag_max_per_interval(lag_interval), applied_per_interval(interval) {}
};

class ReplicaApplier : public server::ServerHooks {
  public:
    /// Transactions retried after a lock wait timeout or deadlock before the SQL thread stops.
    static constexpr int kTransactionRetries = 10;

    /// Throws std::invalid_argument for a rate <= 0, a lag interval <= 0 or an unknown table.
    ReplicaApplier(server::Server& server, std::uint64_t seed, sim::Time duration,
                   sim::Time interval, ReplicaConfig c);
    ReplicaApplier(const ReplicaApplier&) = delete;
    ReplicaApplier& operator=(const ReplicaApplier&) = delete;
    ~ReplicaApplier() override;

    // server::ServerHooks: the FTWRL pause of the parallel workers, the primary's commits.
    void ftwrl_starting(locks::OwnerId session, sim::Time at) override;
    void ftwrl_finished(locks::OwnerId session, sim::Time at) override;
    bool ftwrl_may_lock() const override;
    void transaction_committed(locks::OwnerId session, sim::Time began, sim::Time at) override;

    /// Connects the applier session ("replica/sql_thread") and starts the primary and the
    /// applier. Call once, before running the simulation.
    void start();
    /// STOP SLAVE SQL_THREAD: the applier finishes its current transaction (including any lock
    /// wait it is in), then waits. The IO thread keeps receiving. No effect if already stopped.
    void stop_sql_thread();
    /// START SLAVE SQL_THREAD. No effect if running.
    void start_sql_thread();
    bool sql_thread_running() const { return !stopped_; }

    /// The lag now (ns), 0 when the relay log is empty.
    sim::Time lag() const { return lag_at(sim_.now()); }
    std::uint64_t relay_backlog() const { return relay_.size(); }

    /// Closes the books at `duration` (the lag up to the end and a stop still in effect count).
    /// Further calls return the same result.
    ReplicaResult finish();

  private:
    struct Worker {
        server::Server::SessionId session = 0;
        sim::Blocker idle;  ///< no transaction to start (or stopped, or paused for FTWRL)
        sim::Blocker turn;  ///< waiting for the previous transaction to commit
        std::uint64_t seq = 0;
    };
    sim::Process primary();
    sim::Process applier();
    sim::Process worker(Worker& w);
    sim::Process remote_applier();
    bool may_start() const;
    void wake_idle();
    /// A transaction with primary timestamp `t` enters the relay log (now).
    void received(sim::Time t);
    void applied(sim::Time t);
    void stopped_by_error(server::Error e);
    sim::Time lag_at(sim::Time t) const { return relay_.empty() ? 0 : t - relay_.front(); }
    /// Closes every lag interval that ended at or before `t`.
    void advance_lag(sim::Time t);
    /// Takes the lag just before `t` (before the relay log changes at `t`) into the maxima.
    void observe_lag(sim::Time t);

    server::Server& server_;
    sim::Simulation& sim_;
    sim::Time duration_;
    ReplicaConfig cfg_;
    ReplicaResult result_;
    sim::RandomStream primary_rng_;
    sim::RandomStream apply_rng_;
    server::Statement update_;
    server::Server::SessionId session_ = 0;
    std::deque<sim::Time> relay_;  ///< primary commit times of received, unapplied transactions
    sim::Blocker idle_;            ///< the applier parks here when stopped or with nothing to do
    bool stopped_ = false;
    sim::Time stopped_since_ = 0;
    std::deque<Worker> workers_;   ///< parallel mode; stable addresses (Blockers live here)
    std::uint64_t committed_ = 0;  ///< relay-log transactions committed (= seq of the head)
    std::uint64_t next_seq_ = 0;   ///< the next transaction a worker starts
    std::uint64_t epoch_ = 0;      ///< bumped by a fatal error: later transactions roll back
    int ftwrl_pending_ = 0;        ///< FTWRL statements between starting and finished
    std::uint64_t pause_end_ = 0;  ///< while paused: transactions [0, pause_end_) may start
    bool started_ = false;
    bool finished_ = false;
    std::int64_t lag_index_ = 0;  ///< the lag interval being filled
    sim::Time lag_max_ = 0;       ///< its maximum so far
};

}  // namespace lockstage::models::topology
