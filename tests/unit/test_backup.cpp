#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/backup/backup.hpp"
#include "models/server/flavor.hpp"
#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/server/sql.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sql_helpers.hpp"

// Backup actors (models/backup) on the mariadb-10.11 server, with scripted sessions for the
// application. A real mariadb-backup that fails part way exits: its connection closes and the
// server gives back its locks at once (docs/backup-stage.md#implicit-end: a session that ends runs
// an implicit END; docs/backup-tools.md#session-setup: the stage statements are sent with
// die-on-error). So whatever the failure, a MyISAM write sent after it is granted at once, and
// the backup's session holds nothing. Coroutines are free functions (g++ 12 mishandles coroutine
// lambdas).
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
namespace mb = lockstage::models::backup;
using lockstage::tests::at;
using lockstage::tests::sql;
using sim::micros;
using sim::millis;
using sim::seconds;
using sim::Time;
using srv::Engine;
using srv::Error;
using srv::ScriptedSession;
using srv::ScriptedStatement;
using srv::StatementResult;

constexpr std::string_view kBackupLock = "Waiting for backup lock";

/// Data that copies in whole seconds at 450 MB/s: `innodb_s` of InnoDB, `myisam_s` of MyISAM.
mb::DataConfig data(double innodb_s, double myisam_s) {
    mb::DataConfig d;
    d.innodb_mb = 450 * innodb_s;
    d.innodb_tables = 0;
    d.myisam_mb = 450 * myisam_s;
    d.myisam_tables = 0;
    d.binlog = false;
    return d;
}

mb::BackupConfig backup_config(mb::Strategy s) {
    mb::BackupConfig c;
    c.strategy = s;
    c.per_table = 0;
    return c;
}

/// A server (InnoDB t1, t2; MyISAM m1, m2; a user without privileges), scripted sessions and a
/// backup actor, started as a run starts them (scripts first).
struct Run {
    sim::Simulation sim;
    srv::Server server;
    std::vector<ScriptedSession> scripts;
    std::vector<srv::TraceRow> trace;
    std::optional<mb::BackupActor> backup;

    Run(mb::BackupConfig c, mb::DataConfig d, std::vector<ScriptedSession> s)
        : server(sim, srv::ServerConfig{},
                 {{"t1", Engine::InnoDB},
                  {"t2", Engine::InnoDB},
                  {"m1", Engine::MyISAM},
                  {"m2", Engine::MyISAM}},
                 {{"nobody", {}}}),
          scripts(std::move(s)) {
        srv::start_scripts(server, scripts, trace);
        backup.emplace(server, std::move(c), d, trace, scripts.size());
        backup->start();
    }

    StatementResult result(std::string_view session, std::size_t seq) const {
        for (const auto& row : trace) {
            if (row.session == session && row.seq == seq) {
                INFO(session << " #" << seq << ": " << row.sql);
                REQUIRE(row.result.has_value());
                return *row.result;
            }
        }
        FAIL("no statement " << seq << " of session " << session);
        return {};
    }
    std::vector<std::string> backup_rows() const {
        std::vector<std::string> out;
        for (const auto& row : trace) {
            if (row.session == "backup") {
                out.push_back(row.sql);
            }
        }
        return out;
    }
    srv::Server::SessionId backup_session() const {
        const auto id = server.session_by_name("backup");
        REQUIRE(id.has_value());
        return *id;
    }
};

/// What every failed backup must leave behind: the result says so, its session is gone and holds
/// no lock, its last trace row is the tool's exit at the failure time.
void check_failed_and_gone(Run& r, Time failed_at, std::string_view failure) {
    const mb::BackupResult b = r.backup->finish();
    CHECK_FALSE(b.finished);
    CHECK_FALSE(b.consistent());
    CHECK(b.failure.find(failure) != std::string::npos);
    CHECK(b.ended == failed_at);
    const auto id = r.backup_session();
    CHECK(r.server.locks().held_by(id).empty());
    CHECK_FALSE(r.server.connected(id));
    const srv::TraceRow* last = nullptr;
    for (const auto& row : r.trace) {
        if (row.session == "backup") {
            last = &row;
        }
    }
    REQUIRE(last != nullptr);
    CHECK(last->sql == "-- exit: the tool failed; its connection closes");
    CHECK(last->sent == failed_at);
    REQUIRE(last->result.has_value());
    CHECK(last->result->finished == failed_at);
    CHECK(last->result->error == Error::None);
}

/// A write granted the moment it was sent (it never waited).
void check_no_wait(const StatementResult& r, Time sent) {
    CHECK(r.error == Error::None);
    CHECK(r.sent == sent);
    CHECK(r.granted == sent);
    CHECK(r.wait == 0);
}

/// A write sent while the backup's lock blocked it, granted at the failure.
void check_released_at(const StatementResult& r, Time sent, Time failed_at) {
    CHECK(r.error == Error::None);
    CHECK(r.sent == sent);
    CHECK(r.granted == failed_at);
    CHECK(r.wait_state == kBackupLock);
}

}  // namespace

TEST_CASE("flavor_for: a strategy runs on the scenario's flavour if it can, else on its own") {
    using srv::Flavor;
    using S = mb::Strategy;
    for (const Flavor f :
         {Flavor::MariaDB103, Flavor::MariaDB1011, Flavor::MySQL80, Flavor::Percona80}) {
        CAPTURE(srv::traits(f).name);
        CHECK(mb::flavor_for(S::Ftwrl, f) == f);
        CHECK(mb::flavor_for(S::NoLock, f) == f);
        CHECK(mb::flavor_for(S::MariabackupStages, f) == Flavor::MariaDB1011);
        CHECK(mb::flavor_for(S::MariabackupLegacy, f) == Flavor::MariaDB1011);
        CHECK(mb::flavor_for(S::MysqlLockInstance, f) ==
              (f == Flavor::Percona80 ? Flavor::Percona80 : Flavor::MySQL80));
        CHECK(mb::flavor_for(S::PerconaBackupLocks, f) == Flavor::Percona80);
    }
    CHECK(mb::flavors_for(S::Ftwrl).empty());
    REQUIRE(mb::flavors_for(S::MysqlLockInstance).size() == 2);
}

TEST_CASE("query_type_from_name: the tools' ALL, UPDATE, SELECT, lower case in scenarios") {
    // docs/backup-tools.md#long-query-options
    CHECK(mb::query_type_from_name("all") == mb::QueryType::All);
    CHECK(mb::query_type_from_name("update") == mb::QueryType::Update);
    CHECK(mb::query_type_from_name("select") == mb::QueryType::Select);
    CHECK_FALSE(mb::query_type_from_name("ALL").has_value());
    CHECK(mb::BackupConfig{}.kill_long_query_type == mb::QueryType::Select);
    CHECK(mb::BackupConfig{}.ftwrl_wait_query_type == mb::QueryType::All);
}

// --- A failed backup gives back its locks at the failure ------------------------------------

TEST_CASE("Backup: --ftwrl-wait-timeout expiring during BACKUP STAGE FLUSH releases FLUSH") {
    // mariabackup-stages holds FLUSH from 1 s (after a 1 s InnoDB copy); at its wait for long
    // queries (2 s, after the 1 s MyISAM copy) a 100 s report older than the 1 s threshold is
    // running, so it polls for 3 s and gives up at 5 s.
    auto c = backup_config(mb::Strategy::MariabackupStages);
    c.ftwrl_wait_timeout = seconds(3);
    c.ftwrl_wait_threshold = seconds(1);
    Run r(c, data(1, 1),
          {{"report", "", {at(0, "SELECT * FROM t1", seconds(100))}},
           {"writer",
            "",
            {at(seconds(4), "INSERT INTO m1 VALUES (1)"),
             at(seconds(6), "INSERT INTO m2 VALUES (1)")}}});
    r.sim.run_until(seconds(20));
    check_failed_and_gone(r, seconds(5), "Unable to obtain lock");
    check_released_at(r.result("writer", 1), seconds(4), seconds(5));
    check_no_wait(r.result("writer", 2), seconds(6));
}

TEST_CASE("Backup: the once-a-second polls of --ftwrl-wait-timeout are one trace row") {
    // As above: polls at 2, 3 and 4 s, giving up at 5 s. One row, from 2 s to 5 s, counting them
    // (it used to be one row per poll: 60 rows for a minute's wait).
    auto c = backup_config(mb::Strategy::MariabackupStages);
    c.ftwrl_wait_timeout = seconds(3);
    c.ftwrl_wait_threshold = seconds(1);
    Run r(c, data(1, 1), {{"report", "", {at(0, "SELECT * FROM t1", seconds(100))}}});
    r.sim.run_until(seconds(20));
    std::vector<const srv::TraceRow*> rows;
    std::vector<std::size_t> seqs;
    for (const auto& row : r.trace) {
        if (row.session == "backup") {
            seqs.push_back(row.seq);
            if (row.sql.rfind("-- wait for long queries", 0) == 0) {
                rows.push_back(&row);
            }
        }
    }
    REQUIRE(rows.size() == 1);
    CHECK(rows[0]->sql ==
          "-- wait for long queries to finish (--ftwrl-wait-timeout), 3 polls a second apart");
    CHECK(rows[0]->sent == seconds(2));
    REQUIRE(rows[0]->result.has_value());
    CHECK(rows[0]->result->finished == seconds(5));
    for (std::size_t i = 0; i < seqs.size(); ++i) {
        CHECK(seqs[i] == i + 1);  // the backup's rows are numbered without gaps
    }
}

TEST_CASE("Backup: ER_LOCK_WAIT_TIMEOUT at BLOCK_DDL (a DDL longer than the backup's timeout)") {
    // START at 0, FLUSH at 1 s; a TRUNCATE running from 0.5 s for 100 s holds MDL_BACKUP_DDL, so
    // BLOCK_DDL (at 2 s) waits the backup's 2 s lock_wait_timeout and fails at 4 s; the session
    // would stay at FLUSH, blocking MyISAM writes, if it did not exit.
    auto c = backup_config(mb::Strategy::MariabackupStages);
    c.lock_wait_timeout = seconds(2);
    Run r(c, data(1, 1),
          {{"ddl", "", {at(millis(500), "TRUNCATE TABLE t2", seconds(100))}},
           {"writer",
            "",
            {at(seconds(3), "INSERT INTO m1 VALUES (1)"),
             at(seconds(6), "INSERT INTO m2 VALUES (1)")}}});
    r.sim.run_until(seconds(20));
    check_failed_and_gone(r, seconds(4), "BACKUP STAGE BLOCK_DDL: ER_LOCK_WAIT_TIMEOUT");
    check_released_at(r.result("writer", 1), seconds(3), seconds(4));
    check_no_wait(r.result("writer", 2), seconds(6));
}

TEST_CASE("Backup: ER_LOCK_DEADLOCK at BLOCK_DDL (an ALTER of a MyISAM table under FLUSH)") {
    // The ALTER of m1 (sent at 1.5 s, under FLUSH) holds MDL_BACKUP_DDL and waits for
    // MDL_BACKUP_DML, which FLUSH blocks; BLOCK_DDL (at 2 s) waits for that DDL: a cycle, and the
    // backup, the new waiter at an equal weight, is the victim. backup_block_ddl() retries a lost
    // deadlock 5 more times after 0.1, 0.5, 2.5, 12.5 and 62.5 ms (my_sleep counts microseconds;
    // docs/backup-stage.md#block-ddl); the cycle is still there each time, so BLOCK_DDL fails
    // 78.1 ms after it was sent. Exiting, the backup lets the ALTER on.
    const auto c = backup_config(mb::Strategy::MariabackupStages);
    Run r(c, data(1, 1),
          {{"alter", "", {at(millis(1500), "ALTER TABLE m1 ADD COLUMN c INT", millis(10))}},
           {"writer", "", {at(seconds(3), "INSERT INTO m2 VALUES (1)")}}});
    r.sim.run_until(seconds(20));
    const Time failed = seconds(2) + micros(78100);
    check_failed_and_gone(r, failed, "BACKUP STAGE BLOCK_DDL: ER_LOCK_DEADLOCK");
    const StatementResult alter = r.result("alter", 1);
    CHECK(alter.error == Error::None);
    CHECK(alter.granted == failed);
    CHECK(alter.finished == failed + millis(10));
    check_no_wait(r.result("writer", 1), seconds(3));
}

TEST_CASE("Backup: a missing privilege ends the backup and closes its connection") {
    // mariadb-backup dies when BACKUP STAGE is refused (docs/backup-tools.md#privileges). No lock
    // is held yet at that point (every script's first lock statement needs the privilege), but the
    // connection closes.
    SUBCASE("without RELOAD") {
        auto c = backup_config(mb::Strategy::MariabackupStages);
        c.user = "nobody";
        c.start_at = seconds(1);
        Run r(c, data(1, 1), {{"writer", "", {at(seconds(2), "INSERT INTO m1 VALUES (1)")}}});
        r.sim.run_until(seconds(10));
        check_failed_and_gone(r, seconds(1), "BACKUP STAGE START: ER_SPECIFIC_ACCESS_DENIED_ERROR");
        check_no_wait(r.result("writer", 1), seconds(2));
    }
    SUBCASE("on_missing_privilege ftwrl: the FTWRL tried instead is refused too") {
        auto c = backup_config(mb::Strategy::MariabackupStages);
        c.user = "nobody";
        c.ftwrl_on_missing_privilege = true;
        Run r(c, data(1, 1), {{"writer", "", {at(seconds(5), "INSERT INTO m1 VALUES (1)")}}});
        r.sim.run_until(seconds(10));
        // The FTWRL script copies InnoDB (1 s) before it asks for the lock.
        check_failed_and_gone(r, seconds(1),
                              "FLUSH TABLES WITH READ LOCK: ER_SPECIFIC_ACCESS_DENIED_ERROR");
        check_no_wait(r.result("writer", 1), seconds(5));
    }
}

TEST_CASE("Backup: a backup that finishes keeps its connection and ends its stages itself") {
    const auto c = backup_config(mb::Strategy::MariabackupStages);
    Run r(c, data(1, 1), {{"writer", "", {at(seconds(10), "INSERT INTO m1 VALUES (1)")}}});
    r.sim.run_until(seconds(20));
    const mb::BackupResult b = r.backup->finish();
    CHECK(b.finished);
    CHECK(b.failure.empty());
    CHECK(r.server.connected(r.backup_session()));
    CHECK(r.backup_rows().back() == "BACKUP STAGE END");
    check_no_wait(r.result("writer", 1), seconds(10));
}

TEST_CASE("Backup: a fractional --ftwrl-wait-timeout is sent as plain decimal seconds") {
    // fmt's shortest form of 1e-05 s is "1e-05", which the SQL parser refused mid-run (the run
    // died with "std::get: wrong index for variant"). The SET is written exactly, to the ns.
    auto c = backup_config(mb::Strategy::Ftwrl);
    c.ftwrl_wait_timeout = micros(10);
    c.lock_wait_timeout = seconds(31536000) + 1;
    Run r(c, data(1, 1), {});
    r.sim.run_until(seconds(20));
    const mb::BackupResult b = r.backup->finish();
    CHECK(b.finished);
    CHECK(b.failure.empty());
    const auto rows = r.backup_rows();
    CHECK(rows.front() == "SET lock_wait_timeout = 31536000.000000001");
    CHECK(std::find(rows.begin(), rows.end(), "SET lock_wait_timeout = 0.00001") != rows.end());
}
