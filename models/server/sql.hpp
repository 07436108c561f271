#pragma once
// The statements a scripted session can send, written as real SQL. The parser reads a
// statement's head up to what decides its locks (the kind, the table name, the stage) and
// ignores the rest, so `INSERT INTO t2 VALUES (1)` and `INSERT INTO t2` are the same statement.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace lockstage::models::server {

enum class StmtKind {
    Select,
    Insert,
    Update,
    Delete,
    Begin,
    Commit,
    Rollback,
    AlterTable,
    CreateTable,
    DropTable,
    TruncateTable,
    RenameTable,
    FlushTablesWithReadLock,
    UnlockTables,
    BackupStage,
    LockInstanceForBackup,
    UnlockInstance,
    LockTablesForBackup,
    LockTables,
    SetLockWaitTimeout,
    SetInnodbLockWaitTimeout,
    Kill,
    Disconnect,
};

enum class BackupStage { None, Start, Flush, BlockDdl, BlockCommit, End };
/// SELECT ... FOR UPDATE takes a write table lock (MDL_SHARED_WRITE, so a backup lock too) and
/// exclusive row locks; LOCK IN SHARE MODE a read table lock and shared row locks.
enum class SelectLock { None, ForUpdate, ShareMode };
std::string_view stage_name(BackupStage s);

/// ALTER TABLE's ALGORITHM= and LOCK= clauses (Default: not given).
enum class AlterAlgorithm { Default, Inplace, Copy, Instant };
enum class AlterLock { Default, None, Shared, Exclusive };

struct Statement {
    StmtKind kind = StmtKind::Select;
    std::vector<std::string> tables;  ///< tables named (RENAME: from, to); empty if none
    BackupStage stage = BackupStage::None;
    std::vector<bool> lock_write;  ///< LOCK TABLES: per table, WRITE (true) or READ
    SelectLock select_lock = SelectLock::None;
    double seconds = 0.0;     ///< SET [innodb_]lock_wait_timeout = N
    std::string target;       ///< KILL target session
    bool kill_query = false;  ///< KILL QUERY (the statement only) vs KILL [CONNECTION]
    AlterAlgorithm algorithm = AlterAlgorithm::Default;  ///< ALTER TABLE ... ALGORITHM=
    AlterLock alter_lock = AlterLock::Default;           ///< ALTER TABLE ... LOCK=
    /// The hot row it locks in its (InnoDB) table, "" for none: not SQL, the scenario's
    /// row_lock option (docs/row-locks.md#model).
    std::string row;

    bool is_write() const {
        return kind == StmtKind::Insert || kind == StmtKind::Update || kind == StmtKind::Delete;
    }
    /// Opens its table for writing (MDL_SHARED_WRITE, and so a backup lock): a write, or
    /// SELECT ... FOR UPDATE (sql_yacc.yy select_lock_type: TL_WRITE).
    bool opens_for_write() const {
        return is_write() || (kind == StmtKind::Select && select_lock == SelectLock::ForUpdate);
    }
    bool is_ddl() const {
        return kind == StmtKind::AlterTable || kind == StmtKind::CreateTable ||
               kind == StmtKind::DropTable || kind == StmtKind::TruncateTable ||
               kind == StmtKind::RenameTable;
    }
};

/// The statement's kind as SQL words: "SELECT", "INSERT", "FLUSH TABLES WITH READ LOCK", ...
std::string_view kind_name(StmtKind kind);

/// The statement, or a message saying what is not understood and listing what is.
std::variant<Statement, std::string> parse_sql(std::string_view text);

/// One line listing the statement forms the parser knows, for error messages.
std::string_view known_statements();

}  // namespace lockstage::models::server
