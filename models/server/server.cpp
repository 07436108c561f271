#include "models/server/server.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <stdexcept>

namespace lockstage::models::server {

using locks::Duration;
using locks::LockKey;
using locks::LockResult;
using locks::Ns;

namespace {

// The locks of the statements only one flavour has (BACKUP STAGE, LOCK INSTANCE FOR BACKUP,
// LOCK TABLES FOR BACKUP); every other statement's come from the flavour's LockPlan.
constexpr LockKey kBackup{Ns::Backup, 0};
constexpr LockKey kInstance{Ns::InstanceBackup, 0};
constexpr LockKey kTablesBackup{Ns::TablesBackup, 0};

/// A plan step's key: a Table-namespace key stands for the statement's table `tid`.
LockKey key_of(const LockStep& step, std::uint32_t tid) {
    return step.key.ns == Ns::Table ? LockKey{Ns::Table, tid} : step.key;
}

/// A list of one key (no initializer list inside a coroutine: g++ 12 rejects some).
std::vector<LockKey> one(LockKey key) {
    std::vector<LockKey> v;
    v.push_back(key);
    return v;
}

/// Whether a step between `j` and `failed` (exclusive) holds the same key as step `j`, so that
/// giving back the locks of a failed sequence releases each key once.
bool held_by_later(const LockSteps& steps, std::size_t j, std::size_t failed) {
    for (std::size_t k = j + 1; k < failed; ++k) {
        if (steps[k].hold != Hold::Momentary && steps[k].key == steps[j].key) {
            return true;
        }
    }
    return false;
}

// backup_safe: the handler sets HA_CAN_ONLINE_BACKUPS (docs/backup-stage.md#backup-safe-engines):
// InnoDB; MEMORY (storage/heap/ha_heap.h ha_heap::table_flags); Aria only when born
// transactional with page checksums (storage/maria/ha_maria.cc ha_maria::open; page checksums
// are on by default, so TRANSACTIONAL=1 decides). commit: InnoDB commits with the transaction;
// transactional Aria at the end of each statement, taking MDL_BACKUP_COMMIT even inside a
// transaction (mysql-test/main/backup_lock.result; docs/backup-stage.md#aria-commits);
// the others have no commit (HA_NO_TRANSACTIONS).
struct EngineInfo {
    Engine engine;
    std::string_view name;
    bool backup_safe;
    CommitKind commit;
};
constexpr std::array<EngineInfo, 6> kEngines{{
    {Engine::InnoDB, "InnoDB", true, CommitKind::Transaction},
    {Engine::MyISAM, "MyISAM", false, CommitKind::None},
    {Engine::Aria, "Aria", true, CommitKind::Statement},  // TRANSACTIONAL=1 (the default)
    {Engine::Memory, "MEMORY", true, CommitKind::None},
    {Engine::CSV, "CSV", false, CommitKind::None},
    {Engine::Archive, "ARCHIVE", false, CommitKind::None},
}};

}  // namespace

bool backup_safe(Engine e, bool transactional) {
    return kEngines[static_cast<std::size_t>(e)].backup_safe &&
           (e != Engine::Aria || transactional);
}

CommitKind commit_kind(Engine e, bool transactional) {
    return e == Engine::Aria && !transactional ? CommitKind::None
                                               : kEngines[static_cast<std::size_t>(e)].commit;
}

std::optional<Engine> engine_from_name(std::string_view name) {
    for (const auto& e : kEngines) {
        if (e.name.size() == name.size() &&
            std::equal(name.begin(), name.end(), e.name.begin(), [](char a, char b) {
                return std::tolower(static_cast<unsigned char>(a)) ==
                       std::tolower(static_cast<unsigned char>(b));
            })) {
            return e.engine;
        }
    }
    return std::nullopt;
}

std::string_view engine_names() {
    return "InnoDB, MyISAM, Aria, MEMORY, CSV, ARCHIVE";
}

std::string_view error_name(Error e) {
    switch (e) {
        case Error::None:
            return "";
        case Error::LockWaitTimeout:
            return "ER_LOCK_WAIT_TIMEOUT";
        case Error::LockDeadlock:
            return "ER_LOCK_DEADLOCK";
        case Error::SpecificAccessDenied:
            return "ER_SPECIFIC_ACCESS_DENIED_ERROR";
        case Error::ParseError:
            return "ER_PARSE_ERROR";
        case Error::BackupWrongStage:
            return "ER_BACKUP_WRONG_STAGE";
        case Error::BackupNotRunning:
            return "ER_BACKUP_NOT_RUNNING";
        case Error::CantUpdateWithReadlock:
            return "ER_CANT_UPDATE_WITH_READLOCK";
        case Error::ConnectionKilled:
            return "ER_CONNECTION_KILLED";
        case Error::QueryInterrupted:
            return "ER_QUERY_INTERRUPTED";
        case Error::ServerGone:
            return "CR_SERVER_GONE_ERROR";
        case Error::NoSuchThread:
            return "ER_NO_SUCH_THREAD";
        case Error::BackupLockIsActive:
            return "ER_BACKUP_LOCK_IS_ACTIVE";
        case Error::AlterNotSupported:
            return "ER_ALTER_OPERATION_NOT_SUPPORTED_REASON";
        case Error::TableNotLocked:
            return "ER_TABLE_NOT_LOCKED";
        case Error::TableNotLockedForWrite:
            return "ER_TABLE_NOT_LOCKED_FOR_WRITE";
        case Error::LockOrActiveTransaction:
            return "ER_LOCK_OR_ACTIVE_TRANSACTION";
        case Error::StatementTimeout:
            return "ER_STATEMENT_TIMEOUT";
    }
    return "?";
}

Server::Server(sim::Simulation& sim, ServerConfig config, std::vector<TableDef> tables,
               std::vector<UserDef> users)
    : sim_(sim),
      config_(std::move(config)),
      traits_(traits(config_.flavor)),
      plan_(lock_plan(config_.flavor)),
      locks_(sim),
      rows_(sim),
      commit_rng_(config_.seed, "server/commit"),
      cpu_(sim, config_.cpu_cores),
      fsync_rng_(config_.seed, "server/fsync") {
    for (auto& t : tables) {
        const std::string name = t.name;
        tables_.push_back(std::move(t));
        table_ids_[name] = static_cast<std::uint32_t>(tables_.size());
    }
    for (auto& u : users) {
        users_[u.name] = std::move(u.privileges);
    }
}

Server::SessionId Server::connect(std::string name, std::string user) {
    Session& s = sessions_.emplace_back();
    s.name = std::move(name);
    s.lock_wait_timeout = config_.default_lock_wait_timeout;
    s.innodb_lock_wait_timeout = config_.innodb_lock_wait_timeout;
    s.max_statement_time = config_.max_statement_time;
    s.server = this;
    s.self = static_cast<SessionId>(sessions_.size());
    if (user.empty()) {
        s.all_privileges = true;
    } else if (auto it = users_.find(user); it != users_.end()) {
        s.privileges = it->second;
    }
    return static_cast<SessionId>(sessions_.size());
}

std::optional<Server::SessionId> Server::session_by_name(std::string_view name) const {
    for (std::size_t i = 0; i < sessions_.size(); ++i) {
        if (sessions_[i].name == name) {
            return static_cast<SessionId>(i + 1);
        }
    }
    return std::nullopt;
}

std::vector<Server::SessionId> Server::running_since(sim::Time since, SessionId except) const {
    std::vector<std::pair<sim::Time, SessionId>> found;
    for (std::size_t i = 0; i < sessions_.size(); ++i) {
        const Session& s = sessions_[i];
        const auto id = static_cast<SessionId>(i + 1);
        if (id != except && s.busy && !s.gone && s.statement_started <= since) {
            found.emplace_back(s.statement_started, id);
        }
    }
    std::sort(found.begin(), found.end());
    std::vector<SessionId> out;
    for (const auto& f : found) {
        out.push_back(f.second);
    }
    return out;
}

std::uint32_t Server::table_id(const std::string& name) {
    if (auto it = table_ids_.find(name); it != table_ids_.end()) {
        return it->second;
    }
    tables_.push_back(TableDef{name, Engine::InnoDB});  // CREATE TABLE of a new name
    return table_ids_[name] = static_cast<std::uint32_t>(tables_.size());
}

Duration Server::table_duration(const Session& s) const {
    return s.in_transaction ? Duration::Transaction : Duration::Statement;
}

Duration Server::duration_of(const Session& s, Hold hold) const {
    switch (hold) {
        case Hold::Table:
            return table_duration(s);
        case Hold::Explicit:
            return Duration::Explicit;
        case Hold::Statement:
        case Hold::Momentary:
            break;
    }
    return Duration::Statement;
}

bool Server::allowed(const Session& s, StmtKind kind) const {
    const std::string_view priv = required_privilege(traits_, kind);
    return priv.empty() || s.all_privileges || s.privileges.count(std::string(priv)) > 0;
}

sim::Task<bool> Server::lock(Session& s, SessionId id, LockKey key, locks::Mode mode, Duration d,
                             StatementResult& r, std::optional<locks::Mode> from) {
    const sim::Time t0 = sim_.now();
    const std::string_view state = locks::mode_table(key.ns).wait_state;
    // Row locks live apart from the MDL and wait innodb_lock_wait_timeout.
    const bool row = key.ns == Ns::Row;
    if (s.timed_out) {
        // max_statement_time passed while the statement was between waits: the kill is
        // noticed here, before it waits again (MDL_wait::timed_wait checks is_killed() first).
        r.error = Error::StatementTimeout;
        co_return false;
    }
    locks::LockManager& m = row ? rows_ : locks_;
    const sim::Time timeout = row ? s.innodb_lock_wait_timeout : s.lock_wait_timeout;
    wait_begins(s, id, state);
    const LockResult res = from ? co_await m.upgrade(id, key, *from, mode, d, timeout)
                                : co_await m.acquire(id, key, mode, d, timeout);
    wait_ends(s, id, state, sim_.now() - t0, key.ns != Ns::Table && !row, r);
    switch (res) {
        case LockResult::Granted:
            co_return true;
        case LockResult::Timeout:
            r.error = Error::LockWaitTimeout;
            break;
        case LockResult::Deadlock:
            r.error = Error::LockDeadlock;
            break;
        case LockResult::Killed:
            r.error = s.kill_error;
            break;
    }
    co_return false;
}

void Server::wait_begins(Session& s, SessionId id, std::string_view state) {
    waiting_count_ += s.waiting.empty() ? 1 : 0;
    s.waiting = state;
    for (ServerHooks* h : hooks_) {
        h->wait_began(id, s.kind, sim_.now());
    }
}

void Server::wait_ends(Session& s, SessionId id, std::string_view state, sim::Time waited,
                       bool backup_ns, StatementResult& r) {
    waiting_count_ -= s.waiting.empty() ? 0 : 1;
    s.waiting = {};
    for (ServerHooks* h : hooks_) {
        h->wait_ended(id, s.kind, sim_.now());
    }
    if (waited <= 0) {
        return;
    }
    r.wait += waited;
    r.granted = sim_.now();
    if (backup_ns) {
        r.backup_wait += waited;
    }
    if (waited > r.longest_wait) {
        r.longest_wait = waited;
        r.wait_state = state;
    }
    wait_by_state_[state] += waited;
}

Engine Server::table_engine(std::string_view name) const {
    if (auto it = table_ids_.find(std::string(name)); it != table_ids_.end()) {
        return tables_[it->second - 1].engine;
    }
    return Engine::InnoDB;
}

bool Server::table_backup_safe(std::string_view name) const {
    if (auto it = table_ids_.find(std::string(name)); it != table_ids_.end()) {
        return tables_[it->second - 1].backup_safe();
    }
    return true;
}

std::vector<WaitingSession> Server::waiting_sessions() const {
    std::vector<WaitingSession> out;
    if (waiting_count_ == 0) {
        return out;  // the common case, without a scan of every session
    }
    for (std::size_t i = 0; i < sessions_.size(); ++i) {
        if (!sessions_[i].waiting.empty()) {
            out.push_back(WaitingSession{static_cast<SessionId>(i + 1), sessions_[i].waiting,
                                         sessions_[i].kind});
        }
    }
    return out;
}

sim::Task<bool> Server::run_for(Session& s, sim::Time d, StatementResult& r, bool on_cpu) {
    // CPU demand first, on a core (FIFO: the catch-up rate after a block, cores / CPU per
    // statement, is the same under processor sharing; docs/server-capacity.md#cpu-demand), then
    // the rest off the CPU. With cpu_share 1 that rest is 0 and no second wait is made.
    const sim::Time cpu =
        !on_cpu ? 0
        : config_.cpu_share >= 1.0
            ? d
            : static_cast<sim::Time>(std::llround(static_cast<double>(d) * config_.cpu_share));
    if (on_cpu) {
        co_await cpu_.acquire();
        if (s.timed_out) {  // max_statement_time passed while it queued for a core
            cpu_.release();
            r.error = Error::StatementTimeout;
            co_return false;
        }
        s.executing = true;
        const int res = co_await sim_.block(s.exec, cpu);
        s.executing = false;
        cpu_.release();
        if (res != sim::Blocker::kTimedOut) {
            r.error = s.kill_error;
            co_return false;
        }
        if (cpu == d) {
            co_return true;
        }
    }
    if (s.timed_out) {
        r.error = Error::StatementTimeout;
        co_return false;
    }
    s.executing = true;
    const int res = co_await sim_.block(s.exec, d - cpu);
    s.executing = false;
    if (res == sim::Blocker::kTimedOut) {
        co_return true;  // ran to completion
    }
    r.error = s.kill_error;
    co_return false;
}

void Server::gates_opened() {
    for (auto& s : sessions_) {
        if (s.gate.waiting()) {
            sim_.wake(s.gate, 0);
        }
    }
}

void Server::add_hooks(ServerHooks* hooks) {
    if (std::find(hooks_.begin(), hooks_.end(), hooks) == hooks_.end()) {
        hooks_.push_back(hooks);
    }
}

void Server::remove_hooks(ServerHooks* hooks) {
    hooks_.erase(std::remove(hooks_.begin(), hooks_.end(), hooks), hooks_.end());
}

void Server::notify(SessionId id, BackupLockEvent e) {
    for (ServerHooks* h : hooks_) {
        h->backup_lock_event(id, e, sim_.now());
    }
}

bool Server::commits_open() const {
    for (const ServerHooks* h : hooks_) {
        if (!h->commits_open()) {
            return false;
        }
    }
    return true;
}

bool Server::ftwrl_may_lock() const {
    for (const ServerHooks* h : hooks_) {
        if (!h->ftwrl_may_lock()) {
            return false;
        }
    }
    return true;
}

template <typename Open>
sim::Task<bool> Server::pass_gate(Session& s, SessionId id, StatementResult& r, Open open,
                                  std::string_view state) {
    if (open()) {
        co_return true;
    }
    if (s.timed_out) {
        r.error = Error::StatementTimeout;
        co_return false;
    }
    const sim::Time t0 = sim_.now();
    wait_begins(s, id, state);
    int res = 0;
    while (!open() && res != 1) {
        res = co_await sim_.block(s.gate);
    }
    wait_ends(s, id, state, sim_.now() - t0, false, r);
    if (res == 1) {
        r.error = s.kill_error;
        co_return false;
    }
    co_return true;
}

sim::Task<bool> Server::commit(Session& s, SessionId id, StatementResult& r) {
    if (!s.read_write) {
        co_return true;
    }
    s.read_write = false;
    co_return co_await durable_commit(s, id, r);
}

sim::Task<bool> Server::durable_commit(Session& s, SessionId id, StatementResult& r) {
    if (!co_await pass_gate(
            s, id, r, [this] { return commits_open(); }, "Waiting for certification")) {
        co_return false;
    }
    bool skip_lock = false;
    for (const ServerHooks* h : hooks_) {
        skip_lock = skip_lock || h->skips_commit_lock(id);
    }
    for (const LockStep& step : skip_lock ? LockSteps{} : plan_.commit) {
        const bool ok = co_await lock(s, id, step.key, step.mode, duration_of(s, step.hold), r);
        if (!ok) {
            co_return false;
        }
    }
    const sim::Time fsync = slowed(config_.commit.sample(commit_rng_));
    if (!co_await run_for(s, fsync, r, /*on_cpu=*/false)) {
        co_return false;
    }
    if (config_.fsync) {
        co_await group_fsync(s);
    }
    for (ServerHooks* h : hooks_) {
        h->transaction_committed(id, s.statement_started, sim_.now());
    }
    co_return true;
}

sim::Time Server::slowed(sim::Time d) const {
    return commit_slowdown_ == 1.0
               ? d
               : static_cast<sim::Time>(std::llround(static_cast<double>(d) * commit_slowdown_));
}

sim::Task<void> Server::group_fsync(Session& s) {
    // InnoDB's log_write_up_to(): one fsync at a time; a commit whose log is not yet durable
    // waits for the fsync in progress to end, and the next one covers every commit that came
    // meanwhile (docs/server-capacity.md#group-commit). The wait cannot be killed: the commit
    // is already written.
    (fsync_running_ ? next_group_ : fsync_group_).push_back(&s.log);
    if (!fsync_running_) {
        start_fsync();
    }
    co_await sim_.block(s.log);
}

void Server::start_fsync() {
    fsync_running_ = true;
    sim_.schedule(slowed(config_.fsync->sample(fsync_rng_)),
                  sim::Action{&Server::fsync_done, this});
}

void Server::fsync_done(void* server) {
    auto& self = *static_cast<Server*>(server);
    for (sim::Blocker* b : self.fsync_group_) {
        self.sim_.wake(*b, 0);
    }
    self.fsync_group_.swap(self.next_group_);
    self.next_group_.clear();
    self.fsync_running_ = false;
    if (!self.fsync_group_.empty()) {
        self.start_fsync();
    }
}

void Server::end_transaction(Session& s, SessionId id) {
    s.in_transaction = false;
    s.read_write = false;
    locks_.release_duration(id, Duration::Transaction);
    rows_.release_duration(id, Duration::Transaction);
}

sim::Task<bool> Server::dml(Session& s, SessionId id, const Statement& st, sim::Time exec,
                            StatementResult& r) {
    const bool write = st.is_write();
    const std::uint32_t tid = st.tables.empty() ? 0 : table_id(st.tables.front());
    const TableDef* table = tid ? &tables_[tid - 1] : nullptr;
    // Under LOCK TABLES the tables are open and locked already: no new metadata lock
    // (sql_base.cc open_table(), docs/lock-tables.md#under-lock-tables).
    if (tid != 0 && s.locked_tables.empty()) {
        const LockSteps& steps = !st.opens_for_write()  ? plan_.dml_read
                                 : table->backup_safe() ? plan_.dml_write_backup_safe
                                                        : plan_.dml_write_other;
        for (const LockStep& step : steps) {
            const bool ok =
                co_await lock(s, id, key_of(step, tid), step.mode, duration_of(s, step.hold), r);
            if (!ok) {
                co_return false;
            }
        }
    }
    if (!co_await row_lock(s, id, st, tid, r)) {
        co_return false;
    }
    if (write && tid != 0) {
        for (ServerHooks* h : hooks_) {
            h->table_written(tables_[tid - 1], sim_.now());
        }
    }
    if (!co_await run_for(s, exec, r)) {
        co_return false;
    }
    const CommitKind ck =
        write && table ? commit_kind(table->engine, table->transactional) : CommitKind::None;
    if (ck == CommitKind::Statement) {
        co_return co_await durable_commit(s, id, r);  // Aria: commits each statement
    }
    if (ck == CommitKind::Transaction) {
        s.read_write = true;
        if (!s.in_transaction) {
            co_return co_await commit(s, id, r);  // autocommit
        }
    }
    co_return true;
}

sim::Task<bool> Server::row_lock(Session& s, SessionId id, const Statement& st, std::uint32_t tid,
                                 StatementResult& r) {
    // Taken while the statement runs, after its metadata and backup locks (open_table comes
    // first), held to the end of the transaction; a wait ends after innodb_lock_wait_timeout
    // (docs/row-locks.md#model). A plain SELECT reads a snapshot and takes none.
    if (st.row.empty() || tid == 0 || !row_locking(tables_[tid - 1].engine) ||
        (st.kind == StmtKind::Select && st.select_lock == SelectLock::None)) {
        co_return true;
    }
    const std::string name = tables_[tid - 1].name + "/" + st.row;
    auto [it, added] = row_ids_.emplace(name, static_cast<std::uint32_t>(row_ids_.size() + 1));
    const locks::Mode mode =
        st.select_lock == SelectLock::ShareMode ? locks::row::SHARED : locks::row::EXCLUSIVE;
    if (co_await lock(s, id, LockKey{Ns::Row, it->second}, mode, table_duration(s), r)) {
        co_return true;
    }
    if (r.error == Error::LockDeadlock) {
        end_transaction(s, id);  // InnoDB rolls back the victim's whole transaction
    }
    co_return false;  // a timeout rolls back the statement only
}

sim::Task<bool> Server::ddl(Session& s, SessionId id, const Statement& st, sim::Time exec,
                            StatementResult& r) {
    const DdlPlan& plan = plan_.ddl;
    const bool alter = st.kind == StmtKind::AlterTable;
    const locks::Mode table_mode =
        alter ? locks::table::SHARED_UPGRADABLE : locks::table::EXCLUSIVE;
    std::vector<LockKey> table_keys;
    for (const auto& name : st.tables) {
        table_keys.push_back(LockKey{Ns::Table, table_id(name)});
    }
    for (const LockStep& step : plan.before_tables) {
        const bool ok = co_await lock(s, id, step.key, step.mode, duration_of(s, step.hold), r);
        if (!ok) {
            co_return false;
        }
    }
    if (!co_await ddl_table_locks(s, id, table_keys, table_mode, r)) {
        co_return false;
    }
    for (const LockStep& step : plan.after_tables) {
        if (step.when == When::AlterOfNonBackupSafe &&
            !(alter && !tables_[table_keys.front().object - 1].backup_safe())) {
            continue;
        }
        const bool ok = co_await lock(s, id, step.key, step.mode, duration_of(s, step.hold), r);
        if (!ok) {
            co_return false;
        }
    }
    for (ServerHooks* h : hooks_) {
        for (const auto& k : table_keys) {
            h->table_ddl(tables_[k.object - 1], sim_.now());
        }
    }
    if (!alter) {
        co_return co_await run_for(s, exec, r);
    }
    co_return co_await alter_phases(s, id, st, table_keys.front(), exec, r);
}

sim::Task<bool> Server::ddl_table_locks(Session& s, SessionId id, const std::vector<LockKey>& keys,
                                        locks::Mode mode, StatementResult& r) {
    // sql_base.cc lock_table_names() (MDEV-17772): the table locks first, then the backup lock
    // without waiting; if refused, every lock goes back, the backup lock is waited for and given
    // back at once, and the whole sequence starts again. So a DDL never holds its backup lock
    // while it waits for a table (docs/mdl-backup-namespace.md#lock-order-and-ddl-back-off).
    const std::optional<LockStep>& backed_off = plan_.ddl.backed_off;
    bool backed_off_once = true;
    while (backed_off_once) {
        for (const auto& k : keys) {
            if (!co_await lock(s, id, k, mode, Duration::Statement, r)) {
                co_return false;
            }
        }
        if (!backed_off || locks_.try_acquire(id, backed_off->key, backed_off->mode,
                                              duration_of(s, backed_off->hold))) {
            co_return true;
        }
        for (const auto& k : keys) {
            locks_.release(id, k);
        }
        if (!co_await lock(s, id, backed_off->key, backed_off->mode,
                           duration_of(s, backed_off->hold), r)) {
            co_return false;
        }
        locks_.release(id, backed_off->key);
        backed_off_once = !s.gone;
    }
    co_return false;
}

sim::Task<bool> Server::alter_table_lock(Session& s, SessionId id, LockKey table, locks::Mode& held,
                                         locks::Mode to, StatementResult& r) {
    const locks::Mode from = held;
    if (to > from) {
        const bool ok = co_await lock(s, id, table, to, Duration::Statement, r, from);
        if (!ok) {
            co_return false;
        }
    } else if (to < from) {
        locks_.downgrade(id, table, from, to);
    }
    held = to;
    co_return true;
}

sim::Task<bool> Server::alter_phases(Session& s, SessionId id, const Statement& st, LockKey table,
                                     sim::Time exec, StatementResult& r) {
    // The phases of mysql_alter_table() (sql/sql_table.cc),
    // docs/backup-stage.md#alter-table-phases. Without ALGORITHM=, an InnoDB table is altered in
    // place, any other engine by a copy.
    using namespace locks::table;
    const CopyPhase* copy = plan_.ddl.alter_copy ? &*plan_.ddl.alter_copy : nullptr;
    AlterAlgorithm algorithm = st.algorithm;
    if (algorithm == AlterAlgorithm::Default) {
        algorithm = tables_[table.object - 1].engine == Engine::InnoDB ? AlterAlgorithm::Inplace
                                                                       : AlterAlgorithm::Copy;
    }
    locks::Mode held = SHARED_UPGRADABLE;
    if (algorithm == AlterAlgorithm::Copy) {
        // The copy: LOCK=NONE is refused (ER_ALTER_OPERATION_NOT_SUPPORTED_REASON); the table
        // lock goes up to SHARED_NO_WRITE (EXCLUSIVE with LOCK=EXCLUSIVE) for the whole copy,
        // so writes to the table wait; copy_data_between_tables() copies under ALTER_COPY and
        // takes MDL_BACKUP_DDL back before it returns; only then does the rename upgrade the
        // table lock to EXCLUSIVE (wait_while_table_is_used).
        if (st.alter_lock == AlterLock::None) {
            r.error = Error::AlterNotSupported;
            co_return false;
        }
        const locks::Mode during =
            st.alter_lock == AlterLock::Exclusive ? EXCLUSIVE : SHARED_NO_WRITE;
        if (!co_await alter_table_lock(s, id, table, held, during, r)) {
            co_return false;
        }
        if (copy) {
            locks_.downgrade(id, copy->key, copy->held, copy->during_copy);
        }
        if (!co_await run_for(s, exec, r)) {
            co_return false;
        }
        if (copy && !co_await lock(s, id, copy->key, copy->held, Duration::Statement, r,
                                   copy->during_copy)) {
            co_return false;
        }
        co_return co_await alter_table_lock(s, id, table, held, EXCLUSIVE, r);
    }
    // In place (mysql_inplace_alter_table): MDL_BACKUP_ALTER_COPY first, then EXCLUSIVE for the
    // prepare phase; then down to SHARED_UPGRADABLE (LOCK=NONE or DEFAULT) or SHARED_NO_WRITE
    // (LOCK=SHARED) while the engine works, EXCLUSIVE kept with LOCK=EXCLUSIVE or INSTANT. Its
    // end upgrades the table lock to EXCLUSIVE and only then takes MDL_BACKUP_DDL back: an
    // ALTER that ends while BLOCK_DDL or BLOCK_COMMIT is held waits until END holding its table
    // exclusively, so every statement on the table waits too.
    if (copy) {
        locks_.downgrade(id, copy->key, copy->held, copy->during_copy);
    }
    if (!co_await alter_table_lock(s, id, table, held, EXCLUSIVE, r)) {
        co_return false;
    }
    const locks::Mode during =
        algorithm == AlterAlgorithm::Instant || st.alter_lock == AlterLock::Exclusive ? EXCLUSIVE
        : st.alter_lock == AlterLock::Shared ? SHARED_NO_WRITE
                                             : SHARED_UPGRADABLE;
    co_await alter_table_lock(s, id, table, held, during, r);  // a downgrade: never waits
    if (!co_await run_for(s, exec, r)) {
        co_return false;
    }
    if (!co_await alter_table_lock(s, id, table, held, EXCLUSIVE, r)) {
        co_return false;
    }
    if (copy) {
        co_return co_await lock(s, id, copy->key, copy->held, Duration::Statement, r,
                                copy->during_copy);
    }
    co_return true;
}

sim::Task<bool> Server::ftwrl(Session& s, SessionId id, StatementResult& r) {
    if (s.stage != BackupStage::None) {
        r.error = Error::BackupLockIsActive;
        co_return false;
    }
    if (s.global_read_lock) {
        co_return true;
    }
    if (!s.locked_tables.empty()) {
        r.error = Error::LockOrActiveTransaction;  // sql_reload.cc reload_acl_and_cache()
        co_return false;
    }
    // sql_parse.cc SQLCOM_FLUSH: rpl_pause_for_ftwrl() (parallel replica workers) before the
    // locks, rpl_unpause_after_ftwrl() after them, whatever the outcome.
    for (ServerHooks* h : hooks_) {
        h->ftwrl_starting(id, sim_.now());
    }
    bool ok = co_await pass_gate(
        s, id, r, [this] { return ftwrl_may_lock(); },
        "Waiting for worker threads to pause for global read lock");
    if (ok) {
        ok = co_await ftwrl_locks(s, id, r);
    }
    for (ServerHooks* h : hooks_) {
        h->ftwrl_finished(id, sim_.now());
    }
    co_return ok;
}

sim::Task<bool> Server::ftwrl_locks(Session& s, SessionId id, StatementResult& r) {
    // The flavour's sequence (lock_plan.cpp); a failed step gives back what the earlier ones
    // hold, latest first.
    const LockSteps& steps = plan_.ftwrl;
    for (std::size_t i = 0; i < steps.size(); ++i) {
        const LockStep& step = steps[i];
        bool ok = false;
        for (;;) {
            ok = co_await lock(s, id, step.key, step.mode, duration_of(s, step.hold), r, step.from);
            if (ok || !step.retry_if_deadlock_victim || r.error != Error::LockDeadlock) {
                break;
            }
            r.error = Error::None;
        }
        if (step.hold == Hold::Momentary) {
            locks_.release(id, step.key);
        }
        if (!ok) {
            for (std::size_t j = i; j-- > 0;) {
                if (steps[j].hold != Hold::Momentary && !held_by_later(steps, j, i)) {
                    locks_.release(id, steps[j].key);
                }
            }
            co_return false;
        }
    }
    s.global_read_lock = true;
    notify(id, BackupLockEvent::FtwrlHeld);
    co_return true;
}

sim::Task<bool> Server::lock_tables(Session& s, SessionId id, const Statement& st,
                                    StatementResult& r) {
    // sql_parse.cc SQLCOM_LOCK_TABLES: the previous LOCK TABLES goes first (the open
    // transaction was committed already, commits_implicitly), then sql_base.cc
    // lock_table_names() + open_tables(), and enter_locked_tables_mode() makes every lock
    // taken explicit (docs/lock-tables.md#which-locks-lock-tables-takes).
    release_locked_tables(s, id);
    const LockTablesPlan& plan = plan_.lock_tables;
    std::map<std::uint32_t, bool> locked;  // a table named twice is locked WRITE if either is
    std::vector<LockKey> write_keys;
    for (std::size_t i = 0; i < st.tables.size(); ++i) {
        const std::uint32_t tid = table_id(st.tables[i]);
        const bool w = st.lock_write[i];
        if (w && !locked[tid]) {
            write_keys.push_back(LockKey{Ns::Table, tid});
        }
        locked[tid] = locked[tid] || w;
    }
    // What it holds so far, given back (latest first) if a later step fails.
    std::vector<LockKey> held;
    auto fail = [&]() {
        for (auto k = held.rbegin(); k != held.rend(); ++k) {
            locks_.release(id, *k);
        }
    };
    // (No coroutine lambda: g++ 12 mishandles them.)
    auto take = [&](std::vector<LockKey> keys, locks::Mode mode) {
        return lock_kept(s, id, std::move(keys), mode, r, held);
    };
    if (!write_keys.empty()) {
        for (const LockStep& step : plan.before_tables) {
            if (!co_await take(one(step.key), step.mode)) {
                fail();
                co_return false;
            }
        }
        if (!co_await take(write_keys, locks::table::SHARED_NO_READ_WRITE)) {
            fail();
            co_return false;
        }
        if (plan.backed_off && !locks_.try_acquire(id, plan.backed_off->key, plan.backed_off->mode,
                                                   Duration::Explicit)) {
            // As DDL (MDEV-17772): give back the table locks, wait for the backup lock, and
            // take the table locks again.
            for (const LockKey& k : write_keys) {
                locks_.release(id, k);
                held.pop_back();
            }
            if (!co_await take(one(plan.backed_off->key), plan.backed_off->mode) ||
                !co_await take(write_keys, locks::table::SHARED_NO_READ_WRITE)) {
                fail();
                co_return false;
            }
        } else if (plan.backed_off) {
            held.push_back(plan.backed_off->key);
        }
    }
    bool write_other_taken = false;
    for (const auto& name : st.tables) {
        const std::uint32_t tid = table_id(name);
        if (!locked[tid]) {
            if (!co_await take(one(LockKey{Ns::Table, tid}), locks::table::SHARED_READ_ONLY)) {
                fail();
                co_return false;
            }
        } else if (!tables_[tid - 1].backup_safe() && !write_other_taken) {
            write_other_taken = true;
            for (const LockStep& step : plan.write_other) {
                if (!co_await take(one(step.key), step.mode)) {
                    fail();
                    co_return false;
                }
            }
        }
    }
    s.locked_tables = std::move(locked);
    co_return true;
}

sim::Task<bool> Server::lock_kept(Session& s, SessionId id, std::vector<LockKey> keys,
                                  locks::Mode mode, StatementResult& r,
                                  std::vector<LockKey>& held) {
    for (const LockKey& key : keys) {
        if (!co_await lock(s, id, key, mode, Duration::Explicit, r)) {
            co_return false;
        }
        held.push_back(key);
    }
    co_return true;
}

bool Server::under_lock_tables_ok(const Session& s, const Statement& st, StatementResult& r) {
    if (s.locked_tables.empty()) {
        return true;
    }
    // sql_base.cc open_table(): under LOCK TABLES only the locked tables open, and a write
    // needs a WRITE lock (docs/lock-tables.md#under-lock-tables).
    const bool write = st.opens_for_write() || st.is_ddl();
    for (const auto& name : st.tables) {
        auto it = table_ids_.find(name);
        const auto lt =
            it == table_ids_.end() ? s.locked_tables.end() : s.locked_tables.find(it->second);
        if (lt == s.locked_tables.end()) {
            r.error = Error::TableNotLocked;
            return false;
        }
        if (write && !lt->second) {
            r.error = Error::TableNotLockedForWrite;
            return false;
        }
    }
    return true;
}

void Server::release_locked_tables(Session& s, SessionId id) {
    if (s.locked_tables.empty()) {
        return;
    }
    // Every lock LOCK TABLES took is explicit and on a key no other statement of the session
    // holds explicitly: a WRITE is refused to a session holding FTWRL or a backup stage, and a
    // READ takes table locks only.
    bool write = false;
    for (const auto& [tid, w] : s.locked_tables) {
        locks_.release(id, LockKey{Ns::Table, tid});
        write = write || w;
    }
    if (write) {
        const LockTablesPlan& plan = plan_.lock_tables;
        for (const LockStep& step : plan.before_tables) {
            locks_.release(id, step.key);
        }
        if (plan.backed_off) {
            locks_.release(id, plan.backed_off->key);
        }
        for (const LockStep& step : plan.write_other) {
            locks_.release(id, step.key);
        }
    }
    s.locked_tables.clear();
}

void Server::unlock_tables(Session& s, SessionId id) {
    release_locked_tables(s, id);
    if (s.global_read_lock) {
        for (const LockKey& key : plan_.unlock_ftwrl) {
            locks_.release(id, key);
        }
        s.global_read_lock = false;
        notify(id, BackupLockEvent::FtwrlReleased);
    }
    if (s.tables_for_backup) {
        locks_.release(id, kTablesBackup);
        s.tables_for_backup = false;
    }
}

void Server::end_backup(Session& s, SessionId id) {
    if (s.stage != BackupStage::None) {
        locks_.release(id, kBackup);
        s.stage = BackupStage::None;
        notify(id, BackupLockEvent::BackupEnded);
    }
}

sim::Task<bool> Server::backup_stage(Session& s, SessionId id, BackupStage target,
                                     StatementResult& r) {
    if (s.global_read_lock) {
        r.error = Error::CantUpdateWithReadlock;
        co_return false;
    }
    if (target == BackupStage::Start) {
        if (s.stage != BackupStage::None) {
            r.error = Error::BackupWrongStage;
            co_return false;
        }
        // Newer backup.cc: BLOCK_DDL first (waits for running DDL and another backup), then
        // down to START (docs/backup-stage.md#start; 10.11 does so:
        // docs/measured.md#real-1011-replayed-statement-by-statement).
        if (!co_await lock(s, id, kBackup, locks::backup::BLOCK_DDL, Duration::Explicit, r)) {
            co_return false;
        }
        locks_.downgrade(id, kBackup, locks::backup::BLOCK_DDL, locks::backup::START);
        s.stage = BackupStage::Start;
        co_return true;
    }
    if (s.stage == BackupStage::None) {
        r.error = Error::BackupNotRunning;
        co_return false;
    }
    if (target == BackupStage::End) {
        end_backup(s, id);
        co_return true;
    }
    if (target <= s.stage) {
        r.error = Error::BackupWrongStage;
        co_return false;
    }
    // Naming a later stage runs the ones in between.
    while (s.stage < target) {
        const auto next = static_cast<BackupStage>(static_cast<int>(s.stage) + 1);
        bool ok = true;
        using namespace locks::backup;
        switch (next) {
            case BackupStage::Flush:
                ok = co_await lock(s, id, kBackup, FLUSH, Duration::Explicit, r, START);
                break;
            case BackupStage::BlockDdl:
                // WAIT_FLUSH waits for running non-transactional writes, WAIT_DDL for running
                // DDL; a failure at WAIT_DDL goes back to FLUSH (backup.cc).
                ok = co_await lock(s, id, kBackup, WAIT_FLUSH, Duration::Explicit, r, FLUSH);
                if (ok) {
                    notify(id, BackupLockEvent::BlockDdlWaitingForDdl);
                    ok = co_await block_ddl_wait_ddl(s, id, r);
                }
                break;
            case BackupStage::BlockCommit:
                ok = co_await lock(s, id, kBackup, WAIT_COMMIT, Duration::Explicit, r, WAIT_DDL);
                break;
            default:
                break;
        }
        if (!ok) {
            co_return false;  // the session stays at the previous stage, keeping its lock
        }
        s.stage = next;
        if (next == BackupStage::BlockDdl) {
            notify(id, BackupLockEvent::BlockDdl);
        } else if (next == BackupStage::BlockCommit) {
            notify(id, BackupLockEvent::BlockCommit);
        }
    }
    co_return true;
}

sim::Task<bool> Server::block_ddl_wait_ddl(Session& s, SessionId id, StatementResult& r) {
    // backup_block_ddl() (sql/backup.cc): a lost deadlock at the upgrade to WAIT_DDL is retried
    // MAX_RETRY_COUNT (5) more times, after my_sleep(100) then five times longer each time -
    // my_sleep counts microseconds, so 0.1 + 0.5 + 2.5 + 12.5 + 62.5 = 78.1 ms of pauses in all.
    // Any other failure, or a sixth deadlock, goes back to FLUSH
    // (docs/backup-stage.md#block-ddl).
    using namespace locks::backup;
    constexpr int kMaxRetryCount = 5;
    sim::Time pause = sim::micros(100);
    for (int attempt = 0;; ++attempt) {
        if (co_await lock(s, id, kBackup, WAIT_DDL, Duration::Explicit, r, WAIT_FLUSH)) {
            co_return true;
        }
        if (r.error != Error::LockDeadlock || attempt == kMaxRetryCount) {
            break;
        }
        r.error = Error::None;
        co_await sim_.sleep(pause);
        pause *= 5;
        if (s.gone) {
            r.error = s.kill_error;
            co_return false;  // KILL CONNECTION released everything already
        }
    }
    locks_.downgrade(id, kBackup, WAIT_FLUSH, FLUSH);
    co_return false;
}

bool Server::interrupt(Session& t, SessionId target, Error error) {
    t.kill_error = error;
    if (locks_.is_waiting(target)) {
        locks_.kill_wait(target);
    } else if (rows_.is_waiting(target)) {
        rows_.kill_wait(target);
    } else if (t.executing) {
        sim_.wake(t.exec, 1);
    } else if (t.gate.waiting()) {
        sim_.wake(t.gate, 1);
    } else {
        return false;
    }
    return true;
}

void Server::kill(SessionId target, bool query_only) {
    Session& t = sessions_[target - 1];
    if (t.gone) {
        return;
    }
    interrupt(t, target, query_only ? Error::QueryInterrupted : Error::ConnectionKilled);
    if (!query_only) {
        disconnect(target);
    }
}

void Server::statement_time_exceeded(void* session) {
    // thd_kill_timeout(): THD::awake(KILL_TIMEOUT), so the statement's lock wait or execution
    // ends with ER_STATEMENT_TIMEOUT, as KILL QUERY ends it with ER_QUERY_INTERRUPTED
    // (docs/statement-timeout.md#how-mariadb-times-a-statement). Rolled back like a lock wait
    // timeout: the statement's locks go when execute() returns, its transaction stays open.
    auto& s = *static_cast<Session*>(session);
    s.statement_timer = {};
    if (s.gone || !s.busy) {
        return;
    }
    s.timed_out = true;
    s.server->interrupt(s, s.self, Error::StatementTimeout);
}

void Server::disconnect_session(SessionId id) {
    if (!sessions_.at(id - 1).gone) {
        disconnect(id);
    }
}

void Server::disconnect(SessionId id) {
    Session& s = sessions_[id - 1];
    s.gone = true;
    const bool had_stage = s.stage != BackupStage::None;
    const bool had_ftwrl = s.global_read_lock;
    s.stage = BackupStage::None;  // implicit END
    s.global_read_lock = false;
    s.in_transaction = false;  // implicit ROLLBACK
    s.read_write = false;
    s.locked_tables.clear();  // implicit UNLOCK TABLES
    locks_.release_all(id);
    rows_.release_all(id);
    if (had_stage) {
        notify(id, BackupLockEvent::BackupEnded);
    }
    if (had_ftwrl) {
        notify(id, BackupLockEvent::FtwrlReleased);
    }
}

bool Server::commits_implicitly(StmtKind kind) {
    // sql_command_flags[...] = CF_AUTO_COMMIT_TRANS: DDL, BEGIN, FLUSH, BACKUP STAGE.
    switch (kind) {
        case StmtKind::AlterTable:
        case StmtKind::CreateTable:
        case StmtKind::DropTable:
        case StmtKind::TruncateTable:
        case StmtKind::RenameTable:
        case StmtKind::Begin:
        case StmtKind::FlushTablesWithReadLock:
        case StmtKind::BackupStage:
        case StmtKind::LockTables:
            return true;
        default:
            return false;
    }
}

sim::Task<StatementResult> Server::execute(SessionId id, Statement st, sim::Time exec) {
    Session& s = sessions_.at(id - 1);
    StatementResult r;
    r.sent = r.granted = sim_.now();
    if (s.gone) {
        r.error = Error::ServerGone;
        r.finished = sim_.now();
        co_return r;
    }
    s.kill_error = Error::None;
    s.busy = true;
    s.statement_started = sim_.now();
    s.kind = st.kind;
    s.timed_out = false;
    if (s.max_statement_time > 0) {
        // THD::set_query_timer(): armed as the statement starts, whatever it is; ended when it
        // ends (docs/statement-timeout.md#how-mariadb-times-a-statement).
        s.statement_timer =
            sim_.schedule(s.max_statement_time, sim::Action{&Server::statement_time_exceeded, &s});
    }
    // LOCK TABLES ... WRITE needs the same protection as a write (lock_table_names():
    // THD::has_read_only_protection(), docs/lock-tables.md#which-locks-lock-tables-takes).
    const bool lock_write =
        st.kind == StmtKind::LockTables &&
        std::find(st.lock_write.begin(), st.lock_write.end(), true) != st.lock_write.end();
    const bool changes_data = st.is_write() || st.is_ddl() || lock_write;
    if (!flavor_has(traits_, st.kind)) {
        r.error = Error::ParseError;
    } else if (!allowed(s, st.kind)) {
        r.error = Error::SpecificAccessDenied;
    } else if (changes_data && s.stage != BackupStage::None) {
        r.error = Error::BackupLockIsActive;  // backup_interaction.test
    } else if (changes_data && s.global_read_lock) {
        r.error = Error::CantUpdateWithReadlock;  // flush.test: writes under one's own FTWRL
    } else if (!under_lock_tables_ok(s, st, r)) {
        // ER_TABLE_NOT_LOCKED[_FOR_WRITE]: r.error is set
    } else if ((commits_implicitly(st.kind) ||
                (st.kind == StmtKind::UnlockTables && !s.locked_tables.empty())) &&
               s.in_transaction) {
        // UNLOCK TABLES commits only when it ends a LOCK TABLES (sql_parse.cc
        // SQLCOM_UNLOCK_TABLES, OPTION_TABLE_LOCK).
        co_await commit(s, id, r);  // may wait for its commit lock, and fail
        end_transaction(s, id);
    }
    if (r.error == Error::None) {
        switch (st.kind) {
            case StmtKind::Select:
            case StmtKind::Insert:
            case StmtKind::Update:
            case StmtKind::Delete:
                co_await dml(s, id, st, exec, r);
                break;
            case StmtKind::Begin:
                release_locked_tables(s, id);  // trans_begin(): BEGIN ends LOCK TABLES
                s.in_transaction = true;
                break;
            case StmtKind::Commit:
                co_await commit(s, id, r);
                end_transaction(s, id);
                break;
            case StmtKind::Rollback:
                end_transaction(s, id);
                break;
            case StmtKind::AlterTable:
            case StmtKind::CreateTable:
            case StmtKind::DropTable:
            case StmtKind::TruncateTable:
            case StmtKind::RenameTable:
                co_await ddl(s, id, st, exec, r);
                break;
            case StmtKind::FlushTablesWithReadLock:
                co_await ftwrl(s, id, r);
                break;
            case StmtKind::UnlockTables:
                unlock_tables(s, id);
                break;
            case StmtKind::BackupStage:
                co_await backup_stage(s, id, st.stage, r);
                break;
            case StmtKind::LockInstanceForBackup:
                if (co_await lock(s, id, kInstance, locks::scoped::SHARED, Duration::Explicit, r)) {
                    s.lock_instance = true;
                }
                break;
            case StmtKind::UnlockInstance:
                locks_.release(id, kInstance);
                s.lock_instance = false;
                break;
            case StmtKind::LockTablesForBackup:
                if (co_await lock(s, id, kTablesBackup, locks::scoped::SHARED, Duration::Explicit,
                                  r)) {
                    s.tables_for_backup = true;
                }
                break;
            case StmtKind::LockTables:
                co_await lock_tables(s, id, st, r);
                break;
            case StmtKind::SetLockWaitTimeout:
                // MariaDB truncates a value above the maximum (a year) to it, with a warning.
                s.lock_wait_timeout = sim::from_seconds(std::min(st.seconds, 31536000.0));
                break;
            case StmtKind::SetInnodbLockWaitTimeout:
                // Its maximum is 1073741824 s; 100000000 s and more mean "never" in InnoDB.
                s.innodb_lock_wait_timeout = sim::from_seconds(std::min(st.seconds, 1073741824.0));
                break;
            case StmtKind::Kill:
                if (auto target = session_by_name(st.target)) {
                    kill(*target, st.kill_query);
                } else {
                    r.error = Error::NoSuchThread;
                }
                break;
            case StmtKind::Disconnect:
                disconnect(id);
                break;
        }
    }
    if (!s.gone) {
        locks_.release_duration(id, Duration::Statement);
        rows_.release_duration(id, Duration::Statement);
        if (!s.in_transaction) {
            locks_.release_duration(id, Duration::Transaction);
            rows_.release_duration(id, Duration::Transaction);
        }
    }
    if (s.statement_timer) {
        sim_.cancel(s.statement_timer);  // THD::reset_query_timer()
        s.statement_timer = {};
    }
    s.timed_out = false;
    s.busy = false;
    r.finished = sim_.now();
    co_return r;
}

}  // namespace lockstage::models::server
