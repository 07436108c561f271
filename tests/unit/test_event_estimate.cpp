// The event estimate and budget: what a scenario costs in kernel events before it runs, which
// runs are refused, the budget a run gets, and --max-events values. The refusals end to end are
// tests/cli/check_event_budget.sh; the estimate against real runs is in README (Command line).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "app/scenario/event_estimate.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace cli = lockstage::app;

namespace {

cli::Scenario load(const std::string& text) {
    return cli::load_scenario_text(text, "x.json");
}

/// An open group at `rate` tps for `seconds`: one autocommit UPDATE (4 events a transaction).
std::string open_group(const std::string& rate, const std::string& seconds = "100") {
    return R"({"name": "o", "duration_s": )" + seconds +
           R"(, "server": {}, "tables": [{"name": "t"}],
      "workload": {"groups": [{"name": "g", "arrivals": {"kind": "open", "rate_tps": )" +
           rate + R"(}, "transactions": [{"statements": [{"sql": "UPDATE t"}]}]}]}})";
}

}  // namespace

TEST_CASE("an open group costs rate x duration x (arrival, start, statement, commit)") {
    const auto e = cli::estimate_events(load(open_group("1000")));
    // 1000/s x 100 s x 4, the sampler's 10,000 ticks, the pool's 16 connections.
    CHECK(e.total == doctest::Approx(400'000 + 10'000 + 16));
    REQUIRE(e.largest() != nullptr);
    CHECK(e.largest()->pointer == "/workload/groups/0/arrivals/rate_tps");
}

TEST_CASE("an open group with a profile costs the rate's integral x (arrival, start, ...)") {
    // 10/s from 00:00 to 01:00, 0 after; a run of 3,600 s from 00:30: 1,800 s at 10/s, then
    // 1,800 s at 0 = 18,000 arrivals x 4 events, and the sampler's 360,000 ticks.
    std::string hours = "[10";
    for (int h = 1; h < 24; ++h) {
        hours += ", 0";
    }
    hours += "]";
    std::string text = open_group("1", "3600");
    const std::string rate = R"("rate_tps": 1)";
    text.replace(text.find(rate), rate.size(),
                 R"("profile": {"rate_tps_by_hour": )" + hours + R"(, "start_hour": 0.5})");
    const auto e = cli::estimate_events(load(text));
    CHECK(e.total == doctest::Approx(18'000 * 4 + 360'000 + 16));
    REQUIRE(e.largest() != nullptr);
    CHECK(e.largest()->pointer == "/output/queue_sample_ms");
    bool found = false;
    for (const auto& t : e.terms) {
        if (t.pointer == "/workload/groups/0/arrivals/profile") {
            found = true;
            CHECK(t.events == doctest::Approx(18'000 * 4));
        }
    }
    CHECK(found);
}

TEST_CASE("closed clients: clients / (think + service), capped by the pool and the cores") {
    const std::string base = R"({"name": "c", "duration_s": 10, "server": {"cpu_cores": 64},
      "tables": [{"name": "t"}], "workload": {"groups": [{"name": "g",
      "arrivals": {"kind": "closed", "clients": CLIENTS,
                   "think_ms": {"dist": "constant", "value_ms": 99}},
      "pool_size": POOL, "transactions": [{"statements": [{"sql": "SELECT * FROM t"}]}]}]}})";
    auto with = [&](const std::string& clients, const std::string& pool) {
        std::string s = base;
        s.replace(s.find("CLIENTS"), 7, clients);
        s.replace(s.find("POOL"), 4, pool);
        return cli::estimate_events(load(s));
    };
    // 100 clients, a 100 ms cycle (99 ms think + 1 ms SELECT): 1000/s, 2 events each (think,
    // statement; the pool is large enough, so no wake-up).
    const auto plain = with("100", "100");
    CHECK(plain.largest()->pointer == "/workload/groups/0/arrivals/clients");
    CHECK(plain.largest()->events == doctest::Approx(1000 * 10 * 2));
    // The pool of 10 serves at most 10 / 1 ms = 10,000/s, whatever the clients; waiting for a
    // connection adds a wake-up.
    const auto pooled = with("10000", "10");
    CHECK(pooled.largest()->events == doctest::Approx(10'000 * 10 * 3));
}

TEST_CASE("a run above 1e10 events is refused, naming its largest term; --max-events allows it") {
    const auto small = cli::estimate_events(load(open_group("1000")));
    CHECK_NOTHROW(cli::check_event_estimate(small, "x.json", std::nullopt));
    CHECK_NOTHROW(cli::check_event_estimate(small, "x.json", 10));  // tiny budgets still run
    // 4e10 events; a 1 ms client timeout keeps the requests the cores cannot serve from piling
    // up past the memory bound (the next test).
    std::string text = open_group("1e7", "1000");
    text.insert(text.find("\"transactions\""), "\"client_timeout_s\": 0.001, ");
    const auto big = cli::estimate_events(load(text));
    CHECK(big.total == doctest::Approx(4e10).epsilon(0.01));
    try {
        cli::check_event_estimate(big, "x.json", std::nullopt);
        FAIL("not refused");
    } catch (const cli::ScenarioError& e) {
        CHECK(e.where() == "/workload/groups/0/arrivals/rate_tps");
        CHECK(std::string(e.what()).find("estimated at 4e+10") != std::string::npos);
        CHECK(std::string(e.what()).find("--max-events") != std::string::npos);
    }
    CHECK_THROWS_AS(cli::check_event_estimate(big, "x.json", std::uint64_t{30'000'000'000}),
                    cli::ScenarioError);
    CHECK_NOTHROW(cli::check_event_estimate(big, "x.json", std::uint64_t{50'000'000'000}));
}

TEST_CASE("an open group its pool cannot serve: more than 1e7 waiting requests are refused") {
    // 1000/s on a pool of 16 serving about 14,500/s (1 ms UPDATE and its commit): none wait.
    CHECK(cli::estimate_events(load(open_group("1000"))).waiting.events == 0);
    // 1e6/s: about 985,000/s wait up to the default client_timeout_s of 30 s, 3e7 at once, 18 GB
    // of suspended requests, refused whatever --max-events allows.
    const auto backlog = cli::estimate_events(load(open_group("1e6", "60")));
    CHECK(backlog.waiting.events == doctest::Approx(30 * (1e6 - 16 / 1.1e-3)).epsilon(0.01));
    for (const auto flag :
         {std::optional<std::uint64_t>{}, std::optional<std::uint64_t>{10'000'000'000'000}}) {
        try {
            cli::check_event_estimate(backlog, "x.json", flag);
            FAIL("not refused");
        } catch (const cli::ScenarioError& e) {
            CHECK(e.where() == "/workload/groups/0/arrivals/rate_tps");
            CHECK(std::string(e.what()).find("requests waiting for a pool connection") !=
                  std::string::npos);
        }
    }
}

TEST_CASE("the budget: --max-events as given, else the larger of 1e10 and 10x the estimate") {
    cli::EventEstimate e;
    e.total = 1e6;
    CHECK(cli::event_budget(e, std::nullopt) == 10'000'000'000ULL);
    CHECK(cli::event_budget(e, 1000) == 1000);
    e.total = 5e9;
    CHECK(cli::event_budget(e, std::nullopt) == 50'000'000'000ULL);
}

TEST_CASE("--max-events takes whole numbers, also written as 2e10") {
    CHECK(cli::parse_event_count("1000") == 1000);
    CHECK(cli::parse_event_count("2e10") == 20'000'000'000ULL);
    CHECK(cli::parse_event_count("1.6e+16") == 16'000'000'000'000'000ULL);
    for (const char* bad : {"", "0", "-3", "1.5", "abc", "1e30", "nan", "inf", " 5", "5 "}) {
        CAPTURE(bad);
        CHECK_FALSE(cli::parse_event_count(bad).has_value());
    }
}

TEST_CASE("the queue model: 2.5 events a customer") {
    const auto e = cli::estimate_events(load(R"({"name": "q", "duration_s": 10,
      "server": {"model": "queue", "connections": 4},
      "workload": {"rate_tps": 100, "service": {"dist": "exponential", "mean_ms": 1}}})"));
    CHECK(e.total == doctest::Approx(2.5 * 1000 + 4));
}

TEST_CASE("each model's terms are named by the JSON pointer of the key that drives them") {
    std::vector<std::string> pointers;
    const auto mariadb = cli::estimate_events(load(R"({"name": "m", "duration_s": 10,
      "server": {}, "tables": [{"name": "t"}], "topology": "replica",
      "replication": {"table": "t"},
      "sessions": [{"name": "s", "statements": [{"sql": "SELECT * FROM t"}]}],
      "workload": {"groups": [
        {"name": "a", "arrivals": {"kind": "open", "rate_tps": 10},
         "transactions": [{"statements": [{"sql": "UPDATE t"}]}]},
        {"name": "b", "arrivals": {"kind": "closed", "clients": 2},
         "ddl_rate_per_h": 1, "ddl": [{"sql": "ALTER TABLE t"}],
         "transactions": [{"statements": [{"sql": "UPDATE t"}]}]}]},
      "backup": {"strategy": "ftwrl"}})"));
    for (const auto& t : mariadb.terms) {
        pointers.push_back(t.pointer);
    }
    const std::vector<std::string> want = {"/workload/groups/0/arrivals/rate_tps",
                                           "/workload/groups/0/pool_size",
                                           "/workload/groups/1/arrivals/clients",
                                           "/workload/groups/1/ddl_rate_per_h",
                                           "/workload/groups/1/pool_size",
                                           "/sessions",
                                           "/replication/primary_rate_tps",
                                           "/output/queue_sample_ms",
                                           "/backup"};
    CHECK(pointers == want);
    // And the models' own keys, relative to their configuration.
    lockstage::models::topology::GaleraConfig galera;
    const auto g =
        lockstage::models::topology::estimate_events(galera, lockstage::sim::seconds(10));
    REQUIRE(g.size() == 1);
    CHECK(g[0].key == "cluster_rate_tps");
    CHECK(g[0].events == doctest::Approx(3 * 200 * 10));
    const auto q = cli::estimate_events(load(R"({"name": "q", "duration_s": 10,
      "server": {"model": "queue", "connections": 4},
      "workload": {"rate_tps": 100, "service": {"dist": "exponential", "mean_ms": 1}}})"));
    REQUIRE(q.terms.size() == 2);
    CHECK(q.terms[0].pointer == "/workload/rate_tps");
    CHECK(q.terms[1].pointer == "/server/connections");
}

TEST_CASE("cpu_share and fsync_ms: the split statement and the log writer cost events") {
    const auto split = [](const std::string& server) {
        std::string s = open_group("1000");
        s.replace(s.find(R"("server": {})"), 12, R"("server": )" + server);
        return cli::estimate_events(load(s));
    };
    // Arrival and start, then: with cpu_share < 1 the UPDATE's CPU part and its waiting are two
    // events (2 + 2 + 1 commit); with fsync_ms the commit's wake-up and its share of a group
    // fsync are two more (2 + 1 + 3).
    CHECK(split(R"({"cpu_share": 0.5})").largest()->events == doctest::Approx(1000 * 100 * 5));
    CHECK(split(R"({"fsync_ms": {"dist": "constant", "value_ms": 1}})").largest()->events ==
          doctest::Approx(1000 * 100 * 6));
    CHECK(split(R"({"cpu_share": 1})").largest()->events == doctest::Approx(1000 * 100 * 4));
}
