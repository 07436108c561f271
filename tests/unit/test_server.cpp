#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/server/flavor.hpp"
#include "models/server/lock_plan.hpp"
#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/server/sql.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sql_helpers.hpp"

// The server model driven statement by statement, as mysqltest would: scripted sessions
// (start_scripts), or a coroutine of our own calling Server::execute. The expected behaviour is
// MariaDB's (docs/mdl-backup-namespace.md, docs/backup-stage.md and docs/ftwrl.md; observed on
// 10.11.19: docs/measured.md#real-1011-replayed-statement-by-statement), never read back from the
// model's tables. All times are exact, in nanoseconds.
// Coroutines are free functions (no coroutine lambdas: g++ 12 mishandles them).
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
namespace lk = lockstage::models::locks;
using lockstage::tests::at;
using lockstage::tests::sql;
using sim::millis;
using sim::seconds;
using sim::Time;
using srv::Engine;
using srv::Error;
using srv::Flavor;
using srv::ScriptedSession;
using srv::ScriptedStatement;
using srv::Server;
using srv::StatementResult;

constexpr std::string_view kBackupLock = "Waiting for backup lock";
constexpr std::string_view kTableMdl = "Waiting for table metadata lock";
constexpr std::string_view kTableFlush = "Waiting for table flush";
constexpr std::string_view kGlobalReadLock = "Waiting for global read lock";

// The time every read-write commit takes in these tests (fsync), while the commit lock is held.
constexpr Time kCommit = sim::micros(250);

// Tables every test can use: InnoDB t1, t2; MyISAM m1, m2.
std::vector<srv::TableDef> default_tables() {
    return {{"t1", Engine::InnoDB},
            {"t2", Engine::InnoDB},
            {"m1", Engine::MyISAM},
            {"m2", Engine::MyISAM}};
}

srv::ServerConfig config(Flavor f) {
    srv::ServerConfig c;
    c.flavor = f;
    c.commit = sim::Distribution::constant(kCommit);
    return c;
}

// A simulation, a server, scripted sessions and their trace.
struct Bench {
    sim::Simulation sim;
    Server server;
    std::vector<ScriptedSession> scripts;  // start_scripts keeps references into this
    std::vector<srv::TraceRow> trace;

    explicit Bench(Flavor f = Flavor::MariaDB1011, std::vector<srv::UserDef> users = {})
        : server(sim, config(f), default_tables(), std::move(users)) {}

    void play(std::vector<ScriptedSession> s, Time until) {
        scripts = std::move(s);
        trace.clear();
        srv::start_scripts(server, scripts, trace);
        sim.run_until(until);
    }

    // The result of the `seq`-th statement (1-based) of session `name`; fails the test if that
    // statement was never sent or never finished.
    StatementResult result(std::string_view name, std::size_t seq) const {
        return lockstage::tests::traced(trace, name, seq);
    }
    bool finished(std::string_view name, std::size_t seq) const {
        for (const auto& row : trace) {
            if (row.session == name && row.seq == seq) {
                return row.result.has_value();
            }
        }
        return false;
    }
};

// A statement that never waited: granted = sent, no wait, no state.
void check_no_wait(const StatementResult& r, Time sent, Time finished) {
    CHECK(r.error == Error::None);
    CHECK(r.sent == sent);
    CHECK(r.granted == sent);
    CHECK(r.wait == 0);
    CHECK(r.longest_wait == 0);
    CHECK(r.wait_state == "");
    CHECK(r.finished == finished);
}

// A statement whose only wait ended at `granted`, in `state`.
void check_waited(const StatementResult& r, Time sent, Time granted, Time finished,
                  std::string_view state) {
    CHECK(r.error == Error::None);
    CHECK(r.sent == sent);
    CHECK(r.granted == granted);
    CHECK(r.wait == granted - sent);
    CHECK(r.longest_wait == granted - sent);
    CHECK(r.wait_state == state);
    CHECK(r.finished == finished);
}

// --- Driving Server::execute directly ------------------------------------------------------

struct Step {
    Time at;
    srv::Statement statement;
    Time exec;
};

sim::Process session(Server& server, Server::SessionId id, std::vector<Step> steps,
                     std::vector<StatementResult>& out) {
    for (const auto& step : steps) {
        co_await server.simulation().sleep_until(step.at);
        out.push_back(co_await server.execute(id, step.statement, step.exec));
    }
}

}  // namespace

// --- Plain statements ----------------------------------------------------------------------

TEST_CASE("Server: an InnoDB autocommit INSERT finishes at exec + commit time") {
    sim::Simulation s;
    Server server(s, config(Flavor::MariaDB1011), default_tables(), {});
    const auto id = server.connect("c1");
    std::vector<StatementResult> out;
    s.spawn(session(server, id,
                    {{millis(3), sql("INSERT INTO t1 VALUES (1)"), millis(5)},
                     {millis(20), sql("SELECT * FROM t1"), millis(5)},
                     {millis(40), sql("INSERT INTO m1 VALUES (1)"), millis(5)}},
                    out));
    s.run();
    REQUIRE(out.size() == 3);
    check_no_wait(out[0], millis(3), millis(8) + kCommit);  // the commit's fsync follows
    check_no_wait(out[1], millis(20), millis(25));          // a read commits nothing
    check_no_wait(out[2], millis(40), millis(45));          // MyISAM has no commit
    CHECK(server.connections() == 1);
    CHECK(server.session_by_name("c1") == id);
    CHECK_FALSE(server.session_by_name("nobody"));
    CHECK(server.locks().held_by(id).empty());  // statement locks are gone afterwards
}

TEST_CASE("Server: commit time comes from ServerConfig::commit") {
    sim::Simulation s;
    srv::ServerConfig c = config(Flavor::MariaDB1011);
    c.commit = sim::Distribution::constant(millis(7));
    Server server(s, c, default_tables(), {});
    const auto id = server.connect("c1");
    std::vector<StatementResult> out;
    s.spawn(session(server, id, {{0, sql("UPDATE t2 SET a = 1"), millis(2)}}, out));
    s.run();
    REQUIRE(out.size() == 1);
    check_no_wait(out[0], 0, millis(9));
}

TEST_CASE("Server: engines") {
    CHECK(srv::backup_safe(Engine::InnoDB));
    CHECK(srv::backup_safe(Engine::Aria));
    CHECK_FALSE(srv::backup_safe(Engine::MyISAM));
    CHECK(srv::backup_safe(Engine::Memory));  // HA_CAN_ONLINE_BACKUPS (ha_heap.h)
    CHECK_FALSE(srv::backup_safe(Engine::Aria, /*transactional=*/false));
    CHECK_FALSE(srv::backup_safe(Engine::CSV));
    CHECK_FALSE(srv::backup_safe(Engine::Archive));
    CHECK(srv::engine_from_name("innodb") == Engine::InnoDB);
    CHECK(srv::engine_from_name("MyISAM") == Engine::MyISAM);
    CHECK(srv::engine_from_name("memory") == Engine::Memory);
    CHECK_FALSE(srv::engine_from_name("RocksDB"));
    CHECK(srv::error_name(Error::LockWaitTimeout) == "ER_LOCK_WAIT_TIMEOUT");
    CHECK(srv::error_name(Error::SpecificAccessDenied) == "ER_SPECIFIC_ACCESS_DENIED_ERROR");
    CHECK(srv::error_name(Error::BackupWrongStage) == "ER_BACKUP_WRONG_STAGE");
    CHECK(srv::error_name(Error::ServerGone) == "CR_SERVER_GONE_ERROR");
    CHECK(srv::error_name(Error::None) == "");
    CHECK(srv::commit_kind(Engine::InnoDB) == srv::CommitKind::Transaction);
    CHECK(srv::commit_kind(Engine::Aria) == srv::CommitKind::Statement);
    CHECK(srv::commit_kind(Engine::Aria, /*transactional=*/false) == srv::CommitKind::None);
    CHECK(srv::commit_kind(Engine::Memory) == srv::CommitKind::None);
    CHECK(srv::commit_kind(Engine::MyISAM) == srv::CommitKind::None);
}

// --- LOCK TABLES (docs/lock-tables.md#which-locks-lock-tables-takes; mdl.result) ----------

namespace {
// The modes a session holds on the BACKUP key, and on table `tid`, with their durations.
std::vector<std::pair<lk::Mode, lk::Duration>> held(const Server& server, Server::SessionId id,
                                                    lk::Ns ns, std::uint32_t object = 0) {
    std::vector<std::pair<lk::Mode, lk::Duration>> out;
    for (const auto& h : server.locks().held_by(id)) {
        if (h.key.ns == ns && h.key.object == object) {
            out.emplace_back(h.mode, h.duration);
        }
    }
    return out;
}
}  // namespace

TEST_CASE("Server: LOCK TABLES holds what mdl.result shows, explicitly, until UNLOCK TABLES") {
    using Held = std::vector<std::pair<lk::Mode, lk::Duration>>;
    for (const auto& [text, backup_modes, table, mode] :
         std::vector<std::tuple<std::string, Held, std::uint32_t, lk::Mode>>{
             {"LOCK TABLES t1 WRITE",
              {{lk::backup::DDL, lk::Duration::Explicit}},
              1,
              lk::table::SHARED_NO_READ_WRITE},
             {"LOCK TABLES m1 WRITE",
              {{lk::backup::DDL, lk::Duration::Explicit},
               {lk::backup::DML, lk::Duration::Explicit}},
              3,
              lk::table::SHARED_NO_READ_WRITE},
             {"LOCK TABLES t1 READ", {}, 1, lk::table::SHARED_READ_ONLY},
         }) {
        INFO(text);
        Bench b;
        b.play({ScriptedSession{"s", "", {at(0, text), at(sim::seconds(2), "UNLOCK TABLES")}}},
               sim::seconds(1));
        const auto id = *b.server.session_by_name("s");
        CHECK(held(b.server, id, lk::Ns::Backup) == backup_modes);
        CHECK(held(b.server, id, lk::Ns::Table, table) == Held{{mode, lk::Duration::Explicit}});
        b.sim.run_until(sim::seconds(3));
        CHECK(b.server.locks().held_by(id).empty());
    }
}

TEST_CASE("Server: LOCK TABLES WRITE backs off like DDL while FTWRL holds the backup lock") {
    Bench b;
    b.play(
        {ScriptedSession{
             "f", "", {at(0, "FLUSH TABLES WITH READ LOCK"), at(sim::seconds(2), "UNLOCK TABLES")}},
         ScriptedSession{"l", "", {at(sim::seconds(1), "LOCK TABLES t1 WRITE")}},
         ScriptedSession{"r", "", {at(sim::millis(1500), "SELECT * FROM t1")}}},
        sim::seconds(3));
    // While "l" waits for MDL_BACKUP_DDL it holds no table lock, so the SELECT runs.
    check_no_wait(b.result("r", 1), sim::millis(1500), sim::millis(1501));
    check_waited(b.result("l", 1), sim::seconds(1), sim::seconds(2), sim::seconds(2),
                 "Waiting for backup lock");
}

TEST_CASE("Server: LOCK TABLES WRITE is refused under FTWRL and in a backup stage") {
    Bench b;
    b.play({ScriptedSession{"f",
                            "",
                            {at(0, "FLUSH TABLES WITH READ LOCK"), at(0, "LOCK TABLES t1 WRITE"),
                             at(0, "LOCK TABLES t1 READ")}},
            ScriptedSession{"s", "", {at(0, "BACKUP STAGE START"), at(0, "LOCK TABLES t1 WRITE")}}},
           sim::seconds(1));
    CHECK(b.result("f", 2).error == Error::CantUpdateWithReadlock);
    CHECK(b.result("f", 3).error == Error::None);
    CHECK(b.result("s", 2).error == Error::BackupLockIsActive);
}

TEST_CASE("Server: a row-lock wait ends after innodb_lock_wait_timeout; a deadlock rolls back") {
    Bench b;
    auto upd = [](Time t, std::string_view text, std::string row) {
        auto s = at(t, text);
        s.statement.row = std::move(row);
        return s;
    };
    b.play(
        {ScriptedSession{"a",
                         "",
                         {at(0, "BEGIN"), upd(sim::millis(10), "UPDATE t1", "x"),
                          upd(sim::seconds(1), "UPDATE t1", "y"), at(sim::seconds(100), "COMMIT")}},
         ScriptedSession{"b",
                         "",
                         {at(0, "BEGIN"), upd(sim::millis(20), "UPDATE t1", "y"),
                          upd(sim::millis(30), "UPDATE t1", "x")}},
         ScriptedSession{"c", "", {upd(sim::millis(40), "UPDATE t2", "x")}}},
        sim::seconds(120));
    // b waits for x (held by a); at 1 s a waits for y (held by b): a cycle, a is the new waiter
    // and loses; its transaction is rolled back, so b gets x at once.
    CHECK(b.result("a", 3).error == Error::LockDeadlock);
    CHECK(b.result("b", 3).error == Error::None);
    CHECK(b.result("b", 3).granted == sim::seconds(1));
    CHECK(b.result("b", 3).wait_state == "Waiting for row lock");
    // Another table's row of the same name is another row.
    check_no_wait(b.result("c", 1), sim::millis(40), sim::millis(40) + sim::millis(1) + kCommit);
}

// --- BACKUP STAGE --------------------------------------------------------------------------
// docs/backup-stage.md#stage-overview; observed on 10.11.19:
// docs/measured.md#real-1011-replayed-statement-by-statement.

TEST_CASE("Server: MyISAM writes wait from FLUSH to END, InnoDB writes only at BLOCK_COMMIT") {
    Bench b;
    std::vector<ScriptedSession> s = {
        {"backup",
         "",
         {at(0, "BACKUP STAGE START"), at(seconds(1), "BACKUP STAGE FLUSH"),
          at(seconds(2), "BACKUP STAGE BLOCK_DDL"), at(seconds(3), "BACKUP STAGE BLOCK_COMMIT"),
          at(seconds(4), "BACKUP STAGE END")}},
    };
    // One probe session per stage and engine, each sending one write half-way through.
    const std::vector<std::string> stage = {"start", "flush", "block_ddl", "block_commit", "end"};
    for (std::size_t i = 0; i < stage.size(); ++i) {
        const Time t = millis(500) + seconds(static_cast<std::int64_t>(i));
        s.push_back({"myisam@" + stage[i], "", {at(t, "INSERT INTO m1 VALUES (1)")}});
        s.push_back({"innodb@" + stage[i], "", {at(t, "INSERT INTO t1 VALUES (1)")}});
    }
    // DDL sent during BLOCK_DDL is released at END, not at BLOCK_COMMIT
    // (docs/backup-stage.md#block-ddl).
    s.push_back({"ddl@block_ddl", "", {at(millis(2500), "CREATE TABLE t9 (id INT)")}});
    b.play(std::move(s), seconds(10));

    for (std::size_t i = 1; i <= 5; ++i) {
        INFO("backup statement " << i);
        check_no_wait(b.result("backup", i), seconds(static_cast<std::int64_t>(i - 1)),
                      seconds(static_cast<std::int64_t>(i - 1)));
    }
    const Time end = seconds(4);
    // MyISAM (MDL_BACKUP_DML): free at START, blocked by FLUSH, BLOCK_DDL, BLOCK_COMMIT.
    check_no_wait(b.result("myisam@start", 1), millis(500), millis(501));
    check_waited(b.result("myisam@flush", 1), millis(1500), end, end + millis(1), kBackupLock);
    check_waited(b.result("myisam@block_ddl", 1), millis(2500), end, end + millis(1), kBackupLock);
    check_waited(b.result("myisam@block_commit", 1), millis(3500), end, end + millis(1),
                 kBackupLock);
    check_no_wait(b.result("myisam@end", 1), millis(4500), millis(4501));
    // InnoDB autocommit: the statement runs; only its commit waits, and only at BLOCK_COMMIT.
    check_no_wait(b.result("innodb@start", 1), millis(500), millis(501) + kCommit);
    check_no_wait(b.result("innodb@flush", 1), millis(1500), millis(1501) + kCommit);
    check_no_wait(b.result("innodb@block_ddl", 1), millis(2500), millis(2501) + kCommit);
    const StatementResult ib = b.result("innodb@block_commit", 1);
    CHECK(ib.error == Error::None);
    CHECK(ib.granted == end);
    CHECK(ib.wait == millis(499));  // ran from 3.5 s to 3.501 s, waited to commit until 4 s
    CHECK(ib.wait_state == kBackupLock);
    CHECK(ib.finished == end + kCommit);
    check_no_wait(b.result("innodb@end", 1), millis(4500), millis(4501) + kCommit);
    // The CREATE TABLE waits from 2.5 s until END, through BLOCK_COMMIT.
    check_waited(b.result("ddl@block_ddl", 1), millis(2500), end, end + millis(1), kBackupLock);
}

TEST_CASE("Server: COMMIT of an explicit transaction waits during BLOCK_COMMIT, its DML does not") {
    Bench b;
    b.play({{"backup",
             "",
             {at(0, "BACKUP STAGE START"), at(seconds(1), "BACKUP STAGE BLOCK_COMMIT"),
              at(seconds(3), "BACKUP STAGE END")}},
            {"tx",
             "",
             {at(millis(1500), "BEGIN"), at(millis(1500), "INSERT INTO t1 VALUES (1)", millis(10)),
              at(millis(1600), "UPDATE t2 SET a = 2", millis(10)), at(seconds(2), "COMMIT")}}},
           seconds(10));
    check_no_wait(b.result("backup", 2), seconds(1), seconds(1));  // runs FLUSH and BLOCK_DDL too
    check_no_wait(b.result("tx", 1), millis(1500), millis(1500));
    check_no_wait(b.result("tx", 2), millis(1500), millis(1510));  // no commit inside BEGIN
    check_no_wait(b.result("tx", 3), millis(1600), millis(1610));
    check_waited(b.result("tx", 4), seconds(2), seconds(3), seconds(3) + kCommit, kBackupLock);
}

TEST_CASE("Server: a second BACKUP STAGE START waits for the first session's END") {
    Bench b;
    b.play({{"backup1", "", {at(0, "BACKUP STAGE START"), at(seconds(2), "BACKUP STAGE END")}},
            {"backup2",
             "",
             {at(seconds(1), "BACKUP STAGE START"), at(millis(2500), "BACKUP STAGE FLUSH"),
              at(millis(2600), "BACKUP STAGE END")}}},
           seconds(10));
    check_no_wait(b.result("backup1", 1), 0, 0);
    check_no_wait(b.result("backup1", 2), seconds(2), seconds(2));
    check_waited(b.result("backup2", 1), seconds(1), seconds(2), seconds(2), kBackupLock);
    // It is a real backup from then on.
    check_no_wait(b.result("backup2", 2), millis(2500), millis(2500));
    check_no_wait(b.result("backup2", 3), millis(2600), millis(2600));
}

TEST_CASE("Server: KILL CONNECTION of the backup session releases its stage at once") {
    Bench b;
    b.play({{"backup",
             "",
             {at(0, "BACKUP STAGE START"), at(0, "BACKUP STAGE BLOCK_COMMIT"),
              at(seconds(5), "BACKUP STAGE END"), at(seconds(6), "SELECT 1")}},
            {"killer", "", {at(seconds(2), "KILL CONNECTION backup")}},
            {"myisam", "", {at(seconds(1), "INSERT INTO m1 VALUES (1)")}},
            {"innodb", "", {at(seconds(1), "INSERT INTO t1 VALUES (1)")}},
            {"ddl", "", {at(seconds(1), "TRUNCATE TABLE t2", millis(3))}}},
           seconds(10));
    check_no_wait(b.result("backup", 2), 0, 0);
    check_no_wait(b.result("killer", 1), seconds(2), seconds(2));
    // Everything the stages held back goes on at the moment of the KILL.
    check_waited(b.result("myisam", 1), seconds(1), seconds(2), seconds(2) + millis(1),
                 kBackupLock);
    const StatementResult i = b.result("innodb", 1);  // ran 1 ms, then waited to commit
    CHECK(i.error == Error::None);
    CHECK(i.granted == seconds(2));
    CHECK(i.wait == seconds(1) - millis(1));
    CHECK(i.wait_state == kBackupLock);
    CHECK(i.finished == seconds(2) + kCommit);
    check_waited(b.result("ddl", 1), seconds(1), seconds(2), seconds(2) + millis(3), kBackupLock);
    // The killed client's next statements: CR_SERVER_GONE_ERROR, at once.
    for (const std::size_t seq : {std::size_t{3}, std::size_t{4}}) {
        const StatementResult r = b.result("backup", seq);
        CHECK(r.error == Error::ServerGone);
        CHECK(r.finished == r.sent);
    }
    CHECK(b.result("backup", 3).sent == seconds(5));
}

TEST_CASE("Server: KILL of an unknown session is ER_NO_SUCH_THREAD") {
    Bench b;
    b.play({{"killer", "", {at(0, "KILL nobody"), at(0, "KILL QUERY nobody")}}}, seconds(1));
    CHECK(b.result("killer", 1).error == Error::NoSuchThread);
    CHECK(b.result("killer", 2).error == Error::NoSuchThread);
}

TEST_CASE("Server: SET lock_wait_timeout gives ER_LOCK_WAIT_TIMEOUT after exactly that time") {
    Bench b;
    b.play({{"backup",
             "",
             {at(0, "BACKUP STAGE START"), at(0, "BACKUP STAGE BLOCK_COMMIT"),
              at(seconds(10), "BACKUP STAGE END")}},
            {"myisam",
             "",
             {at(0, "SET lock_wait_timeout = 2"), at(seconds(1), "INSERT INTO m1 VALUES (1)")}},
            {"innodb",
             "",
             {at(0, "SET SESSION lock_wait_timeout=0.5"),
              at(seconds(1), "INSERT INTO t1 VALUES (1)", millis(3))}},
            {"nowait",
             "",
             {at(0, "SET lock_wait_timeout = 0"), at(seconds(1), "INSERT INTO m2 VALUES (1)"),
              at(seconds(1), "SET lock_wait_timeout = 1"),
              at(seconds(1), "INSERT INTO m2 VALUES (1)")}}},
           seconds(20));
    const StatementResult m = b.result("myisam", 2);
    CHECK(m.error == Error::LockWaitTimeout);
    CHECK(m.finished == seconds(3));
    CHECK(m.wait == seconds(2));
    CHECK(m.wait_state == kBackupLock);
    // The InnoDB write runs (3 ms), then times out on the commit lock 0.5 s later.
    const StatementResult i = b.result("innodb", 2);
    CHECK(i.error == Error::LockWaitTimeout);
    CHECK(i.finished == seconds(1) + millis(3) + millis(500));
    CHECK(i.wait == millis(500));
    // lock_wait_timeout 0: fails at once.
    const StatementResult z = b.result("nowait", 2);
    CHECK(z.error == Error::LockWaitTimeout);
    CHECK(z.finished == seconds(1));
    const StatementResult one = b.result("nowait", 4);
    CHECK(one.error == Error::LockWaitTimeout);
    CHECK(one.finished == seconds(2));
    // The backup itself is unharmed.
    check_no_wait(b.result("backup", 3), seconds(10), seconds(10));
}

TEST_CASE("Server: BACKUP STAGE needs RELOAD") {
    Bench b(Flavor::MariaDB1011, {{"nopriv", {}}, {"operator", {"RELOAD"}}, {"admin", {"SUPER"}}});
    b.play({{"u1", "nopriv", {at(0, "BACKUP STAGE START"), at(0, "FLUSH TABLES WITH READ LOCK")}},
            {"u2", "admin", {at(seconds(1), "BACKUP STAGE START")}},
            {"u3",
             "operator",
             {at(seconds(2), "BACKUP STAGE START"), at(seconds(2), "BACKUP STAGE END")}},
            {"u4", "", {at(seconds(3), "BACKUP STAGE START"), at(seconds(3), "BACKUP STAGE END")}}},
           seconds(5));
    CHECK(b.result("u1", 1).error == Error::SpecificAccessDenied);
    CHECK(b.result("u1", 2).error == Error::SpecificAccessDenied);
    CHECK(b.result("u2", 1).error == Error::SpecificAccessDenied);
    check_no_wait(b.result("u3", 1), seconds(2), seconds(2));
    check_no_wait(b.result("u3", 2), seconds(2), seconds(2));
    check_no_wait(b.result("u4", 1), seconds(3), seconds(3));  // "" = every privilege
}

TEST_CASE("Server: a refused BACKUP STAGE takes no lock") {
    // The no-RELOAD user's START must not block the next backup.
    Bench b(Flavor::MariaDB1011, {{"nopriv", {}}});
    b.play({{"u1", "nopriv", {at(0, "BACKUP STAGE START")}},
            {"u2", "", {at(seconds(1), "BACKUP STAGE START")}}},
           seconds(5));
    CHECK(b.result("u1", 1).error == Error::SpecificAccessDenied);
    check_no_wait(b.result("u2", 1), seconds(1), seconds(1));
}

TEST_CASE("Server: statements a flavour does not know are ER_PARSE_ERROR") {
    SUBCASE("BACKUP STAGE on mysql-8.0") {
        Bench b(Flavor::MySQL80);
        b.play({{"s", "", {at(0, "BACKUP STAGE START"), at(0, "INSERT INTO t1 VALUES (1)")}}},
               seconds(1));
        CHECK(b.result("s", 1).error == Error::ParseError);
        check_no_wait(b.result("s", 2), 0, millis(1) + kCommit);  // no backup was started
    }
    SUBCASE("BACKUP STAGE on mariadb-10.3") {
        Bench b(Flavor::MariaDB103);
        b.play({{"s", "", {at(0, "BACKUP STAGE START")}}}, seconds(1));
        CHECK(b.result("s", 1).error == Error::ParseError);
    }
    SUBCASE("LOCK INSTANCE FOR BACKUP and LOCK TABLES FOR BACKUP on mariadb-10.11") {
        Bench b(Flavor::MariaDB1011);
        b.play({{"s", "", {at(0, "LOCK INSTANCE FOR BACKUP"), at(0, "LOCK TABLES FOR BACKUP")}}},
               seconds(1));
        CHECK(b.result("s", 1).error == Error::ParseError);
        CHECK(b.result("s", 2).error == Error::ParseError);
    }
    SUBCASE("LOCK TABLES FOR BACKUP on mysql-8.0") {
        Bench b(Flavor::MySQL80);
        b.play({{"s", "", {at(0, "LOCK TABLES FOR BACKUP")}}}, seconds(1));
        CHECK(b.result("s", 1).error == Error::ParseError);
    }
}

TEST_CASE("Server: ER_BACKUP_NOT_RUNNING and ER_BACKUP_WRONG_STAGE") {
    Bench b;
    b.play({{"s",
             "",
             {at(0, "BACKUP STAGE FLUSH"), at(0, "BACKUP STAGE END"),
              at(0, "BACKUP STAGE BLOCK_COMMIT"), at(0, "BACKUP STAGE START"),
              at(0, "BACKUP STAGE BLOCK_DDL"), at(0, "BACKUP STAGE FLUSH"),
              at(0, "BACKUP STAGE BLOCK_DDL"), at(0, "BACKUP STAGE START"),
              at(millis(10), "BACKUP STAGE END"), at(millis(20), "BACKUP STAGE FLUSH")}},
            // A MyISAM write shows the session still holds BLOCK_DDL after its failed statements.
            {"myisam", "", {at(millis(5), "INSERT INTO m1 VALUES (1)")}}},
           seconds(1));
    CHECK(b.result("s", 1).error == Error::BackupNotRunning);
    CHECK(b.result("s", 2).error == Error::BackupNotRunning);
    CHECK(b.result("s", 3).error == Error::BackupNotRunning);
    CHECK(b.result("s", 4).error == Error::None);
    CHECK(b.result("s", 5).error == Error::None);
    CHECK(b.result("s", 6).error == Error::BackupWrongStage);   // backwards
    CHECK(b.result("s", 7).error == Error::BackupWrongStage);   // the same stage again
    CHECK(b.result("s", 8).error == Error::BackupWrongStage);   // START while running
    CHECK(b.result("s", 9).error == Error::None);               // END from any stage
    CHECK(b.result("s", 10).error == Error::BackupNotRunning);  // over now
    check_waited(b.result("myisam", 1), millis(5), millis(10), millis(11), kBackupLock);
}

TEST_CASE("Server: an ALTER TABLE copy phase holds up no stage; its final step waits for END") {
    Bench b;
    b.play({{"alter", "", {at(0, "ALTER TABLE t1 ADD COLUMN c INT", seconds(3))}},
            {"backup",
             "",
             {at(seconds(1), "BACKUP STAGE START"), at(seconds(1), "BACKUP STAGE FLUSH"),
              at(seconds(1), "BACKUP STAGE BLOCK_DDL"), at(seconds(5), "BACKUP STAGE END")}}},
           seconds(10));
    check_no_wait(b.result("backup", 1), seconds(1), seconds(1));
    check_no_wait(b.result("backup", 2), seconds(1), seconds(1));
    check_no_wait(b.result("backup", 3), seconds(1), seconds(1));
    // Copy from 0 to 3 s, then the final rename waits for the backup's END at 5 s.
    const StatementResult a = b.result("alter", 1);
    CHECK(a.error == Error::None);
    CHECK(a.granted == seconds(5));
    CHECK(a.wait == seconds(2));
    CHECK(a.wait_state == kBackupLock);
    CHECK(a.finished == seconds(5));
}

TEST_CASE("Server: START and BLOCK_DDL wait for running DDL") {
    Bench b;
    b.play({{"ddl1", "", {at(0, "TRUNCATE TABLE t1", seconds(2))}},
            {"backup",
             "",
             {at(seconds(1), "BACKUP STAGE START"), at(millis(2500), "BACKUP STAGE BLOCK_DDL"),
              at(seconds(9), "BACKUP STAGE END")}},
            {"ddl2", "", {at(millis(2100), "DROP TABLE IF EXISTS t2", seconds(1))}}},
           seconds(10));
    check_waited(b.result("backup", 1), seconds(1), seconds(2), seconds(2), kBackupLock);
    check_waited(b.result("backup", 2), millis(2500), millis(3100), millis(3100), kBackupLock);
}

// --- FTWRL ---------------------------------------------------------------------------------

TEST_CASE("Server: FTWRL waits for a running write; writes sent meanwhile queue behind it") {
    Bench b;
    b.play({{"w1", "", {at(0, "INSERT INTO t1 VALUES (1)", seconds(2))}},
            {"ftwrl",
             "",
             {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(5), "UNLOCK TABLES")}},
            {"w2", "", {at(millis(1500), "INSERT INTO t2 VALUES (1)")}},
            {"m", "", {at(millis(1500), "INSERT INTO m1 VALUES (1)")}},
            {"ddl", "", {at(millis(1500), "CREATE TABLE t9 (id INT)")}},
            {"reader", "", {at(millis(1500), "SELECT * FROM t2", millis(10))}}},
           seconds(10));
    const Time held = seconds(2) + kCommit;  // w1's statement and commit are done
    check_no_wait(b.result("w1", 1), 0, held);
    check_waited(b.result("ftwrl", 1), seconds(1), held, held, kBackupLock);
    check_no_wait(b.result("ftwrl", 2), seconds(5), seconds(5));
    // Writes of every engine and DDL wait behind the pending FTWRL, then until UNLOCK TABLES.
    check_waited(b.result("w2", 1), millis(1500), seconds(5), seconds(5) + millis(1) + kCommit,
                 kBackupLock);
    check_waited(b.result("m", 1), millis(1500), seconds(5), seconds(5) + millis(1), kBackupLock);
    check_waited(b.result("ddl", 1), millis(1500), seconds(5), seconds(5) + millis(1), kBackupLock);
    // SELECT does not wait (10.4+).
    check_no_wait(b.result("reader", 1), millis(1500), millis(1510));
}

TEST_CASE("Server: FTWRL does not wait for a running SELECT on mariadb-10.11") {
    Bench b;
    b.play({{"reader", "", {at(0, "SELECT * FROM t1", seconds(3))}},
            {"ftwrl",
             "",
             {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(2), "UNLOCK TABLES")}}},
           seconds(10));
    check_no_wait(b.result("ftwrl", 1), seconds(1), seconds(1));
    check_no_wait(b.result("reader", 1), 0, seconds(3));
}

TEST_CASE("Server: FTWRL blocks the COMMIT of a transaction whose DML ran before it") {
    Bench b;
    b.play(
        {{"tx", "", {at(0, "BEGIN"), at(0, "INSERT INTO t1 VALUES (1)"), at(seconds(2), "COMMIT")}},
         {"ftwrl",
          "",
          {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(3), "UNLOCK TABLES")}}},
        seconds(10));
    // The transaction's DML is done (its statement lock is gone): FTWRL is granted at once.
    check_no_wait(b.result("ftwrl", 1), seconds(1), seconds(1));
    check_waited(b.result("tx", 3), seconds(2), seconds(3), seconds(3) + kCommit, kBackupLock);
}

TEST_CASE("Server: FTWRL waits for a commit in flight") {
    // COMMIT holds MDL_BACKUP_COMMIT during its fsync (1 s to 1 s + kCommit); FTWRL's second
    // step (FTWRL2) waits for it.
    Bench b;
    b.play(
        {{"tx", "", {at(0, "BEGIN"), at(0, "INSERT INTO t1 VALUES (1)"), at(seconds(1), "COMMIT")}},
         {"ftwrl",
          "",
          {at(seconds(1) + sim::micros(100), "FLUSH TABLES WITH READ LOCK"),
           at(seconds(3), "UNLOCK TABLES")}}},
        seconds(10));
    check_no_wait(b.result("tx", 3), seconds(1), seconds(1) + kCommit);
    check_waited(b.result("ftwrl", 1), seconds(1) + sim::micros(100), seconds(1) + kCommit,
                 seconds(1) + kCommit, kBackupLock);
}

TEST_CASE("Server: classic FTWRL on mariadb-10.3 waits for a running SELECT") {
    Bench b(Flavor::MariaDB103);
    b.play({{"reader", "", {at(0, "SELECT * FROM t1", seconds(3))}},
            {"ftwrl",
             "",
             {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(5), "UNLOCK TABLES")}},
            {"writer", "", {at(seconds(2), "INSERT INTO t2 VALUES (1)")}},
            {"reader2", "", {at(seconds(2), "SELECT * FROM t2", millis(10))}}},
           seconds(10));
    check_no_wait(b.result("reader", 1), 0, seconds(3));
    // close_cached_tables waits for the open table: "Waiting for table flush".
    check_waited(b.result("ftwrl", 1), seconds(1), seconds(3), seconds(3), kTableFlush);
    // A write sent while FTWRL is pending or held waits for the global read lock.
    check_waited(b.result("writer", 1), seconds(2), seconds(5), seconds(5) + millis(1) + kCommit,
                 kGlobalReadLock);
    // A new SELECT queues behind the pending flush (the classic pile-up), not behind the lock.
    check_waited(b.result("reader2", 1), seconds(2), seconds(3), seconds(3) + millis(10),
                 kTableFlush);
}

// --- MySQL and Percona ---------------------------------------------------------------------

TEST_CASE("Server: LOCK INSTANCE FOR BACKUP on mysql-8.0 blocks ALTER TABLE, not INSERT") {
    Bench b(Flavor::MySQL80, {{"nopriv", {"RELOAD"}}});
    b.play({{"backup", "", {at(0, "LOCK INSTANCE FOR BACKUP"), at(seconds(3), "UNLOCK INSTANCE")}},
            {"alter", "", {at(seconds(1), "ALTER TABLE t1 ADD COLUMN c INT", millis(10))}},
            {"innodb", "", {at(seconds(1), "INSERT INTO t2 VALUES (1)")}},
            {"myisam", "", {at(seconds(1), "INSERT INTO m1 VALUES (1)")}},
            {"nopriv", "nopriv", {at(0, "LOCK INSTANCE FOR BACKUP")}}},
           seconds(10));
    check_no_wait(b.result("backup", 1), 0, 0);
    check_waited(b.result("alter", 1), seconds(1), seconds(3), seconds(3) + millis(10),
                 kBackupLock);
    check_no_wait(b.result("innodb", 1), seconds(1), seconds(1) + millis(1) + kCommit);
    check_no_wait(b.result("myisam", 1), seconds(1), seconds(1) + millis(1));
    CHECK(b.result("nopriv", 1).error == Error::SpecificAccessDenied);  // needs BACKUP_ADMIN
}

TEST_CASE("Server: LOCK TABLES FOR BACKUP on percona-8.0 blocks MyISAM writes, not InnoDB") {
    Bench b(Flavor::Percona80);
    b.play({{"backup", "", {at(0, "LOCK TABLES FOR BACKUP"), at(seconds(3), "UNLOCK TABLES")}},
            {"myisam", "", {at(seconds(1), "INSERT INTO m1 VALUES (1)")}},
            {"innodb", "", {at(seconds(1), "INSERT INTO t1 VALUES (1)")}},
            {"ddl", "", {at(seconds(1), "CREATE TABLE t9 (id INT)")}},
            {"reader", "", {at(seconds(1), "SELECT * FROM m1")}}},
           seconds(10));
    check_no_wait(b.result("backup", 1), 0, 0);
    check_waited(b.result("myisam", 1), seconds(1), seconds(3), seconds(3) + millis(1),
                 kBackupLock);
    check_no_wait(b.result("innodb", 1), seconds(1), seconds(1) + millis(1) + kCommit);
    check_waited(b.result("ddl", 1), seconds(1), seconds(3), seconds(3) + millis(1), kBackupLock);
    check_no_wait(b.result("reader", 1), seconds(1), seconds(1) + millis(1));
}

// --- Hooks ---------------------------------------------------------------------------------

namespace {
// Records what it hears, tagged with its name, into a log shared by several hooks.
struct Recorder : srv::ServerHooks {
    std::string name;
    std::vector<std::string>& log;
    bool open = true;
    Recorder(std::string n, std::vector<std::string>& l) : name(std::move(n)), log(l) {}
    void table_written(const srv::TableDef& t, Time) override {
        log.push_back(name + " write " + t.name);
    }
    void table_ddl(const srv::TableDef& t, Time) override {
        log.push_back(name + " ddl " + t.name);
    }
    void backup_lock_event(lockstage::models::locks::OwnerId, srv::BackupLockEvent e,
                           Time) override {
        log.push_back(name + " event " + std::to_string(static_cast<int>(e)));
    }
    void wait_began(lockstage::models::locks::OwnerId, srv::StmtKind, Time) override {
        log.push_back(name + " wait");
    }
    void wait_ended(lockstage::models::locks::OwnerId, srv::StmtKind, Time) override {
        log.push_back(name + " waited");
    }
    bool commits_open() const override { return open; }
};
}  // namespace

TEST_CASE("ServerHooks: every hook hears every event, in registration order") {
    Bench b;
    std::vector<std::string> log;
    Recorder first("a", log), second("b", log);
    srv::ServerHooks silent;  // the defaults: hears nothing, lets commits through
    b.server.add_hooks(&first);
    b.server.add_hooks(&silent);
    b.server.add_hooks(&second);
    b.server.add_hooks(&first);  // registered once only
    b.play({{"backup", "", {at(0, "FLUSH TABLES WITH READ LOCK"), at(seconds(1), "UNLOCK TABLES")}},
            {"w", "", {at(millis(500), "INSERT INTO m1 VALUES (1)")}},
            {"d", "", {at(seconds(2), "TRUNCATE TABLE t2")}}},
           seconds(3));
    // Every entry of `a` is followed at once by the same entry of `b`.
    REQUIRE(log.size() % 2 == 0);
    std::vector<std::string> heard;  // what `a` heard, waits aside
    std::size_t waits = 0;
    for (std::size_t i = 0; i < log.size(); i += 2) {
        CHECK(log[i].substr(0, 2) == "a ");
        CHECK(log[i + 1] == "b " + log[i].substr(2));
        if (log[i] == "a wait" || log[i] == "a waited") {
            ++waits;
        } else {
            heard.push_back(log[i]);
        }
    }
    // FTWRL held (event 0), the MyISAM write's wait behind it, UNLOCK TABLES (event 1), the
    // write, the TRUNCATE; every lock request begins and ends a wait (at once when granted).
    const std::vector<std::string> want = {"a event 0", "a event 1", "a write m1", "a ddl t2"};
    CHECK(heard == want);
    CHECK(waits % 2 == 0);
    CHECK(waits >= 2 * 4);  // FTWRL1, FTWRL2, the INSERT's table and backup locks, ...
    b.server.remove_hooks(&first);
    b.server.remove_hooks(&second);
    log.clear();
    b.play({{"x", "", {at(seconds(4), "INSERT INTO m2 VALUES (1)")}}}, seconds(5));
    CHECK(log.empty());
}

TEST_CASE("ServerHooks: a commit waits while any hook closes the gate") {
    Bench b;
    std::vector<std::string> log;
    Recorder open("open", log), gate("gate", log);
    b.server.add_hooks(&open);
    b.server.add_hooks(&gate);
    gate.open = false;
    b.play({{"w", "", {at(0, "INSERT INTO t1 VALUES (1)")}}}, seconds(1));
    CHECK_FALSE(b.finished("w", 1));  // ran, and waits at the gate
    gate.open = true;
    b.server.commit_gate_opened();
    b.sim.run_until(seconds(2));
    const StatementResult r = b.result("w", 1);
    CHECK(r.error == Error::None);
    CHECK(r.granted == seconds(1));
    CHECK(r.wait_state == "Waiting for certification");
    CHECK(r.finished == seconds(1) + kCommit);
    b.server.remove_hooks(&open);
    b.server.remove_hooks(&gate);
}

// --- The lock plans -------------------------------------------------------------------------

namespace {
bool takes(const srv::LockSteps& steps, lockstage::models::locks::Ns ns) {
    for (const auto& step : steps) {
        if (step.key.ns == ns) {
            return true;
        }
    }
    return false;
}
}  // namespace

TEST_CASE("LockPlan: each flavour's plan agrees with the backup statements it has") {
    using lockstage::models::locks::Ns;
    for (const Flavor f :
         {Flavor::MariaDB103, Flavor::MariaDB1011, Flavor::MySQL80, Flavor::Percona80}) {
        const srv::FlavorTraits& t = srv::traits(f);
        const srv::LockPlan& p = srv::lock_plan(f);
        INFO(t.name);
        CHECK(p.flavor == f);
        // Every statement on a table takes its table lock; a read never takes a backup lock.
        CHECK(takes(p.dml_read, Ns::Table));
        CHECK(takes(p.dml_write_backup_safe, Ns::Table));
        CHECK(takes(p.dml_write_other, Ns::Table));
        CHECK_FALSE(takes(p.dml_read, Ns::Backup));
        // FTWRL: GLOBAL S first on the classic flavours, FTWRL1 on MariaDB 10.4+.
        REQUIRE_FALSE(p.ftwrl.empty());
        CHECK((p.ftwrl[0].key.ns == Ns::Global) == t.classic_global_read_lock);
        CHECK(takes(p.commit, Ns::Commit) == t.classic_global_read_lock);
        // The MDL backup namespace (BACKUP STAGE) brings MDEV-17772's back-off and ALTER's copy
        // phase; LOCK INSTANCE and LOCK TABLES FOR BACKUP each bring what DDL and writes take.
        CHECK(takes(p.commit, Ns::Backup) == t.backup_stage);
        CHECK(p.ddl.backed_off.has_value() == t.backup_stage);
        CHECK(p.ddl.alter_copy.has_value() == t.backup_stage);
        // MySQL's BACKUP_LOCK IX comes before the table locks (acquire_locks sorts by MDL_key).
        CHECK(takes(p.ddl.before_tables, Ns::InstanceBackup) == t.lock_instance);
        CHECK(takes(p.ddl.after_tables, Ns::TablesBackup) == t.lock_tables_for_backup);
        CHECK(takes(p.dml_write_other, Ns::TablesBackup) == t.lock_tables_for_backup);
        CHECK_FALSE(takes(p.dml_write_backup_safe, Ns::TablesBackup));
    }
}

// --- StatementResult -----------------------------------------------------------------------

TEST_CASE("StatementResult: wait sums every wait, the commit lock's included") {
    // The INSERT waits first for the table (TRUNCATE holds it exclusively until 1 s), runs from
    // 1 s to 2 s, then waits for the commit lock until END.
    SUBCASE("the table wait is the longer one") {
        Bench b;
        b.play({{"ddl", "", {at(0, "TRUNCATE TABLE t1", seconds(1))}},
                {"w", "", {at(millis(500), "INSERT INTO t1 VALUES (1)", seconds(1))}},
                {"backup",
                 "",
                 {at(millis(1500), "BACKUP STAGE START"),
                  at(millis(1500), "BACKUP STAGE BLOCK_COMMIT"),
                  at(millis(2200), "BACKUP STAGE END")}}},
               seconds(10));
        const StatementResult r = b.result("w", 1);
        CHECK(r.error == Error::None);
        CHECK(r.sent == millis(500));
        CHECK(r.granted == millis(2200));  // the end of its last wait
        CHECK(r.wait == millis(500) + millis(200));
        CHECK(r.longest_wait == millis(500));
        CHECK(r.wait_state == kTableMdl);
        CHECK(r.finished == millis(2200) + kCommit);
    }
    SUBCASE("the commit wait is the longer one") {
        Bench b;
        b.play(
            {{"ddl", "", {at(0, "TRUNCATE TABLE t1", seconds(1))}},
             {"w", "", {at(millis(500), "INSERT INTO t1 VALUES (1)", seconds(1))}},
             {"backup",
              "",
              {at(millis(1500), "BACKUP STAGE START"),
               at(millis(1500), "BACKUP STAGE BLOCK_COMMIT"), at(seconds(3), "BACKUP STAGE END")}}},
            seconds(10));
        const StatementResult r = b.result("w", 1);
        CHECK(r.error == Error::None);
        CHECK(r.granted == seconds(3));
        CHECK(r.wait == millis(500) + seconds(1));
        CHECK(r.longest_wait == seconds(1));
        CHECK(r.wait_state == kBackupLock);
        CHECK(r.finished == seconds(3) + kCommit);
    }
}

TEST_CASE("StatementResult: granted = sent when nothing waits, wait excludes execution") {
    Bench b;
    b.play({{"s",
             "",
             {at(millis(7), "INSERT INTO t1 VALUES (1)", millis(40)),
              at(millis(100), "BACKUP STAGE START"), at(millis(100), "BACKUP STAGE END")}}},
           seconds(1));
    check_no_wait(b.result("s", 1), millis(7), millis(47) + kCommit);
    check_no_wait(b.result("s", 2), millis(100), millis(100));
    check_no_wait(b.result("s", 3), millis(100), millis(100));
}

// --- Capacity: CPU demand and group commit (docs/server-capacity.md) -------------------------

TEST_CASE("Server: cpu_share puts only part of the execution on a core") {
    sim::Simulation s;
    srv::ServerConfig c = config(Flavor::MariaDB1011);
    c.cpu_cores = 1;
    c.cpu_share = 0.25;
    Server server(s, c, default_tables(), {});
    std::vector<StatementResult> a, b;
    // Both 8 ms reads: 2 ms on the one core each, then 6 ms off it. b waits 2 ms for the core.
    s.spawn(session(server, server.connect("a"), {{0, sql("SELECT * FROM t1"), millis(8)}}, a));
    s.spawn(session(server, server.connect("b"), {{0, sql("SELECT * FROM t1"), millis(8)}}, b));
    s.run();
    REQUIRE((a.size() == 1 && b.size() == 1));
    CHECK(a[0].finished == millis(8));
    CHECK(b[0].finished == millis(10));  // with cpu_share 1 it would be 16 ms
}

namespace {
// No per-commit time; a group fsync of 10 ms.
srv::ServerConfig group_commit_config() {
    srv::ServerConfig c = config(Flavor::MariaDB1011);
    c.commit = sim::Distribution::constant(0);
    c.fsync = sim::Distribution::constant(millis(10));
    return c;
}
}  // namespace

TEST_CASE("Server: commits share a group fsync") {
    sim::Simulation s;
    Server server(s, group_commit_config(), default_tables(), {});
    std::vector<std::vector<StatementResult>> out(4);
    // w0 commits at 1 ms: an fsync runs 1-11 ms. w1 (3 ms) and w2 (5 ms) arrive during it and
    // share the next, 11-21 ms. w3 arrives at 12 ms, during that one: its fsync is 21-31 ms.
    const Time sent[] = {0, millis(2), millis(4), millis(11)};
    for (std::size_t i = 0; i < 4; ++i) {
        s.spawn(session(server, server.connect("w" + std::to_string(i)),
                        {{sent[i], sql("UPDATE t1 SET a = 1"), millis(1)}}, out[i]));
    }
    s.run();
    CHECK(out[0].at(0).finished == millis(11));
    CHECK(out[1].at(0).finished == millis(21));
    CHECK(out[2].at(0).finished == millis(21));
    CHECK(out[3].at(0).finished == millis(31));
    CHECK(out[3].at(0).wait == 0);  // the log writer is not a lock wait
}

TEST_CASE("Server: a KILL QUERY ends a statement in its waiting off the CPU too") {
    sim::Simulation s;
    srv::ServerConfig c = config(Flavor::MariaDB1011);
    c.cpu_share = 0.5;
    Server server(s, c, default_tables(), {});
    const auto id = server.connect("c1");
    std::vector<StatementResult> out;
    s.spawn(session(server, id, {{0, sql("SELECT * FROM t1"), millis(10)}}, out));
    s.schedule(
        millis(7),
        sim::Action{[](void* srv) { static_cast<Server*>(srv)->kill_session(1, true); }, &server});
    s.run();
    REQUIRE(out.size() == 1);
    CHECK(out[0].error == Error::QueryInterrupted);
    CHECK(out[0].finished == millis(7));  // 5 ms on a core, killed 2 ms into the rest
}

TEST_CASE("Server: the commit slowdown lengthens the group fsync") {
    sim::Simulation s;
    Server server(s, group_commit_config(), default_tables(), {});
    server.set_commit_slowdown(2.0);
    std::vector<StatementResult> out;
    s.spawn(
        session(server, server.connect("w"), {{0, sql("UPDATE t1 SET a = 1"), millis(1)}}, out));
    s.run();
    REQUIRE(out.size() == 1);
    CHECK(out[0].finished == millis(21));
}
