#pragma once
// Node 1 of a 3-node Galera cluster, where the backup runs (docs/topologies.md#galera and
// docs/measured.md#replicas-and-galera-observed). The modelled server::Server is node 1; this
// class adds its wsrep provider: the write-sets the other two nodes commit and node 1's applier,
// and the provider pause the backup locks cause.
//
// Simplifications (each one deliberate):
// - The other nodes' commits are ONE Poisson stream at cluster_rate_tps; each write-set enters
//   node 1's receive queue the moment it is committed (no network delay, no group ordering).
// - Node 1's applier is one process that applies the queue in order, apply_ms per write-set
//   (wsrep_slave_threads=1). Appliers are brute-force (BF) threads, which skip BACKUP-namespace
//   MDL checks, so it is NOT run through server::Server::execute: it takes no lock, no CPU core and
//   no session, and never conflicts with local transactions (no certification failures, no BF
//   aborts). wsrep_mode=BF_ABORT_MARIABACKUP only moves the BACKUP STAGE pause (below).
// - The receive queue counts write-sets received and not yet applied, the one being applied
//   included (like the replica's relay backlog).
// - Provider pause: FTWRL pauses right after FTWRL2 is granted and resumes at UNLOCK TABLES or
//   when the session goes; BACKUP STAGE pauses inside BLOCK_DDL, once running non-transactional
//   writes are over and before it waits for running DDL (at BLOCK_COMMIT with
//   bf_abort_mariabackup), and resumes at END or when the session goes (also when BLOCK_DDL
//   failed after pausing). The node is always SYNCED
//   before a pause (no DONOR state, no SST). Several sessions holding pausing locks at once give
//   one pause, from the first hold to the last release. A write-set being applied when the pause
//   starts finishes; no further one starts until resume.
// - While paused, every local commit of a read-write transaction waits ("Waiting for
//   certification"); see ServerHooks::commits_open in server.hpp. Local sessions are wsrep
//   sessions, so their commits take no MDL_BACKUP_COMMIT (ha_commit_trans()): FTWRL and
//   BLOCK_COMMIT never wait for a local commit, and a local commit never waits for them; the
//   provider pause is what stops local commits. TOI DDL
//   is not modelled (DDL runs as on a standalone server).
// - Desync (desync: true, what mariabackup and FTWRL do): the node desyncs when it pauses and
//   sends no flow control; it is Synced again once, after resume, its receive queue is empty
//   (the catch-up). With desync: false it stays Synced and flow control is approximated: when
//   the receive queue exceeds fc_limit (gcs.fc_limit) the whole cluster stops committing (the
//   stream pauses; by memorylessness it restarts with a fresh gap) until the queue drains below
//   fc_limit / 2 (gcs.fc_factor 0.5). Node 1's own local commits also wait during a stall.
//   No eviction (keepalives go on during a pause), no gcache, no IST.
// Memory: a counter for the queue; the timeline grows with duration / interval.
#include <cstdint>
#include <set>
#include <utility>
#include <vector>

#include "models/server/server.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/random.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sim/stats/timeline.hpp"

namespace lockstage::models::topology {

struct GaleraConfig {
    double cluster_rate_tps = 200;  ///< write-sets committed on the other nodes, Poisson (> 0)
    /// Time node 1's applier takes per write-set.
    sim::Distribution apply = sim::Distribution::constant(sim::micros(200));
    int fc_limit = 16;                  ///< gcs.fc_limit (>= 1)
    bool desync = true;                 ///< desync before pausing (no flow control from node 1)
    bool bf_abort_mariabackup = false;  ///< wsrep_mode=BF_ABORT_MARIABACKUP: pause at BLOCK_COMMIT
    /// Width of the intervals of GaleraResult::queue_max_per_interval (> 0).
    sim::Time queue_sample_interval = sim::kSecond;
};

/// What the receive stream costs in kernel events (sim/kernel/event_cost.hpp): 3 a write-set
/// (its arrival, the applier's wake-up, its apply). Key "cluster_rate_tps".
sim::EventCosts estimate_events(const GaleraConfig& c, sim::Time duration);

struct GaleraResult {
    std::uint64_t received = 0;  ///< write-sets that reached node 1's receive queue
    std::uint64_t applied = 0;   ///< write-sets node 1 applied
    std::uint64_t pauses = 0;    ///< provider pauses begun
    sim::Time pause_total = 0;   ///< time paused (up to the end of the run)
    /// Each pause: begin and end (the end of the run if still paused then).
    std::vector<std::pair<sim::Time, sim::Time>> pause_intervals;
    std::uint64_t peak_receive_queue = 0;
    sim::Time peak_receive_queue_at = 0;  ///< when first reached
    std::uint64_t stalls = 0;             ///< flow-control stops of the cluster
    sim::Time cluster_stall_total = 0;    ///< time flow control stopped the cluster
    /// Per interval of queue_sample_interval: the largest receive queue in it (exact).
    stats::Timeline queue_max_per_interval;

    explicit GaleraResult(sim::Time interval) : queue_max_per_interval(interval) {}
};

class GaleraNode : public server::ServerHooks {
  public:
    /// Throws std::invalid_argument for a rate <= 0, fc_limit < 1 or an interval <= 0.
    GaleraNode(server::Server& server, std::uint64_t seed, sim::Time duration, GaleraConfig c);
    GaleraNode(const GaleraNode&) = delete;
    GaleraNode& operator=(const GaleraNode&) = delete;
    ~GaleraNode() override;

    /// Attaches to the server (its hooks: the commit gate, the backup lock events) and starts the
    /// other nodes' stream and the applier. Call once, before running the simulation.
    void start();

    bool paused() const { return paused_; }
    bool desynced() const { return desynced_; }
    bool cluster_stalled() const { return stalled_; }
    std::uint64_t receive_queue() const { return queue_; }

    bool commits_open() const override { return !paused_ && !stalled_; }
    /// Every local session is a wsrep session (wsrep_on=ON): ha_commit_trans() takes no
    /// MDL_BACKUP_COMMIT for it (docs/topologies.md#wsrep-commits).
    bool skips_commit_lock(locks::OwnerId) const override { return true; }
    void backup_lock_event(locks::OwnerId session, server::BackupLockEvent e,
                           sim::Time at) override;

    /// Closes the books at `duration`. Further calls return the same result.
    GaleraResult finish();

  private:
    sim::Process cluster();
    sim::Process applier();
    void hold(locks::OwnerId session);
    void release(locks::OwnerId session);
    void set_queue(std::uint64_t n);
    void advance(sim::Time t);  ///< closes every queue interval that ended at or before t
    void stall();
    void unstall();
    void maybe_open_gate();

    server::Server& server_;
    sim::Simulation& sim_;
    sim::Time duration_;
    GaleraConfig cfg_;
    GaleraResult result_;
    sim::RandomStream cluster_rng_;
    sim::RandomStream apply_rng_;
    std::set<locks::OwnerId> holders_;  ///< sessions holding a pausing backup lock
    std::uint64_t queue_ = 0;
    bool paused_ = false;
    bool desynced_ = false;
    bool stalled_ = false;
    sim::Time paused_since_ = 0;
    sim::Time stalled_since_ = 0;
    sim::Blocker applier_idle_;
    sim::Blocker cluster_idle_;
    bool started_ = false;
    bool finished_ = false;
    std::int64_t index_ = 0;  ///< the queue interval being filled
    std::uint64_t max_ = 0;   ///< its maximum so far
};

}  // namespace lockstage::models::topology
