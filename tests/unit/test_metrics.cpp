#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "app/experiments/report.hpp"
#include "app/experiments/tutorial.hpp"
#include "models/server/lock_monitor.hpp"
#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/server/sql.hpp"
#include "models/workload/clients.hpp"
#include "sim/kernel/distribution.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"
#include "sql_helpers.hpp"

// "What users felt": the lock-queue sampler (queue depth by state, the statements waiting at
// the peak, the wait-for graph there) and the workload's per-class latency, blocked time,
// write-blocked time and errors by name.
namespace {

namespace sim = lockstage::sim;
namespace srv = lockstage::models::server;
namespace wl = lockstage::models::workload;
using lockstage::tests::at;
using lockstage::tests::sql;
using sim::millis;
using sim::seconds;
using sim::Time;

constexpr std::string_view kBackupLock = "Waiting for backup lock";
constexpr std::string_view kTableMdl = "Waiting for table metadata lock";

std::vector<srv::TableDef> tables() {
    return {{"t1", srv::Engine::InnoDB}, {"t2", srv::Engine::InnoDB}, {"m1", srv::Engine::MyISAM}};
}

srv::ServerConfig config() {
    srv::ServerConfig c;
    c.commit = sim::Distribution::constant(sim::micros(100));
    return c;
}

std::size_t column(std::string_view state) {
    return static_cast<std::size_t>(
        std::find(srv::kWaitStates.begin(), srv::kWaitStates.end(), state) -
        srv::kWaitStates.begin());
}

wl::StatementTemplate stmt(std::string_view text) {
    return wl::StatementTemplate{
        std::string(text), sql(text), {}, sim::Distribution::constant(millis(1))};
}

wl::GroupConfig closed_group(std::string name, Time think, std::vector<std::string_view> mix) {
    wl::GroupConfig g;
    g.name = std::move(name);
    g.arrivals.kind = wl::Arrivals::Kind::Closed;
    g.arrivals.clients = 1;
    g.arrivals.think = sim::Distribution::constant(think);
    g.pool_size = 1;
    for (const auto text : mix) {
        g.transactions.push_back(
            wl::TransactionTemplate{std::string(text), 1.0, false, {stmt(text)}});
    }
    return g;
}

std::size_t cls(wl::TxClass c) {
    return static_cast<std::size_t>(c);
}

}  // namespace

TEST_CASE("LockMonitor: FTWRL held with 5 writers waiting, and a DROP behind a reader") {
    sim::Simulation sim;
    srv::Server server(sim, config(), tables(), {});
    std::vector<srv::ScriptedSession> scripts{
        {"backup",
         "",
         {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(3), "UNLOCK TABLES")}},
        {"reader", "", {at(millis(500), "BEGIN"), at(millis(600), "SELECT * FROM t2")}},
        {"dropper", "", {at(millis(1605), "DROP TABLE t2")}},
    };
    for (int i = 1; i <= 5; ++i) {
        scripts.push_back(
            {"w" + std::to_string(i), "", {at(millis(1500), "INSERT INTO t1 VALUES (1)")}});
    }
    std::vector<srv::TraceRow> trace;
    srv::start_scripts(server, scripts, trace);
    srv::LockMonitor monitor(server, millis(10), seconds(4));
    monitor.start();
    sim.run_until(seconds(2));

    // The snapshot: the five writers in "Waiting for backup lock", the DROP on the table.
    const auto waiting = server.waiting_sessions();
    REQUIRE(waiting.size() == 6);
    CHECK(std::count_if(waiting.begin(), waiting.end(), [](const auto& w) {
              return w.state == kBackupLock && w.kind == srv::StmtKind::Insert;
          }) == 5);
    CHECK(std::count_if(waiting.begin(), waiting.end(), [](const auto& w) {
              return w.state == kTableMdl && w.kind == srv::StmtKind::DropTable;
          }) == 1);

    sim.run_until(seconds(4));
    const auto q = monitor.finish();
    REQUIRE(q.rows.size() == 400);
    CHECK(q.interval == millis(10));
    // Sample i is at i * 10 ms: nothing waits before 1.5 s, 5 + 1 from 1.61 s to 3 s.
    CHECK(q.rows[149][column(kBackupLock)] == 0);
    CHECK(q.rows[155][column(kBackupLock)] == 5);
    CHECK(q.rows[155][column(kTableMdl)] == 0);
    CHECK(q.rows[200][column(kBackupLock)] == 5);
    CHECK(q.rows[200][column(kTableMdl)] == 1);
    CHECK(q.rows[350][column(kBackupLock)] == 0);
    CHECK(q.rows[350][column(kTableMdl)] == 1);  // the reader's transaction never ends
    CHECK(q.total.count() == 400);
    CHECK(q.total.max() == 6);

    // The peak: first reached at the sample after the DROP was sent.
    CHECK(q.peak == 6);
    CHECK(q.peak_at == millis(1610));
    CHECK(q.peak_by_state.at(kBackupLock) == 5);
    CHECK(q.peak_by_state.at(kTableMdl) == 1);
    CHECK(q.peak_kinds.at("INSERT") == 5);
    CHECK(q.peak_kinds.at("DROP TABLE") == 1);

    // The wait-for graph there: every writer -> the FTWRL holder, the DROP -> the reader.
    const auto& g = q.peak_graph;
    CHECK(g.at == millis(1610));
    std::set<std::pair<std::string, std::string>> edges;
    for (const auto& [from, to] : g.edges) {
        edges.emplace(g.nodes.at(from).name, g.nodes.at(to).name);
    }
    std::set<std::pair<std::string, std::string>> expected{{"dropper", "reader"}};
    for (int i = 1; i <= 5; ++i) {
        expected.emplace("w" + std::to_string(i), "backup");
    }
    CHECK(edges == expected);
    REQUIRE(g.nodes.size() == 8);
    const auto holder = std::find_if(g.nodes.begin(), g.nodes.end(),
                                     [](const auto& n) { return n.name == "backup"; });
    REQUIRE(holder != g.nodes.end());
    CHECK(holder->kind == "FLUSH TABLES WITH READ LOCK");
    CHECK_FALSE(holder->busy);
    CHECK(holder->state.empty());

    // Lock-wait time by state, server-wide: 5 writers x 1.5 s; the DROP still waits (not counted).
    CHECK(q.wait_time_by_state.at(kBackupLock) == 5 * millis(1500));
}

TEST_CASE("LockMonitor: a long run samples at most kMaxSamples times") {
    sim::Simulation sim;
    srv::Server server(sim, config(), tables(), {});
    srv::LockMonitor monitor(server, millis(10), seconds(7200));
    CHECK(monitor.interval() == millis(20));
}

TEST_CASE("LockMonitor: the event estimate counts the capped samples, not the asked interval") {
    // A day sampled every 10 ms is 8.64 M asked samples, but the monitor takes at most
    // kMaxSamples; the estimate once said 8.64 M and refused runs that would have fit.
    const auto day = srv::LockMonitor::estimate_events(millis(10), seconds(86400));
    REQUIRE(day.size() == 1);
    CHECK(day[0].events == doctest::Approx(360'000));
    const auto minute = srv::LockMonitor::estimate_events(millis(10), seconds(60));
    CHECK(minute[0].events == doctest::Approx(6'000));
}

TEST_CASE("Workload: blocked time, classes, backup window, write-blocked vs the commit gap") {
    sim::Simulation sim;
    srv::Server server(sim, config(), tables(), {});
    std::vector<srv::ScriptedSession> scripts{
        {"backup",
         "",
         {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(2), "UNLOCK TABLES")}}};
    std::vector<srv::TraceRow> trace;
    srv::start_scripts(server, scripts, trace);
    std::vector<wl::GroupConfig> groups{
        closed_group("app", millis(50),
                     {"SELECT * FROM t1", "UPDATE t1 SET a = 1", "INSERT INTO m1 VALUES (1)"}),
        // Writes every 3 s, never held up: a 3 s commit gap that is not write-blocked.
        closed_group("slow", seconds(3), {"UPDATE t2 SET a = 1"}),
    };
    groups[0].ddl.rate_per_h = 3600.0;
    groups[0].ddl.statements.push_back(stmt("ALTER TABLE t1 ADD COLUMN b INT"));
    wl::Workload workload(server, 7, seconds(10), seconds(1), groups);
    const sim::Interval window{seconds(1), seconds(2)};
    workload.set_backup_window(&window);
    workload.start();
    sim.run_until(seconds(10));
    const auto r = workload.finish().groups;
    const auto& app = r.at(0);
    const auto& slow = r.at(1);

    // Per class: every completed transaction in exactly one class; DDL on its own connection.
    std::uint64_t pool_classes = 0;
    for (const auto c : {wl::TxClass::Read, wl::TxClass::InnodbWrite, wl::TxClass::MyisamWrite}) {
        CHECK(app.class_latency[cls(c)].count() > 0);
        pool_classes += app.class_latency[cls(c)].count();
    }
    CHECK(pool_classes == app.completed);
    CHECK(app.class_latency[cls(wl::TxClass::Ddl)].count() >= 1);
    CHECK(app.class_latency[cls(wl::TxClass::Ddl)].count() <= app.ddl_sent);
    CHECK(slow.class_latency[cls(wl::TxClass::InnodbWrite)].count() == slow.completed);

    // The write that met FTWRL waited for UNLOCK TABLES at 2 s: it arrived in the window
    // [1 s, 2 s), it is blocked by a backup lock for nearly 1 s, and its latency says so.
    CHECK(app.blocked.max() > millis(500));
    CHECK(app.blocked.max() <= seconds(1));
    CHECK(app.blocked.count() ==
          app.completed + app.failed + app.class_latency[cls(wl::TxClass::Ddl)].count());
    std::uint64_t in_window = 0;
    Time window_max = 0;
    for (const auto& h : app.class_latency_backup) {
        in_window += h.count();
        window_max = std::max(window_max, h.max());
    }
    CHECK(in_window >= 1);
    CHECK(in_window < app.completed);
    CHECK(window_max >= app.blocked.max());
    // Every request of the mix that completed in a class of the window is in the window's
    // latency too (which also counts the failed and timed-out ones).
    CHECK(app.latency_backup.count() >=
          in_window - app.class_latency_backup[cls(wl::TxClass::Ddl)].count());

    // Write-blocked: from the first write held up by FTWRL until UNLOCK TABLES lets it go
    // (one client: the only waiting write is that one, so the two are the same interval).
    CHECK(app.write_blocked == app.blocked.max());
    CHECK(app.write_blocked_start >= seconds(1));
    CHECK(app.write_blocked_start + app.write_blocked == seconds(2));
    CHECK(app.write_blocked <= app.longest_commit_gap);
    // The slow group stopped committing for 3 s at a time, but no write of it ever waited.
    CHECK(slow.longest_commit_gap >= seconds(3));
    CHECK(slow.write_blocked == 0);
    CHECK(app.errors.empty());
}

TEST_CASE("Workload: failed transactions are counted by error name") {
    sim::Simulation sim;
    auto cfg = config();
    cfg.default_lock_wait_timeout = millis(300);
    srv::Server server(sim, cfg, tables(), {});
    std::vector<srv::ScriptedSession> scripts{
        {"backup",
         "",
         {at(seconds(1), "FLUSH TABLES WITH READ LOCK"), at(seconds(2), "UNLOCK TABLES")}}};
    std::vector<srv::TraceRow> trace;
    srv::start_scripts(server, scripts, trace);
    wl::Workload workload(server, 7, seconds(3), seconds(1),
                          {closed_group("app", millis(50), {"UPDATE t1 SET a = 1"})});
    workload.start();
    sim.run_until(seconds(3));
    const auto r = workload.finish().groups;
    REQUIRE(r.at(0).failed >= 2);
    CHECK(r.at(0).errors.size() == 1);
    CHECK(r.at(0).errors.at("ER_LOCK_WAIT_TIMEOUT") == r.at(0).failed);
    // Each timed-out write waited its full 300 ms on the backup lock.
    CHECK(r.at(0).blocked.max() == millis(300));
}

TEST_CASE(
    "queue depth rows: a long run keeps at most kMaxRows rows, each the largest count of its "
    "samples") {
    // An hour sampled every 10 ms is 360,000 samples, but only 6,000 rows of 600 ms.
    sim::Simulation sim;
    srv::Server server(sim, srv::ServerConfig{}, {{"t1", srv::Engine::InnoDB}}, {});
    srv::LockMonitor monitor(server, millis(10), seconds(3600));
    monitor.start();
    sim.run_until(seconds(3600));
    const auto q = monitor.finish();
    CHECK(q.interval == millis(10));
    CHECK(q.row_interval == millis(600));
    CHECK(q.rows.size() == 6000);
    CHECK(q.row_totals.size() == 6000);
    CHECK(q.total.count() == 360000);  // the statistics still see every sample
}

TEST_CASE("report: queue_depth.csv has the states that occur; waits_at_peak.dot the edges") {
    srv::QueueDepthResult q;
    q.interval = millis(10);
    q.row_interval = millis(10);
    q.rows.resize(3);
    q.row_totals = {0, 3, 1};
    q.rows.front().fill(0);
    q.rows[1].fill(0);
    q.rows[2].fill(0);
    q.rows[1][column(kBackupLock)] = 3;
    q.rows[2][column(kTableMdl)] = 1;
    CHECK(lockstage::app::queue_depth_csv(q) ==
          "t_s,Waiting for backup lock,Waiting for table metadata lock,total\n"
          "0.000000,0,0,0\n0.010000,3,0,3\n0.020000,0,1,1\n");

    srv::WaitGraph g;
    g.at = millis(1610);
    g.nodes.push_back({3, "w1", "INSERT", true, kBackupLock});
    g.nodes.push_back({4, "w2", "UPDATE", true, kBackupLock});
    g.nodes.push_back({1, "backup", "FLUSH TABLES WITH READ LOCK", false, ""});
    g.edges = {{0, 2}, {1, 2}};
    CHECK(lockstage::app::wait_graph_dot(g) ==
          "digraph G {\n"
          "label=\"waits at the peak queue depth, t = 1.610000 s\";\n"
          "0[label=\"w1\\nINSERT\\nWaiting for backup lock\"];\n"
          "1[label=\"w2\\nUPDATE\\nWaiting for backup lock\"];\n"
          "2[label=\"backup\\nFLUSH TABLES WITH READ LOCK (idle)\"];\n"
          "0->2 ;\n"
          "1->2 ;\n"
          "}\n");
}

TEST_CASE("report tutorial's text gives the reason of every row that differs") {
    using lockstage::app::TutorialRow;
    const std::vector<TutorialRow> rows = {
        {"T3", "FLUSH", "2 s", "0.001 s", "differs", "FLUSH only waits for MyISAM writes"},
        {"T3", "START", "0 s", "0 s", "reproduced", "how it is reached"}};
    const std::string text = lockstage::app::tutorial_text(rows);
    CHECK(text.find("differs\n      why: FLUSH only waits for MyISAM writes\n") !=
          std::string::npos);
    CHECK(text.find("how it is reached") == std::string::npos);  // a reproduced row: no reason
}
