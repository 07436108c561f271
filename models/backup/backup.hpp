#pragma once
// Backup actors: a session that sends lock statements and, in between, copies files. Each
// strategy is one readable script, in the real tool's order of work
// (docs/backup-tools.md#versions-at-a-glance, docs/backup-tools.md#percona-xtrabackup), and each
// stage lasts what the real tool spends there
// (docs/measured.md#stage-times-of-a-real-mariadb-backup): copies at `throughput_mb_s` plus a
// cost per table, and, where mariadb-backup must copy the redo log up to a point, a wait for the
// redo-log copier's next check-in (every `log_copy_interval`, counted from the start of the
// backup).
// Every statement and every copy phase becomes a row of the trace. The actor also judges the
// copy: whether it is consistent, and why not.
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/topology/replica.hpp"
#include "sim/kernel/event_cost.hpp"

namespace lockstage::models::backup {

enum class Strategy {
    MariabackupStages,   ///< mariadb-backup 10.11.8+: all five stages with work in each
    MariabackupLegacy,   ///< mariadb-backup 10.4 - 10.11.7: START + BLOCK_COMMIT back to back
    Ftwrl,               ///< xtrabackup / old mariabackup: FLUSH TABLES WITH READ LOCK
    NoLock,              ///< --no-lock, mysqldump --single-transaction: no server lock
    MysqlLockInstance,   ///< xtrabackup 8.0 on MySQL 8.0: LOCK INSTANCE FOR BACKUP
    PerconaBackupLocks,  ///< Percona: LOCK TABLES FOR BACKUP
};
std::optional<Strategy> strategy_from_name(std::string_view name);
std::string_view strategy_name(Strategy s);

/// --ftwrl-wait-query-type and --kill-long-query-type (ALL, UPDATE, SELECT): which running
/// statements the tool waits for, or kills (docs/backup-tools.md#long-query-options).
enum class QueryType { All, Update, Select };
std::optional<QueryType> query_type_from_name(std::string_view name);

/// The server flavours a strategy can run on, the one it runs on by default first; empty when
/// any will do (FTWRL and --no-lock exist everywhere). mariadb-backup's BACKUP STAGE needs
/// MariaDB 10.4+ (mariadb-10.11 here), LOCK INSTANCE FOR BACKUP MySQL 8.0 or Percona 8.0, LOCK
/// TABLES FOR BACKUP Percona 8.0 (docs/backup-tools.md#versions-at-a-glance,
/// docs/mdl-backup-namespace.md#mysql-lock-instance-for-backup,
/// docs/mdl-backup-namespace.md#percona-lock-tables-for-backup). The scenario loader refuses a
/// strategy on another flavour.
std::span<const server::Flavor> flavors_for(Strategy s);
/// The flavour a strategy runs on when compared on a scenario whose server is `scenario`: that
/// one if the strategy can run on it, else the first it can run on. `compare` runs each strategy
/// on it, so that one scenario compares strategies of different servers.
server::Flavor flavor_for(Strategy s, server::Flavor scenario);

/// The data being copied.
struct DataConfig {
    double innodb_mb = 1024;
    int innodb_tables = 100;
    double myisam_mb = 0;  ///< non-transactional (MyISAM, CSV, ARCHIVE ...)
    int myisam_tables = 0;
    double aria_mb = 0;
    int aria_tables = 0;
    bool binlog = true;      ///< the backup should record a binlog position (to seed a replica)
    double disk_mb_s = 600;  ///< the disk's bandwidth, for io_contention
    /// Redo log written per committed write to a backup-safe table; the redo copier must copy
    /// it, at throughput_mb_s, before a check-in can close a stage.
    double redo_kb_per_write = 2;
};

struct BackupConfig {
    Strategy strategy = Strategy::MariabackupStages;
    sim::Time start_at = 0;
    double throughput_mb_s = 450;
    sim::Time per_table = sim::micros(500);
    sim::Time log_copy_interval = sim::seconds(1);
    sim::Time lock_wait_timeout = sim::seconds(31536000);  ///< what mariadb-backup sets
    std::optional<sim::Time> ftwrl_wait_timeout;           ///< --ftwrl-wait-timeout
    sim::Time ftwrl_wait_threshold = sim::seconds(60);     ///< --ftwrl-wait-threshold
    QueryType ftwrl_wait_query_type = QueryType::All;      ///< --ftwrl-wait-query-type
    std::optional<sim::Time> kill_long_queries_timeout;    ///< --kill-long-queries-timeout
    QueryType kill_long_query_type = QueryType::Select;    ///< --kill-long-query-type
    std::optional<sim::Time> kill_at;                      ///< the backup is killed then
    std::string user;                                      ///< "" = every privilege
    bool ftwrl_on_missing_privilege = false;               ///< on_missing_privilege: "ftwrl"
    bool safe_slave_backup = false;                        ///< --safe-slave-backup
    /// While a copy runs, commits' fsync takes 1 / (1 - share) longer, share being the copy's
    /// part of the disk bandwidth (throughput_mb_s / disk_mb_s, at most 0.9).
    bool io_contention = false;
};

struct Inconsistency {
    std::string table;
    std::string reason;
};

struct BackupResult {
    std::string strategy;
    bool started = false;
    bool finished = false;  ///< ran to the end
    std::string failure;    ///< why it did not, "" if it did
    sim::Time began = 0;
    sim::Time ended = 0;
    bool over = false;  ///< its script ended (at `ended`); false: still running at the end
    bool binlog_position = false;  ///< recorded a binlog position under a lock that stops commits
    std::vector<Inconsistency> inconsistencies;  ///< empty: a consistent copy
    bool consistent() const { return finished && inconsistencies.empty(); }
};

/// Copying `mb` at the backup's throughput_mb_s plus per_table_ms for each of `tables`;
/// kForever (a copy that never ends) past the end of time.
sim::Time copy_time(const BackupConfig& cfg, double mb, int tables);
/// The time the backup's copy phases take at its configured throughput, without waiting for any
/// lock: the InnoDB, Aria and non-transactional files and the metadata files. `check` warns when
/// the backup cannot end before duration_s; without duration_s the run lasts about this long
/// after start_at_s.
sim::Time copy_estimate(const BackupConfig& cfg, const DataConfig& data);

/// What the backup's own steps cost in kernel events (sim/kernel/event_cost.hpp): a few dozen,
/// whatever the data (its copies are one sleep each). One term, key "" (the backup as a whole).
sim::EventCosts estimate_events(const BackupConfig& c);

class BackupActor : public server::ServerHooks {
  public:
    BackupActor(server::Server& server, BackupConfig config, DataConfig data,
                std::vector<server::TraceRow>& trace, std::size_t session_index);
    BackupActor(const BackupActor&) = delete;
    BackupActor& operator=(const BackupActor&) = delete;
    ~BackupActor() override;

    /// On a replica, --safe-slave-backup stops and restarts this applier's SQL thread.
    void set_replica(models::topology::ReplicaApplier* replica);
    void start();
    BackupResult finish();
    /// The backup's window [start, end of its last statement), filled in as it happens
    /// (kForever until then): what the workload's window figures overlap.
    const sim::Interval& window() const;

    void table_written(const server::TableDef& table, sim::Time at) override;
    void table_ddl(const server::TableDef& table, sim::Time at) override;

    struct Impl;  // the running script's state (backup.cpp)

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace lockstage::models::backup
