#include "models/server/sql.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>

namespace lockstage::models::server {

namespace {

/// Splits the head of a statement into words: identifiers (backquotes removed; a qualified name
/// such as `db`.`t1` or db.t1 stays one word, "db.t1"), numbers, and single punctuation
/// characters.
std::vector<std::string> words(std::string_view text) {
    auto bare = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$';
    };
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        const char c = text[i];
        if (std::isspace(static_cast<unsigned char>(c))) {
            ++i;
            continue;
        }
        if (c != '`' && !bare(c)) {
            out.emplace_back(1, c);
            ++i;
            continue;
        }
        std::string word;
        for (;;) {  // one part, then more parts while a '.' follows
            if (i < text.size() && text[i] == '`') {
                const std::size_t end = text.find('`', i + 1);
                const std::size_t stop = end == std::string_view::npos ? text.size() : end;
                word.append(text.substr(i + 1, stop - i - 1));
                i = stop + 1;
            } else {
                while (i < text.size() && bare(text[i])) {
                    word += text[i++];
                }
            }
            if (i + 1 < text.size() && text[i] == '.' &&
                (text[i + 1] == '`' || bare(text[i + 1]))) {
                word += '.';
                ++i;
                continue;
            }
            break;
        }
        out.push_back(std::move(word));
    }
    return out;
}

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

/// A cursor over the words, matching keywords case-insensitively.
class Cursor {
  public:
    explicit Cursor(std::vector<std::string> w) : w_(std::move(w)) {}
    bool at_end() const { return i_ >= w_.size(); }
    bool peek(std::string_view kw) const { return !at_end() && upper(w_[i_]) == kw; }
    bool accept(std::string_view kw) {
        if (peek(kw)) {
            ++i_;
            return true;
        }
        return false;
    }
    bool accept_all(const std::vector<std::string_view>& kws) {
        const std::size_t save = i_;
        for (auto kw : kws) {
            if (!accept(kw)) {
                i_ = save;
                return false;
            }
        }
        return true;
    }
    std::optional<std::string> identifier() {
        if (at_end() || !identifier_at(i_)) {
            return std::nullopt;
        }
        return w_[i_++];
    }
    bool identifier_at(std::size_t j) const {
        return std::isalnum(static_cast<unsigned char>(w_[j][0])) || w_[j][0] == '_';
    }
    /// The word after `kw =` anywhere further on (ALTER TABLE t ..., ALGORITHM = COPY), upper
    /// case; "" if `kw` does not occur, nullopt if it occurs without `= word`.
    std::optional<std::string> option(std::string_view kw) const {
        for (std::size_t j = i_; j < w_.size(); ++j) {
            if (upper(w_[j]) == kw) {
                std::size_t k = j + 1;
                if (k < w_.size() && w_[k] == "=") {
                    ++k;
                }
                if (k < w_.size() && identifier_at(k)) {
                    return upper(w_[k]);
                }
                return std::nullopt;
            }
        }
        return std::string();
    }
    /// Whether keyword `kw` appears anywhere after the cursor (for SELECT ... FOR UPDATE).
    bool contains_ahead(const std::vector<std::string_view>& kws) const {
        for (std::size_t j = i_; j + kws.size() <= w_.size(); ++j) {
            bool all = true;
            for (std::size_t k = 0; k < kws.size() && all; ++k) {
                all = upper(w_[j + k]) == kws[k];
            }
            if (all) {
                return true;
            }
        }
        return false;
    }
    /// Skips to just after keyword `kw` (for SELECT ... FROM t).
    bool skip_past(std::string_view kw) {
        while (!at_end()) {
            if (accept(kw)) {
                return true;
            }
            ++i_;
        }
        return false;
    }

  private:
    std::vector<std::string> w_;
    std::size_t i_ = 0;
};

std::string unknown(std::string_view text) {
    return "SQL not understood: \"" + std::string(text) +
           "\"; known statements: " + std::string(known_statements());
}

/// ALTER TABLE's ALGORITHM= and LOCK= clauses, wherever they stand after the table name
/// (sql_yacc.yy alter_algorithm_option, alter_lock_option). False for a value MariaDB refuses.
bool alter_options(const Cursor& c, Statement& s) {
    const auto algorithm = c.option("ALGORITHM");
    const auto lock = c.option("LOCK");
    if (!algorithm || !lock) {
        return false;
    }
    const std::pair<std::string_view, AlterAlgorithm> algorithms[] = {
        {"", AlterAlgorithm::Default},        {"DEFAULT", AlterAlgorithm::Default},
        {"INPLACE", AlterAlgorithm::Inplace}, {"COPY", AlterAlgorithm::Copy},
        {"INSTANT", AlterAlgorithm::Instant}, {"NOCOPY", AlterAlgorithm::Inplace}};
    const std::pair<std::string_view, AlterLock> locks[] = {{"", AlterLock::Default},
                                                            {"DEFAULT", AlterLock::Default},
                                                            {"NONE", AlterLock::None},
                                                            {"SHARED", AlterLock::Shared},
                                                            {"EXCLUSIVE", AlterLock::Exclusive}};
    bool found_algorithm = false;
    for (const auto& [name, a] : algorithms) {
        if (*algorithm == name) {
            s.algorithm = a;
            found_algorithm = true;
        }
    }
    bool found_lock = false;
    for (const auto& [name, l] : locks) {
        if (*lock == name) {
            s.alter_lock = l;
            found_lock = true;
        }
    }
    return found_algorithm && found_lock;
}

}  // namespace

std::string_view stage_name(BackupStage s) {
    switch (s) {
        case BackupStage::None:
            return "NONE";
        case BackupStage::Start:
            return "START";
        case BackupStage::Flush:
            return "FLUSH";
        case BackupStage::BlockDdl:
            return "BLOCK_DDL";
        case BackupStage::BlockCommit:
            return "BLOCK_COMMIT";
        case BackupStage::End:
            return "END";
    }
    return "?";
}

std::string_view known_statements() {
    return "SELECT ... FROM t, INSERT INTO t, UPDATE t, DELETE FROM t, BEGIN, START TRANSACTION, "
           "COMMIT, ROLLBACK, ALTER TABLE t [ALGORITHM=INPLACE|COPY|INSTANT] "
           "[LOCK=NONE|SHARED|EXCLUSIVE], CREATE TABLE t, DROP TABLE t, TRUNCATE TABLE t, "
           "RENAME TABLE t TO u, FLUSH TABLES WITH READ LOCK, UNLOCK TABLES, BACKUP STAGE "
           "START|FLUSH|BLOCK_DDL|BLOCK_COMMIT|END, LOCK INSTANCE FOR BACKUP, UNLOCK INSTANCE, "
           "LOCK TABLES FOR BACKUP, LOCK TABLES t READ|WRITE [, u READ|WRITE ...], SELECT ... FOR "
           "UPDATE, SELECT ... LOCK IN SHARE MODE, SET lock_wait_timeout = N, SET "
           "innodb_lock_wait_timeout = N, KILL [CONNECTION|QUERY] session, DISCONNECT";
}

std::variant<Statement, std::string> parse_sql(std::string_view text) {
    Cursor c(words(text));
    Statement s;
    auto table = [&]() -> bool {
        c.accept_all({"IF", "NOT", "EXISTS"}) || c.accept_all({"IF", "EXISTS"});
        auto t = c.identifier();
        if (!t) {
            return false;
        }
        s.tables.push_back(*t);
        return true;
    };
    if (c.accept("SELECT")) {
        s.kind = StmtKind::Select;
        if (c.contains_ahead({"FOR", "UPDATE"})) {
            s.select_lock = SelectLock::ForUpdate;
        } else if (c.contains_ahead({"LOCK", "IN", "SHARE", "MODE"})) {
            s.select_lock = SelectLock::ShareMode;
        }
        if (c.skip_past("FROM") && !table()) {
            return unknown(text);
        }
        if (s.select_lock != SelectLock::None && s.tables.empty()) {
            return unknown(text);  // a locking read names its table
        }
        return s;
    }
    if (c.accept("INSERT") || c.accept("REPLACE")) {
        s.kind = StmtKind::Insert;
        c.accept("INTO");
        return table() ? std::variant<Statement, std::string>(s) : unknown(text);
    }
    if (c.accept("UPDATE")) {
        s.kind = StmtKind::Update;
        return table() ? std::variant<Statement, std::string>(s) : unknown(text);
    }
    if (c.accept_all({"DELETE", "FROM"})) {
        s.kind = StmtKind::Delete;
        return table() ? std::variant<Statement, std::string>(s) : unknown(text);
    }
    if (c.accept("BEGIN") || c.accept_all({"START", "TRANSACTION"})) {
        s.kind = StmtKind::Begin;
        return s;
    }
    if (c.accept("COMMIT")) {
        s.kind = StmtKind::Commit;
        return s;
    }
    if (c.accept("ROLLBACK")) {
        s.kind = StmtKind::Rollback;
        return s;
    }
    const std::pair<std::vector<std::string_view>, StmtKind> ddl[] = {
        {{"ALTER", "TABLE"}, StmtKind::AlterTable},
        {{"CREATE", "TABLE"}, StmtKind::CreateTable},
        {{"DROP", "TABLE"}, StmtKind::DropTable},
        {{"TRUNCATE", "TABLE"}, StmtKind::TruncateTable},
        {{"TRUNCATE"}, StmtKind::TruncateTable},
        {{"RENAME", "TABLE"}, StmtKind::RenameTable},
    };
    for (const auto& [head, kind] : ddl) {
        if (c.accept_all(head)) {
            s.kind = kind;
            if (!table()) {
                return unknown(text);
            }
            if (kind == StmtKind::RenameTable && !(c.accept("TO") && table())) {
                return unknown(text);
            }
            if (kind == StmtKind::AlterTable && !alter_options(c, s)) {
                return unknown(text);
            }
            return s;
        }
    }
    if (c.accept_all({"FLUSH", "TABLES", "WITH", "READ", "LOCK"})) {
        s.kind = StmtKind::FlushTablesWithReadLock;
        return s;
    }
    if (c.accept_all({"UNLOCK", "TABLES"})) {
        s.kind = StmtKind::UnlockTables;
        return s;
    }
    if (c.accept_all({"UNLOCK", "INSTANCE"})) {
        s.kind = StmtKind::UnlockInstance;
        return s;
    }
    if (c.accept_all({"LOCK", "INSTANCE", "FOR", "BACKUP"})) {
        s.kind = StmtKind::LockInstanceForBackup;
        return s;
    }
    if (c.accept_all({"LOCK", "TABLES", "FOR", "BACKUP"})) {
        s.kind = StmtKind::LockTablesForBackup;
        return s;
    }
    if (c.accept("LOCK") && (c.accept("TABLES") || c.accept("TABLE"))) {
        // LOCK TABLE[S] t [[AS] alias] {READ [LOCAL] | WRITE} [, ...]; READ LOCAL is read as
        // READ, and LOW_PRIORITY WRITE as WRITE.
        s.kind = StmtKind::LockTables;
        do {
            if (!table()) {
                return unknown(text);
            }
            if (c.accept("AS")) {
                if (!c.identifier()) {
                    return unknown(text);
                }
            } else if (!c.peek("READ") && !c.peek("WRITE") && !c.peek("LOW_PRIORITY")) {
                c.identifier();  // an alias without AS
            }
            if (c.accept("READ")) {
                c.accept("LOCAL");
                s.lock_write.push_back(false);
            } else if ((c.accept("LOW_PRIORITY"), c.accept("WRITE"))) {
                s.lock_write.push_back(true);
            } else {
                return unknown(text);
            }
        } while (c.accept(","));
        return s;
    }
    if (c.accept_all({"BACKUP", "STAGE"})) {
        s.kind = StmtKind::BackupStage;
        const std::pair<std::string_view, BackupStage> stages[] = {
            {"START", BackupStage::Start},
            {"FLUSH", BackupStage::Flush},
            {"BLOCK_DDL", BackupStage::BlockDdl},
            {"BLOCK_COMMIT", BackupStage::BlockCommit},
            {"END", BackupStage::End}};
        for (const auto& [name, stage] : stages) {
            if (c.accept(name)) {
                s.stage = stage;
                return s;
            }
        }
        return unknown(text);
    }
    if (c.accept("SET")) {
        // SET [SESSION | LOCAL] lock_wait_timeout = N, or SET @@[session.]lock_wait_timeout = N
        if (!c.accept("SESSION") && !c.accept("LOCAL") && c.accept("@")) {
            c.accept("@");
        }
        std::optional<StmtKind> kind;
        for (const char* prefix : {"", "SESSION.", "LOCAL."}) {
            if (c.accept(std::string(prefix) + "LOCK_WAIT_TIMEOUT")) {
                kind = StmtKind::SetLockWaitTimeout;
            } else if (c.accept(std::string(prefix) + "INNODB_LOCK_WAIT_TIMEOUT")) {
                kind = StmtKind::SetInnodbLockWaitTimeout;
            }
        }
        if (kind && c.accept("=")) {
            if (auto n = c.identifier()) {
                char* end = nullptr;
                s.seconds = std::strtod(n->c_str(), &end);
                if (end != nullptr && *end == '\0' && s.seconds >= 0) {
                    s.kind = *kind;
                    return s;
                }
            }
        }
        return unknown(text);
    }
    if (c.accept("KILL")) {
        s.kind = StmtKind::Kill;
        s.kill_query = c.accept("QUERY");
        c.accept("CONNECTION");
        auto target = c.identifier();
        if (!target) {
            return unknown(text);
        }
        s.target = *target;
        return s;
    }
    if (c.accept("DISCONNECT")) {
        s.kind = StmtKind::Disconnect;
        return s;
    }
    return unknown(text);
}

std::string_view kind_name(StmtKind kind) {
    switch (kind) {
        case StmtKind::Select:
            return "SELECT";
        case StmtKind::Insert:
            return "INSERT";
        case StmtKind::Update:
            return "UPDATE";
        case StmtKind::Delete:
            return "DELETE";
        case StmtKind::Begin:
            return "BEGIN";
        case StmtKind::Commit:
            return "COMMIT";
        case StmtKind::Rollback:
            return "ROLLBACK";
        case StmtKind::AlterTable:
            return "ALTER TABLE";
        case StmtKind::CreateTable:
            return "CREATE TABLE";
        case StmtKind::DropTable:
            return "DROP TABLE";
        case StmtKind::TruncateTable:
            return "TRUNCATE TABLE";
        case StmtKind::RenameTable:
            return "RENAME TABLE";
        case StmtKind::FlushTablesWithReadLock:
            return "FLUSH TABLES WITH READ LOCK";
        case StmtKind::UnlockTables:
            return "UNLOCK TABLES";
        case StmtKind::BackupStage:
            return "BACKUP STAGE";
        case StmtKind::LockInstanceForBackup:
            return "LOCK INSTANCE FOR BACKUP";
        case StmtKind::UnlockInstance:
            return "UNLOCK INSTANCE";
        case StmtKind::LockTablesForBackup:
            return "LOCK TABLES FOR BACKUP";
        case StmtKind::LockTables:
            return "LOCK TABLES";
        case StmtKind::SetLockWaitTimeout:
            return "SET lock_wait_timeout";
        case StmtKind::SetInnodbLockWaitTimeout:
            return "SET innodb_lock_wait_timeout";
        case StmtKind::Kill:
            return "KILL";
        case StmtKind::Disconnect:
            return "DISCONNECT";
    }
    return "?";
}

}  // namespace lockstage::models::server
