#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/server/sql.hpp"
#include "models/topology/galera.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sql_helpers.hpp"

// Node 1 of a Galera cluster (models/topology/galera) on the mariadb-10.11 server, with the backup
// locks taken by scripted sessions on node 1. The expected behaviour is what a real 3-node
// 10.11.19 cluster did (docs/topologies.md#galera, docs/measured.md#replicas-and-galera-observed):
// FTWRL pauses the provider once granted and resumes it at UNLOCK TABLES; BACKUP STAGE pauses at
// BLOCK_DDL and resumes at END; local commits wait while paused; a desynced node never stalls
// the cluster, its receive queue grows at the cluster's rate and drains at about 5,000/s.
// Coroutines are free functions (g++ 12 mishandles coroutine lambdas).
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
using lockstage::models::topology::GaleraConfig;
using lockstage::models::topology::GaleraNode;
using lockstage::models::topology::GaleraResult;
using lockstage::tests::at;
using lockstage::tests::sql;
using sim::millis;
using sim::seconds;
using sim::Time;
using srv::ScriptedSession;
using srv::ScriptedStatement;

ScriptedSession session(std::string name, std::vector<ScriptedStatement> statements) {
    return ScriptedSession{std::move(name), "", std::move(statements)};
}

GaleraConfig galera_config(double rate_tps = 200) {
    GaleraConfig c;
    c.cluster_rate_tps = rate_tps;
    c.apply = sim::Distribution::constant(sim::micros(200));
    c.queue_sample_interval = millis(100);
    return c;
}

struct Options {
    std::uint64_t seed = 1;
    Time duration = seconds(20);
    std::vector<ScriptedSession> scripts;
    bool attach = true;              ///< false: a standalone server (no Galera node)
    Time commit = sim::micros(100);  ///< the server's commit (fsync) time
};

// Records, every `every` ns, the node's receive queue and whether it is paused.
struct Sample {
    Time t;
    std::uint64_t queue;
    bool paused;
};
sim::Process sample(sim::Simulation& sim, const GaleraNode& g, Time every, Time duration,
                    std::vector<Sample>& out) {
    for (Time t = 0; t < duration; t += every) {
        co_await sim.sleep_until(t);
        out.push_back(Sample{t, g.receive_queue(), g.paused()});
    }
}

struct Run {
    sim::Simulation sim;
    srv::Server server;
    std::vector<ScriptedSession> scripts;  // start_scripts keeps references into this
    std::vector<srv::TraceRow> trace;
    std::optional<GaleraNode> node;
    std::vector<Sample> samples;
    std::optional<GaleraResult> result;

    static srv::ServerConfig config(const Options& o) {
        srv::ServerConfig c;
        c.flavor = srv::Flavor::MariaDB1011;
        c.seed = o.seed;
        c.commit = sim::Distribution::constant(o.commit);
        return c;
    }

    Run(GaleraConfig gc, Options o)
        : server(sim, config(o), {{"t1", srv::Engine::InnoDB}, {"m1", srv::Engine::MyISAM}}, {}),
          scripts(std::move(o.scripts)) {
        srv::start_scripts(server, scripts, trace);
        if (o.attach) {
            node.emplace(server, o.seed, o.duration, gc);
            node->start();
            sim.spawn(sample(sim, *node, millis(10), o.duration, samples));
        }
        sim.run_until(o.duration);
        if (node) {
            result = node->finish();
        }
    }

    srv::StatementResult statement(std::string_view who, std::size_t seq) const {
        for (const auto& row : trace) {
            if (row.session == who && row.seq == seq) {
                REQUIRE(row.result.has_value());
                return *row.result;
            }
        }
        FAIL("no statement " << who << " " << seq);
        return {};
    }

    // The first sample at or after `from` with a queue of at most `n`.
    Time drained_at(Time from, std::uint64_t n) const {
        for (const auto& s : samples) {
            if (s.t >= from && s.queue <= n) {
                return s.t;
            }
        }
        return -1;
    }
};

double s(Time t) {
    return sim::to_seconds(t);
}

std::vector<ScriptedSession> ftwrl_script() {
    return {session("backup", {at(seconds(5), "FLUSH TABLES WITH READ LOCK"),
                               at(seconds(13), "UNLOCK TABLES")})};
}

std::vector<ScriptedSession> backup_stage_script() {
    return {session(
        "backup",
        {at(seconds(5), "BACKUP STAGE START"), at(seconds(5), "BACKUP STAGE FLUSH"),
         at(seconds(5), "BACKUP STAGE BLOCK_DDL"), at(seconds(10), "BACKUP STAGE BLOCK_COMMIT"),
         at(seconds(11), "BACKUP STAGE END")})};
}

// A local client on node 1: one autocommit InnoDB update at `t`.
ScriptedSession local_writer(std::string name, Time t) {
    return session(std::move(name), {at(t, "UPDATE t1")});
}

}  // namespace

TEST_CASE("Galera: without a backup node 1 keeps up and never pauses or stalls") {
    Options o;
    Run run(galera_config(), std::move(o));
    const GaleraResult& r = *run.result;
    CHECK(static_cast<double>(r.received) / 20.0 == doctest::Approx(200).epsilon(0.05));
    CHECK(r.received - r.applied <= 1);
    CHECK(r.pauses == 0);
    CHECK(r.pause_total == 0);
    CHECK(r.pause_intervals.empty());
    CHECK(r.peak_receive_queue >= 1);
    CHECK(r.peak_receive_queue < 10);
    CHECK(r.stalls == 0);
    CHECK(r.cluster_stall_total == 0);
    CHECK(r.queue_max_per_interval.size() == 200);
}

TEST_CASE("Galera: FTWRL pauses node 1 when granted and resumes at UNLOCK; queue and drain") {
    Options o;
    o.scripts = ftwrl_script();
    Run run(galera_config(), std::move(o));
    const GaleraResult& r = *run.result;
    MESSAGE("peak queue " << r.peak_receive_queue << " at " << s(r.peak_receive_queue_at)
                          << " s, received " << r.received << ", applied " << r.applied);
    CHECK(run.statement("backup", 1).error == srv::Error::None);
    REQUIRE(r.pause_intervals.size() == 1);
    CHECK(r.pauses == 1);
    CHECK(r.pause_intervals[0].first >= seconds(5));
    // Within 0.1 s (docs/measured.md#replicas-and-galera-observed).
    CHECK(r.pause_intervals[0].first <= seconds(5) + millis(100));
    CHECK(r.pause_intervals[0].second == seconds(13));
    CHECK(r.pause_total == r.pause_intervals[0].second - r.pause_intervals[0].first);
    // Desynced: the cluster keeps committing, node 1's queue grows at the cluster's rate.
    CHECK(r.stalls == 0);
    CHECK(r.cluster_stall_total == 0);
    CHECK(static_cast<double>(r.peak_receive_queue) == doctest::Approx(1600).epsilon(0.08));
    CHECK(r.peak_receive_queue_at >= seconds(13) - millis(50));
    CHECK(r.peak_receive_queue_at <= seconds(13) + millis(1));
    // Nothing applied while paused: the queue only grows.
    for (const auto& x : run.samples) {
        if (x.t > seconds(5) + millis(10) && x.t < seconds(13)) {
            CHECK(x.paused);
        }
        if (x.t < seconds(5) || x.t > seconds(13)) {
            CHECK_FALSE(x.paused);
        }
    }
    // Catch-up at 5,000/s against 200/s arriving: about peak / 4,800 s.
    const Time drained = run.drained_at(seconds(13), 3);
    REQUIRE(drained > 0);
    const double expect = static_cast<double>(r.peak_receive_queue) / 4800.0;
    MESSAGE("drained " << s(drained - seconds(13)) << " s after UNLOCK, expected ~" << expect);
    CHECK(s(drained - seconds(13)) == doctest::Approx(expect).epsilon(0.1));
    CHECK(r.received - r.applied <= 1);
}

TEST_CASE("Galera: BACKUP STAGE pauses at BLOCK_DDL and resumes at END") {
    Options o;
    o.scripts = backup_stage_script();
    Run run(galera_config(), std::move(o));
    const GaleraResult& r = *run.result;
    for (std::size_t i = 1; i <= 5; ++i) {
        CHECK(run.statement("backup", i).error == srv::Error::None);
    }
    REQUIRE(r.pause_intervals.size() == 1);
    CHECK(r.pause_intervals[0].first == seconds(5));
    CHECK(r.pause_intervals[0].second == seconds(11));
    CHECK(r.cluster_stall_total == 0);
    CHECK(static_cast<double>(r.peak_receive_queue) == doctest::Approx(1200).epsilon(0.1));
}

TEST_CASE("Galera: with bf_abort_mariabackup the BACKUP STAGE pause starts at BLOCK_COMMIT") {
    Options o;
    o.scripts = backup_stage_script();
    GaleraConfig gc = galera_config();
    gc.bf_abort_mariabackup = true;
    Run run(gc, std::move(o));
    const GaleraResult& r = *run.result;
    REQUIRE(r.pause_intervals.size() == 1);
    CHECK(r.pause_intervals[0].first == seconds(10));
    CHECK(r.pause_intervals[0].second == seconds(11));
    CHECK(static_cast<double>(r.peak_receive_queue) == doctest::Approx(200).epsilon(0.3));
}

TEST_CASE("Galera: local commits wait while paused, and only then") {
    for (const bool attach : {true, false}) {
        CAPTURE(attach);
        Options o;
        o.attach = attach;
        o.scripts = backup_stage_script();
        o.scripts.push_back(local_writer("before", seconds(3)));
        o.scripts.push_back(local_writer("during", seconds(7)));
        o.scripts.push_back(local_writer("after", seconds(12)));
        o.scripts.push_back(session("txn", {at(seconds(4), "BEGIN"), at(seconds(4), "UPDATE t1"),
                                            at(seconds(7), "COMMIT")}));
        o.scripts.push_back(
            session("reader", {at(seconds(4), "BEGIN"), at(seconds(4), "SELECT * FROM t1"),
                               at(seconds(7), "COMMIT")}));
        o.scripts.push_back(session("myisam", {at(seconds(3), "INSERT INTO m1")}));
        Run run(galera_config(), std::move(o));
        CHECK(run.statement("before", 1).wait == 0);
        CHECK(run.statement("after", 1).wait == 0);
        CHECK(run.statement("reader", 3).wait == 0);
        CHECK(run.statement("myisam", 1).wait == 0);  // non-transactional: no commit
        const srv::StatementResult during = run.statement("during", 1);
        const srv::StatementResult commit = run.statement("txn", 3);
        CHECK(during.error == srv::Error::None);
        CHECK(commit.error == srv::Error::None);
        if (attach) {
            // Blocked from 7 s to END at 11 s; BLOCK_COMMIT at 10 s is not held up by them.
            CHECK(during.finished >= seconds(11));
            CHECK(during.finished < seconds(11) + millis(1));
            CHECK(during.wait_state == "Waiting for certification");
            CHECK(during.longest_wait >= seconds(4) - millis(2));
            CHECK(commit.wait_state == "Waiting for certification");
            CHECK(commit.finished >= seconds(11));
            CHECK(commit.finished < seconds(11) + millis(1));
            CHECK(run.statement("backup", 4).finished == seconds(10));
        } else {
            CHECK(during.wait == 0);
            CHECK(commit.wait == 0);
        }
    }
}

TEST_CASE("Galera: a session killed while waiting for certification fails at once") {
    Options o;
    o.scripts = backup_stage_script();
    o.scripts.push_back(local_writer("victim", seconds(7)));
    o.scripts.push_back(session("admin", {at(seconds(8), "KILL victim")}));
    Run run(galera_config(), std::move(o));
    const srv::StatementResult v = run.statement("victim", 1);
    CHECK(v.error == srv::Error::ConnectionKilled);
    CHECK(v.finished == seconds(8));
    CHECK(run.result->pause_intervals.at(0).second == seconds(11));
}

TEST_CASE("Galera: the backup session disconnecting resumes the provider") {
    Options o;
    o.scripts = {session(
        "backup", {at(seconds(5), "FLUSH TABLES WITH READ LOCK"), at(seconds(9), "DISCONNECT")})};
    Run run(galera_config(), std::move(o));
    const GaleraResult& r = *run.result;
    REQUIRE(r.pause_intervals.size() == 1);
    CHECK(r.pause_intervals[0].second == seconds(9));
}

TEST_CASE("Galera: still paused at the end of the run counts up to the end") {
    Options o;
    o.scripts = {session("backup", {at(seconds(15), "FLUSH TABLES WITH READ LOCK")})};
    Run run(galera_config(), std::move(o));
    const GaleraResult& r = *run.result;
    REQUIRE(r.pause_intervals.size() == 1);
    CHECK(r.pause_intervals[0].second == seconds(20));
    CHECK(r.pause_total == seconds(20) - r.pause_intervals[0].first);
    CHECK(r.queue_max_per_interval.values().back() ==
          doctest::Approx(static_cast<double>(r.received - r.applied)));
}

TEST_CASE("Galera: without desync a pause stalls the whole cluster by flow control") {
    Options o;
    o.scripts = ftwrl_script();
    GaleraConfig gc = galera_config();
    gc.desync = false;
    Run run(gc, std::move(o));
    const GaleraResult& r = *run.result;
    MESSAGE("stall " << s(r.cluster_stall_total) << " s, peak queue " << r.peak_receive_queue
                     << ", received " << r.received);
    CHECK(r.stalls == 1);
    // The queue passes fc_limit (16) about 85 ms into the pause; the cluster then stops until
    // the pause ends and the queue drains below 8 (about 2 ms).
    CHECK(s(r.cluster_stall_total) == doctest::Approx(7.9).epsilon(0.02));
    CHECK(r.peak_receive_queue == 17);
    CHECK(static_cast<double>(r.received) == doctest::Approx(200 * (20 - 7.9)).epsilon(0.06));
    CHECK(r.pause_intervals.at(0).second == seconds(13));
    CHECK(r.received - r.applied <= 1);
}

TEST_CASE("Galera: flow control also stops a cluster faster than node 1 applies") {
    // 10,000/s into an applier of 5,000/s: the queue oscillates between fc_limit and fc_limit/2.
    Options o;
    o.duration = seconds(2);
    GaleraConfig gc = galera_config(10000);
    gc.desync = false;
    Run run(gc, std::move(o));
    const GaleraResult& r = *run.result;
    CHECK(r.peak_receive_queue == 17);
    CHECK(r.stalls > 10);
    CHECK(static_cast<double>(r.applied) / 2.0 == doctest::Approx(5000).epsilon(0.02));
    CHECK(s(r.cluster_stall_total) > 0.5);
}

TEST_CASE("Galera: invalid configurations are refused") {
    sim::Simulation sim;
    srv::Server server(sim, srv::ServerConfig{}, {{"t1", srv::Engine::InnoDB}}, {});
    GaleraConfig c = galera_config(0);
    CHECK_THROWS_AS(GaleraNode(server, 1, seconds(1), c), std::invalid_argument);
    c = galera_config();
    c.fc_limit = 0;
    CHECK_THROWS_AS(GaleraNode(server, 1, seconds(1), c), std::invalid_argument);
    c = galera_config();
    c.queue_sample_interval = 0;
    CHECK_THROWS_AS(GaleraNode(server, 1, seconds(1), c), std::invalid_argument);
}

TEST_CASE(
    "Galera: BLOCK_DDL pauses before it waits for running DDL; a failed BLOCK_DDL stays "
    "paused until END") {
    // backup_block_ddl(): desync_and_pause() after WAIT_FLUSH, before WAIT_DDL
    // (docs/topologies.md#backup-stage-on-a-galera-node).
    for (const bool fails : {false, true}) {
        CAPTURE(fails);
        Options o;
        ScriptedStatement ddl = at(seconds(4), "CREATE TABLE t9 (a INT)");
        ddl.exec = seconds(4);  // running until 8 s
        std::vector<ScriptedStatement> b = {at(seconds(3), "BACKUP STAGE START"),
                                            at(seconds(3), "BACKUP STAGE FLUSH")};
        if (fails) {
            b.push_back(at(seconds(5), "SET SESSION lock_wait_timeout = 1"));
        }
        b.push_back(at(seconds(5), "BACKUP STAGE BLOCK_DDL"));
        b.push_back(at(seconds(11), "BACKUP STAGE END"));
        o.scripts = {session("backup", std::move(b)), session("ddl", {ddl}),
                     local_writer("writer", seconds(6))};
        Run run(galera_config(), std::move(o));
        const GaleraResult& r = *run.result;
        REQUIRE(r.pause_intervals.size() == 1);
        CHECK(r.pause_intervals[0].first == seconds(5));  // not 8 s, when BLOCK_DDL is granted
        CHECK(r.pause_intervals[0].second == seconds(11));
        const srv::StatementResult block_ddl = run.statement("backup", fails ? 4 : 3);
        CHECK(block_ddl.error == (fails ? srv::Error::LockWaitTimeout : srv::Error::None));
        const srv::StatementResult w = run.statement("writer", 1);
        CHECK(w.wait_state == "Waiting for certification");
        CHECK(w.finished >= seconds(11));
        CHECK(w.finished < seconds(11) + millis(1));
    }
}

TEST_CASE("Galera: local commits take no commit lock, so FTWRL does not wait for them") {
    // ha_commit_trans(): MDL_BACKUP_COMMIT only if (!WSREP(thd))
    // (docs/topologies.md#wsrep-commits).
    for (const bool attach : {true, false}) {
        CAPTURE(attach);
        Options o;
        o.attach = attach;
        o.commit = seconds(1);
        o.scripts = {session("txn", {at(0, "BEGIN"), at(0, "UPDATE t1"), at(seconds(1), "COMMIT")}),
                     session("backup", {at(millis(1500), "FLUSH TABLES WITH READ LOCK"),
                                        at(seconds(3), "UNLOCK TABLES")})};
        Run run(galera_config(), std::move(o));
        const srv::StatementResult ftwrl = run.statement("backup", 1);
        CHECK(ftwrl.error == srv::Error::None);
        CHECK(ftwrl.finished == (attach ? millis(1500) : seconds(2)));
        CHECK(run.statement("txn", 3).finished == seconds(2));
    }
}
