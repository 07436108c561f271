#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/server/sql.hpp"
#include "models/workload/clients.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/stats/timeline.hpp"
#include "sql_helpers.hpp"

// OLTP client groups (models/workload) on the mariadb-10.11 server model: arrivals, pools,
// client timeouts, the transaction mix, and what GroupResult reports.
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
namespace wl = lockstage::models::workload;
using lockstage::tests::sql;
using sim::Distribution;
using sim::millis;
using sim::seconds;
using sim::Time;
using wl::Arrivals;
using wl::GroupConfig;
using wl::GroupResult;
using wl::StatementTemplate;
using wl::TransactionTemplate;

constexpr Time kCommit = sim::micros(100);

StatementTemplate stmt(std::string_view text, Distribution exec = Distribution::constant(millis(1)),
                       std::vector<std::string> tables = {}) {
    return StatementTemplate{std::string(text), sql(text), std::move(tables), std::move(exec)};
}

TransactionTemplate tx(std::string name, double weight, std::vector<StatementTemplate> st,
                       bool explicit_transaction = false) {
    return TransactionTemplate{std::move(name), weight, explicit_transaction, std::move(st)};
}

GroupConfig open_group(std::string name, double rate_tps, std::vector<TransactionTemplate> mix,
                       int pool = 16) {
    GroupConfig g;
    g.name = std::move(name);
    g.arrivals.kind = Arrivals::Kind::Open;
    g.arrivals.rate_tps = rate_tps;
    g.pool_size = pool;
    g.transactions = std::move(mix);
    return g;
}

GroupConfig closed_group(std::string name, int clients, Distribution think,
                         std::vector<TransactionTemplate> mix, int pool = 16) {
    GroupConfig g;
    g.name = std::move(name);
    g.arrivals.kind = Arrivals::Kind::Closed;
    g.arrivals.clients = clients;
    g.arrivals.think = std::move(think);
    g.pool_size = pool;
    g.transactions = std::move(mix);
    return g;
}

std::vector<srv::TableDef> tables() {
    return {{"t1", srv::Engine::InnoDB},
            {"t2", srv::Engine::InnoDB},
            {"a", srv::Engine::InnoDB},
            {"b", srv::Engine::InnoDB},
            {"m1", srv::Engine::MyISAM}};
}

struct Options {
    std::uint64_t seed = 1;
    Time duration = seconds(10);
    Time interval = seconds(1);
    Time lock_wait_timeout = seconds(86400);
    std::vector<srv::ScriptedSession> scripts;
    sim::Interval window;  ///< the backup window the workload reports on (none by default)
};

// One run: a server, optional scripted sessions, the workload; the groups' results.
struct Run {
    sim::Simulation sim;
    srv::Server server;
    std::vector<srv::ScriptedSession> scripts;
    std::vector<srv::TraceRow> trace;
    wl::Workload workload;
    sim::Interval window;
    std::vector<GroupResult> results;
    GroupResult all;

    static srv::ServerConfig config(const Options& o) {
        srv::ServerConfig c;
        c.flavor = srv::Flavor::MariaDB1011;
        c.seed = o.seed;
        c.commit = Distribution::constant(kCommit);
        c.default_lock_wait_timeout = o.lock_wait_timeout;
        return c;
    }

    Run(std::vector<GroupConfig> groups, Options o)
        : server(sim, config(o), tables(), {}),
          scripts(std::move(o.scripts)),
          workload(server, o.seed, o.duration, o.interval, std::move(groups)),
          window(o.window) {
        srv::start_scripts(server, scripts, trace);
        workload.set_backup_window(&window);
        workload.start();
        sim.run_until(o.duration);
        auto r = workload.finish();
        results = std::move(r.groups);
        all = std::move(r.all);
    }
};

double total(const lockstage::stats::Timeline& t) {
    return std::accumulate(t.values().begin(), t.values().end(), 0.0);
}

double share(std::uint64_t part, std::uint64_t whole) {
    return whole == 0 ? 0.0 : static_cast<double>(part) / static_cast<double>(whole);
}

}  // namespace

TEST_CASE("Workload: open arrivals at 500 tps for 20 s give 500 tps") {
    Options o;
    o.duration = seconds(20);
    Run run({open_group("app", 500, {tx("insert", 1, {stmt("INSERT INTO t1 VALUES (1)")})})},
            std::move(o));
    REQUIRE(run.results.size() == 1);
    const GroupResult& r = run.results[0];
    MESSAGE("arrived " << r.arrived << ", completed " << r.completed);
    CHECK(r.name == "app");
    CHECK(static_cast<double>(r.completed) / 20.0 == doctest::Approx(500).epsilon(0.03));
    CHECK(r.arrived >= r.completed);
    CHECK(r.arrived - r.completed <= 16);  // only those still running at the end
    CHECK(r.failed == 0);
    CHECK(r.timeouts == 0);
    CHECK(r.commits == r.completed);  // every transaction wrote
    CHECK(r.latency.count() == r.completed + r.unfinished);
    // Nothing blocks: a transaction takes its execution plus its commit, never less.
    CHECK(r.latency.min() == millis(1) + kCommit);
    CHECK(r.latency.quantile(0.5) <= millis(1) + kCommit + kCommit);
    CHECK(total(r.completed_per_interval) == static_cast<double>(r.completed));
    CHECK(total(r.commits_per_interval) == static_cast<double>(r.commits));
    CHECK(r.completed_per_interval.size() == 20);
}

TEST_CASE("Workload: N closed clients with think T and execution E give N/(T+E) tps") {
    struct Case {
        int clients;
        Time think, exec;
    };
    for (const Case c : {Case{4, millis(9), millis(1)}, Case{8, millis(15), millis(5)},
                         Case{1, millis(1), millis(1)}}) {
        const double expected_tps =
            c.clients / sim::to_seconds(c.think + c.exec);  // a read commits nothing
        INFO(c.clients << " clients, think " << c.think << " ns, exec " << c.exec << " ns");
        Options o;
        o.duration = seconds(10);
        Run run({closed_group(
                    "closed", c.clients, Distribution::constant(c.think),
                    {tx("read", 1, {stmt("SELECT * FROM t1", Distribution::constant(c.exec))})})},
                std::move(o));
        const GroupResult& r = run.results[0];
        CHECK(static_cast<double>(r.completed) / 10.0 ==
              doctest::Approx(expected_tps).epsilon(0.01));
        CHECK(r.commits == 0);
        CHECK(r.timeouts == 0);
        CHECK(r.latency.max() == c.exec);  // never waited: pool and cores suffice
        CHECK(r.pool_wait.max() == 0);
    }
}

TEST_CASE("Workload: a pool of 1 with a long statement makes requests wait") {
    // Three closed clients with no think time share one connection; each statement runs 1 s.
    Options o;
    o.duration = seconds(10);
    Run run({closed_group(
                "batch", 3, Distribution::constant(0),
                {tx("slow", 1, {stmt("SELECT * FROM t1", Distribution::constant(seconds(1)))})},
                /*pool=*/1)},
            std::move(o));
    const GroupResult& r = run.results[0];
    CHECK(r.timeouts == 0);
    CHECK(r.completed >= 9);  // one per second, one at a time
    CHECK(r.completed <= 10);
    CHECK(r.pool_wait.max() == seconds(2));  // behind the two others
    CHECK(r.pool_wait.min() == 0);
    CHECK(r.max_pool_queue == 2);
    CHECK(r.latency.max() == seconds(3));
}

TEST_CASE("Workload: with a short client_timeout, requests that wait too long time out") {
    GroupConfig g = closed_group(
        "batch", 3, Distribution::constant(0),
        {tx("slow", 1, {stmt("SELECT * FROM t1", Distribution::constant(seconds(1)))})},
        /*pool=*/1);
    g.client_timeout = millis(300);
    Options o;
    o.duration = seconds(10);
    Run run({g}, std::move(o));
    const GroupResult& r = run.results[0];
    MESSAGE("arrived " << r.arrived << ", completed " << r.completed << ", timeouts "
                       << r.timeouts);
    CHECK(r.timeouts > 10);
    CHECK(r.completed >= 9);                  // the connection never idles
    CHECK(r.pool_wait.max() <= millis(300));  // only those who got a connection are timed
    CHECK(total(r.timeouts_per_interval) == static_cast<double>(r.timeouts));
    CHECK(r.timeouts_per_interval.size() == 10);
    CHECK(r.failed == 0);
    // Every request is accounted for, bar at most the three still in flight at the end.
    CHECK(r.arrived >= r.completed + r.timeouts);
    CHECK(r.arrived - r.completed - r.timeouts <= 3);
}

TEST_CASE("Workload: the mix follows the weights") {
    struct Case {
        double read_weight, write_weight;
    };
    for (const Case c : {Case{3, 1}, Case{1, 1}, Case{1, 4}}) {
        const double write_share = c.write_weight / (c.read_weight + c.write_weight);
        INFO("read:write = " << c.read_weight << ":" << c.write_weight);
        Options o;
        o.duration = seconds(10);
        Run run({open_group("mix", 500,
                            {tx("read", c.read_weight, {stmt("SELECT * FROM t1")}),
                             tx("write", c.write_weight, {stmt("UPDATE t2 SET a = a + 1")})})},
                std::move(o));
        const GroupResult& r = run.results[0];
        REQUIRE(r.completed > 4000);
        CHECK(std::abs(share(r.commits, r.completed) - write_share) < 0.02);
    }
    SUBCASE("a weight of 0 is never chosen") {
        Options o;
        o.duration = seconds(2);
        Run run({open_group("mix", 500,
                            {tx("read", 1, {stmt("SELECT * FROM t1")}),
                             tx("write", 0, {stmt("UPDATE t2 SET a = a + 1")})})},
                std::move(o));
        CHECK(run.results[0].completed > 800);
        CHECK(run.results[0].commits == 0);
    }
}

TEST_CASE("Workload: an explicit transaction counts as one transaction and one commit") {
    Options o;
    o.duration = seconds(5);
    Run run({open_group("tx", 100,
                        {tx("order", 1,
                            {stmt("SELECT * FROM t1"), stmt("INSERT INTO t2 VALUES (1)"),
                             stmt("UPDATE t1 SET a = 1")},
                            /*explicit_transaction=*/true)})},
            std::move(o));
    const GroupResult& r = run.results[0];
    CHECK(r.completed > 400);
    CHECK(r.commits == r.completed);
    CHECK(r.failed == 0);
    // Three statements of 1 ms, then one commit.
    CHECK(r.latency.min() == millis(3) + kCommit);
}

TEST_CASE("Workload: `tables` spreads a template's statements over the listed tables") {
    // TRUNCATE holds table b exclusively for the whole run; with lock_wait_timeout 100 ms every
    // statement sent to b fails, every one sent to a succeeds.
    const auto truncate_b = [] {
        return std::vector<srv::ScriptedSession>{
            {"ddl", "", {{0, "TRUNCATE TABLE b", sql("TRUNCATE TABLE b"), seconds(100)}}}};
    };
    const auto run_with = [&](std::vector<std::string> spread) {
        Options o;
        o.duration = seconds(5);
        o.lock_wait_timeout = millis(100);
        o.scripts = truncate_b();
        auto run = std::make_unique<Run>(
            std::vector<GroupConfig>{
                open_group("app", 200,
                           {tx("w", 1,
                               {stmt("INSERT INTO t_named VALUES (1)",
                                     Distribution::constant(millis(1)), std::move(spread))})},
                           /*pool=*/64)},
            std::move(o));
        return run;
    };
    SUBCASE("two tables: about half fail") {
        const auto run = run_with({"a", "b"});
        const GroupResult& r = run->results[0];
        MESSAGE("completed " << r.completed << ", failed " << r.failed);
        CHECK(r.completed > 300);
        CHECK(r.failed > 300);
        CHECK(std::abs(share(r.failed, r.completed + r.failed) - 0.5) < 0.06);
        // The table the SQL names is never used.
        CHECK_FALSE(run->server.has_table("t_named"));
    }
    SUBCASE("only a: nothing fails") {
        const auto run = run_with({"a"});
        CHECK(run->results[0].completed > 800);
        CHECK(run->results[0].failed == 0);
        CHECK_FALSE(run->server.has_table("t_named"));
    }
    SUBCASE("only b: everything fails") {
        const auto run = run_with({"b"});
        CHECK(run->results[0].completed == 0);
        CHECK(run->results[0].failed > 800);
    }
    SUBCASE("no list: the table the SQL names") {
        const auto run = run_with({});
        CHECK(run->results[0].completed > 800);
        CHECK(run->server.has_table("t_named"));  // created on first use
    }
}

TEST_CASE("Workload: the same seed gives the same GroupResult") {
    const auto groups = [] {
        return std::vector<GroupConfig>{
            open_group(
                "app", 300,
                {tx("read", 2, {stmt("SELECT * FROM t1", Distribution::exponential(millis(10)))}),
                 tx("write", 1,
                    {stmt("UPDATE t2 SET a = 1", Distribution::lognormal(millis(1), millis(2)),
                          {"t1", "t2"})})},
                /*pool=*/4),
            closed_group(
                "batch", 3, Distribution::exponential(millis(50)),
                {tx("w", 1,
                    {stmt("INSERT INTO m1 VALUES (1)", Distribution::uniform(0, millis(4)))})})};
    };
    const auto run = [&](std::uint64_t seed) {
        Options o;
        o.seed = seed;
        o.duration = seconds(5);
        o.interval = millis(500);
        return std::make_unique<Run>(groups(), std::move(o));
    };
    const auto same = [](const GroupResult& x, const GroupResult& y) {
        const auto eq = [](const lockstage::stats::Histogram& h1,
                           const lockstage::stats::Histogram& h2) {
            const auto b1 = h1.buckets();
            const auto b2 = h2.buckets();
            if (b1.size() != b2.size() || h1.max() != h2.max() || h1.min() != h2.min()) {
                return false;
            }
            for (std::size_t i = 0; i < b1.size(); ++i) {
                if (b1[i].lower != b2[i].lower || b1[i].upper != b2[i].upper ||
                    b1[i].count != b2[i].count) {
                    return false;
                }
            }
            return true;
        };
        return x.arrived == y.arrived && x.completed == y.completed && x.failed == y.failed &&
               x.timeouts == y.timeouts && x.commits == y.commits && eq(x.latency, y.latency) &&
               eq(x.pool_wait, y.pool_wait) &&
               x.commits_per_interval.values() == y.commits_per_interval.values() &&
               x.completed_per_interval.values() == y.completed_per_interval.values() &&
               x.timeouts_per_interval.values() == y.timeouts_per_interval.values() &&
               x.longest_commit_gap == y.longest_commit_gap &&
               x.longest_gap_start == y.longest_gap_start && x.max_pool_queue == y.max_pool_queue;
    };
    const auto a = run(42);
    const auto b = run(42);
    const auto c = run(43);
    REQUIRE(a->results.size() == 2);
    REQUIRE(b->results.size() == 2);
    REQUIRE(c->results.size() == 2);
    CHECK(a->results[0].completed > 1000);
    CHECK(a->results[0].max_pool_queue > 1);  // the pool of 4 made some wait
    for (std::size_t i = 0; i < 2; ++i) {
        INFO("group " << a->results[i].name);
        CHECK(same(a->results[i], b->results[i]));
        CHECK_FALSE(same(a->results[i], c->results[i]));  // the seed matters
    }
}

TEST_CASE("Workload: longest_commit_gap shows a FTWRL held 2 s") {
    Options o;
    o.duration = seconds(5);
    o.scripts = {{"backup",
                  "",
                  {{seconds(1), "FLUSH TABLES WITH READ LOCK", sql("FLUSH TABLES WITH READ LOCK"),
                    millis(1)},
                   {seconds(3), "UNLOCK TABLES", sql("UNLOCK TABLES"), millis(1)}}}};
    Run run({open_group("app", 500, {tx("insert", 1, {stmt("INSERT INTO t1 VALUES (1)")})},
                        /*pool=*/32)},
            std::move(o));
    const GroupResult& r = run.results[0];
    MESSAGE("longest gap " << sim::to_seconds(r.longest_commit_gap) << " s from "
                           << sim::to_seconds(r.longest_gap_start) << " s");
    CHECK(r.longest_commit_gap >= seconds(2));
    CHECK(r.longest_commit_gap <= millis(2100));
    CHECK(r.longest_gap_start >= millis(950));
    CHECK(r.longest_gap_start <= millis(1010));
    REQUIRE(r.commits_per_interval.size() == 5);
    CHECK(r.commits_per_interval.at(2) == 0);  // [2 s, 3 s): nothing commits
    CHECK(r.commits_per_interval.at(0) > 400);
    // Those held back commit after UNLOCK TABLES: nobody gave up, nothing failed.
    CHECK(r.timeouts == 0);
    CHECK(r.failed == 0);
    CHECK(r.commits_per_interval.at(3) > 1200);
}

TEST_CASE("Workload: without a backup the longest commit gap is short") {
    Options o;
    o.duration = seconds(5);
    Run run({open_group("app", 500, {tx("insert", 1, {stmt("INSERT INTO t1 VALUES (1)")})})},
            std::move(o));
    CHECK(run.results[0].longest_commit_gap < millis(100));
}

TEST_CASE("Workload: finish() pads the timelines to duration / interval entries") {
    // One closed client whose only transaction completes at 6.001 s.
    const auto group = [] {
        return closed_group("late", 1, Distribution::constant(seconds(6)),
                            {tx("read", 1, {stmt("SELECT * FROM t1")})});
    };
    SUBCASE("10 s in intervals of 1 s") {
        Options o;
        o.duration = seconds(10);
        Run run({group()}, std::move(o));
        const GroupResult& r = run.results[0];
        CHECK(r.completed == 1);
        CHECK(r.completed_per_interval.size() == 10);
        CHECK(r.commits_per_interval.size() == 10);
        CHECK(r.timeouts_per_interval.size() == 10);
        CHECK(r.completed_per_interval.at(6) == 1);
        CHECK(total(r.completed_per_interval) == 1);
        CHECK(total(r.commits_per_interval) == 0);
        CHECK(total(r.timeouts_per_interval) == 0);
        // No commit at all: the whole run is one gap.
        CHECK(r.longest_commit_gap == seconds(10));
        CHECK(r.longest_gap_start == 0);
    }
    SUBCASE("10.5 s in intervals of 1 s: 11 entries, the last one partial") {
        Options o;
        o.duration = millis(10500);
        Run run({group()}, std::move(o));
        const GroupResult& r = run.results[0];
        CHECK(r.completed_per_interval.size() == 11);
        CHECK(r.commits_per_interval.size() == 11);
        CHECK(r.timeouts_per_interval.size() == 11);
    }
    SUBCASE("10 s in intervals of 250 ms") {
        Options o;
        o.duration = seconds(10);
        o.interval = millis(250);
        Run run({group()}, std::move(o));
        const GroupResult& r = run.results[0];
        CHECK(r.completed_per_interval.size() == 40);
        CHECK(r.commits_per_interval.size() == 40);
        CHECK(r.timeouts_per_interval.size() == 40);
        CHECK(r.completed_per_interval.at(24) == 1);
    }
}

TEST_CASE("Workload: a closed client whose requests fail at once retries a millisecond later") {
    // FTWRL is held for the whole run and lock_wait_timeout is 0, so every UPDATE fails without
    // time passing; with no think time the client must not spin at one instant.
    Options o;
    o.duration = seconds(1);
    o.lock_wait_timeout = 0;
    srv::ScriptedSession backup{"backup", "", {}};
    backup.statements.push_back(srv::ScriptedStatement{0, "FLUSH TABLES WITH READ LOCK",
                                                       sql("FLUSH TABLES WITH READ LOCK"), 0});
    o.scripts.push_back(std::move(backup));
    Run run({closed_group("c", 1, Distribution::constant(0), {tx("w", 1, {stmt("UPDATE t1")})})},
            o);
    const GroupResult& g = run.results.front();
    CHECK(g.completed == 0);
    // FTWRL is granted first (its session starts first); then one attempt per millisecond.
    CHECK(g.failed >= 999);
    CHECK(g.failed <= 1001);
    CHECK(g.arrived == g.failed);
}

TEST_CASE("Workload: latency counts every request: timed out, failed and unfinished ones too") {
    // A pool of 1, three clients, 1 s statements, a 300 ms client timeout: most requests give
    // up; their 300 ms count in the latency (the users felt them), as sysbench counts errors.
    GroupConfig g = closed_group(
        "batch", 3, Distribution::constant(0),
        {tx("slow", 1, {stmt("SELECT * FROM t1", Distribution::constant(seconds(1)))})},
        /*pool=*/1);
    g.client_timeout = millis(300);
    Options o;
    o.duration = millis(10'500);  // ends with one statement half done
    Run run({g}, std::move(o));
    const GroupResult& r = run.results[0];
    CHECK(r.timeouts > 10);
    CHECK(r.unfinished >= 1);
    CHECK(r.latency.count() == r.completed + r.failed + r.timeouts + r.unfinished);
    CHECK(r.arrived == r.completed + r.failed + r.timeouts + r.unfinished);
    // Most latencies are the timed-out ones, exactly 300 ms; the completed ones >= 1 s.
    CHECK(static_cast<double>(r.latency.quantile(0.5)) ==
          doctest::Approx(static_cast<double>(millis(300))).epsilon(0.01));
    CHECK(r.latency.max() >= seconds(1));
}

TEST_CASE("Workload: failed requests count in the latency with their time to the error") {
    Options o;
    o.duration = seconds(3);
    o.lock_wait_timeout = millis(300);
    o.scripts = {{"backup",
                  "",
                  {{seconds(1), "FLUSH TABLES WITH READ LOCK", sql("FLUSH TABLES WITH READ LOCK"),
                    millis(1)},
                   {seconds(2), "UNLOCK TABLES", sql("UNLOCK TABLES"), millis(1)}}}};
    Run run({closed_group("app", 1, Distribution::constant(millis(50)),
                          {tx("update", 1, {stmt("UPDATE t1 SET a = 1")})})},
            std::move(o));
    const GroupResult& r = run.results[0];
    REQUIRE(r.failed >= 2);
    CHECK(r.latency.count() == r.completed + r.failed + r.unfinished);
    // The failed ones waited the whole lock_wait_timeout: 300 ms (one granted at the very end of
    // its wait adds its execution and commit).
    CHECK(r.latency.max() >= millis(300));
    CHECK(r.latency.max() <= millis(302));
}

TEST_CASE("Workload: a request caught by the backup window counts even if it only queued there") {
    // Three clients, a pool of 1, 3 s statements: the first request runs [0, 3 s], the second
    // waits for the connection until 3 s and runs to 6 s, the third waits until 6 s and is still
    // running at the end (7 s). The window [1 s, 2 s) saw those three alive (one running, two
    // queued for a connection), though none arrived or ended in it; the requests sent at 3 s and
    // 6 s (the first two clients again) never overlapped it.
    Options o;
    o.duration = seconds(7);
    o.window = sim::Interval{seconds(1), seconds(2)};
    Run run({closed_group(
                "batch", 3, Distribution::constant(0),
                {tx("slow", 1, {stmt("SELECT * FROM t1", Distribution::constant(seconds(3)))})},
                /*pool=*/1)},
            std::move(o));
    const GroupResult& r = run.results[0];
    CHECK(r.arrived == 5);
    CHECK(r.completed == 2);
    CHECK(r.unfinished == 3);
    CHECK(r.latency_backup.count() == 3);
    CHECK(r.latency_backup.min() == seconds(3));
    CHECK(r.latency_backup.max() == seconds(7));  // the third: 7 s so far at the end
    // Completions inside the window: none; the pieces of the window say so.
    double in_window = 0;
    for (const double n : r.backup_completions) {
        in_window += n;
    }
    CHECK(in_window == 0);
}

TEST_CASE("Workload: all groups together: sums, and write-blocked when no group committed") {
    // FTWRL held 2 s: both groups stop; the all-groups interval is the one no group committed in.
    Options o;
    o.duration = seconds(5);
    o.scripts = {{"backup",
                  "",
                  {{seconds(1), "FLUSH TABLES WITH READ LOCK", sql("FLUSH TABLES WITH READ LOCK"),
                    millis(1)},
                   {seconds(3), "UNLOCK TABLES", sql("UNLOCK TABLES"), millis(1)}}}};
    Run run({open_group("app", 500, {tx("insert", 1, {stmt("INSERT INTO t1 VALUES (1)")})}, 32),
             open_group("log", 50, {tx("log", 1, {stmt("INSERT INTO m1 VALUES (1)")})}, 8)},
            std::move(o));
    const GroupResult& app = run.results[0];
    const GroupResult& log = run.results[1];
    const GroupResult& all = run.all;
    CHECK(all.arrived == app.arrived + log.arrived);
    CHECK(all.completed == app.completed + log.completed);
    CHECK(all.commits == app.commits + log.commits);
    CHECK(all.latency.count() == app.latency.count() + log.latency.count());
    CHECK(all.latency.max() == std::max(app.latency.max(), log.latency.max()));
    CHECK(total(all.commits_per_interval) == static_cast<double>(all.commits));
    // Nobody commits from the first write held up (just after 1 s) to UNLOCK TABLES (3 s).
    CHECK(all.write_blocked <= std::max(app.write_blocked, log.write_blocked));
    CHECK(all.write_blocked >= std::min(app.write_blocked, log.write_blocked));
    CHECK(all.write_blocked > millis(1900));
    CHECK(all.write_blocked_start + all.write_blocked == seconds(3));
    CHECK(all.longest_commit_gap >= all.write_blocked);
    CHECK(all.latency_blocked.count() >= app.latency_blocked.count());
}
