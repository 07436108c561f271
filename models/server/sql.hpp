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
    SetLockWaitTimeout,
    Kill,
    Disconnect,
};

enum class BackupStage { None, Start, Flush, BlockDdl, BlockCommit, End };
std::string_view stage_name(BackupStage s);

/// ALTER TABLE's ALGORITHM= and LOCK= clauses (Default: not given).
enum class AlterAlgorithm { Default, Inplace, Copy, Instant };
enum class AlterLock { Default, None, Shared, Exclusive };

struct Statement {
    StmtKind kind = StmtKind::Select;
    std::vector<std::string> tables;  ///< tables named (RENAME: from, to); empty if none
    BackupStage stage = BackupStage::None;
    double seconds = 0.0;     ///< SET lock_wait_timeout = N
    std::string target;       ///< KILL target session
    bool kill_query = false;  ///< KILL QUERY (the statement only) vs KILL [CONNECTION]
    AlterAlgorithm algorithm = AlterAlgorithm::Default;  ///< ALTER TABLE ... ALGORITHM=
    AlterLock alter_lock = AlterLock::Default;           ///< ALTER TABLE ... LOCK=

    bool is_write() const {
        return kind == StmtKind::Insert || kind == StmtKind::Update || kind == StmtKind::Delete;
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
