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
    Time copy_time(double mb, int tables) const {
        return sim::add_saturating(
            sim::from_units_saturating(mb / cfg.throughput_mb_s, sim::kSecond),
            sim::mul_saturating(cfg.per_table, tables));
    }
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
    StartKiller,      ///< --kill-long-queries-timeout starts counting
    BinlogPosition,   ///< record the binlog position (under a lock that stops commits)
    ProtectNontrans,  ///< from here a lock of the backup blocks non-transactional writes
    ProtectDdl,       ///< from here DDL is blocked, or logged (ddl.log) and replayed
    Done,             ///< the copy is complete (what follows only releases locks)
};

struct Step {
    Op op;
    std::string_view text = {};
};

const std::vector<Step>& script(Strategy s) {
    static const std::vector<Step> stages = {
        {Op::Send, "BACKUP STAGE START"},
        // START begins ddl.log: DDL from now on is replayed
        // (docs/backup-stage.md#ddl-during-a-backup)
        {Op::ProtectDdl},
        {Op::CopyInnodb},
        {Op::CopyAria},
        {Op::Send, "BACKUP STAGE FLUSH"},
        {Op::ProtectNontrans},
        {Op::CopyNontrans, "non-transactional tables not in use"},
        {Op::WaitLongQueries},
        {Op::StartKiller},
        {Op::Send, "BACKUP STAGE BLOCK_DDL"},
        {Op::CopyFrm},
        {Op::WaitRedo},
        {Op::Send, "BACKUP STAGE BLOCK_COMMIT"},
        {Op::BinlogPosition, "copy log and statistics tables, record the binlog position"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "BACKUP STAGE END"},
    };
    static const std::vector<Step> legacy = {
        {Op::CopyInnodb},
        {Op::WaitLongQueries},
        {Op::Send, "BACKUP STAGE START"},
        {Op::Send, "BACKUP STAGE BLOCK_COMMIT"},  // the server runs FLUSH and BLOCK_DDL too
        {Op::ProtectNontrans},
        {Op::ProtectDdl},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB files (MyISAM, .frm ...)"},
        {Op::BinlogPosition, "record the binlog position"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "BACKUP STAGE END"},
    };
    static const std::vector<Step> ftwrl = {
        {Op::CopyInnodb},
        {Op::WaitLongQueries},
        {Op::StartKiller},
        {Op::Send, "FLUSH TABLES WITH READ LOCK"},
        {Op::ProtectNontrans},
        {Op::ProtectDdl},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB files (MyISAM, .frm ...)"},
        {Op::BinlogPosition, "record the binlog position"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "UNLOCK TABLES"},
    };
    static const std::vector<Step> no_lock = {
        {Op::CopyInnodb}, {Op::CopyAria}, {Op::CopyNontrans, "non-InnoDB files (MyISAM, .frm ...)"},
        {Op::WaitRedo},   {Op::Done},
    };
    static const std::vector<Step> lock_instance = {
        {Op::Send, "LOCK INSTANCE FOR BACKUP"},
        {Op::ProtectDdl},
        {Op::CopyInnodb},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB files (MyISAM, .frm ...)"},
        // performance_schema.log_status gives a consistent position without a lock (8.0)
        {Op::BinlogPosition, "read the binlog position from performance_schema.log_status"},
        {Op::WaitRedo},
        {Op::Done},
        {Op::Send, "UNLOCK INSTANCE"},
    };
    static const std::vector<Step> percona = {
        {Op::CopyInnodb},
        {Op::Send, "LOCK TABLES FOR BACKUP"},
        {Op::ProtectNontrans},
        {Op::ProtectDdl},
        {Op::CopyAria},
        {Op::CopyNontrans, "non-InnoDB files (MyISAM, .frm ...)"},
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
sim::Task<bool> phase(Impl& b, std::string_view what, Time d, bool copies = false) {
    const std::size_t row = b.trace.size();
    const Time began = b.sim().now();
    b.trace.push_back(server::TraceRow{b.index, "backup", ++b.seq, fmt::format("-- {}", what),
                                       began, std::nullopt});
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

/// Something the tool does at once, without a statement, traced as a row whose sql starts
/// with "--" (sent, granted and finished now).
void note(Impl& b, std::string_view what) {
    server::StatementResult r;
    r.sent = r.granted = r.finished = b.sim().now();
    b.trace.push_back(
        server::TraceRow{b.index, "backup", ++b.seq, fmt::format("-- {}", what), b.sim().now(), r});
}

/// mariadb-backup --ftwrl-wait-timeout: wait (polling every second) until no query has been
/// running longer than the threshold; give up after the timeout ("Unable to obtain lock").
sim::Task<bool> wait_for_long_queries(Impl& b) {
    if (!b.cfg.ftwrl_wait_timeout) {
        co_return true;
    }
    const Time began = b.sim().now();
    while (!b.server.running_since(b.sim().now() - b.cfg.ftwrl_wait_threshold, b.id).empty()) {
        const Time left = *b.cfg.ftwrl_wait_timeout - (b.sim().now() - began);
        if (left <= 0) {
            b.fail(
                "Unable to obtain lock. Please try again later. (long queries still running "
                "after --ftwrl-wait-timeout)");
            co_return false;
        }
        const bool waited =
            co_await phase(b, "wait for long queries to finish (--ftwrl-wait-timeout)",
                           std::min(sim::kSecond, left));
        if (!waited) {
            co_return false;
        }
    }
    co_return true;
}

/// --kill-long-queries-timeout: if the backup's lock request still waits after the timeout, the
/// statements blocking it are killed (KILL QUERY).
sim::Process killer(Impl& b, Time timeout) {
    co_await b.sim().sleep(timeout);
    for (const auto blocker : b.server.locks().blocking(b.id)) {
        b.server.kill_session(blocker, /*query_only=*/true);
    }
}

/// One step; false ends the backup.
sim::Task<bool> run_step(Impl& b, const Step& step) {
    bool ok = true;
    std::string what;
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
        case Op::StartKiller:
            if (b.cfg.kill_long_queries_timeout) {
                b.sim().spawn(killer(b, *b.cfg.kill_long_queries_timeout));
            }
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
    const std::string set_timeout =
        fmt::format("SET lock_wait_timeout = {}", sim::to_seconds(b.cfg.lock_wait_timeout));
    bool ok = co_await send(b, set_timeout);
    if (b.cfg.safe_slave_backup && b.replica != nullptr) {
        // STOP SLAVE SQL_THREAD before the first lock; Slave_open_temp_tables is 0 here.
        b.replica->stop_sql_thread();
    }
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
    if (b.cfg.safe_slave_backup && b.replica != nullptr) {
        b.replica->start_sql_thread();
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

sim::EventCosts estimate_events(const BackupConfig&) {
    return {{"", "the backup's steps", 50}};
}

}  // namespace lockstage::models::backup
