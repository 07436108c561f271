#include "models/server/lock_plan.hpp"

namespace lockstage::models::server {

namespace {

using locks::LockKey;
using locks::Ns;
namespace backup = locks::backup;
namespace table = locks::table;
namespace scoped = locks::scoped;
namespace flush = locks::flush;

constexpr LockKey kTheTable{Ns::Table, 0};  // the statement's table
constexpr LockKey kBackup{Ns::Backup, 0};
constexpr LockKey kGlobal{Ns::Global, 0};
constexpr LockKey kCommit{Ns::Commit, 0};
constexpr LockKey kFlush{Ns::TableFlush, 0};
constexpr LockKey kInstance{Ns::InstanceBackup, 0};
constexpr LockKey kTablesBackup{Ns::TablesBackup, 0};

// Shared rows. Sources: docs/mdl-backup-namespace.md, docs/backup-stage.md and docs/ftwrl.md
// (anchors below), MariaDB's sql/{mdl.cc,lock.cc,backup.cc,sql_base.cc,handler.cc}, MySQL 8.0's
// sql/mdl.h.

// Every statement that opens a table takes its metadata lock first (open_table): SHARED_READ to
// read, SHARED_WRITE to write, held to the end of the transaction inside one (MDL_TRANSACTION).
constexpr LockStep kReadTable{kTheTable, table::SHARED_READ, Hold::Table};
constexpr LockStep kWriteTable{kTheTable, table::SHARED_WRITE, Hold::Table};

// <= 10.3 and MySQL (classic global read lock): a write first takes GLOBAL IX
// (lock_global_read_lock's protection, open_tables' MDL_INTENTION_EXCLUSIVE on the GLOBAL
// namespace), and every statement with open tables counts as one the table flush of FTWRL waits
// for (close_cached_tables; our TABLE_FLUSH simplification, mdl_modes.cpp). A commit takes
// COMMIT IX (ha_commit_trans), which FTWRL's COMMIT S blocks.
constexpr LockStep kClassicWriteGlobal{kGlobal, scoped::INTENTION_EXCLUSIVE};
constexpr LockStep kClassicOpen{kFlush, flush::OPEN};
constexpr LockStep kClassicCommit{kCommit, scoped::INTENTION_EXCLUSIVE};
// FTWRL <= 10.3 / MySQL (lock.cc, sql_reload.cc; docs/ftwrl.md#ftwrl-in-103-and-mysql): GLOBAL S,
// then close_cached_tables waits for every open table, readers included ("Waiting for table
// flush"), then COMMIT S. UNLOCK TABLES gives back GLOBAL, then COMMIT.
constexpr LockSteps kClassicFtwrl{
    {kGlobal, scoped::SHARED, Hold::Explicit},
    {kFlush, flush::FLUSH, Hold::Momentary},
    {kCommit, scoped::SHARED, Hold::Explicit},
};
// DDL <= 10.3 / MySQL: GLOBAL IX before its table locks, like a write.
constexpr DdlPlan kClassicDdl{.before_tables = {kClassicWriteGlobal},
                              .backed_off = std::nullopt,
                              .after_tables = {},
                              .alter_copy = std::nullopt};
// LOCK TABLES ... WRITE <= 10.3 / MySQL: lock_table_names() takes GLOBAL IX with its table
// locks, made explicit by enter_locked_tables_mode() (docs/lock-tables.md#classic-flavours).
constexpr LockTablesPlan kClassicLockTables{
    .before_tables = {{kGlobal, scoped::INTENTION_EXCLUSIVE, Hold::Explicit}},
    .backed_off = std::nullopt,
    .write_other = {}};

constexpr std::array<LockPlan, 4> kPlans{{
    // mariadb-10.3: the classic global read lock, and nothing else.
    {.flavor = Flavor::MariaDB103,
     .dml_read = {kReadTable, kClassicOpen},
     .dml_write_backup_safe = {kClassicWriteGlobal, kWriteTable, kClassicOpen},
     .dml_write_other = {kClassicWriteGlobal, kWriteTable, kClassicOpen},
     .commit = {kClassicCommit},
     .ddl = kClassicDdl,
     .lock_tables = kClassicLockTables,
     .ftwrl = kClassicFtwrl,
     .unlock_ftwrl = {kGlobal, kCommit}},

    // mariadb-10.11: the MDL BACKUP namespace (10.4+; docs/mdl-backup-namespace.md#modes).
    {.flavor = Flavor::MariaDB1011,
     // A SELECT takes no backup lock: FTWRL and every stage let reads run
     // (docs/ftwrl.md#what-ftwrl-blocks-while-held,
     // docs/backup-stage.md#what-runs-at-block-commit).
     .dml_read = {kReadTable},
     // A write to a backup-safe engine takes MDL_BACKUP_TRANS_DML after its table lock, a write
     // to any other engine MDL_BACKUP_DML, for the statement
     // (docs/mdl-backup-namespace.md#who-takes-which-mode, D and TD; sql_base.cc
     // open_table: the table MDL first, the backup lock second).
     .dml_write_backup_safe = {kWriteTable, {kBackup, backup::TRANS_DML}},
     .dml_write_other = {kWriteTable, {kBackup, backup::DML}},
     // ha_commit_trans: MDL_BACKUP_COMMIT for the commit of a read-write transaction
     // (docs/mdl-backup-namespace.md#who-takes-which-mode, C).
     .commit = {{kBackup, backup::COMMIT}},
     .ddl =
         {
             .before_tables = {},
             // MDEV-17772: DDL that cannot get MDL_BACKUP_DDL at once gives back its table locks,
             // waits for it, gives it back too, and starts again (lock_table_names()).
             .backed_off = LockStep{kBackup, backup::DDL},
             // ALTER TABLE of a non-backup-safe table opens it for writing, so it also needs
             // MDL_BACKUP_DML, which BACKUP STAGE FLUSH blocks
             // (docs/backup-stage.md#alter-table-copy-phase; backup_stages.test).
             .after_tables = {{kBackup, backup::DML, Hold::Statement, When::AlterOfNonBackupSafe}},
             // ALTER TABLE copies under MDL_BACKUP_ALTER_COPY, then goes back to MDL_BACKUP_DDL
             // for the final rename (docs/backup-stage.md#alter-table-copy-phase).
             .alter_copy = CopyPhase{kBackup, backup::DDL, backup::ALTER_COPY},
         },
     // LOCK TABLES ... WRITE: lock_table_names() takes MDL_BACKUP_DDL after the SNRW table
     // locks (backing off like DDL), and open_table() MDL_BACKUP_DML for a table that is not
     // backup-safe; enter_locked_tables_mode() makes them explicit, so they are held until
     // UNLOCK TABLES. LOCK TABLES ... READ (MDL_SHARED_READ_ONLY) takes no backup lock
     // (docs/lock-tables.md#which-locks-lock-tables-takes; mysql-test/main/mdl.result).
     .lock_tables = {.before_tables = {},
                     .backed_off = LockStep{kBackup, backup::DDL, Hold::Explicit},
                     .write_other = {{kBackup, backup::DML, Hold::Explicit}}},
     // FTWRL 10.4+ (docs/ftwrl.md#steps-in-104-and-later, lock.cc): FTWRL1 waits for running
     // writes and DDL (a lost deadlock is retried, as MariaDB does), then the upgrade to FTWRL2
     // waits for in-flight commits. UNLOCK TABLES gives back the one ticket.
     .ftwrl = {{kBackup, backup::FTWRL1, Hold::Explicit, When::Always, /*from=*/std::nullopt,
                /*retry_if_deadlock_victim=*/true},
               {kBackup, backup::FTWRL2, Hold::Explicit, When::Always, /*from=*/backup::FTWRL1}},
     .unlock_ftwrl = {kBackup}},

    // mysql-8.0: the classic global read lock; DDL also takes BACKUP_LOCK IX before its table
    // locks, which LOCK INSTANCE FOR BACKUP (S) blocks (sql/mdl.h MDL_key::BACKUP_LOCK;
    // docs/mdl-backup-namespace.md#mysql-lock-instance-for-backup).
    {.flavor = Flavor::MySQL80,
     .dml_read = {kReadTable, kClassicOpen},
     .dml_write_backup_safe = {kClassicWriteGlobal, kWriteTable, kClassicOpen},
     .dml_write_other = {kClassicWriteGlobal, kWriteTable, kClassicOpen},
     .commit = {kClassicCommit},
     // lock_table_names() puts GLOBAL IX and BACKUP_LOCK IX in one request list with the
     // table locks; MDL_context::acquire_locks() takes them sorted by MDL_key, whose namespace
     // order is GLOBAL, BACKUP_LOCK, ..., TABLE (sql/mdl.h): the backup lock before the tables
     // (docs/mdl-backup-namespace.md#lock-order-and-ddl-back-off).
     .ddl = {.before_tables = {kClassicWriteGlobal, {kInstance, scoped::INTENTION_EXCLUSIVE}},
             .backed_off = std::nullopt,
             .after_tables = {},
             .alter_copy = std::nullopt},
     .lock_tables = kClassicLockTables,
     .ftwrl = kClassicFtwrl,
     .unlock_ftwrl = {kGlobal, kCommit}},

    // percona-8.0: MySQL's, plus BACKUP_TABLES IX for DDL and for writes to non-transactional
    // tables, which LOCK TABLES FOR BACKUP (S) blocks
    // (docs/mdl-backup-namespace.md#percona-lock-tables-for-backup; InnoDB writes never take it).
    {.flavor = Flavor::Percona80,
     .dml_read = {kReadTable, kClassicOpen},
     .dml_write_backup_safe = {kClassicWriteGlobal, kWriteTable, kClassicOpen},
     .dml_write_other = {kClassicWriteGlobal,
                         kWriteTable,
                         kClassicOpen,
                         {kTablesBackup, scoped::INTENTION_EXCLUSIVE}},
     .commit = {kClassicCommit},
     // BACKUP_LOCK IX before the tables, as MySQL's; BACKUP_TABLES IX after them (where
     // Percona's lock_table_names() requests it was not read).
     .ddl = {.before_tables = {kClassicWriteGlobal, {kInstance, scoped::INTENTION_EXCLUSIVE}},
             .backed_off = std::nullopt,
             .after_tables = {{kTablesBackup, scoped::INTENTION_EXCLUSIVE}},
             .alter_copy = std::nullopt},
     .lock_tables = kClassicLockTables,
     .ftwrl = kClassicFtwrl,
     .unlock_ftwrl = {kGlobal, kCommit}},
}};

constexpr bool plans_in_flavour_order() {
    for (std::size_t i = 0; i < kPlans.size(); ++i) {
        if (static_cast<std::size_t>(kPlans[i].flavor) != i) {
            return false;
        }
    }
    return true;
}
static_assert(plans_in_flavour_order(), "kPlans is indexed by Flavor");

}  // namespace

const LockPlan& lock_plan(Flavor f) {
    return kPlans[static_cast<std::size_t>(f)];
}

}  // namespace lockstage::models::server
