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

struct EngineInfo {
    Engine engine;
    std::string_view name;
    bool backup_safe;
};
constexpr std::array<EngineInfo, 6> kEngines{{
    {Engine::InnoDB, "InnoDB", true},
    {Engine::MyISAM, "MyISAM", false},
    {Engine::Aria, "Aria", true},  // transactional Aria (the default for Aria tables)
    {Engine::Memory, "MEMORY", false},
    {Engine::CSV, "CSV", false},
    {Engine::Archive, "ARCHIVE", false},
}};

}  // namespace

bool backup_safe(Engine e) {
    return kEngines[static_cast<std::size_t>(e)].backup_safe;
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
    wait_begins(s, id, state);
    const LockResult res =
        from ? co_await locks_.upgrade(id, key, *from, mode, d, s.lock_wait_timeout)
             : co_await locks_.acquire(id, key, mode, d, s.lock_wait_timeout);
    wait_ends(s, id, state, sim_.now() - t0, key.ns != Ns::Table, r);
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
    s.executing = true;
    const int res = co_await sim_.block(s.exec, d - cpu);
    s.executing = false;
    if (res == sim::Blocker::kTimedOut) {
        co_return true;  // ran to completion
    }
    r.error = s.kill_error;
    co_return false;
}

void Server::commit_gate_opened() {
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

sim::Task<bool> Server::pass_commit_gate(Session& s, SessionId id, StatementResult& r) {
    if (commits_open()) {
        co_return true;
    }
    const sim::Time t0 = sim_.now();
    constexpr std::string_view kCertification = "Waiting for certification";
    wait_begins(s, id, kCertification);
    int res = 0;
    while (!commits_open() && res != 1) {
        res = co_await sim_.block(s.gate);
    }
    wait_ends(s, id, kCertification, sim_.now() - t0, false, r);
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
    if (!commits_open()) {
        const bool passed = co_await pass_commit_gate(s, id, r);
        if (!passed) {
            co_return false;
        }
    }
    for (const LockStep& step : plan_.commit) {
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
}

sim::Task<bool> Server::dml(Session& s, SessionId id, const Statement& st, sim::Time exec,
                            StatementResult& r) {
    const bool write = st.is_write();
    const std::uint32_t tid = st.tables.empty() ? 0 : table_id(st.tables.front());
    const Engine engine = tid ? tables_[tid - 1].engine : Engine::InnoDB;
    if (tid != 0) {
        const LockSteps& steps = !write                ? plan_.dml_read
                                 : backup_safe(engine) ? plan_.dml_write_backup_safe
                                                       : plan_.dml_write_other;
        for (const LockStep& step : steps) {
            const bool ok =
                co_await lock(s, id, key_of(step, tid), step.mode, duration_of(s, step.hold), r);
            if (!ok) {
                co_return false;
            }
        }
    }
    if (write && tid != 0) {
        for (ServerHooks* h : hooks_) {
            h->table_written(tables_[tid - 1], sim_.now());
        }
    }
    if (!co_await run_for(s, exec, r)) {
        co_return false;
    }
    if (write && backup_safe(engine)) {
        s.read_write = true;
        if (!s.in_transaction) {
            co_return co_await commit(s, id, r);  // autocommit
        }
    }
    co_return true;
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
    for (const auto& k : table_keys) {
        if (!co_await lock(s, id, k, table_mode, Duration::Statement, r)) {
            co_return false;
        }
    }
    if (plan.backed_off && !locks_.try_acquire(id, plan.backed_off->key, plan.backed_off->mode,
                                               duration_of(s, plan.backed_off->hold))) {
        // MDEV-17772: DDL backs off - it gives back its table locks, waits for the backup lock,
        // then takes the table locks again.
        for (const auto& k : table_keys) {
            locks_.release(id, k);
        }
        const LockStep& step = *plan.backed_off;
        if (!co_await lock(s, id, step.key, step.mode, duration_of(s, step.hold), r)) {
            co_return false;
        }
        for (const auto& k : table_keys) {
            if (!co_await lock(s, id, k, table_mode, Duration::Statement, r)) {
                co_return false;
            }
        }
    }
    for (const LockStep& step : plan.after_tables) {
        if (step.when == When::AlterOfNonBackupSafe &&
            !(alter && !backup_safe(tables_[table_keys.front().object - 1].engine))) {
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
    // ALTER TABLE: the copy phase, then the final rename takes its backup lock again (when the
    // flavour has one) and an exclusive table lock.
    if (plan.alter_copy) {
        locks_.downgrade(id, plan.alter_copy->key, plan.alter_copy->held,
                         plan.alter_copy->during_copy);
    }
    if (!co_await run_for(s, exec, r)) {
        co_return false;
    }
    if (plan.alter_copy) {
        const CopyPhase& copy = *plan.alter_copy;
        if (!co_await lock(s, id, copy.key, copy.held, Duration::Statement, r, copy.during_copy)) {
            co_return false;
        }
    }
    for (const auto& k : table_keys) {
        if (!co_await lock(s, id, k, locks::table::EXCLUSIVE, Duration::Statement, r,
                           locks::table::SHARED_UPGRADABLE)) {
            co_return false;
        }
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

void Server::unlock_tables(Session& s, SessionId id) {
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
                    ok = co_await lock(s, id, kBackup, WAIT_DDL, Duration::Explicit, r, WAIT_FLUSH);
                    if (!ok) {
                        locks_.downgrade(id, kBackup, WAIT_FLUSH, FLUSH);
                    }
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

void Server::kill(SessionId target, bool query_only) {
    Session& t = sessions_[target - 1];
    if (t.gone) {
        return;
    }
    t.kill_error = query_only ? Error::QueryInterrupted : Error::ConnectionKilled;
    if (locks_.is_waiting(target)) {
        locks_.kill_wait(target);
    } else if (t.executing) {
        sim_.wake(t.exec, 1);
    } else if (t.gate.waiting()) {
        sim_.wake(t.gate, 1);
    }
    if (!query_only) {
        disconnect(target);
    }
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
    locks_.release_all(id);
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
    const bool changes_data = st.is_write() || st.is_ddl();
    if (!flavor_has(traits_, st.kind)) {
        r.error = Error::ParseError;
    } else if (!allowed(s, st.kind)) {
        r.error = Error::SpecificAccessDenied;
    } else if (changes_data && s.stage != BackupStage::None) {
        r.error = Error::BackupLockIsActive;  // backup_interaction.test
    } else if (changes_data && s.global_read_lock) {
        r.error = Error::CantUpdateWithReadlock;  // flush.test: writes under one's own FTWRL
    } else if (commits_implicitly(st.kind) && s.in_transaction) {
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
            case StmtKind::SetLockWaitTimeout:
                // MariaDB truncates a value above the maximum (a year) to it, with a warning.
                s.lock_wait_timeout = sim::from_seconds(std::min(st.seconds, 31536000.0));
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
        if (!s.in_transaction) {
            locks_.release_duration(id, Duration::Transaction);
        }
    }
    s.busy = false;
    r.finished = sim_.now();
    co_return r;
}

}  // namespace lockstage::models::server
