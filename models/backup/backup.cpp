#include "models/backup/backup.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <variant>

#include "models/server/sql.hpp"

namespace lockstage::models::backup {

using server::Error;
using server::Server;
using server::StmtKind;
using sim::Time;

namespace {

using server::Flavor;

constexpr std::array<Flavor, 1> kMariadb{Flavor::MariaDB1011};
constexpr std::array<Flavor, 2> kMysqlOrPercona{Flavor::MySQL80, Flavor::Percona80};
constexpr std::array<Flavor, 1> kPercona{Flavor::Percona80};

struct StrategyName {
    Strategy strategy;
    std::string_view name;
    std::span<const Flavor> flavors;  ///< empty: any
};
constexpr std::array<StrategyName, 6> kStrategies{{
    {Strategy::MariabackupStages, "mariabackup-stages", kMariadb},
    {Strategy::MariabackupLegacy, "mariabackup-legacy", kMariadb},
    {Strategy::Ftwrl, "ftwrl", {}},
    {Strategy::NoLock, "no-lock", {}},
    {Strategy::MysqlLockInstance, "mysql-lock-instance", kMysqlOrPercona},
    {Strategy::PerconaBackupLocks, "percona-backup-locks", kPercona},
}};

server::Statement parse(std::string_view sql) {
    return std::get<server::Statement>(server::parse_sql(sql));
}

}  // namespace

std::optional<Strategy> strategy_from_name(std::string_view name) {
    for (const auto& s : kStrategies) {
        if (s.name == name) {
            return s.strategy;
        }
    }
    return std::nullopt;
}

std::string_view strategy_name(Strategy s) {
    return kStrategies[static_cast<std::size_t>(s)].name;
}

std::optional<QueryType> query_type_from_name(std::string_view name) {
    if (name == "all") {
        return QueryType::All;
    }
    if (name == "update") {
        return QueryType::Update;
    }
    if (name == "select") {
        return QueryType::Select;
    }
    return std::nullopt;
}

std::span<const Flavor> flavors_for(Strategy s) {
    return kStrategies[static_cast<std::size_t>(s)].flavors;
}

Flavor flavor_for(Strategy s, Flavor scenario) {
    const std::span<const Flavor> flavors = flavors_for(s);
    if (flavors.empty() || std::find(flavors.begin(), flavors.end(), scenario) != flavors.end()) {
        return scenario;
    }
    return flavors.front();
}

/// The running backup: its session, its clock for the redo-log copier, and what it has protected.
struct BackupActor::Impl {
    Server& server;
    BackupConfig cfg;
    DataConfig data;
    std::vector<server::TraceRow>& trace;
    std::size_t index;
    Server::SessionId id = 0;
    std::size_t seq = 0;
    BackupResult result;
    sim::Interval window;
    Time t0 = 0;  ///< the redo-log copier started then
    bool killed = false;
    sim::Blocker copying;  ///< parked here during a copy phase, so a kill can end it
    // Consistency: when the copy of non-transactional tables began, whether a lock of the backup
    // blocks their writes, whether DDL is blocked or logged (ddl.log), and whether it is over.
    Time nontrans_copy_began = sim::kForever;
    bool nontrans_protected = false;
    bool ddl_protected = false;
    bool copying_started = false;
    bool over = false;
    std::map<std::string, std::string> inconsistent;  ///< table -> reason (first one)
    models::topology::ReplicaApplier* replica = nullptr;
    std::uint64_t redo_writes = 0;  ///< writes to backup-safe tables since the backup began
    std::uint64_t killer = 0;       ///< the running query killer's number, 0 = none running
    std::uint64_t killers = 0;      ///< query killers started so far
    bool slave_stopped = false;     ///< --safe-slave-backup stopped the replica's SQL thread

    Impl(Server& s, BackupConfig c, DataConfig d, std::vector<server::TraceRow>& t, std::size_t i)
        : server(s), cfg(std::move(c)), data(d), trace(t), index(i) {
        result.strategy = std::string(strategy_name(cfg.strategy));
    }
    sim::Simulation& sim() { return server.simulation(); }
    void fail(std::string why) {
        if (result.failure.empty()) {
            result.failure = std::move(why);
        }
    }
    /// Size / throughput + per_table x tables; kForever (a copy that never ends) past the end of
    /// time (1,000,000 GB at a tiny throughput, 10^7 tables at 1,000 s each).
    Time copy_time(double mb, int tables) const { return backup::copy_time(cfg, mb, tables); }
};

namespace {

using Impl = BackupActor::Impl;

// --- The scripts ---------------------------------------------------------------------------------
// Each strategy is a list of steps, in the tool's order of work
// (docs/backup-tools.md#versions-at-a-glance, docs/backup-tools.md#percona-xtrabackup; how long
// each stage lasts: docs/measured.md#stage-times-of-a-real-mariadb-backup).

enum class Op {
    Send,        ///< a statement; the backup fails if it fails
    CopyInnodb,  ///< the .ibd files: throughput + per_table_ms per table
    CopyAria,
    CopyNontrans,     ///< MyISAM and other non-transactional tables
    CopyFrm,          ///< .frm and small metadata files: a tenth of per_table_ms per table
    WaitRedo,         ///< until the redo-log copier's next check-in
    WaitLongQueries,  ///< --ftwrl-wait-timeout, before the first blocking lock
    SetLockWait,      ///< with --ftwrl-wait-timeout: SET lock_wait_timeout to it
    ResetLockWait,    ///< with --ftwrl-wait-timeout: SET lock_wait_timeout back
    StartKiller,      ///< --kill-long-queries-timeout starts counting
    StopKiller,       ///< the lock statements are through: the query killer stops
    StopSlave,        ///< --safe-slave-backup: STOP SLAVE SQL_THREAD
    BinlogPosition,   ///< record the binlog position (under a lock that stops commits)
    ProtectNontrans,  ///< from here a lock of the backup blocks non-transactional writes
    ProtectDdl,       ///< from here DDL is blocked, or logged (ddl.log) and replayed
    Done,             ///< the copy is complete (what follows only releases locks)
};

struct Step {
    Op op;
    std::string_view text = {};
    bool if_nontrans = false;  ///< only when the data has non-InnoDB tables
};

const std::vector<Step>& script(Strategy s) {
    // mariadb-backup 10.11.8+: --safe-slave-backup stops the SQL thread before START (observed on
    // 10.11.19, docs/backup-tools.md#safe-slave-backup). Where its --ftwrl-wait-timeout and
    // --kill-long-queries-timeout act was not read in code: as lock_tables() does, around the
    // stages that block (docs/backup-tools.md#mariadb-backup-10118-and-later).
    static const std::vector<Step> stages = {
        {Op::StopSlave},
        {Op::Send, "BACKUP STAGE START"},
        // START begins ddl.log: DDL from now on is replayed
        // (docs/backup-stage.md#ddl-during-a-backup)
        {Op::ProtectDdl},
        {Op::CopyInnodb},
        {Op::CopyAria},
        {Op::Send, "BACKUP STAGE FLUSH"},
        {Op::ProtectNontrans},
        {Op::CopyNontrans, "non-transactional tables not in use"},
        {Op::SetLockWait},
        {Op::WaitLongQueries},
        {Op::StartKiller},
        {Op::Send, "BACKUP STAGE BLOCK_DDL"},
        {Op::CopyFrm},
        {Op::WaitRedo},
        {Op::Send, "BACKUP STAGE BLOCK_COMMIT"},
        {Op::ResetLockWait},
        {Op::StopKiller},
        {Op::BinlogPosition, "copy log and statistics tables, record the binlog position"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "BACKUP STAGE END"},
    };
    // mariadb-backup 10.4 - 10.11.7: backup_start() after the InnoDB copy: STOP SLAVE
    // SQL_THREAD, then lock_tables() (SET lock_wait_timeout, wait_for_no_updates(), the query
    // killer, START + BLOCK_COMMIT, SET back, killer stopped), then backup_files() copies every
    // table's .frm, .opt ... and the MyISAM files under the lock
    // (docs/backup-tools.md#mariadb-backup-104-to-10117,
    // docs/backup-tools.md#files-copied-under-the-lock).
    static const std::vector<Step> legacy = {
        {Op::CopyInnodb},
        {Op::StopSlave},
        {Op::SetLockWait},
        {Op::WaitLongQueries},
        {Op::StartKiller},
        {Op::Send, "BACKUP STAGE START"},
        {Op::Send, "BACKUP STAGE BLOCK_COMMIT"},  // the server runs FLUSH and BLOCK_DDL too
        {Op::ResetLockWait},
        {Op::StopKiller},
        {Op::ProtectNontrans},
        {Op::ProtectDdl},
        {Op::CopyFrm},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB tables (MyISAM, CSV, ARCHIVE ...)"},
        {Op::BinlogPosition, "record the binlog position"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "BACKUP STAGE END"},
    };
    // mariadb-backup 10.3 and earlier (and XtraBackup 2.4): the same order with FTWRL
    // (docs/backup-tools.md#mariadb-backup-103-and-earlier).
    static const std::vector<Step> ftwrl = {
        {Op::CopyInnodb},
        {Op::StopSlave},
        {Op::SetLockWait},
        {Op::WaitLongQueries},
        {Op::StartKiller},
        {Op::Send, "FLUSH TABLES WITH READ LOCK"},
        {Op::ResetLockWait},
        {Op::StopKiller},
        {Op::ProtectNontrans},
        {Op::ProtectDdl},
        {Op::CopyFrm},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB tables (MyISAM, CSV, ARCHIVE ...)"},
        {Op::BinlogPosition, "record the binlog position"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "UNLOCK TABLES"},
    };
    // --no-lock: the same files, no lock; the SQL thread is stopped only after the copy
    // (backup_start(), docs/backup-tools.md#safe-slave-backup).
    static const std::vector<Step> no_lock = {
        {Op::CopyInnodb}, {Op::CopyFrm},
        {Op::CopyAria},   {Op::CopyNontrans, "non-InnoDB tables (MyISAM, CSV, ARCHIVE ...)"},
        {Op::WaitRedo},   {Op::StopSlave},
        {Op::Done},
    };
    // XtraBackup 8.0 on MySQL 8.0 (--lock-ddl, on by default): LOCK INSTANCE FOR BACKUP at the
    // start; after the InnoDB copy lock_tables_maybe() takes FTWRL if there are non-InnoDB
    // tables (lock_tables_ftwrl(): wait_for_no_updates(), the query killer); UNLOCK INSTANCE,
    // then UNLOCK TABLES (docs/backup-tools.md#percona-xtrabackup-80).
    static const std::vector<Step> lock_instance = {
        {Op::StopSlave},
        {Op::Send, "LOCK INSTANCE FOR BACKUP"},
        {Op::ProtectDdl},
        {Op::CopyInnodb},
        {Op::WaitLongQueries, {}, true},
        {Op::StartKiller, {}, true},
        {Op::Send, "FLUSH TABLES WITH READ LOCK", true},
        {Op::StopKiller, {}, true},
        {Op::ProtectNontrans, {}, true},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB tables (MyISAM, CSV, ARCHIVE ...)"},
        // performance_schema.log_status gives a consistent position without a lock (8.0)
        {Op::BinlogPosition, "read the binlog position from performance_schema.log_status"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "UNLOCK INSTANCE"},
        {Op::Send, "UNLOCK TABLES", true},
    };
    // XtraBackup 8.0 on Percona Server 8.0: LOCK TABLES FOR BACKUP at the start, held for the
    // whole copy; lock_tables_maybe() then has nothing to do
    // (docs/backup-tools.md#percona-xtrabackup-80).
    static const std::vector<Step> percona = {
        {Op::StopSlave},
        {Op::Send, "LOCK TABLES FOR BACKUP"},
        {Op::ProtectNontrans},
        {Op::ProtectDdl},
        {Op::CopyInnodb},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB tables (MyISAM, CSV, ARCHIVE ...)"},
        {Op::BinlogPosition, "read the binlog position from performance_schema.log_status"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "UNLOCK TABLES"},
    };
    switch (s) {
        case Strategy::MariabackupStages:
            return stages;
        case Strategy::MariabackupLegacy:
            return legacy;
        case Strategy::Ftwrl:
            return ftwrl;
        case Strategy::NoLock:
            return no_lock;
        case Strategy::MysqlLockInstance:
            return lock_instance;
        case Strategy::PerconaBackupLocks:
            break;
    }
    return percona;
}

// --- Running a script
// ----------------------------------------------------------------------------- (Text arguments are
// views of literals or of named strings: g++ 12 mishandles temporaries with destructors that live
// across a co_await, and co_await inside && and || chains.)

/// `SET lock_wait_timeout = <t>` with t in plain decimal seconds, exact to the nanosecond:
/// fmt's shortest form writes 1e-05, which the SQL parser (a word of digits and a dot) refuses.
std::string set_lock_wait(sim::Time t) {
    const sim::Time whole = t / sim::kSecond;
    std::string out = fmt::format("SET lock_wait_timeout = {}", whole);
    if (const sim::Time ns = t % sim::kSecond; ns != 0) {
        std::string frac = fmt::format("{:09}", ns);
        frac.erase(frac.find_last_not_of('0') + 1);
        out += "." + frac;
    }
    return out;
}

/// Sends one statement; false (and the backup fails) on an error.
sim::Task<bool> send(Impl& b, std::string_view sql) {
    const std::size_t row = b.trace.size();
    b.trace.push_back(server::TraceRow{b.index, "backup", ++b.seq, std::string(sql), b.sim().now(),
                                       std::nullopt});
    const server::Statement statement = parse(sql);
    const server::StatementResult r = co_await b.server.execute(b.id, statement, 0);
    b.trace[row].result = r;
    if (r.error != Error::None) {
        b.fail(fmt::format("{}: {}", sql, server::error_name(r.error)));
        co_return false;
    }
    co_return true;
}

/// A phase of work without a statement (copying files, waiting for the redo copier), traced as a
/// row whose sql starts with "--". Ends early if the backup is killed.
/// Goes on with the phase of trace row `row` for `d` more: the row ends when this part does.
sim::Task<bool> continue_phase(Impl& b, std::size_t row, Time d, bool copies = false) {
    const Time began = b.trace[row].sent;
    const bool contends = b.cfg.io_contention && copies && d > 0;
    if (contends) {
        const double share = std::min(0.9, b.cfg.throughput_mb_s / b.data.disk_mb_s);
        b.server.set_commit_slowdown(1.0 / (1.0 - share));
    }
    if (!b.killed) {
        co_await b.sim().block(b.copying, d);
    }
    if (contends) {
        b.server.set_commit_slowdown(1.0);
    }
    server::StatementResult r;
    r.sent = r.granted = began;
    r.finished = b.sim().now();
    if (b.killed) {
        r.error = Error::ConnectionKilled;
    }
    b.trace[row].result = r;
    co_return !b.killed;
}

/// A phase of `d` traced as one row "-- what".
sim::Task<bool> phase(Impl& b, std::string_view what, Time d, bool copies = false) {
    const std::size_t row = b.trace.size();
    b.trace.push_back(server::TraceRow{b.index, "backup", ++b.seq, fmt::format("-- {}", what),
                                       b.sim().now(), std::nullopt});
    co_return co_await continue_phase(b, row, d, copies);
}

/// Something the tool does at once, without a statement, traced as a row whose sql starts
/// with "--" (sent, granted and finished now).
void note(Impl& b, std::string_view what) {
    server::StatementResult r;
    r.sent = r.granted = r.finished = b.sim().now();
    b.trace.push_back(
        server::TraceRow{b.index, "backup", ++b.seq, fmt::format("-- {}", what), b.sim().now(), r});
}

/// What the tool's SHOW PROCESSLIST filters match (backup_mysql.cc is_query(),
/// is_update_query(), is_select_query(); docs/backup-tools.md#long-query-options): "all" takes
/// any query (INSERT, UPDATE, DELETE, ALTER, SELECT, BEGIN ...; not CREATE, DROP, FLUSH,
/// BACKUP ...); otherwise --ftwrl-wait-query-type takes only updates and --kill-long-query-type
/// only SELECTs, whatever the type named.
bool is_query(StmtKind k) {
    return k == StmtKind::Select || k == StmtKind::Insert || k == StmtKind::Update ||
           k == StmtKind::Delete || k == StmtKind::AlterTable || k == StmtKind::Begin;
}
bool is_update_query(StmtKind k) {
    return k == StmtKind::Insert || k == StmtKind::Update || k == StmtKind::Delete ||
           k == StmtKind::AlterTable;
}

/// The sessions running, since `since` or earlier, a statement the filter takes: for the wait,
/// (all and a query) or an update (have_queries_to_wait_for()); for the killer, (all and a
/// query) or a SELECT (kill_long_queries()).
std::vector<Server::SessionId> long_queries(const Impl& b, Time since, QueryType type,
                                            bool for_kill) {
    std::vector<Server::SessionId> out;
    for (const auto id : b.server.running_since(since, b.id)) {
        const StmtKind k = b.server.statement_kind(id);
        if ((type == QueryType::All && is_query(k)) ||
            (for_kill ? k == StmtKind::Select : is_update_query(k))) {
            out.push_back(id);
        }
    }
    return out;
}

/// mariadb-backup --ftwrl-wait-timeout: wait (polling every second) until no query of
/// --ftwrl-wait-query-type has been running longer than the threshold; give up after the
/// timeout ("Unable to obtain lock").
sim::Task<bool> wait_for_long_queries(Impl& b) {
    if (!b.cfg.ftwrl_wait_timeout) {
        co_return true;
    }
    const Time began = b.sim().now();
    // The polls, a second apart, are one trace row, its text counting them.
    std::optional<std::size_t> row;
    int polls = 0;
    while (!long_queries(b, b.sim().now() - b.cfg.ftwrl_wait_threshold, b.cfg.ftwrl_wait_query_type,
                         false)
                .empty()) {
        const Time left = *b.cfg.ftwrl_wait_timeout - (b.sim().now() - began);
        if (left <= 0) {
            b.fail(
                "Unable to obtain lock. Please try again later. (long queries still running "
                "after --ftwrl-wait-timeout)");
            co_return false;
        }
        const Time d = std::min(sim::kSecond, left);
        ++polls;
        if (!row) {
            row = b.trace.size();
            b.trace.push_back(
                server::TraceRow{b.index, "backup", ++b.seq, "", b.sim().now(), std::nullopt});
        }
        b.trace[*row].sql =
            fmt::format("-- wait for long queries to finish (--ftwrl-wait-timeout){}",
                        polls == 1 ? "" : fmt::format(", {} polls a second apart", polls));
        b.trace[*row].result.reset();  // running again
        const bool waited = co_await continue_phase(b, *row, d);
        if (!waited) {
            co_return false;
        }
    }
    co_return true;
}

/// --kill-long-queries-timeout (kill_query_thread(), kill_long_queries()): started just before
/// the lock statements, it waits the timeout, then once a second, until the lock statements are
/// through, sends KILL <id> (the connection, not KILL QUERY) to every session whose query of
/// --kill-long-query-type has run at least as long as the killer: blocker of the lock or not.
sim::Process killer(Impl& b, Time timeout, std::uint64_t number) {
    const Time started = b.sim().now();
    co_await b.sim().sleep(timeout);
    while (b.killer == number) {
        for (const auto id : long_queries(b, started, b.cfg.kill_long_query_type, true)) {
            note(b, fmt::format("KILL {} (--kill-long-queries-timeout: its {} has run since "
                                "before the query killer started)",
                                b.server.session_name(id),
                                server::kind_name(b.server.statement_kind(id))));
            b.server.kill_session(id, /*query_only=*/false);
        }
        co_await b.sim().sleep(sim::kSecond);
    }
}

/// --safe-slave-backup (wait_for_safe_slave()): STOP SLAVE SQL_THREAD; the replica has no
/// temporary tables here, so Slave_open_temp_tables is 0 at once.
void stop_slave(Impl& b) {
    if (b.cfg.safe_slave_backup && b.replica != nullptr && !b.slave_stopped) {
        note(b, "STOP SLAVE SQL_THREAD (--safe-slave-backup)");
        b.replica->stop_sql_thread();
        b.slave_stopped = true;
    }
}

/// One step; false ends the backup.
sim::Task<bool> run_step(Impl& b, const Step& step) {
    bool ok = true;
    std::string what;
    if (step.if_nontrans && b.data.myisam_tables == 0 && b.data.myisam_mb <= 0) {
        co_return true;  // have_unsafe_ddl_tables is false: lock_tables_maybe() takes no lock
    }
    switch (step.op) {
        case Op::Send:
            ok = co_await send(b, step.text);
            break;
        case Op::CopyInnodb:
            b.copying_started = true;
            what = fmt::format("copy InnoDB files ({:.1f} MB, {} tables)", b.data.innodb_mb,
                               b.data.innodb_tables);
            ok = co_await phase(b, what, b.copy_time(b.data.innodb_mb, b.data.innodb_tables), true);
            break;
        case Op::CopyAria:
            if (b.data.aria_tables > 0 || b.data.aria_mb > 0) {
                what = fmt::format("copy Aria files ({:.1f} MB, {} tables)", b.data.aria_mb,
                                   b.data.aria_tables);
                ok = co_await phase(b, what, b.copy_time(b.data.aria_mb, b.data.aria_tables), true);
            }
            break;
        case Op::CopyNontrans:
            b.nontrans_copy_began = b.sim().now();
            what = fmt::format("copy {} ({:.1f} MB, {} tables)", step.text, b.data.myisam_mb,
                               b.data.myisam_tables);
            ok = co_await phase(b, what, b.copy_time(b.data.myisam_mb, b.data.myisam_tables), true);
            break;
        case Op::CopyFrm: {
            const int tables = b.data.innodb_tables + b.data.myisam_tables + b.data.aria_tables;
            what = fmt::format("copy .frm and other metadata files ({} tables)", tables);
            const Time frm = sim::mul_saturating(b.cfg.per_table, tables);
            ok = co_await phase(b, what, frm == sim::kForever ? frm : frm / 10);
            break;
        }
        case Op::WaitRedo: {
            // The copier checks in every log_copy_interval from the start of the backup; a stage
            // that needs the redo log copied up to now ends on the next check-in once the redo
            // written since the start (redo_kb_per_write per write) has been copied.
            const double redo_mb =
                static_cast<double>(b.redo_writes) * b.data.redo_kb_per_write / 1024.0;
            const Time copied = sim::add_saturating(
                b.t0, sim::from_units_saturating(redo_mb / b.cfg.throughput_mb_s, sim::kSecond));
            const Time since = std::max(b.sim().now(), copied) - b.t0;
            const Time interval = b.cfg.log_copy_interval;
            // The next check-in, or never when the redo cannot be copied before the end of time.
            const Time next = since / interval + 1 > (sim::kForever - b.t0) / interval
                                  ? sim::kForever
                                  : b.t0 + (since / interval + 1) * interval;
            ok = co_await phase(b, "wait for the redo log copier's next check-in",
                                next == sim::kForever ? next : next - b.sim().now());
            break;
        }
        case Op::WaitLongQueries:
            ok = co_await wait_for_long_queries(b);
            break;
        case Op::SetLockWait:
            // lock_tables(): SET SESSION lock_wait_timeout = --ftwrl-wait-timeout for the lock
            // statements, back to the tool's value after them
            // (docs/backup-tools.md#session-setup).
            if (b.cfg.ftwrl_wait_timeout) {
                what = set_lock_wait(*b.cfg.ftwrl_wait_timeout);
                ok = co_await send(b, what);
            }
            break;
        case Op::ResetLockWait:
            if (b.cfg.ftwrl_wait_timeout) {
                what = set_lock_wait(b.cfg.lock_wait_timeout);
                ok = co_await send(b, what);
            }
            break;
        case Op::StartKiller:
            if (b.cfg.kill_long_queries_timeout) {
                b.killer = ++b.killers;
                b.sim().spawn(killer(b, *b.cfg.kill_long_queries_timeout, b.killer));
            }
            break;
        case Op::StopKiller:
            b.killer = 0;
            break;
        case Op::StopSlave:
            stop_slave(b);
            break;
        case Op::BinlogPosition:
            b.result.binlog_position = true;
            ok = co_await phase(b, step.text, 0);
            break;
        case Op::ProtectNontrans:
            b.nontrans_protected = true;
            break;
        case Op::ProtectDdl:
            b.ddl_protected = true;
            break;
        case Op::Done:
            b.over = true;
            break;
    }
    co_return ok;
}

sim::Task<bool> run_script(Impl& b, Strategy s) {
    for (const Step& step : script(s)) {
        const bool ok = co_await run_step(b, step);
        if (!ok) {
            co_return false;
        }
    }
    co_return true;
}

sim::Process backup_process(Impl& b) {
    co_await b.sim().sleep_until(b.cfg.start_at);
    b.result.started = true;
    b.result.began = b.t0 = b.window.begin = b.sim().now();
    // mariadb-backup's session set-up: a lock_wait_timeout of a year unless told otherwise.
    bool ok = co_await send(b, set_lock_wait(b.cfg.lock_wait_timeout));
    if (ok) {
        ok = co_await run_script(b, b.cfg.strategy);
    }
    if (!ok && !b.killed && b.cfg.ftwrl_on_missing_privilege && b.cfg.strategy != Strategy::Ftwrl &&
        b.result.failure.find("ER_SPECIFIC_ACCESS_DENIED_ERROR") != std::string::npos) {
        // The tutorial's "falls back to FTWRL", offered only when asked for (FTWRL needs RELOAD
        // too, so without it this fails as well).
        b.result.failure.clear();
        ok = co_await run_script(b, Strategy::Ftwrl);
    }
    b.killer = 0;
    if (b.slave_stopped) {
        // backup_release(): START SLAVE SQL_THREAD after the locks are released.
        note(b, "START SLAVE SQL_THREAD (--safe-slave-backup)");
        b.replica->start_sql_thread();
        b.slave_stopped = false;
    }
    if (!ok && !b.killed) {
        // A failed step ends the tool (mariadb-backup dies on a statement's error, or on
        // "Unable to obtain lock"): its connection closes, so the server gives back whatever
        // stage, FTWRL or backup lock it held, at once, as a kill does.
        note(b, "exit: the tool failed; its connection closes");
        b.server.disconnect_session(b.id);
    }
    b.result.finished = ok && !b.killed;
    b.result.ended = b.window.end = b.sim().now();
    b.result.over = true;
    b.over = true;
}

sim::Process kill_process(Impl& b, Time at) {
    co_await b.sim().sleep_until(at);
    if (b.over || !b.result.started) {
        co_return;
    }
    b.killed = true;
    b.fail(fmt::format("killed at {} s", sim::to_seconds(at)));
    b.server.kill_session(b.id, /*query_only=*/false);  // its locks go at once
    b.sim().wake(b.copying, 1);
}

}  // namespace

BackupActor::BackupActor(Server& server, BackupConfig config, DataConfig data,
                         std::vector<server::TraceRow>& trace, std::size_t session_index)
    : impl_(std::make_unique<Impl>(server, std::move(config), data, trace, session_index)) {}

BackupActor::~BackupActor() {
    impl_->server.remove_hooks(this);
}

void BackupActor::set_replica(models::topology::ReplicaApplier* replica) {
    impl_->replica = replica;
}

void BackupActor::start() {
    Impl& b = *impl_;
    b.id = b.server.connect("backup", b.cfg.user);
    // xb_mysql_connect(): "SET SESSION wait_timeout=2147483, max_statement_time=0" on every
    // connection of the tool, so no max_statement_time ends its lock statements
    // (docs/statement-timeout.md#who-is-exempt).
    b.server.set_max_statement_time(b.id, 0);
    b.server.add_hooks(this);
    b.sim().spawn(backup_process(b));
    if (b.cfg.kill_at) {
        b.sim().spawn(kill_process(b, *b.cfg.kill_at));
    }
}

void BackupActor::table_written(const server::TableDef& table, Time at) {
    Impl& b = *impl_;
    if (table.backup_safe() && b.result.started && !b.over) {
        ++b.redo_writes;
    }
    if (table.backup_safe() || b.over || b.nontrans_protected || at < b.nontrans_copy_began) {
        return;
    }
    b.inconsistent.emplace(table.name,
                           "written while its copy was running, and no lock of the "
                           "backup blocked writes to it");
}

void BackupActor::table_ddl(const server::TableDef& table, Time) {
    Impl& b = *impl_;
    if (!b.copying_started || b.over || b.ddl_protected) {
        return;
    }
    b.inconsistent.emplace(table.name,
                           "DDL during the copy, with no BLOCK_DDL (or equivalent) in force");
}

const sim::Interval& BackupActor::window() const {
    return impl_->window;
}

BackupResult BackupActor::finish() {
    Impl& b = *impl_;
    BackupResult r = b.result;
    if (!b.over && r.started) {
        // Still at work when the run ended (a copy longer than the run): it ran until now, and
        // the failure names the step it was in.
        r.ended = b.sim().now();
        if (r.failure.empty()) {
            r.failure = "still running when the simulation ended";
            for (auto row = b.trace.rbegin(); row != b.trace.rend(); ++row) {
                if (row->session_index == b.index) {
                    if (!row->result) {
                        const std::string_view sql = row->sql;
                        r.failure +=
                            fmt::format(", in: {}", sql.substr(sql.starts_with("-- ") ? 3 : 0));
                    }
                    break;
                }
            }
        }
    }
    for (const auto& [table, reason] : b.inconsistent) {
        r.inconsistencies.push_back(Inconsistency{table, reason});
    }
    if (r.finished && b.data.binlog && !r.binlog_position) {
        r.inconsistencies.push_back(
            Inconsistency{"(binlog)",
                          "no binlog position was recorded under a lock that stops commits: the "
                          "backup cannot seed a replica"});
    }
    return r;
}

Time copy_time(const BackupConfig& cfg, double mb, int tables) {
    return sim::add_saturating(sim::from_units_saturating(mb / cfg.throughput_mb_s, sim::kSecond),
                               sim::mul_saturating(cfg.per_table, tables));
}

Time copy_estimate(const BackupConfig& cfg, const DataConfig& data) {
    // The copy phases of run(): Op::CopyInnodb (with the Aria files), Op::CopyNontrans, and
    // Op::CopyFrm (a tenth of per_table_ms per table).
    const int tables = data.innodb_tables + data.myisam_tables + data.aria_tables;
    const Time frm = sim::mul_saturating(cfg.per_table, tables);
    Time t = frm == sim::kForever ? frm : frm / 10;
    t = sim::add_saturating(t, copy_time(cfg, data.innodb_mb, data.innodb_tables));
    t = sim::add_saturating(t, copy_time(cfg, data.aria_mb, data.aria_tables));
    return sim::add_saturating(t, copy_time(cfg, data.myisam_mb, data.myisam_tables));
}

sim::EventCosts estimate_events(const BackupConfig&) {
    return {{"", "the backup's steps", 50}};
}

}  // namespace lockstage::models::backup
