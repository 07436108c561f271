#include <doctest/doctest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
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
#include "models/topology/replica.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sim/stats/timeline.hpp"
#include "sql_helpers.hpp"

// An asynchronous replica's SQL applier (models/topology/replica) on the mariadb-10.11 server,
// with the backup locks taken by scripted sessions on the replica. The expected behaviour is what
// a real 10.11.19 replica did (docs/measured.md#replicas-and-galera-observed; the rules:
// docs/topologies.md#async-replica): under FTWRL the applier stops from the moment the lock is held
// and the lag grows with the primary's commits; under BACKUP STAGE it stops only during
// BLOCK_COMMIT; after the lock the backlog drains at the applier's own speed. Coroutines are free
// functions (g++ 12 mishandles coroutine lambdas).
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
using lockstage::models::topology::ReplicaApplier;
using lockstage::models::topology::ReplicaConfig;
using lockstage::models::topology::ReplicaResult;
using lockstage::tests::at;
using lockstage::tests::sql;
using sim::millis;
using sim::seconds;
using sim::Time;
using srv::ScriptedSession;
using srv::ScriptedStatement;

constexpr Time kCommit = sim::micros(100);  // the server's commit (fsync) time in these tests

ScriptedSession backup(std::vector<ScriptedStatement> statements) {
    return ScriptedSession{"backup", "", std::move(statements)};
}

ReplicaConfig replica_config(double rate_tps, std::string table = "t1") {
    ReplicaConfig c;
    c.primary_rate_tps = rate_tps;
    c.table = std::move(table);
    c.apply = sim::Distribution::constant(sim::micros(200));
    c.lag_sample_interval = seconds(1);
    return c;
}

struct Options {
    std::uint64_t seed = 1;
    Time duration = seconds(20);
    Time interval = seconds(1);
    Time lock_wait_timeout = seconds(86400);
    std::vector<ScriptedSession> scripts;
    std::optional<std::pair<Time, Time>> stopped;  ///< stop_sql_thread, start_sql_thread times
    Time sample_every = 0;  ///< > 0: also sample lag() this often, for a brute-force check
};

sim::Process stop_then_start(sim::Simulation& sim, ReplicaApplier& r, Time stop, Time start) {
    co_await sim.sleep_until(stop);
    r.stop_sql_thread();
    co_await sim.sleep_until(start);
    r.start_sql_thread();
}

// The highest lag() seen by sampling every `every` ns, per interval of `width`.
sim::Process sample_lag(sim::Simulation& sim, const ReplicaApplier& r, Time every, Time width,
                        Time duration, std::vector<Time>& out) {
    for (Time t = 0; t < duration; t += every) {
        co_await sim.sleep_until(t);
        const auto i = static_cast<std::size_t>(t / width);
        if (i >= out.size()) {
            out.resize(i + 1, 0);
        }
        out[i] = std::max(out[i], r.lag());
    }
}

// One run: a replica server (InnoDB t1, MyISAM m1), scripted backup sessions, the applier.
struct Run {
    sim::Simulation sim;
    srv::Server server;
    std::vector<ScriptedSession> scripts;  // start_scripts keeps references into this
    std::vector<srv::TraceRow> trace;
    ReplicaApplier replica;
    std::vector<Time> sampled;
    ReplicaResult result{1, 1};

    static srv::ServerConfig config(const Options& o) {
        srv::ServerConfig c;
        c.flavor = srv::Flavor::MariaDB1011;
        c.seed = o.seed;
        c.commit = sim::Distribution::constant(kCommit);
        c.default_lock_wait_timeout = o.lock_wait_timeout;
        return c;
    }

    Run(ReplicaConfig rc, Options o)
        : server(sim, config(o), {{"t1", srv::Engine::InnoDB}, {"m1", srv::Engine::MyISAM}}, {}),
          scripts(std::move(o.scripts)),
          replica(server, o.seed, o.duration, o.interval, rc) {
        srv::start_scripts(server, scripts, trace);
        replica.start();
        if (o.stopped) {
            sim.spawn(stop_then_start(sim, replica, o.stopped->first, o.stopped->second));
        }
        if (o.sample_every > 0) {
            sim.spawn(sample_lag(sim, replica, o.sample_every, rc.lag_sample_interval, o.duration,
                                 sampled));
        }
        sim.run_until(o.duration);
        result = replica.finish();
    }

    // The result of the `seq`-th statement (1-based) of the backup session.
    srv::StatementResult statement(std::size_t seq) const {
        for (const auto& row : trace) {
            if (row.session == "backup" && row.seq == seq) {
                REQUIRE(row.result.has_value());
                return *row.result;
            }
        }
        FAIL("no statement " << seq);
        return {};
    }
};

double s(Time t) {
    return sim::to_seconds(t);
}

// The highest lag recorded in the lag intervals [from, to) (whole intervals of 1 s).
Time lag_max(const ReplicaResult& r, std::size_t from, std::size_t to) {
    double m = 0;
    for (std::size_t i = from; i < to && i < r.lag_max_per_interval.size(); ++i) {
        m = std::max(m, r.lag_max_per_interval.at(i));
    }
    return static_cast<Time>(m);
}

double applied_in(const ReplicaResult& r, std::size_t from, std::size_t to) {
    double n = 0;
    for (std::size_t i = from; i < to && i < r.applied_per_interval.size(); ++i) {
        n += r.applied_per_interval.at(i);
    }
    return n;
}

}  // namespace

TEST_CASE("Replica: without a backup the lag stays small and everything received is applied") {
    Run run(replica_config(300), Options{});
    const ReplicaResult& r = run.result;
    MESSAGE("received " << r.received << ", applied " << r.applied << ", peak lag "
                        << sim::to_millis(r.peak_lag) << " ms, peak backlog "
                        << r.peak_relay_backlog);
    CHECK(static_cast<double>(r.received) / 20.0 == doctest::Approx(300).epsilon(0.05));
    CHECK(r.applied <= r.received);
    CHECK(r.received - r.applied <= 1);  // at most the one in flight at the end
    CHECK(r.peak_lag > 0);
    CHECK(r.peak_lag < millis(50));
    CHECK(r.peak_relay_backlog >= 1);
    CHECK(r.peak_relay_backlog < 20);
    CHECK(lag_max(r, 0, 20) == r.peak_lag);
    CHECK(std::accumulate(r.applied_per_interval.values().begin(),
                          r.applied_per_interval.values().end(),
                          0.0) == static_cast<double>(r.applied));
    CHECK(r.stopped_total == 0);
    CHECK(r.retries == 0);
    CHECK(r.last_error == srv::Error::None);
}

TEST_CASE("Replica: FTWRL held 8 s stops the applier; lag 8 s at UNLOCK, then catches up") {
    Options o;
    o.scripts = {
        backup({at(seconds(5), "FLUSH TABLES WITH READ LOCK"), at(seconds(13), "UNLOCK TABLES")})};
    Run run(replica_config(500), std::move(o));
    const ReplicaResult& r = run.result;
    MESSAGE("peak lag " << s(r.peak_lag) << " s at " << s(r.peak_lag_at) << " s, peak backlog "
                        << r.peak_relay_backlog << ", received " << r.received << ", applied "
                        << r.applied);
    // FTWRL waits only for the applier's running write (< 1 ms), then holds.
    const srv::StatementResult ftwrl = run.statement(1);
    CHECK(ftwrl.error == srv::Error::None);
    CHECK(ftwrl.finished - ftwrl.sent < millis(1));
    CHECK(run.statement(2).finished == seconds(13));

    CHECK(s(r.peak_lag) >= 7.9);
    CHECK(s(r.peak_lag) <= 8.2);
    CHECK(r.peak_lag_at >= seconds(13));
    CHECK(r.peak_lag_at <= seconds(13) + millis(1));  // the blocked transaction commits at once
    CHECK(static_cast<double>(r.peak_relay_backlog) == doctest::Approx(4000).epsilon(0.08));

    // Small before the lock; then the lag grows one second per second; nothing applied meanwhile.
    CHECK(lag_max(r, 0, 5) < millis(50));
    for (std::size_t i = 5; i < 13; ++i) {
        INFO("interval " << i);
        CHECK(s(lag_max(r, i, i + 1)) ==
              doctest::Approx(static_cast<double>(i + 1 - 5)).epsilon(0.02));
    }
    CHECK(applied_in(r, 6, 13) == 0);
    // Catch-up: 300 us per transaction (apply + commit), about 3,300 tx/s against 500 arriving;
    // the backlog of 4,000 is gone in about 1.4 s.
    CHECK(applied_in(r, 13, 14) > 3000);
    CHECK(lag_max(r, 15, 20) < millis(50));
    CHECK(r.received - r.applied <= 1);
    CHECK(r.stopped_total == 0);
}

TEST_CASE("Replica: BACKUP STAGE stops the applier only during BLOCK_COMMIT") {
    Options o;
    o.scripts = {backup({at(seconds(5), "BACKUP STAGE START"), at(seconds(5), "BACKUP STAGE FLUSH"),
                         at(seconds(5), "BACKUP STAGE BLOCK_DDL"),
                         at(seconds(10), "BACKUP STAGE BLOCK_COMMIT"),
                         at(millis(10500), "BACKUP STAGE END")})};
    Run run(replica_config(300), std::move(o));
    const ReplicaResult& r = run.result;
    MESSAGE("peak lag " << s(r.peak_lag) << " s at " << s(r.peak_lag_at) << " s, peak backlog "
                        << r.peak_relay_backlog);
    for (std::size_t i = 1; i <= 5; ++i) {
        CHECK(run.statement(i).error == srv::Error::None);
    }
    CHECK(lag_max(r, 0, 10) < millis(50));  // START, FLUSH, BLOCK_DDL: no lag
    CHECK(s(r.peak_lag) >= 0.45);
    CHECK(s(r.peak_lag) <= 0.55);
    CHECK(r.peak_lag_at >= millis(10500));
    CHECK(r.peak_lag_at <= millis(10501));
    CHECK(static_cast<double>(r.peak_relay_backlog) == doctest::Approx(150).epsilon(0.3));
    CHECK(lag_max(r, 12, 20) < millis(50));
    CHECK(r.received - r.applied <= 1);
}

TEST_CASE("Replica: on a MyISAM table the applier waits from BACKUP STAGE FLUSH to END") {
    // Not among the runs in docs/measured.md#replicas-and-galera-observed (the replica there wrote
    // InnoDB): the applier takes a client write's locks, and BACKUP STAGE FLUSH blocks writes to
    // non-transactional tables (docs/topologies.md#backup-stage-on-a-replica).
    Options o;
    o.scripts = {backup({at(seconds(5), "BACKUP STAGE START"), at(seconds(5), "BACKUP STAGE FLUSH"),
                         at(seconds(5), "BACKUP STAGE BLOCK_DDL"),
                         at(seconds(10), "BACKUP STAGE BLOCK_COMMIT"),
                         at(millis(10500), "BACKUP STAGE END")})};
    Run run(replica_config(300, "m1"), std::move(o));
    const ReplicaResult& r = run.result;
    CHECK(lag_max(r, 0, 5) < millis(50));
    CHECK(s(r.peak_lag) >= 5.4);
    CHECK(s(r.peak_lag) <= 5.55);
    CHECK(r.peak_lag_at >= millis(10500));
    CHECK(r.peak_lag_at <= millis(10501));
}

TEST_CASE("Replica: STOP SLAVE SQL_THREAD for 3 s (safe-slave-backup)") {
    Options o;
    o.stopped = std::make_pair(seconds(5), seconds(8));
    Run run(replica_config(300), std::move(o));
    const ReplicaResult& r = run.result;
    MESSAGE("peak lag " << s(r.peak_lag) << " s at " << s(r.peak_lag_at) << " s, peak backlog "
                        << r.peak_relay_backlog);
    CHECK(r.stopped_total == seconds(3));
    CHECK(s(r.peak_lag) >= 2.9);
    CHECK(s(r.peak_lag) <= 3.05);
    CHECK(r.peak_lag_at >= seconds(8));
    CHECK(r.peak_lag_at <= seconds(8) + millis(1));
    CHECK(static_cast<double>(r.peak_relay_backlog) == doctest::Approx(900).epsilon(0.12));
    CHECK(applied_in(r, 5, 6) <= 1);  // at most the transaction in flight at 5 s
    CHECK(applied_in(r, 6, 8) == 0);
    CHECK(lag_max(r, 10, 20) < millis(50));
    CHECK(r.received - r.applied <= 1);
}

TEST_CASE("Replica: a stop during a lock wait takes effect once that transaction commits") {
    Options o;
    o.scripts = {
        backup({at(seconds(5), "FLUSH TABLES WITH READ LOCK"), at(seconds(8), "UNLOCK TABLES")})};
    o.stopped = std::make_pair(seconds(6), seconds(10));
    Run run(replica_config(300), std::move(o));
    const ReplicaResult& r = run.result;
    CHECK(applied_in(r, 6, 8) == 0);
    CHECK(applied_in(r, 8, 9) == 1);  // the blocked transaction, then the thread stops
    CHECK(applied_in(r, 9, 10) == 0);
    CHECK(r.stopped_total == seconds(4));
    CHECK(s(r.peak_lag) >= 4.9);  // the next head waited from about 5 s to 10 s
    CHECK(s(r.peak_lag) <= 5.05);
    CHECK(r.peak_lag_at >= seconds(10));
    CHECK(r.peak_lag_at <= seconds(10) + millis(1));
}

TEST_CASE("Replica: a stop still in effect at the end counts up to the end") {
    Options o;
    o.duration = seconds(10);
    o.stopped = std::make_pair(seconds(7), seconds(30));
    Run run(replica_config(300), std::move(o));
    const ReplicaResult& r = run.result;
    CHECK(r.stopped_total == seconds(3));
    CHECK(s(r.peak_lag) >= 2.9);
    CHECK(s(r.peak_lag) <= 3.01);
    CHECK(r.peak_lag_at == seconds(10));  // the lag is still growing at the end
    CHECK(static_cast<double>(r.received - r.applied) == doctest::Approx(900).epsilon(0.15));
    CHECK(run.replica.relay_backlog() == r.received - r.applied);
    CHECK(!run.replica.sql_thread_running());
}

TEST_CASE("Replica: lock wait timeouts are retried, ten times, then the SQL thread stops") {
    SUBCASE("three timeouts, retried") {
        Options o;
        o.lock_wait_timeout = seconds(1);
        o.scripts = {backup(
            {at(seconds(5), "FLUSH TABLES WITH READ LOCK"), at(millis(8500), "UNLOCK TABLES")})};
        Run run(replica_config(300), std::move(o));
        const ReplicaResult& r = run.result;
        CHECK(r.retries == 3);
        CHECK(r.last_error == srv::Error::None);
        CHECK(r.stopped_total == 0);
        CHECK(s(r.peak_lag) >= 3.4);
        CHECK(s(r.peak_lag) <= 3.55);
        CHECK(r.received - r.applied <= 1);
    }
    SUBCASE("eleven timeouts: the SQL thread stops with the error") {
        Options o;
        o.lock_wait_timeout = seconds(1);
        o.scripts = {backup(
            {at(seconds(2), "FLUSH TABLES WITH READ LOCK"), at(seconds(15), "UNLOCK TABLES")})};
        Run run(replica_config(300), std::move(o));
        const ReplicaResult& r = run.result;
        CHECK(r.retries == 10);
        CHECK(r.last_error == srv::Error::LockWaitTimeout);
        CHECK(!run.replica.sql_thread_running());
        // The 11th wait timed out at about 13 s; nothing applied after that.
        CHECK(s(r.stopped_total) == doctest::Approx(7.0).epsilon(0.01));
        CHECK(applied_in(r, 3, 20) == 0);
        CHECK(s(r.peak_lag_at) == doctest::Approx(20.0));
    }
}

TEST_CASE("Replica: the exact lag agrees with sampling it every millisecond") {
    Options o;
    o.duration = seconds(12);
    o.sample_every = millis(1);
    o.scripts = {
        backup({at(seconds(3), "FLUSH TABLES WITH READ LOCK"), at(seconds(6), "UNLOCK TABLES"),
                at(seconds(8), "BACKUP STAGE START"), at(seconds(8), "BACKUP STAGE BLOCK_COMMIT"),
                at(millis(8700), "BACKUP STAGE END")})};
    ReplicaConfig c = replica_config(400);
    c.apply = sim::Distribution::exponential(sim::micros(400));
    c.lag_sample_interval = millis(250);
    Run run(c, std::move(o));
    const ReplicaResult& r = run.result;
    REQUIRE(r.lag_max_per_interval.size() == 48);
    REQUIRE(run.sampled.size() == 48);
    for (std::size_t i = 0; i < 48; ++i) {
        INFO("interval " << i);
        const auto exact = static_cast<Time>(r.lag_max_per_interval.at(i));
        CHECK(exact >= run.sampled[i]);  // the exact maximum is never below a sample
        CHECK(exact - run.sampled[i] <= millis(1));
    }
    const Time sampled_peak = *std::max_element(run.sampled.begin(), run.sampled.end());
    CHECK(r.peak_lag >= sampled_peak);
    CHECK(r.peak_lag - sampled_peak <= millis(1));
    CHECK(s(r.peak_lag) == doctest::Approx(3.0).epsilon(0.02));
}

TEST_CASE("Replica: the same seed gives the same results; timelines cover the run") {
    const auto run_once = [](std::uint64_t seed, Time duration, Time lag_interval) {
        Options o;
        o.seed = seed;
        o.duration = duration;
        o.scripts = {backup(
            {at(seconds(2), "FLUSH TABLES WITH READ LOCK"), at(seconds(4), "UNLOCK TABLES")})};
        o.stopped = std::make_pair(seconds(6), seconds(7));
        ReplicaConfig c = replica_config(300);
        c.apply = sim::Distribution::exponential(sim::micros(300));
        c.lag_sample_interval = lag_interval;
        Run run(c, std::move(o));
        return run.result;
    };
    const ReplicaResult a = run_once(7, seconds(10), seconds(1));
    const ReplicaResult b = run_once(7, seconds(10), seconds(1));
    CHECK(a.received == b.received);
    CHECK(a.applied == b.applied);
    CHECK(a.peak_lag == b.peak_lag);
    CHECK(a.peak_lag_at == b.peak_lag_at);
    CHECK(a.peak_relay_backlog == b.peak_relay_backlog);
    CHECK(a.stopped_total == b.stopped_total);
    CHECK(a.lag_max_per_interval.values() == b.lag_max_per_interval.values());
    CHECK(a.applied_per_interval.values() == b.applied_per_interval.values());
    CHECK(a.lag_max_per_interval.size() == 10);
    CHECK(a.applied_per_interval.size() == 10);

    const ReplicaResult other = run_once(8, seconds(10), seconds(1));
    CHECK(other.received != a.received);

    // A run that is not a whole number of intervals, a lag interval of its own; both padded.
    const ReplicaResult c = run_once(7, millis(10500), millis(250));
    CHECK(c.applied_per_interval.size() == 11);
    CHECK(c.lag_max_per_interval.size() == 42);
    CHECK(c.lag_max_per_interval.interval() == millis(250));
}

TEST_CASE("Replica: the configuration is checked") {
    sim::Simulation sim;
    srv::Server server(sim, srv::ServerConfig{}, {{"t1", srv::Engine::InnoDB}}, {});
    CHECK_THROWS_AS(ReplicaApplier(server, 1, seconds(1), seconds(1), replica_config(300, "nope")),
                    std::invalid_argument);
    CHECK_THROWS_AS(ReplicaApplier(server, 1, seconds(1), seconds(1), replica_config(0)),
                    std::invalid_argument);
    ReplicaConfig c = replica_config(300);
    c.lag_sample_interval = 0;
    CHECK_THROWS_AS(ReplicaApplier(server, 1, seconds(1), seconds(1), c), std::invalid_argument);
    CHECK_NOTHROW(ReplicaApplier(server, 1, seconds(1), seconds(1), replica_config(300)));
}

// --- Parallel workers and the backup on the primary (docs/topologies.md#parallel-replica-applier,
// docs/topologies.md#a-replica-of-the-server-being-backed-up) ----------------------------------

TEST_CASE("Replica: FTWRL first waits for the parallel workers' started transactions") {
    for (const int threads : {0, 3}) {
        CAPTURE(threads);
        ReplicaConfig rc = replica_config(1000);
        rc.parallel_threads = threads;
        rc.apply = sim::Distribution::constant(seconds(2));
        Options o;
        o.duration = seconds(10);
        o.scripts = {backup(
            {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(3), "UNLOCK TABLES")})};
        Run run(rc, std::move(o));
        const srv::StatementResult ftwrl = run.statement(1);
        CHECK(ftwrl.error == srv::Error::None);
        if (threads == 0) {
            // The single SQL thread is not paused: FTWRL waits on its lock for the running write
            // (started with the first arrival, a millisecond in) only.
            CHECK(ftwrl.wait_state == "Waiting for backup lock");
            CHECK(ftwrl.finished <= seconds(2) + millis(5));
        } else {
            // rpl_pause_for_ftwrl(): the three started transactions commit, in order, first.
            CHECK(ftwrl.wait_state == "Waiting for worker threads to pause for global read lock");
            CHECK(ftwrl.finished >= seconds(2));
            CHECK(ftwrl.finished <= seconds(2) + millis(10));
            CHECK(run.result.applied >= 3);
        }
    }
}

TEST_CASE("Replica: BLOCK_COMMIT does not wait for workers waiting to commit in order") {
    for (const std::uint64_t seed : {1, 2, 3, 4, 5}) {
        CAPTURE(seed);
        ReplicaConfig rc = replica_config(1000);
        rc.parallel_threads = 4;
        rc.apply = sim::Distribution::exponential(seconds(1));  // workers finish out of order
        Options o;
        o.seed = seed;
        o.duration = seconds(8);
        o.scripts = {backup({at(seconds(1), "BACKUP STAGE START"),
                             at(millis(2500), "BACKUP STAGE BLOCK_COMMIT"),
                             at(seconds(4), "BACKUP STAGE END")})};
        Run run(rc, std::move(o));
        const srv::StatementResult block_commit = run.statement(2);
        CHECK(block_commit.error == srv::Error::None);
        CHECK(block_commit.finished - block_commit.sent <= kCommit);  // one commit at most
        CHECK(run.statement(3).error == srv::Error::None);
        CHECK(run.result.applied > 0);
        CHECK(run.result.retries == 0);
    }
}

TEST_CASE("Replica: the backup on the primary gives no lag during the stall, then the stall") {
    ReplicaConfig rc = replica_config(1);
    rc.backed_up = lockstage::models::topology::BackedUp::Primary;
    rc.table.clear();
    Options o;
    o.duration = seconds(20);
    o.scripts = {
        backup({at(seconds(5), "FLUSH TABLES WITH READ LOCK"), at(seconds(13), "UNLOCK TABLES")}),
        ScriptedSession{"app", "", {at(seconds(1), "UPDATE t1"), at(seconds(6), "UPDATE t1")}}};
    Run run(rc, std::move(o));
    const ReplicaResult& r = run.result;
    CHECK(r.received == 2);  // the primary's commits only (no Poisson stream)
    CHECK(r.applied == 2);
    CHECK(lag_max(r, 5, 13) == 0);  // nothing arrives while the primary's commits stall
    // The UPDATE sent at 6 s commits at 13 s carrying 6 s: lag 7 s plus its execution (1 ms),
    // commit (0.1 ms) and the replica's apply (0.2 ms).
    CHECK(r.peak_lag == seconds(7) + sim::micros(1300));
    CHECK(r.peak_lag_at == seconds(13) + sim::micros(1300));
}
