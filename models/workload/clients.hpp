#pragma once
// Synthetic OLTP clients: groups of clients that share the server (the application, a separate
// log writer on MyISAM, a nightly batch). Each group has its own arrivals (open: Poisson at
// rate_tps or a time-varying rate profile; closed: a fixed number of clients with a think time),
// its own connection pool (a request waits for a free connection; waiting longer than
// client_timeout it gives up and counts as a timeout), and a weighted mix of transaction templates.
// DDL and long queries arrive on connections of their own. Statistics are streamed: histograms,
// timelines, the longest gap between commits; no request is kept.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "models/server/server.hpp"
#include "models/workload/write_blocked.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/rate_profile.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/stats/timeline.hpp"

namespace lockstage::models::workload {

/// One statement of a template. When `tables` is not empty, each run picks one of them
/// (uniformly) in place of the table the SQL names.
struct StatementTemplate {
    std::string sql;
    server::Statement statement;
    std::vector<std::string> tables;
    sim::Distribution exec = sim::Distribution::constant(sim::millis(1));
};

struct TransactionTemplate {
    std::string name;
    double weight = 1.0;
    /// Runs between BEGIN and COMMIT; otherwise each statement autocommits.
    bool explicit_transaction = false;
    std::vector<StatementTemplate> statements;
};

struct Arrivals {
    enum class Kind { Open, Closed } kind = Kind::Open;
    double rate_tps = 100.0;  ///< open
    /// open: a time-varying rate (a daily profile); empty: rate_tps all the time.
    sim::RateProfile profile;
    int clients = 1;                                           ///< closed
    sim::Distribution think = sim::Distribution::constant(0);  ///< closed
};

/// Occasional statements on connections of their own (DDL, long queries).
struct Occasional {
    double rate_per_h = 0.0;
    std::vector<StatementTemplate> statements;  ///< one picked uniformly per arrival
};

/// A transaction that failed in a way a client retries (Workload::retryable) runs again from its
/// start, up to `max` more times, after a pause drawn from `backoff`.
struct Retries {
    int max = 0;
    sim::Distribution backoff = sim::Distribution::constant(0);
};

struct GroupConfig {
    std::string name;
    Arrivals arrivals;
    int pool_size = 16;
    sim::Time client_timeout = sim::seconds(30);
    /// The group's connections' max_statement_time (0: off); unset: the server's.
    std::optional<sim::Time> max_statement_time;
    Retries retries;
    std::vector<TransactionTemplate> transactions;
    Occasional ddl;
    Occasional long_queries;
};

/// The classes of transactions latency is reported by: SELECT-only transactions, transactions
/// that wrote to backup-safe engines only (InnoDB), transactions that wrote to at least one
/// non-backup-safe table (MyISAM), and the group's occasional DDL statements.
enum class TxClass { Read, InnodbWrite, MyisamWrite, Ddl };
inline constexpr std::array<std::string_view, 4> kTxClassNames{"read", "innodb_write",
                                                               "myisam_write", "ddl"};

/// What one group's users felt (or all groups', see WorkloadResult::all).
struct GroupResult {
    std::string name;
    std::uint64_t arrived = 0;
    std::uint64_t completed = 0;   ///< transactions that ran to the end without error
    std::uint64_t failed = 0;      ///< ended with a server error (e.g. lock wait timeout)
    std::uint64_t timeouts = 0;    ///< gave up waiting for a pool connection
    std::uint64_t unfinished = 0;  ///< still waiting or running when the run ended
    std::uint64_t commits = 0;     ///< completed transactions that wrote
    /// Statements ended by ER_STATEMENT_TIMEOUT (max_statement_time), every attempt's.
    std::uint64_t statement_timeouts = 0;
    std::uint64_t retries = 0;  ///< attempts made again after a retryable failure
    /// ns, arrival to end, of every request that ended: completed, failed, timed out; and the
    /// unfinished ones with their time so far at the end of the run (a lower bound).
    stats::Histogram latency;
    /// The same, for the requests whose lifetime overlapped the backup window.
    stats::Histogram latency_backup;
    stats::Histogram pool_wait;  ///< ns waiting for a connection (requests that got one)
    stats::Timeline commits_per_interval;
    stats::Timeline completed_per_interval;
    stats::Timeline timeouts_per_interval;
    /// Completions in the backup window, per interval of the timeline's width counted from the
    /// window's start (the last one may be cut short by the window's end).
    std::vector<double> backup_completions;
    sim::Time longest_commit_gap = 0;  ///< the longest time without a commit (writes stopped)
    sim::Time longest_gap_start = 0;
    std::uint64_t ddl_sent = 0;
    std::uint64_t long_queries_sent = 0;
    std::int64_t max_pool_queue = 0;
    /// ns, arrival to end of completed transactions (DDL: the statement), by TxClass.
    std::array<stats::Histogram, 4> class_latency;
    /// The same, for those whose lifetime overlapped the backup window.
    std::array<stats::Histogram, 4> class_latency_backup;
    /// ns per transaction (completed or failed; DDL statements too) spent waiting for the
    /// backup-related locks (StatementResult::backup_wait).
    stats::Histogram blocked;
    /// The longest time the group committed nothing while at least one of its writes (INSERT,
    /// UPDATE, DELETE or COMMIT) was waiting for a lock, when it began, and the latency of the
    /// requests that overlapped it (WriteBlocked).
    sim::Time write_blocked = 0;
    sim::Time write_blocked_start = 0;
    stats::Histogram latency_blocked;
    /// Failed transactions (and DDL statements) by the MariaDB error name that ended them.
    std::map<std::string, std::uint64_t> errors;

    explicit GroupResult(std::string n = "", sim::Time interval = sim::kSecond)
        : name(std::move(n)),
          commits_per_interval(interval),
          completed_per_interval(interval),
          timeouts_per_interval(interval) {}
    /// Adds another group's counts, histograms and timelines (not the intervals found by
    /// watching the groups together: commit gaps and write-blocked time).
    void merge(const GroupResult& other);
};

/// Every group's figures, and all groups' together: the sums, and the commit gap and
/// write-blocked time of the groups watched as one (no group committed while a write waited).
struct WorkloadResult {
    std::vector<GroupResult> groups;
    GroupResult all;
};

class Workload : public server::ServerHooks {
  public:
    /// The failures a client retries (GroupConfig::retries): those after which running the
    /// transaction again from its start is safe and may succeed - ER_STATEMENT_TIMEOUT,
    /// ER_LOCK_WAIT_TIMEOUT and ER_LOCK_DEADLOCK (the statement, or for a deadlock the whole
    /// transaction, was rolled back) - and giving up on a pool connection after client_timeout
    /// (docs/statement-timeout.md#retries). Kills and refusals (privileges, parse errors, a
    /// backup lock held by the session) are not retried.
    static bool retryable(server::Error e) {
        return e == server::Error::StatementTimeout || e == server::Error::LockWaitTimeout ||
               e == server::Error::LockDeadlock;
    }

    Workload(server::Server& server, std::uint64_t seed, sim::Time duration, sim::Time interval,
             std::vector<GroupConfig> groups);
    ~Workload() override;
    Workload(const Workload&) = delete;
    Workload& operator=(const Workload&) = delete;

    /// Connects the pools and starts the arrival processes.
    void start();
    /// Closes the books at the end of the run (the gap up to the end counts; requests still in
    /// progress count as unfinished, with their time so far).
    WorkloadResult finish();
    /// The backup's window, filled in by the backup as it starts and ends: requests whose
    /// lifetime overlaps it count in the window figures. Without one there is no window.
    void set_backup_window(const sim::Interval* window) { window_ = window; }

    void wait_began(server::Server::SessionId session, server::StmtKind kind,
                    sim::Time at) override;
    void wait_ended(server::Server::SessionId session, server::StmtKind kind,
                    sim::Time at) override;

    struct Group;  // a group's running state (defined in clients.cpp)
    /// What must be watched as it happens (not summed afterwards): the gap between commits, the
    /// write-blocked intervals.
    struct Watch {
        WriteBlocked blocked;
        sim::Time last_commit = 0;
        sim::Time longest_gap = 0;
        sim::Time longest_gap_start = 0;
        void committed(sim::Time now);
        void finish(sim::Time end);
    };

  private:
    server::Server::SessionId connect(Group& g, std::string name);
    /// A wait that holds up a write: of an INSERT, UPDATE, DELETE or COMMIT.
    static bool is_write_wait(server::StmtKind k) {
        return k == server::StmtKind::Insert || k == server::StmtKind::Update ||
               k == server::StmtKind::Delete || k == server::StmtKind::Commit;
    }

    server::Server& server_;
    sim::Time duration_;
    sim::Time interval_;
    std::vector<std::unique_ptr<Group>> groups_;
    std::vector<Group*> group_of_;  ///< by session id; nullptr for sessions of no group
    const sim::Interval* window_ = nullptr;
    Watch all_;  ///< all groups watched as one
};

}  // namespace lockstage::models::workload
