#pragma once
// The modelled MariaDB (or MySQL/Percona) server: tables, users, sessions and the statements
// they run, each taking its locks in the server's order (table metadata lock first, backup lock
// second), running for its execution time once granted, and releasing its statement locks.
// All lock behaviour comes from the LockManager and its mode tables; which lock each statement
// asks for, and in which order, comes from the flavour's LockPlan (lock_plan.cpp).
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "models/locks/lock_manager.hpp"
#include "models/server/flavor.hpp"
#include "models/server/lock_plan.hpp"
#include "models/server/sql.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/random.hpp"
#include "sim/kernel/resource.hpp"
#include "sim/kernel/simulation.hpp"

namespace lockstage::models::server {

enum class Engine { InnoDB, MyISAM, Aria, Memory, CSV, Archive };
/// Backup-safe engines (HA_CAN_ONLINE_BACKUPS: InnoDB, MEMORY, Aria with TRANSACTIONAL=1) take
/// MDL_BACKUP_TRANS_DML for writes, others MDL_BACKUP_DML
/// (docs/mdl-backup-namespace.md#who-takes-which-mode; which engines:
/// docs/backup-stage.md#backup-safe-engines). `transactional` is the Aria table option
/// TRANSACTIONAL (ignored for other engines).
bool backup_safe(Engine e, bool transactional = true);
/// How a write to the engine commits: in the transaction's commit (InnoDB), at the end of the
/// statement even inside a transaction (transactional Aria), or not at all (no commit lock:
/// MyISAM, MEMORY, CSV, ARCHIVE, non-transactional Aria).
enum class CommitKind { Transaction, Statement, None };
CommitKind commit_kind(Engine e, bool transactional = true);
/// Whether the engine takes InnoDB row locks (SELECT ... FOR UPDATE and writes on a hot row).
inline bool row_locking(Engine e) {
    return e == Engine::InnoDB;
}
std::optional<Engine> engine_from_name(std::string_view name);
std::string_view engine_names();

struct TableDef {
    std::string name;
    Engine engine = Engine::InnoDB;
    bool transactional = true;  ///< Aria's TRANSACTIONAL table option (the default is 1)
    bool backup_safe() const { return server::backup_safe(engine, transactional); }
};

struct UserDef {
    std::string name;
    std::set<std::string> privileges;  ///< e.g. "RELOAD", "BACKUP_ADMIN"
};

/// What a client sees of a statement: MariaDB's error name or "" on success.
enum class Error {
    None,
    LockWaitTimeout,          // 1205
    LockDeadlock,             // 1213
    SpecificAccessDenied,     // 1227
    ParseError,               // 1064
    BackupWrongStage,         // 4147
    BackupNotRunning,         // 4148
    CantUpdateWithReadlock,   // 1223: a conflicting read lock in the same session
    ConnectionKilled,         // 1927
    QueryInterrupted,         // 1317
    ServerGone,               // 2006 CR_SERVER_GONE_ERROR, on the client side
    NoSuchThread,             // 1094 KILL of an unknown session
    BackupLockIsActive,       // 4145: a write, DDL or FTWRL in the session running BACKUP STAGE
    TableNotLocked,           // 1100: under LOCK TABLES, a table it did not lock
    TableNotLockedForWrite,   // 1099: under LOCK TABLES, a write to a table locked READ
    LockOrActiveTransaction,  // 1192: FTWRL under LOCK TABLES
    AlterNotSupported,        // 1846: ALTER TABLE ... ALGORITHM=COPY, LOCK=NONE
    StatementTimeout,         // 1969: max_statement_time exceeded (docs/statement-timeout.md)
};
std::string_view error_name(Error e);

struct StatementResult {
    Error error = Error::None;
    sim::Time sent = 0;
    sim::Time granted = 0;  ///< when its last lock wait ended (= sent if it never waited)
    sim::Time finished = 0;
    sim::Time wait = 0;           ///< all time spent waiting for locks, commit lock included
    std::string_view wait_state;  ///< the state of its longest wait, "" if none
    sim::Time longest_wait = 0;
    /// The part of `wait` spent on the backup-related namespaces (BACKUP, GLOBAL, COMMIT, table
    /// flush, LOCK INSTANCE, LOCK TABLES FOR BACKUP): what a backup made this statement wait.
    sim::Time backup_wait = 0;
};

/// A session waiting for a lock (or at the Galera commit gate) at the moment of the snapshot.
struct WaitingSession {
    locks::OwnerId id;
    std::string_view state;  ///< its PROCESSLIST state, e.g. "Waiting for backup lock"
    StmtKind kind;           ///< the statement that waits
};

struct ServerConfig {
    Flavor flavor = Flavor::MariaDB1011;
    std::uint64_t seed = 1;
    /// Added to every commit of a read-write transaction (fsync), while MDL_BACKUP_COMMIT is held.
    sim::Distribution commit = sim::Distribution::constant(sim::micros(100));
    sim::Time default_lock_wait_timeout = sim::seconds(86400);
    /// How long an InnoDB row-lock wait lasts before ER_LOCK_WAIT_TIMEOUT (the sessions'
    /// default innodb_lock_wait_timeout; docs/row-locks.md#model).
    sim::Time innodb_lock_wait_timeout = sim::seconds(50);
    /// A statement's CPU demand is service on one of these cores (queueing when all are busy).
    int cpu_cores = 16;
    /// The share of a statement's execution time that is CPU demand (on a core); the rest is
    /// waiting off the CPU (I/O), after it. 1: all of it on a core.
    double cpu_share = 1.0;
    /// The redo log's fsync by a group-commit log writer, after `commit`: one fsync at a time,
    /// every commit that arrives during one waits for the next, which serves them all at once
    /// (docs/server-capacity.md#group-commit). Unset: none, each commit takes `commit` alone.
    std::optional<sim::Distribution> fsync;
    int max_connections = 151;
    /// MariaDB's max_statement_time, the sessions' default: a statement still running (or
    /// waiting for a lock) this long after it began is killed with ER_STATEMENT_TIMEOUT and
    /// rolled back; 0: off (docs/statement-timeout.md#what-the-model-does). A session's own
    /// value: Server::set_max_statement_time.
    sim::Time max_statement_time = 0;
};

/// The points of a session's backup locks where a Galera node pauses or resumes its provider.
enum class BackupLockEvent {
    FtwrlHeld,      ///< FLUSH TABLES WITH READ LOCK fully granted
    FtwrlReleased,  ///< UNLOCK TABLES, or the session gone, while holding FTWRL
    /// BACKUP STAGE BLOCK_DDL: running non-transactional writes are over (WAIT_FLUSH granted),
    /// the wait for running DDL (WAIT_DDL) comes next. backup_block_ddl() pauses a Galera node
    /// here.
    BlockDdlWaitingForDdl,
    BlockDdl,     ///< BACKUP STAGE BLOCK_DDL reached
    BlockCommit,  ///< BACKUP STAGE BLOCK_COMMIT reached
    BackupEnded,  ///< BACKUP STAGE END, or the session gone, while a backup stage was held
};

/// What the models attached to a server hear of it, and the one thing the server asks them.
/// Every method does nothing by default; a model overrides what it needs and registers with
/// Server::add_hooks. Hooks are called in registration order. The server does not own them.
///   - the backup actor listens to table changes (its consistency verdict);
///   - a Galera node listens to the backup-lock events (its provider pause) and closes the
///     commit gate;
///   - the workload listens to waits (its write-blocked time).
class ServerHooks {
  public:
    virtual ~ServerHooks() = default;
    /// A write statement runs on `table` (its locks granted).
    virtual void table_written(const TableDef& /*table*/, sim::Time /*at*/) {}
    /// A DDL statement runs on `table`.
    virtual void table_ddl(const TableDef& /*table*/, sim::Time /*at*/) {}
    /// A session reached or left a backup lock (see BackupLockEvent).
    virtual void backup_lock_event(locks::OwnerId /*session*/, BackupLockEvent /*e*/,
                                   sim::Time /*at*/) {}
    /// A session starts and stops waiting for a lock (or at the commit gate). Called around
    /// every lock request (one granted at once begins and ends its wait at the same instant),
    /// so they must be O(1).
    virtual void wait_began(locks::OwnerId /*session*/, StmtKind /*kind*/, sim::Time /*at*/) {}
    virtual void wait_ended(locks::OwnerId /*session*/, StmtKind /*kind*/, sim::Time /*at*/) {}
    /// The commit gate: consulted by every commit of a read-write transaction, BEFORE its commit
    /// lock (MDL_BACKUP_COMMIT / COMMIT IX) is requested. While any hook says false, the session
    /// waits (state "Waiting for certification", counted in the statement's wait) without
    /// holding the commit lock, so BACKUP STAGE BLOCK_COMMIT is not held up by it. Whoever closes
    /// the gate calls Server::commit_gate_opened() when it opens again.
    virtual bool commits_open() const { return true; }
    /// True if the session commits without the commit lock (plan.commit): a wsrep session on a
    /// Galera node, ha_commit_trans() `if (!WSREP(thd))` (docs/topologies.md#wsrep-commits).
    virtual bool skips_commit_lock(locks::OwnerId /*session*/) const { return false; }
    /// FLUSH TABLES WITH READ LOCK is about to take its locks, and has finished (its lock held or
    /// not): sql_parse.cc calls rpl_pause_for_ftwrl() and rpl_unpause_after_ftwrl() around
    /// reload_acl_and_cache() (docs/topologies.md#ftwrl-pauses-the-parallel-workers).
    virtual void ftwrl_starting(locks::OwnerId /*session*/, sim::Time /*at*/) {}
    virtual void ftwrl_finished(locks::OwnerId /*session*/, sim::Time /*at*/) {}
    /// The FTWRL gate: after ftwrl_starting, FTWRL waits ("Waiting for worker threads to pause
    /// for global read lock") before its first lock while any hook says false. Whoever closes it
    /// calls Server::gates_opened() when it opens.
    virtual bool ftwrl_may_lock() const { return true; }
    /// A read-write transaction committed (its fsync done); `began` is when the committing
    /// statement started, the timestamp its binlog events carry (Log_event::Log_event(): when =
    /// thd->start_time).
    virtual void transaction_committed(locks::OwnerId /*session*/, sim::Time /*began*/,
                                       sim::Time /*at*/) {}
};

class Server {
  public:
    using SessionId = locks::OwnerId;

    Server(sim::Simulation& sim, ServerConfig config, std::vector<TableDef> tables,
           std::vector<UserDef> users);

    /// Opens a session. `user` "" means a user with every privilege.
    SessionId connect(std::string name, std::string user = "");
    std::size_t connections() const { return sessions_.size(); }
    std::optional<SessionId> session_by_name(std::string_view name) const;

    /// Runs one statement on a session; `exec` is its execution time once its locks are granted
    /// (for ALTER TABLE, the copy phase).
    sim::Task<StatementResult> execute(SessionId id, Statement st, sim::Time exec);

    const FlavorTraits& flavor() const { return traits_; }
    /// Registers `hooks` (once; a second call does nothing); remove_hooks before it dies.
    void add_hooks(ServerHooks* hooks);
    void remove_hooks(ServerHooks* hooks);
    /// Commits (their fsync) take `factor` times longer, e.g. while a backup's copy competes for
    /// the disk (backup.io_contention); 1 restores them.
    void set_commit_slowdown(double factor) { commit_slowdown_ = factor; }
    /// Wakes the sessions waiting at the commit gate or the FTWRL gate (each checks again).
    void commit_gate_opened() { gates_opened(); }
    void gates_opened();
    /// KILL [QUERY] from outside a session (mariabackup's long-query killer, a scheduled kill).
    void kill_session(SessionId target, bool query_only) { kill(target, query_only); }
    /// The client closes its connection (a tool that exits): as DISCONNECT, the session's
    /// locks go at once and a backup stage or FTWRL it held ends. Nothing if already gone.
    void disconnect_session(SessionId id);
    /// The session's max_statement_time (0: off), from its next statement on: a client group's
    /// own value, or 0 for the sessions MariaDB exempts (a replica's applier threads, the
    /// backup tool's session; docs/statement-timeout.md#who-is-exempt).
    void set_max_statement_time(SessionId id, sim::Time t) {
        sessions_.at(id - 1).max_statement_time = t;
    }
    /// False once the session was killed or disconnected.
    bool connected(SessionId id) const { return !sessions_.at(id - 1).gone; }
    /// Sessions running a statement that started at or before `since` (other than `except`),
    /// oldest first: mariabackup's --ftwrl-wait-timeout looks for these.
    std::vector<SessionId> running_since(sim::Time since, SessionId except) const;
    const std::string& session_name(SessionId id) const { return sessions_.at(id - 1).name; }
    locks::LockManager& locks() { return locks_; }
    const locks::LockManager& locks() const { return locks_; }
    sim::Simulation& simulation() const { return sim_; }
    bool has_table(std::string_view name) const { return table_ids_.count(std::string(name)) > 0; }
    /// The engine of a table (InnoDB for a table the server does not know yet).
    Engine table_engine(std::string_view name) const;
    /// Whether writes to the table take MDL_BACKUP_TRANS_DML (true for an unknown table).
    bool table_backup_safe(std::string_view name) const;

    /// The sessions waiting right now, by session id: O(sessions), for samplers.
    std::vector<WaitingSession> waiting_sessions() const;
    /// The kind of the statement a session runs (or ran last), and whether one is in progress.
    StmtKind statement_kind(SessionId id) const { return sessions_.at(id - 1).kind; }
    bool busy(SessionId id) const { return sessions_.at(id - 1).busy; }
    std::size_t session_count() const { return sessions_.size(); }
    /// All time sessions spent waiting, by PROCESSLIST state, since the start (waits still in
    /// progress are not counted).
    const std::map<std::string_view, sim::Time>& wait_time_by_state() const {
        return wait_by_state_;
    }

  private:
    struct Session {
        std::string name;
        std::set<std::string> privileges;
        bool all_privileges = false;
        sim::Time lock_wait_timeout;
        sim::Time innodb_lock_wait_timeout;
        sim::Time max_statement_time = 0;  ///< 0: off
        /// The running statement's max_statement_time timer (none when off), and whether it
        /// fired: the kill is then pending until the statement reaches a point that notices
        /// it (a lock wait, its execution).
        sim::EventHandle statement_timer;
        bool timed_out = false;
        Server* server = nullptr;  ///< for the timer's action
        SessionId self = 0;
        bool in_transaction = false;
        bool read_write = false;  ///< the open transaction wrote to a backup-safe engine
        BackupStage stage = BackupStage::None;
        bool global_read_lock = false;  ///< holds FTWRL
        bool lock_instance = false;
        bool tables_for_backup = false;
        /// LOCK TABLES: the tables it locked (table id -> WRITE); empty outside LOCK TABLES.
        std::map<std::uint32_t, bool> locked_tables;
        bool gone = false;              ///< killed or disconnected
        bool statement_killed = false;  ///< the running statement was killed
        Error kill_error = Error::None;
        sim::Blocker exec;  ///< parked here while executing, so KILL can end it
        sim::Blocker gate;  ///< parked here while the commit gate is closed
        sim::Blocker log;   ///< parked here until the group fsync that covers its commit ends
        bool executing = false;
        bool busy = false;  ///< a statement is in progress (waiting or running)
        sim::Time statement_started = 0;
        StmtKind kind = StmtKind::Select;  ///< the statement in progress (or the last one)
        std::string_view waiting;          ///< the state while waiting for a lock, else ""
    };
    void wait_begins(Session& s, SessionId id, std::string_view state);
    void wait_ends(Session& s, SessionId id, std::string_view state, sim::Time waited,
                   bool backup_ns, StatementResult& r);
    /// The outcome of one lock request, with its wait recorded on the statement.
    /// With `from`, an upgrade of the session's `from` ticket on the key.
    sim::Task<bool> lock(Session& s, SessionId id, locks::LockKey key, locks::Mode mode,
                         locks::Duration d, StatementResult& r,
                         std::optional<locks::Mode> from = std::nullopt);
    /// Executes for `d` (on a CPU core when `on_cpu`); false if the statement was killed.
    sim::Task<bool> run_for(Session& s, sim::Time d, StatementResult& r, bool on_cpu = true);
    sim::Task<bool> commit(Session& s, SessionId id, StatementResult& r);
    /// Waits for a group fsync that covers this commit (ServerConfig::fsync).
    sim::Task<void> group_fsync(Session& s);
    /// The log writer starts an fsync for the commits in `fsync_group_`.
    void start_fsync();
    static void fsync_done(void* server);
    /// A commit's or an fsync's time under the commit slowdown (set_commit_slowdown).
    sim::Time slowed(sim::Time d) const;
    sim::Task<bool> dml(Session& s, SessionId id, const Statement& st, sim::Time exec,
                        StatementResult& r);
    sim::Task<bool> ddl(Session& s, SessionId id, const Statement& st, sim::Time exec,
                        StatementResult& r);
    /// DDL's table locks, and (MariaDB 10.4+) its backup lock with the MDEV-17772 back-off.
    sim::Task<bool> ddl_table_locks(Session& s, SessionId id,
                                    const std::vector<locks::LockKey>& keys, locks::Mode mode,
                                    StatementResult& r);
    /// ALTER TABLE once its locks are held: the phases of its algorithm.
    sim::Task<bool> alter_phases(Session& s, SessionId id, const Statement& st,
                                 locks::LockKey table, sim::Time exec, StatementResult& r);
    /// The table lock of an ALTER goes from `held` to `to` (waiting if `to` is stronger).
    sim::Task<bool> alter_table_lock(Session& s, SessionId id, locks::LockKey table,
                                     locks::Mode& held, locks::Mode to, StatementResult& r);
    sim::Task<bool> ftwrl(Session& s, SessionId id, StatementResult& r);
    sim::Task<bool> ftwrl_locks(Session& s, SessionId id, StatementResult& r);
    sim::Task<bool> lock_tables(Session& s, SessionId id, const Statement& st, StatementResult& r);
    /// Explicit locks of LOCK TABLES, in order; each key granted is appended to `held`.
    sim::Task<bool> lock_kept(Session& s, SessionId id, std::vector<locks::LockKey> keys,
                              locks::Mode mode, StatementResult& r,
                              std::vector<locks::LockKey>& held);
    /// Whether the statement may use its tables under the session's LOCK TABLES (error set
    /// in `r` if not); true outside LOCK TABLES.
    bool under_lock_tables_ok(const Session& s, const Statement& st, StatementResult& r);
    /// The statement's row lock (docs/row-locks.md#model); true if granted or none.
    sim::Task<bool> row_lock(Session& s, SessionId id, const Statement& st, std::uint32_t tid,
                             StatementResult& r);
    /// The commit lock and fsync of a durable commit (no check of read_write).
    sim::Task<bool> durable_commit(Session& s, SessionId id, StatementResult& r);
    sim::Task<bool> backup_stage(Session& s, SessionId id, BackupStage target, StatementResult& r);
    /// BACKUP STAGE BLOCK_DDL's upgrade to WAIT_DDL, with backup.cc's deadlock retries.
    sim::Task<bool> block_ddl_wait_ddl(Session& s, SessionId id, StatementResult& r);
    void unlock_tables(Session& s, SessionId id);
    /// Gives back the locks of LOCK TABLES (UNLOCK TABLES, BEGIN, a new LOCK TABLES).
    void release_locked_tables(Session& s, SessionId id);
    void end_transaction(Session& s, SessionId id);
    void end_backup(Session& s, SessionId id);
    void kill(SessionId target, bool query_only);
    /// Ends the session's current wait or execution with `error` (KILL QUERY's way): returns
    /// whether something was interrupted.
    bool interrupt(Session& t, SessionId target, Error error);
    /// The max_statement_time timer of a session fired (`session` is its Session).
    static void statement_time_exceeded(void* session);
    void notify(SessionId id, BackupLockEvent e);
    /// Whether every hook lets commits through.
    bool commits_open() const;
    bool ftwrl_may_lock() const;
    /// Waits in `state` while `open()` is false; false if the statement was killed meanwhile.
    template <typename Open>
    sim::Task<bool> pass_gate(Session& s, SessionId id, StatementResult& r, Open open,
                              std::string_view state);
    void disconnect(SessionId id);
    bool allowed(const Session& s, StmtKind kind) const;
    static bool commits_implicitly(StmtKind kind);
    std::uint32_t table_id(const std::string& name);
    locks::Duration table_duration(const Session& s) const;
    /// The lock duration of a plan step for this session.
    locks::Duration duration_of(const Session& s, Hold hold) const;

    sim::Simulation& sim_;
    ServerConfig config_;
    const FlavorTraits& traits_;
    const LockPlan& plan_;  ///< which locks each statement takes (lock_plan.cpp)
    locks::LockManager locks_;
    locks::LockManager rows_;  ///< InnoDB row locks (Ns::Row), apart from the MDL
    std::map<std::string, std::uint32_t> row_ids_;  ///< "table/row" -> row key object
    sim::RandomStream commit_rng_;
    sim::Resource cpu_;
    sim::RandomStream fsync_rng_;
    bool fsync_running_ = false;
    std::vector<sim::Blocker*> fsync_group_;  ///< the commits the running fsync covers
    std::vector<sim::Blocker*> next_group_;   ///< commits that came during it: the next group
    std::vector<ServerHooks*> hooks_;         ///< in registration order
    std::size_t waiting_count_ = 0;           ///< sessions whose `waiting` is set
    double commit_slowdown_ = 1.0;
    std::map<std::string_view, sim::Time> wait_by_state_;
    std::map<std::string, std::uint32_t> table_ids_;
    /// indexed by id - 1; a deque, so a CREATE TABLE of a new name (table_id) does not move the
    /// TableDefs a suspended statement or a hook still refers to
    std::deque<TableDef> tables_;
    std::map<std::string, std::set<std::string>> users_;
    std::deque<Session> sessions_;  ///< indexed by id - 1; stable addresses (Blockers live here)
};

}  // namespace lockstage::models::server
