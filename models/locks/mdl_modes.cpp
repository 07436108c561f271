#include "models/locks/mdl_modes.hpp"

#include <array>
#include <initializer_list>
#include <stdexcept>

namespace lockstage::models::locks {

namespace {

std::uint32_t bits(std::initializer_list<Mode> modes) {
    std::uint32_t b = 0;
    for (const Mode m : modes) {
        b |= bit(m);
    }
    return b;
}

// BACKUP. Both matrices are MariaDB's bitmaps MDL_backup_lock::m_granted_incompatible and
// m_waiting_incompatible (sql/mdl.cc, 10.11 / main), which are also the tables in
// docs/mdl-backup-namespace.md#granted-matrix and docs/mdl-backup-namespace.md#waiting-matrix
// (checked cell by cell: they agree). mdl.cc's comment tables above the bitmaps are stale for
// BLOCK_DDL (granted row: they omit START..WAIT_COMMIT and BLOCK_DDL; waiting row: they omit
// START; docs/mdl-backup-namespace.md#stale-comment-tables); the bitmaps are what MariaDB runs,
// and what we use. MDL_BACKUP_COMMIT_HIGH_PRIO (newer mdl.h, unmerged work) is left out
// (docs/mdl-backup-namespace.md#modes).
// Weights (MDL_ticket::get_deadlock_weight): FTWRL1 -> DEADLOCK_WEIGHT_FTWRL1, every other
// backup mode -> DEADLOCK_WEIGHT_DDL (so backup DML/TRANS_DML/COMMIT weigh 100, not 1).
ModeTable make_backup() {
    using namespace backup;
    ModeTable t;
    t.name = "BACKUP";
    t.wait_state = "Waiting for backup lock";
    t.modes = {"MDL_BACKUP_START",      "MDL_BACKUP_FLUSH",       "MDL_BACKUP_WAIT_FLUSH",
               "MDL_BACKUP_WAIT_DDL",   "MDL_BACKUP_WAIT_COMMIT", "MDL_BACKUP_FTWRL1",
               "MDL_BACKUP_FTWRL2",     "MDL_BACKUP_DML",         "MDL_BACKUP_TRANS_DML",
               "MDL_BACKUP_SYS_DML",    "MDL_BACKUP_DDL",         "MDL_BACKUP_BLOCK_DDL",
               "MDL_BACKUP_ALTER_COPY", "MDL_BACKUP_COMMIT"};
    t.granted = {
        /* START       */ bits({START, FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT, BLOCK_DDL}),
        /* FLUSH       */ bits({START}),
        /* WAIT_FLUSH  */ bits({START, DML}),
        /* WAIT_DDL    */ bits({START, DML, DDL}),
        /* WAIT_COMMIT */ bits({START, DML, SYS_DML, DDL, COMMIT}),
        /* FTWRL1      */ bits({DML, TRANS_DML, SYS_DML, DDL, ALTER_COPY}),
        /* FTWRL2      */ bits({DML, TRANS_DML, SYS_DML, DDL, ALTER_COPY, COMMIT}),
        /* DML         */ bits({FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT, FTWRL1, FTWRL2}),
        /* TRANS_DML   */ bits({FTWRL1, FTWRL2}),
        /* SYS_DML     */ bits({WAIT_COMMIT, FTWRL1, FTWRL2}),
        /* DDL         */ bits({WAIT_DDL, WAIT_COMMIT, FTWRL1, FTWRL2, BLOCK_DDL}),
        /* BLOCK_DDL   */ bits({START, FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT, BLOCK_DDL, DDL}),
        /* ALTER_COPY  */ bits({FTWRL1, FTWRL2}),
        /* COMMIT      */ bits({WAIT_COMMIT, FTWRL2}),
    };
    t.waiting = {
        /* START       */ bits({FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT, BLOCK_DDL}),
        /* FLUSH       */ 0,
        /* WAIT_FLUSH  */ 0,
        /* WAIT_DDL    */ 0,
        /* WAIT_COMMIT */ 0,
        /* FTWRL1      */ 0,
        /* FTWRL2      */ 0,
        /* DML         */ bits({FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT, FTWRL1, FTWRL2}),
        /* TRANS_DML   */ bits({FTWRL1, FTWRL2}),
        /* SYS_DML     */ bits({WAIT_COMMIT, FTWRL1, FTWRL2}),
        /* DDL         */ bits({WAIT_DDL, WAIT_COMMIT, FTWRL1, FTWRL2, BLOCK_DDL}),
        /* BLOCK_DDL   */ bits({START}),
        /* ALTER_COPY  */ bits({FTWRL1, FTWRL2}),
        /* COMMIT      */ bits({WAIT_COMMIT, FTWRL2}),
    };
    t.deadlock_weight.assign(kCount, kWeightDdl);
    t.deadlock_weight[FTWRL1] = kWeightFtwrl1;
    return t;
}

// TABLE. MariaDB's MDL_object_lock::m_granted_incompatible / m_waiting_incompatible
// (sql/mdl.cc), restricted to our 8 modes: MDL_SHARED (and the unused IX) are dropped, which
// removes their columns too. MDL_SHARED_READ_ONLY is what LOCK TABLES t READ takes
// (mysql-test/main/mdl.result; docs/lock-tables.md#which-locks-lock-tables-takes): it lets
// readers and SU/SNW in and keeps writers (SW) out, and only a queued SW, SNRW or X makes a new
// SRO wait. Weights: MDL_ticket::get_deadlock_weight, type >= MDL_SHARED_UPGRADABLE -> DDL,
// else DML. No anti-starvation (max_write_lock_count defaults to ULONG_MAX, i.e. never).
ModeTable make_table() {
    using namespace table;
    ModeTable t;
    t.name = "TABLE";
    t.wait_state = "Waiting for table metadata lock";
    t.modes = {"MDL_SHARED_HIGH_PRIO",     "MDL_SHARED_READ",      "MDL_SHARED_WRITE",
               "MDL_SHARED_UPGRADABLE",    "MDL_SHARED_READ_ONLY", "MDL_SHARED_NO_WRITE",
               "MDL_SHARED_NO_READ_WRITE", "MDL_EXCLUSIVE"};
    t.granted = {
        /* SH   */ bits({EXCLUSIVE}),
        /* SR   */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE}),
        /* SW   */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_NO_WRITE, SHARED_READ_ONLY}),
        /* SU   */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_NO_WRITE, SHARED_UPGRADABLE}),
        /* SRO  */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_WRITE}),
        /* SNW  */
        bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_NO_WRITE, SHARED_UPGRADABLE, SHARED_WRITE}),
        /* SNRW */
        bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_NO_WRITE, SHARED_READ_ONLY, SHARED_UPGRADABLE,
              SHARED_WRITE, SHARED_READ}),
        /* X    */
        bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_NO_WRITE, SHARED_READ_ONLY, SHARED_UPGRADABLE,
              SHARED_WRITE, SHARED_READ, SHARED_HIGH_PRIO}),
    };
    t.waiting = {
        /* SH   */ 0,
        /* SR   */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE}),
        /* SW   */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_NO_WRITE}),
        /* SU   */ bits({EXCLUSIVE}),
        /* SRO  */ bits({EXCLUSIVE, SHARED_NO_READ_WRITE, SHARED_WRITE}),
        /* SNW  */ bits({EXCLUSIVE}),
        /* SNRW */ bits({EXCLUSIVE}),
        /* X    */ 0,
    };
    t.deadlock_weight = {kWeightDml, kWeightDml, kWeightDml, kWeightDdl,
                         kWeightDdl, kWeightDdl, kWeightDdl, kWeightDdl};
    return t;
}

// ROW: InnoDB record locks on one row (lock0lock.cc lock_rec_has_to_wait: LOCK_S is compatible
// with LOCK_S only; a new request also waits behind a conflicting request already queued on
// the row, so grants are FIFO). Not an MDL: the server keeps these in a lock manager of their
// own, with innodb_lock_wait_timeout (docs/row-locks.md#model). Weights: all equal (InnoDB picks
// its deadlock victim by transaction size, which we do not model; the new waiter loses ties).
ModeTable make_row() {
    using namespace row;
    ModeTable t;
    t.name = "ROW";
    t.wait_state = "Waiting for row lock";
    t.modes = {"LOCK_S", "LOCK_X"};
    t.granted = {/* S */ bits({EXCLUSIVE}), /* X */ bits({SHARED, EXCLUSIVE})};
    t.waiting = {/* S */ bits({EXCLUSIVE}), /* X */ bits({SHARED, EXCLUSIVE})};
    t.deadlock_weight = {kWeightDml, kWeightDml};
    return t;
}

// GLOBAL and COMMIT (<=10.3). MariaDB 10.3's MDL_scoped_lock::m_granted_incompatible /
// m_waiting_incompatible (sql/mdl.cc; unchanged in 10.4+ where only SCHEMA uses them), IX/S/X
// (IS is compatible with everything and not modelled). Weights, 10.3's get_deadlock_weight: the
// GLOBAL namespace is always DDL; COMMIT follows type >= MDL_SHARED_UPGRADABLE, so IX and S are
// DML and X is DDL. (10.3 had DML = 0 and no FTWRL1 weight; we keep the 10.4+ scale, DML = 1.)
ModeTable make_scoped(std::string_view name, std::string_view wait_state, bool global) {
    using namespace scoped;
    ModeTable t;
    t.name = name;
    t.wait_state = wait_state;
    t.modes = {"MDL_INTENTION_EXCLUSIVE", "MDL_SHARED", "MDL_EXCLUSIVE"};
    t.granted = {
        /* IX */ bits({SHARED, EXCLUSIVE}),
        /* S  */ bits({INTENTION_EXCLUSIVE, EXCLUSIVE}),
        /* X  */ bits({INTENTION_EXCLUSIVE, SHARED, EXCLUSIVE}),
    };
    t.waiting = {
        /* IX */ bits({SHARED, EXCLUSIVE}),
        /* S  */ bits({EXCLUSIVE}),
        /* X  */ 0,
    };
    if (global) {
        t.deadlock_weight = {kWeightDdl, kWeightDdl, kWeightDdl};
    } else {
        t.deadlock_weight = {kWeightDml, kWeightDml, kWeightDdl};
    }
    return t;
}

// TABLE_FLUSH: a simplification of <=10.3's close_cached_tables, which is not an MDL at all but
// a wait in the table definition cache until every open instance of every table is closed.
// We model it as one lock object: every running statement that has tables open holds OPEN;
// FTWRL's flush requests FLUSH, which waits while another owner holds OPEN (readers included:
// the classic SELECT pile-up). A queued FLUSH makes new OPEN requests wait (statements sent
// during the flush wait too, "Waiting for table flush"); FLUSH requests do not block each other,
// and a granted FLUSH blocks nothing (the caller releases it once the flush is done).
// Weights: close_cached_tables waits with DEADLOCK_WEIGHT_DDL; open_table's wait uses the
// ticket's weight, DML for SR/SW. Mode names are ours (MariaDB has no such MDL).
ModeTable make_table_flush() {
    using namespace flush;
    ModeTable t;
    t.name = "TABLE_FLUSH";
    t.wait_state = "Waiting for table flush";
    t.modes = {"OPEN", "FLUSH"};
    t.granted = {/* OPEN  */ 0, /* FLUSH */ bits({OPEN})};
    t.waiting = {/* OPEN  */ bits({FLUSH}), /* FLUSH */ 0};
    t.deadlock_weight = {kWeightDml, kWeightDdl};
    return t;
}

std::array<ModeTable, kNamespaceCount> make_all() {
    return {make_backup(), make_table(),
            make_scoped("GLOBAL", "Waiting for global read lock", true),
            make_scoped("COMMIT", "Waiting for commit lock", false), make_table_flush(),
            // MySQL 8.0 (sql/mdl.h MDL_key::BACKUP_LOCK, a scoped lock: LOCK INSTANCE FOR BACKUP
            // takes MDL_SHARED, file-changing DDL takes MDL_INTENTION_EXCLUSIVE) and Percona 8.0
            // (BACKUP_TABLES: LOCK TABLES FOR BACKUP takes S, DDL and writes to non-transactional
            // tables take IX); both show "Waiting for backup lock"
            // (docs/mdl-backup-namespace.md#mysql-lock-instance-for-backup,
            // docs/mdl-backup-namespace.md#percona-lock-tables-for-backup).
            make_scoped("BACKUP_LOCK", "Waiting for backup lock", true),
            make_scoped("BACKUP_TABLES", "Waiting for backup lock", true), make_row()};
}

}  // namespace

const ModeTable& mode_table(Ns ns) {
    static const std::array<ModeTable, kNamespaceCount> tables = make_all();
    const auto i = static_cast<std::size_t>(ns);
    if (i >= tables.size()) {
        throw std::out_of_range("mode_table: unknown namespace");
    }
    return tables[i];
}

}  // namespace lockstage::models::locks
