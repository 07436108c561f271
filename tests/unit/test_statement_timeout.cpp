#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/server/sql.hpp"
#include "models/topology/replica.hpp"
#include "models/workload/clients.hpp"
#include "models/workload/estimate.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sql_helpers.hpp"

// max_statement_time (docs/statement-timeout.md): the server's timer that kills a statement
// still waiting or running after that long with ER_STATEMENT_TIMEOUT, the sessions exempt from
// it, and the client groups' retries after a timeout. Times are exact, in nanoseconds: the
// expected values are worked out by hand from the scripts, never read back from the model.
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
namespace wl = lockstage::models::workload;
using lockstage::models::topology::ReplicaApplier;
using lockstage::models::topology::ReplicaConfig;
using lockstage::tests::at;
using lockstage::tests::sql;
using sim::millis;
using sim::seconds;
using sim::Time;
using srv::Error;
using srv::ScriptedSession;
using srv::StatementResult;

constexpr Time kCommit = sim::micros(100);

srv::ServerConfig config(Time max_statement_time) {
    srv::ServerConfig c;
    c.flavor = srv::Flavor::MariaDB1011;
    c.commit = sim::Distribution::constant(kCommit);
    c.max_statement_time = max_statement_time;
    return c;
}

std::vector<srv::TableDef> tables() {
    return {{"t1", srv::Engine::InnoDB}, {"m1", srv::Engine::MyISAM}};
}

// A server with scripted sessions, run to `until`.
struct Bench {
    sim::Simulation sim;
    srv::Server server;
    std::vector<ScriptedSession> scripts;
    std::vector<srv::TraceRow> trace;

    explicit Bench(Time max_statement_time)
        : server(sim, config(max_statement_time), tables(), {}) {}

    void play(std::vector<ScriptedSession> s, Time until) {
        scripts = std::move(s);
        srv::start_scripts(server, scripts, trace);
        sim.run_until(until);
    }
    StatementResult result(std::string_view name, std::size_t seq) const {
        return lockstage::tests::traced(trace, name, seq);
    }
};

}  // namespace

TEST_CASE("max_statement_time: a write waiting for FTWRL's lock fails with 1969 after exactly it") {
    Bench b(seconds(2));
    b.play(
        {{"backup", "", {at(0, "FLUSH TABLES WITH READ LOCK"), at(seconds(30), "UNLOCK TABLES")}},
         {"writer",
          "",
          {at(seconds(1), "INSERT INTO t1 VALUES (1)"), at(seconds(4), "SELECT * FROM t1")}}},
        seconds(40));
    const StatementResult w = b.result("writer", 1);
    CHECK(w.error == Error::StatementTimeout);
    CHECK(srv::error_name(w.error) == "ER_STATEMENT_TIMEOUT");
    CHECK(w.finished == seconds(3));
    CHECK(w.wait == seconds(2));
    CHECK(w.wait_state == "Waiting for backup lock");
    // The lock was never granted: the next statement of the session runs normally, and the
    // FTWRL session itself (it never waited) is untouched.
    const StatementResult r = b.result("writer", 2);
    CHECK(r.error == Error::None);
    CHECK(r.finished == seconds(4) + millis(1));
    CHECK(b.result("backup", 1).error == Error::None);
    CHECK(b.result("backup", 2).finished == seconds(30));
}

TEST_CASE("max_statement_time: a statement that ends first is unaffected; each has its own timer") {
    Bench b(seconds(2));
    b.play({{"backup",
             "",
             {at(millis(1550), "FLUSH TABLES WITH READ LOCK"), at(seconds(30), "UNLOCK TABLES")}},
            // 1.5 s of execution: under the limit. Then, at 1.6 s, a write that waits for the
            // FTWRL taken at 1.55 s: its own timer ends it at 3.6 s, not the first one's (which
            // would have fired at 2 s, had it not been cancelled when its statement ended).
            {"writer",
             "",
             {at(0, "INSERT INTO t1 VALUES (1)", millis(1500)),
              at(millis(1600), "INSERT INTO t1 VALUES (2)")}},
            // Executing past the limit is ended too: 5 s of work, killed at 2 s.
            {"long", "", {at(0, "SELECT * FROM t1", seconds(5))}}},
           seconds(40));
    const StatementResult first = b.result("writer", 1);
    CHECK(first.error == Error::None);
    CHECK(first.finished == millis(1500) + kCommit);
    const StatementResult second = b.result("writer", 2);
    CHECK(second.error == Error::StatementTimeout);
    CHECK(second.finished == millis(3600));
    CHECK(second.wait == seconds(2));
    const StatementResult l = b.result("long", 1);
    CHECK(l.error == Error::StatementTimeout);
    CHECK(l.finished == seconds(2));
    CHECK(b.result("backup", 1).finished == millis(1550));
}

TEST_CASE("max_statement_time: 0 is off, and a session's own value overrides the server's") {
    Bench b(seconds(2));
    b.scripts = {
        {"backup", "", {at(0, "FLUSH TABLES WITH READ LOCK"), at(seconds(10), "UNLOCK TABLES")}},
        {"off", "", {at(seconds(1), "INSERT INTO t1 VALUES (1)")}},
        {"short", "", {at(seconds(1), "INSERT INTO t1 VALUES (1)")}}};
    srv::start_scripts(b.server, b.scripts, b.trace);
    b.server.set_max_statement_time(*b.server.session_by_name("off"), 0);
    b.server.set_max_statement_time(*b.server.session_by_name("short"), millis(500));
    b.sim.run_until(seconds(20));
    const StatementResult off = b.result("off", 1);
    CHECK(off.error == Error::None);
    CHECK(off.finished == seconds(10) + millis(1) + kCommit);
    const StatementResult s = b.result("short", 1);
    CHECK(s.error == Error::StatementTimeout);
    CHECK(s.finished == millis(1500));
}

TEST_CASE("max_statement_time: a kill that finds no wait is noticed at the next one") {
    // One core, held 3 s by A (exempt). B queues for it from 0; its 2 s pass while it queues,
    // where there is nothing to interrupt. It ends when it has the core, at 3 s, without
    // running its 500 ms (which would have ended at 3.5 s with no error).
    sim::Simulation sim;
    srv::ServerConfig c = config(seconds(2));
    c.cpu_cores = 1;
    srv::Server server(sim, c, tables(), {});
    std::vector<ScriptedSession> scripts = {{"a", "", {at(0, "SELECT * FROM t1", seconds(3))}},
                                            {"b", "", {at(0, "SELECT * FROM t1", millis(500))}}};
    std::vector<srv::TraceRow> trace;
    srv::start_scripts(server, scripts, trace);
    server.set_max_statement_time(*server.session_by_name("a"), 0);
    sim.run_until(seconds(10));
    const StatementResult a = lockstage::tests::traced(trace, "a", 1);
    CHECK(a.error == Error::None);
    CHECK(a.finished == seconds(3));
    const StatementResult b = lockstage::tests::traced(trace, "b", 1);
    CHECK(b.error == Error::StatementTimeout);
    CHECK(b.finished == seconds(3));
}

TEST_CASE("max_statement_time: a replica's applier thread is exempt") {
    // The replica's FTWRL holds its applier for 5 s; with max_statement_time 1 s a client's
    // write in the same window fails after 1 s, while the applier waits the 5 s out: no error,
    // no retry, every transaction applied.
    sim::Simulation sim;
    srv::Server server(sim, config(seconds(1)), tables(), {});
    std::vector<ScriptedSession> scripts = {
        {"backup",
         "",
         {at(seconds(2), "FLUSH TABLES WITH READ LOCK"), at(seconds(7), "UNLOCK TABLES")}},
        {"client", "", {at(seconds(3), "INSERT INTO t1 VALUES (1)")}}};
    std::vector<srv::TraceRow> trace;
    srv::start_scripts(server, scripts, trace);
    ReplicaConfig rc;
    rc.primary_rate_tps = 20;
    rc.table = "t1";
    rc.apply = sim::Distribution::constant(sim::micros(200));
    rc.lag_sample_interval = seconds(1);
    ReplicaApplier replica(server, 1, seconds(12), seconds(1), rc);
    replica.start();
    sim.run_until(seconds(12));
    const auto r = replica.finish();
    CHECK(r.retries == 0);
    CHECK(r.last_error == Error::None);
    CHECK(r.peak_lag >= millis(4500));
    CHECK(r.peak_lag < seconds(6));
    REQUIRE(trace.size() == 3);
    for (const auto& row : trace) {
        if (row.session == "client") {
            REQUIRE(row.result.has_value());
            CHECK(row.result->error == Error::StatementTimeout);
            CHECK(row.result->finished == seconds(4));
        }
    }
}

namespace {

// One closed client (think 1 s: its first request arrives at 1 s, the next 1 s after the
// first ends) running one autocommit INSERT, with max_statement_time 1 s on its connections and
// `retries` retries 100 ms apart; FTWRL held from 0 to `unlock`.
struct RetryRun {
    sim::Simulation sim;
    srv::Server server;
    std::vector<ScriptedSession> scripts;
    std::vector<srv::TraceRow> trace;
    wl::Workload workload;
    wl::GroupResult result;

    static std::vector<wl::GroupConfig> group(int retries) {
        wl::GroupConfig g;
        g.name = "app";
        g.arrivals.kind = wl::Arrivals::Kind::Closed;
        g.arrivals.clients = 1;
        g.arrivals.think = sim::Distribution::constant(seconds(1));
        g.pool_size = 1;
        g.max_statement_time = seconds(1);
        g.retries.max = retries;
        g.retries.backoff = sim::Distribution::constant(millis(100));
        wl::StatementTemplate st{"INSERT INTO t1 VALUES (1)",
                                 sql("INSERT INTO t1 VALUES (1)"),
                                 {},
                                 sim::Distribution::constant(millis(1))};
        g.transactions.push_back(wl::TransactionTemplate{"insert", 1.0, false, {st}});
        return {g};
    }

    static std::vector<ScriptedSession> ftwrl(Time unlock) {
        std::vector<ScriptedSession> out;
        out.push_back(
            {"backup", "", {at(0, "FLUSH TABLES WITH READ LOCK"), at(unlock, "UNLOCK TABLES")}});
        return out;
    }

    RetryRun(int retries, Time unlock)
        : server(sim, config(0), tables(), {}),
          scripts(ftwrl(unlock)),
          workload(server, 1, seconds(5), seconds(1), group(retries)) {
        srv::start_scripts(server, scripts, trace);
        workload.start();
        sim.run_until(seconds(5));
        result = workload.finish().groups.at(0);
    }
};

}  // namespace

TEST_CASE("retries: a transaction that keeps timing out is tried max + 1 times, then fails") {
    // Attempts at 1.0, 2.1 and 3.2 s, each ended by max_statement_time 1 s later; after the
    // third the client gives up at 4.2 s: one failed request of 3.2 s (the next would come at
    // 5.2 s, after the run).
    RetryRun run(2, seconds(30));
    const wl::GroupResult& g = run.result;
    CHECK(g.arrived == 1);
    CHECK(g.completed == 0);
    CHECK(g.failed == 1);
    CHECK(g.errors.at("ER_STATEMENT_TIMEOUT") == 1);
    CHECK(g.statement_timeouts == 3);
    CHECK(g.retries == 2);
    CHECK(g.timeouts == 0);
    REQUIRE(g.latency.count() == 1);
    CHECK(g.latency.max() == millis(3200));
}

TEST_CASE("retries: a retry after the lock is gone succeeds; latency counts from the arrival") {
    // The attempt at 1.0 s times out at 2.0 s; the retry at 2.1 s waits for FTWRL until 2.5 s,
    // then runs 1 ms and commits: 1.5011 s from the arrival. The next requests (3.5011 s,
    // 4.5022 s) find no lock.
    RetryRun run(2, millis(2500));
    const wl::GroupResult& g = run.result;
    CHECK(g.arrived == 3);
    CHECK(g.completed == 3);
    CHECK(g.failed == 0);
    CHECK(g.statement_timeouts == 1);
    CHECK(g.retries == 1);
    REQUIRE(g.latency.count() == 3);
    CHECK(g.latency.max() == millis(1500) + millis(1) + kCommit);
    // Without retries the first request fails at 2.0 s; the next two (3.0 s, 4.0011 s) commit.
    RetryRun none(0, millis(2500));
    CHECK(none.result.arrived == 3);
    CHECK(none.result.failed == 1);
    CHECK(none.result.completed == 2);
    CHECK(none.result.retries == 0);
    CHECK(none.result.statement_timeouts == 1);
    CHECK(none.result.latency.max() == seconds(1));
}

TEST_CASE("retries: only timeouts and deadlocks are retried") {
    using srv::Error;
    CHECK(wl::Workload::retryable(Error::StatementTimeout));
    CHECK(wl::Workload::retryable(Error::LockWaitTimeout));
    CHECK(wl::Workload::retryable(Error::LockDeadlock));
    CHECK_FALSE(wl::Workload::retryable(Error::QueryInterrupted));
    CHECK_FALSE(wl::Workload::retryable(Error::ConnectionKilled));
    CHECK_FALSE(wl::Workload::retryable(Error::None));
}

namespace {

// The events of the term `key` of a group's estimate; 0 without one.
double term(const sim::EventCosts& costs, std::string_view key) {
    for (const auto& c : costs) {
        if (c.key == key) {
            return c.events;
        }
    }
    return 0;
}

wl::GroupConfig estimate_group(wl::Arrivals::Kind kind) {
    wl::GroupConfig g;
    g.name = "app";
    g.arrivals.kind = kind;
    g.pool_size = 10;
    g.client_timeout = seconds(1);
    wl::StatementTemplate st{
        "UPDATE t1", sql("UPDATE t1"), {}, sim::Distribution::constant(millis(100))};
    g.transactions.push_back(wl::TransactionTemplate{"update", 1.0, false, {st}});
    return g;
}

}  // namespace

TEST_CASE("event estimate: retries on a saturated pool are counted") {
    const srv::ServerConfig server;  // commit 0.1 ms, 16 cores
    // Open, 1000/s on 10 connections of 100.1 ms each: 99.9001/s served, 900.0999/s give up
    // after 1 s; with 3 retries 100 ms apart each tries 3 more times (3 fit in 60 s), 3 events
    // a try.
    wl::GroupConfig open = estimate_group(wl::Arrivals::Kind::Open);
    open.arrivals.rate_tps = 1000;
    CHECK(term(wl::estimate_events(open, seconds(60), server), "retries") == 0);
    open.retries.max = 3;
    open.retries.backoff = sim::Distribution::constant(millis(100));
    const double excess = 1000 - 10 / 100.1e6 * 1e9;
    CHECK(term(wl::estimate_events(open, seconds(60), server), "retries") ==
          doctest::Approx(excess * 3 * 60 * 3));
    // Closed, 20 clients on 10 connections, thinking 1 s: the 10 beyond the pool give up after
    // 1 s and ask again after their think time (5/s, 3 events each); with a retry after no
    // backoff, after 0 s (10/s, 4 events each: the backoff's sleep too).
    wl::GroupConfig closed = estimate_group(wl::Arrivals::Kind::Closed);
    closed.arrivals.clients = 20;
    closed.arrivals.think = sim::Distribution::constant(seconds(1));
    CHECK(term(wl::estimate_events(closed, seconds(60), server), "client_timeout_s") ==
          doctest::Approx(5.0 * 60 * 3));
    closed.retries.max = 1;
    CHECK(term(wl::estimate_events(closed, seconds(60), server), "client_timeout_s") ==
          doctest::Approx(10.0 * 60 * 4));
}

TEST_CASE("event estimate: retries of transactions that always outlive max_statement_time") {
    const srv::ServerConfig server;  // commit 0.1 ms, 16 cores
    // Open, 10/s for 60 s, one 100 ms UPDATE: 2 + 1 statement + 1 commit = 4 events a try.
    wl::GroupConfig g = estimate_group(wl::Arrivals::Kind::Open);
    g.arrivals.rate_tps = 10;
    g.retries.max = 5;
    g.retries.backoff = sim::Distribution::constant(millis(100));
    // No limit, or a limit above the execution time: no such term.
    CHECK(term(wl::estimate_events(g, seconds(60), server), "retries/max") == 0);
    g.max_statement_time = millis(200);
    CHECK(term(wl::estimate_events(g, seconds(60), server), "retries/max") == 0);
    // 50 ms: every try times out, 600 arrivals x 5 retries x 4 events.
    g.max_statement_time = millis(50);
    CHECK(term(wl::estimate_events(g, seconds(60), server), "retries/max") ==
          doctest::Approx(600.0 * 5 * 4));
    // The server's limit counts when the group sets none; the retries that fit in the run at
    // one per (limit + backoff) = 150 ms bound the tries: 1 s holds 6.67 of the 1000 allowed.
    g.max_statement_time.reset();
    srv::ServerConfig limited;
    limited.max_statement_time = millis(50);
    g.retries.max = 1000;
    CHECK(term(wl::estimate_events(g, seconds(1), limited), "retries/max") ==
          doctest::Approx(10.0 * (1e9 / 150e6) * 4));
}
