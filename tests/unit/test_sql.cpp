#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/server/flavor.hpp"
#include "models/server/sql.hpp"

// parse_sql (the statement heads a scripted session can send) and the flavour table.
namespace {

namespace srv = lockstage::models::server;
using srv::BackupStage;
using srv::Flavor;
using srv::Statement;
using srv::StmtKind;

Statement parsed(std::string_view sql) {
    INFO("SQL: " << sql);
    auto r = srv::parse_sql(sql);
    if (const auto* msg = std::get_if<std::string>(&r)) {
        FAIL("refused: " << *msg);
    }
    return std::get<Statement>(r);
}

std::optional<std::string> refusal(std::string_view sql) {
    auto r = srv::parse_sql(sql);
    if (const auto* msg = std::get_if<std::string>(&r)) {
        return *msg;
    }
    return std::nullopt;
}

bool same(const Statement& a, const Statement& b) {
    return a.kind == b.kind && a.tables == b.tables && a.stage == b.stage &&
           a.seconds == b.seconds && a.target == b.target && a.kill_query == b.kill_query &&
           a.algorithm == b.algorithm && a.alter_lock == b.alter_lock;
}

using Tables = std::vector<std::string>;

struct Form {
    std::string_view sql;
    StmtKind kind;
    Tables tables;
};

}  // namespace

TEST_CASE("parse_sql: every statement form of known_statements()") {
    const std::vector<Form> forms = {
        {"SELECT * FROM t1", StmtKind::Select, {"t1"}},
        {"SELECT a, b FROM t1 WHERE a = 1", StmtKind::Select, {"t1"}},
        {"SELECT 1", StmtKind::Select, {}},
        {"INSERT INTO t2", StmtKind::Insert, {"t2"}},
        {"REPLACE INTO t2 VALUES (1)", StmtKind::Insert, {"t2"}},
        {"UPDATE t3 SET a = a + 1", StmtKind::Update, {"t3"}},
        {"DELETE FROM t4 WHERE id = 7", StmtKind::Delete, {"t4"}},
        {"BEGIN", StmtKind::Begin, {}},
        {"START TRANSACTION", StmtKind::Begin, {}},
        {"COMMIT", StmtKind::Commit, {}},
        {"ROLLBACK", StmtKind::Rollback, {}},
        {"ALTER TABLE t1", StmtKind::AlterTable, {"t1"}},
        {"CREATE TABLE t9 (id INT)", StmtKind::CreateTable, {"t9"}},
        {"DROP TABLE t9", StmtKind::DropTable, {"t9"}},
        {"TRUNCATE TABLE t5", StmtKind::TruncateTable, {"t5"}},
        {"RENAME TABLE t1 TO t1_old", StmtKind::RenameTable, {"t1", "t1_old"}},
        {"FLUSH TABLES WITH READ LOCK", StmtKind::FlushTablesWithReadLock, {}},
        {"UNLOCK TABLES", StmtKind::UnlockTables, {}},
        {"BACKUP STAGE START", StmtKind::BackupStage, {}},
        {"LOCK INSTANCE FOR BACKUP", StmtKind::LockInstanceForBackup, {}},
        {"UNLOCK INSTANCE", StmtKind::UnlockInstance, {}},
        {"LOCK TABLES FOR BACKUP", StmtKind::LockTablesForBackup, {}},
        {"SET lock_wait_timeout = 5", StmtKind::SetLockWaitTimeout, {}},
        {"KILL backup", StmtKind::Kill, {}},
        {"DISCONNECT", StmtKind::Disconnect, {}},
    };
    for (const auto& f : forms) {
        INFO("SQL: " << f.sql);
        const Statement s = parsed(f.sql);
        CHECK(s.kind == f.kind);
        CHECK(s.tables == f.tables);
    }
}

TEST_CASE("parse_sql: keywords in any case, names as written") {
    CHECK(same(parsed("insert into t2"), parsed("INSERT INTO t2")));
    CHECK(same(parsed("Select * From t1"), parsed("SELECT * FROM t1")));
    CHECK(same(parsed("flush tables with read lock"), parsed("FLUSH TABLES WITH READ LOCK")));
    CHECK(same(parsed("backup stage block_commit"), parsed("BACKUP STAGE BLOCK_COMMIT")));
    CHECK(same(parsed("start transaction"), parsed("BEGIN")));
    CHECK(same(parsed("set LOCK_WAIT_TIMEOUT = 5"), parsed("SET lock_wait_timeout = 5")));
    CHECK(same(parsed("kill query x"), parsed("KILL QUERY x")));
    // Table names keep their case (MariaDB's table names are case-sensitive on Linux).
    CHECK(parsed("insert into Orders").tables == Tables{"Orders"});
}

TEST_CASE("parse_sql: backquoted names") {
    CHECK(parsed("INSERT INTO `t2` VALUES (1)").tables == Tables{"t2"});
    CHECK(parsed("SELECT * FROM `order` WHERE id = 1").tables == Tables{"order"});
    CHECK(parsed("ALTER TABLE `my table` ADD COLUMN c INT").tables == Tables{"my table"});
    CHECK(parsed("RENAME TABLE `a` TO `b`").tables == Tables{"a", "b"});
    CHECK(parsed("KILL `backup`").target == "backup");
    // A schema prefix is kept (sql.cpp: "schema prefix kept").
    CHECK(parsed("UPDATE db.t1 SET a = 1").tables == Tables{"db.t1"});
}

TEST_CASE("parse_sql: a backquoted schema-qualified name names the same table as unquoted") {
    // sql.cpp documents that identifiers keep their schema prefix: db.t1 is "db.t1". Quoting
    // the parts (`db`.`t1`, as mysqldump and many tools write them) must not change the table;
    // reading it as "db" would make every table of schema db one and the same lock.
    REQUIRE(parsed("INSERT INTO db.t1").tables == Tables{"db.t1"});
    for (const std::string_view sql :
         {"INSERT INTO `db`.`t1` VALUES (1)", "INSERT INTO `db`.t1", "INSERT INTO db.`t1`"}) {
        INFO("SQL: " << sql);
        const Tables t = parsed(sql).tables;
        REQUIRE(t.size() == 1);
        CHECK(t.front() == "db.t1");
    }
}

TEST_CASE("parse_sql: the text after the head is ignored") {
    CHECK(same(parsed("INSERT INTO t2 VALUES (1)"), parsed("INSERT INTO t2")));
    CHECK(same(parsed("INSERT INTO t2 (a, b) SELECT a, b FROM t3"), parsed("INSERT INTO t2")));
    CHECK(same(parsed("ALTER TABLE t1 ADD COLUMN c INT"), parsed("ALTER TABLE t1")));
    CHECK(same(parsed("ALTER TABLE t1 ENGINE=InnoDB, FORCE"), parsed("ALTER TABLE t1")));
    CHECK(same(parsed("UPDATE t3 SET a = 2 WHERE id = 9"), parsed("UPDATE t3")));
    CHECK(same(parsed("DELETE FROM t4 LIMIT 10"), parsed("DELETE FROM t4")));
    CHECK(same(parsed("COMMIT WORK"), parsed("COMMIT")));
    CHECK(same(parsed("CREATE TABLE t9 (id INT PRIMARY KEY) ENGINE=MyISAM"),
               parsed("CREATE TABLE t9")));
    CHECK(same(parsed("  INSERT INTO t2   "), parsed("INSERT INTO t2")));
    // Different tables are different statements (so `same` can tell them apart).
    CHECK_FALSE(same(parsed("INSERT INTO t2"), parsed("INSERT INTO t3")));
    CHECK_FALSE(same(parsed("INSERT INTO t2"), parsed("UPDATE t2")));
}

TEST_CASE("parse_sql: RENAME TABLE a TO b names both tables, from first") {
    const Statement s = parsed("RENAME TABLE a TO b");
    CHECK(s.kind == StmtKind::RenameTable);
    CHECK(s.tables == Tables{"a", "b"});
    CHECK(s.is_ddl());
    CHECK(parsed("rename table orders to orders_2024").tables == Tables{"orders", "orders_2024"});
    CHECK(refusal("RENAME TABLE a"));
    CHECK(refusal("RENAME TABLE a b"));
}

TEST_CASE("parse_sql: DROP TABLE IF EXISTS, CREATE TABLE IF NOT EXISTS") {
    const Statement d = parsed("DROP TABLE IF EXISTS t");
    CHECK(d.kind == StmtKind::DropTable);
    CHECK(d.tables == Tables{"t"});
    const Statement c = parsed("CREATE TABLE IF NOT EXISTS t (id INT)");
    CHECK(c.kind == StmtKind::CreateTable);
    CHECK(c.tables == Tables{"t"});
}

TEST_CASE("parse_sql: TRUNCATE t and TRUNCATE TABLE t") {
    const Statement a = parsed("TRUNCATE t");
    const Statement b = parsed("TRUNCATE TABLE t");
    CHECK(a.kind == StmtKind::TruncateTable);
    CHECK(a.tables == Tables{"t"});
    CHECK(same(a, b));
    CHECK(parsed("truncate table `t`").tables == Tables{"t"});
}

TEST_CASE("parse_sql: SET lock_wait_timeout") {
    const Statement a = parsed("SET lock_wait_timeout = 5");
    CHECK(a.kind == StmtKind::SetLockWaitTimeout);
    CHECK(a.seconds == 5.0);
    const Statement b = parsed("SET SESSION lock_wait_timeout=0.5");
    CHECK(b.kind == StmtKind::SetLockWaitTimeout);
    CHECK(b.seconds == 0.5);
    CHECK(parsed("SET lock_wait_timeout = 0").seconds == 0.0);
    CHECK(parsed("SET @@lock_wait_timeout = 31536000").seconds == 31536000.0);
    CHECK(refusal("SET lock_wait_timeout = -1"));
    CHECK(refusal("SET lock_wait_timeout = abc"));
    CHECK(refusal("SET lock_wait_timeout = 5x"));
    CHECK(refusal("SET lock_wait_timeout"));
    CHECK(refusal("SET autocommit = 0"));
}

TEST_CASE("parse_sql: SET @@session.lock_wait_timeout, as clients write it") {
    // sql.cpp's SET branch means to accept the @@session. prefix (it tries the word
    // "SESSION."), but the tokenizer reads "session.lock_wait_timeout" as one word.
    for (const std::string_view text :
         {"SET @@session.lock_wait_timeout = 5", "SET @@SESSION.lock_wait_timeout=5"}) {
        INFO("SQL: " << text);
        const auto msg = refusal(text);
        CHECK_FALSE(msg.has_value());
        if (!msg) {
            CHECK(parsed(text).kind == StmtKind::SetLockWaitTimeout);
            CHECK(parsed(text).seconds == 5.0);
        }
    }
}

TEST_CASE("parse_sql: KILL, KILL QUERY, KILL CONNECTION") {
    const Statement a = parsed("KILL x");
    CHECK(a.kind == StmtKind::Kill);
    CHECK(a.target == "x");
    CHECK_FALSE(a.kill_query);
    const Statement q = parsed("KILL QUERY x");
    CHECK(q.kind == StmtKind::Kill);
    CHECK(q.target == "x");
    CHECK(q.kill_query);
    const Statement c = parsed("KILL CONNECTION x");
    CHECK(c.kind == StmtKind::Kill);
    CHECK(c.target == "x");
    CHECK_FALSE(c.kill_query);
    CHECK(same(a, c));
    CHECK(parsed("kill connection backup_1").target == "backup_1");
    CHECK(refusal("KILL"));
    CHECK(refusal("KILL QUERY"));
}

TEST_CASE("parse_sql: BACKUP STAGE, each stage") {
    const std::vector<std::pair<std::string_view, BackupStage>> stages = {
        {"BACKUP STAGE START", BackupStage::Start},
        {"BACKUP STAGE FLUSH", BackupStage::Flush},
        {"BACKUP STAGE BLOCK_DDL", BackupStage::BlockDdl},
        {"BACKUP STAGE BLOCK_COMMIT", BackupStage::BlockCommit},
        {"BACKUP STAGE END", BackupStage::End},
    };
    for (const auto& [sql, stage] : stages) {
        INFO("SQL: " << sql);
        const Statement s = parsed(sql);
        CHECK(s.kind == StmtKind::BackupStage);
        CHECK(s.stage == stage);
        CHECK(s.tables.empty());
    }
    CHECK(srv::stage_name(BackupStage::None) == "NONE");
    CHECK(srv::stage_name(BackupStage::Start) == "START");
    CHECK(srv::stage_name(BackupStage::Flush) == "FLUSH");
    CHECK(srv::stage_name(BackupStage::BlockDdl) == "BLOCK_DDL");
    CHECK(srv::stage_name(BackupStage::BlockCommit) == "BLOCK_COMMIT");
    CHECK(srv::stage_name(BackupStage::End) == "END");
}

TEST_CASE("parse_sql: LOCK TABLES, each table READ or WRITE, with aliases") {
    const auto st = parsed("LOCK TABLES t1 WRITE, t2 AS a READ LOCAL, `t3` b LOW_PRIORITY WRITE");
    CHECK(st.kind == StmtKind::LockTables);
    CHECK(st.tables == std::vector<std::string>{"t1", "t2", "t3"});
    CHECK(st.lock_write == std::vector<bool>{true, false, true});
    const auto one = parsed("lock table t1 read");
    CHECK(one.kind == StmtKind::LockTables);
    CHECK(one.lock_write == std::vector<bool>{false});
    CHECK(parsed("LOCK TABLES FOR BACKUP").kind == StmtKind::LockTablesForBackup);
    CHECK(srv::kind_name(StmtKind::LockTables) == "LOCK TABLES");
}

TEST_CASE("parse_sql: locking reads; FOR UPDATE opens its table for writing") {
    const auto fu = parsed("SELECT * FROM t1 WHERE id = 1 FOR UPDATE");
    CHECK(fu.kind == StmtKind::Select);
    CHECK(fu.select_lock == srv::SelectLock::ForUpdate);
    CHECK(fu.opens_for_write());
    CHECK_FALSE(fu.is_write());
    const auto sh = parsed("select a from t1 where id = 1 lock in share mode");
    CHECK(sh.select_lock == srv::SelectLock::ShareMode);
    CHECK_FALSE(sh.opens_for_write());
    CHECK(parsed("SELECT * FROM t1").select_lock == srv::SelectLock::None);
    CHECK(parsed("UPDATE t1 SET a = 1").opens_for_write());
}

TEST_CASE("parse_sql: SET innodb_lock_wait_timeout") {
    const auto st = parsed("SET SESSION innodb_lock_wait_timeout = 2");
    CHECK(st.kind == StmtKind::SetInnodbLockWaitTimeout);
    CHECK(st.seconds == 2.0);
    CHECK(parsed("SET @@session.innodb_lock_wait_timeout=1").kind ==
          StmtKind::SetInnodbLockWaitTimeout);
    CHECK(parsed("SET lock_wait_timeout = 3").kind == StmtKind::SetLockWaitTimeout);
}

TEST_CASE("parse_sql: refusals say what is not understood and list the known statements") {
    const std::vector<std::string_view> bad = {
        "",
        "   ",
        "SELEC",
        "SELEC * FROM t1",
        "BACKUP STAGE LATER",
        "BACKUP STAGE",
        "INSERT INTO",
        "INSERT INTO (a) VALUES (1)",
        "UPDATE",
        "DELETE t1",
        "SELECT * FROM",
        "ALTER TABLE",
        "DROP TABLE IF EXISTS",
        "SET lock_wait_timeout = -1",
        "FLUSH TABLES",
        "LOCK TABLES t1",
        "LOCK TABLES t1 WRITE,",
        "SELECT * FOR UPDATE",
        "GRANT RELOAD ON *.* TO u",
    };
    for (const auto sql : bad) {
        INFO("SQL: \"" << sql << "\"");
        const auto msg = refusal(sql);
        REQUIRE(msg.has_value());
        CHECK(msg->find("SQL not understood") != std::string::npos);
        CHECK(msg->find(srv::known_statements()) != std::string::npos);
        std::string quoted(1, '"');
        quoted.append(sql).push_back('"');
        CHECK(msg->find(quoted) != std::string::npos);
    }
}

TEST_CASE("parse_sql: known_statements() names every form") {
    const std::string k(srv::known_statements());
    for (const std::string_view form : {"SELECT",
                                        "INSERT INTO t",
                                        "UPDATE t",
                                        "DELETE FROM t",
                                        "BEGIN",
                                        "START TRANSACTION",
                                        "COMMIT",
                                        "ROLLBACK",
                                        "ALTER TABLE t",
                                        "CREATE TABLE t",
                                        "DROP TABLE t",
                                        "TRUNCATE TABLE t",
                                        "RENAME TABLE t TO u",
                                        "FLUSH TABLES WITH READ LOCK",
                                        "UNLOCK TABLES",
                                        "BACKUP STAGE",
                                        "START|FLUSH|BLOCK_DDL|BLOCK_COMMIT|END",
                                        "LOCK INSTANCE FOR BACKUP",
                                        "UNLOCK INSTANCE",
                                        "LOCK TABLES FOR BACKUP",
                                        "SET lock_wait_timeout = N",
                                        "KILL",
                                        "DISCONNECT"}) {
        INFO(form);
        CHECK(k.find(form) != std::string::npos);
    }
}

TEST_CASE("Statement: is_write and is_ddl") {
    CHECK(parsed("INSERT INTO t").is_write());
    CHECK(parsed("UPDATE t").is_write());
    CHECK(parsed("DELETE FROM t").is_write());
    CHECK_FALSE(parsed("SELECT * FROM t").is_write());
    CHECK_FALSE(parsed("COMMIT").is_write());
    CHECK_FALSE(parsed("ALTER TABLE t").is_write());
    for (const std::string_view ddl :
         {"ALTER TABLE t", "CREATE TABLE t", "DROP TABLE t", "TRUNCATE t", "RENAME TABLE t TO u"}) {
        INFO(ddl);
        CHECK(parsed(ddl).is_ddl());
    }
    CHECK_FALSE(parsed("INSERT INTO t").is_ddl());
    CHECK_FALSE(parsed("FLUSH TABLES WITH READ LOCK").is_ddl());
    CHECK_FALSE(parsed("BACKUP STAGE START").is_ddl());
}

// --- Flavours ------------------------------------------------------------------------------

TEST_CASE("flavor_from_name and traits: the four flavours") {
    struct Row {
        std::string_view name;
        Flavor flavor;
        bool classic, stage, instance, tables_for_backup;
        std::string_view privilege;
    };
    const std::vector<Row> rows = {
        {"mariadb-10.3", Flavor::MariaDB103, true, false, false, false, ""},
        {"mariadb-10.11", Flavor::MariaDB1011, false, true, false, false, ""},
        {"mysql-8.0", Flavor::MySQL80, true, false, true, false, "BACKUP_ADMIN"},
        {"percona-8.0", Flavor::Percona80, true, false, true, true, "BACKUP_ADMIN"},
    };
    for (const auto& row : rows) {
        INFO(row.name);
        const auto f = srv::flavor_from_name(row.name);
        REQUIRE(f.has_value());
        CHECK(*f == row.flavor);
        const auto& t = srv::traits(row.flavor);
        CHECK(t.flavor == row.flavor);
        CHECK(t.name == row.name);
        CHECK(t.classic_global_read_lock == row.classic);
        CHECK(t.backup_stage == row.stage);
        CHECK(t.lock_instance == row.instance);
        CHECK(t.lock_tables_for_backup == row.tables_for_backup);
        CHECK(t.backup_privilege == row.privilege);
        CHECK(std::string_view(srv::flavor_names()).find(row.name) != std::string_view::npos);
    }
    CHECK_FALSE(srv::flavor_from_name("mariadb-10.4"));
    CHECK_FALSE(srv::flavor_from_name("mariadb"));
    CHECK_FALSE(srv::flavor_from_name(""));
    CHECK_FALSE(srv::flavor_from_name("mysql-5.7"));
    CHECK(srv::flavor_names() == "mariadb-10.3, mariadb-10.11, mysql-8.0, percona-8.0");
}

TEST_CASE("flavor_has: which backup statements each flavour knows") {
    const auto& m103 = srv::traits(Flavor::MariaDB103);
    const auto& m1011 = srv::traits(Flavor::MariaDB1011);
    const auto& my80 = srv::traits(Flavor::MySQL80);
    const auto& p80 = srv::traits(Flavor::Percona80);

    // BACKUP STAGE: MariaDB 10.4.1+ only.
    CHECK_FALSE(srv::flavor_has(m103, StmtKind::BackupStage));
    CHECK(srv::flavor_has(m1011, StmtKind::BackupStage));
    CHECK_FALSE(srv::flavor_has(my80, StmtKind::BackupStage));
    CHECK_FALSE(srv::flavor_has(p80, StmtKind::BackupStage));
    // LOCK INSTANCE FOR BACKUP / UNLOCK INSTANCE: MySQL 8.0 and Percona 8.0.
    for (const StmtKind k : {StmtKind::LockInstanceForBackup, StmtKind::UnlockInstance}) {
        CHECK_FALSE(srv::flavor_has(m103, k));
        CHECK_FALSE(srv::flavor_has(m1011, k));
        CHECK(srv::flavor_has(my80, k));
        CHECK(srv::flavor_has(p80, k));
    }
    // LOCK TABLES FOR BACKUP: Percona only.
    CHECK_FALSE(srv::flavor_has(m103, StmtKind::LockTablesForBackup));
    CHECK_FALSE(srv::flavor_has(m1011, StmtKind::LockTablesForBackup));
    CHECK_FALSE(srv::flavor_has(my80, StmtKind::LockTablesForBackup));
    CHECK(srv::flavor_has(p80, StmtKind::LockTablesForBackup));
    // Everything else exists everywhere, FTWRL included.
    for (const auto* t : {&m103, &m1011, &my80, &p80}) {
        INFO(t->name);
        for (const StmtKind k :
             {StmtKind::Select, StmtKind::Insert, StmtKind::Commit, StmtKind::AlterTable,
              StmtKind::FlushTablesWithReadLock, StmtKind::UnlockTables, StmtKind::Kill,
              StmtKind::SetLockWaitTimeout}) {
            CHECK(srv::flavor_has(*t, k));
        }
    }
}

TEST_CASE("required_privilege: RELOAD for FTWRL and BACKUP STAGE, BACKUP_ADMIN for MySQL's") {
    for (const Flavor f :
         {Flavor::MariaDB103, Flavor::MariaDB1011, Flavor::MySQL80, Flavor::Percona80}) {
        const auto& t = srv::traits(f);
        INFO(t.name);
        CHECK(srv::required_privilege(t, StmtKind::FlushTablesWithReadLock) == "RELOAD");
        for (const StmtKind k :
             {StmtKind::Select, StmtKind::Insert, StmtKind::Update, StmtKind::Delete,
              StmtKind::Begin, StmtKind::Commit, StmtKind::AlterTable, StmtKind::UnlockTables,
              StmtKind::UnlockInstance, StmtKind::SetLockWaitTimeout, StmtKind::Kill}) {
            CHECK(srv::required_privilege(t, k).empty());
        }
    }
    // MariaDB has no BACKUP_ADMIN: BACKUP STAGE needs RELOAD (backup_priv.result).
    CHECK(srv::required_privilege(srv::traits(Flavor::MariaDB1011), StmtKind::BackupStage) ==
          "RELOAD");
    CHECK(srv::required_privilege(srv::traits(Flavor::MySQL80), StmtKind::LockInstanceForBackup) ==
          "BACKUP_ADMIN");
    CHECK(srv::required_privilege(srv::traits(Flavor::Percona80),
                                  StmtKind::LockInstanceForBackup) == "BACKUP_ADMIN");
    CHECK(srv::required_privilege(srv::traits(Flavor::Percona80), StmtKind::LockTablesForBackup) ==
          "BACKUP_ADMIN");
}

TEST_CASE("parse_sql: ALTER TABLE's ALGORITHM= and LOCK= decide its plan") {
    using srv::AlterAlgorithm;
    using srv::AlterLock;
    const Statement plain = parsed("ALTER TABLE t1 ADD COLUMN c INT");
    CHECK(plain.algorithm == AlterAlgorithm::Default);
    CHECK(plain.alter_lock == AlterLock::Default);
    const Statement copy = parsed("ALTER TABLE t1 ENGINE=InnoDB, ALGORITHM=COPY, LOCK=SHARED");
    CHECK(copy.algorithm == AlterAlgorithm::Copy);
    CHECK(copy.alter_lock == AlterLock::Shared);
    const Statement inplace = parsed("alter table t1 add index (a), algorithm inplace, lock none");
    CHECK(inplace.algorithm == AlterAlgorithm::Inplace);
    CHECK(inplace.alter_lock == AlterLock::None);
    CHECK(parsed("ALTER TABLE t1 ADD COLUMN d INT, ALGORITHM=INSTANT").algorithm ==
          AlterAlgorithm::Instant);
    CHECK(parsed("ALTER TABLE t1 FORCE, LOCK=EXCLUSIVE").alter_lock == AlterLock::Exclusive);
    CHECK(parsed("ALTER TABLE t1 FORCE, ALGORITHM=DEFAULT").algorithm == AlterAlgorithm::Default);
    // A value MariaDB's grammar refuses is refused here too.
    CHECK(std::holds_alternative<std::string>(srv::parse_sql("ALTER TABLE t1 ALGORITHM=FAST")));
    CHECK(std::holds_alternative<std::string>(srv::parse_sql("ALTER TABLE t1 LOCK=")));
}
