#include "app/experiments/tutorial.hpp"

#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "app/experiments/compare.hpp"
#include "app/experiments/mariadb_run.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace lockstage::app {

namespace {

/// Within 25 % of the tutorial's value.
bool near(double simulated, double claimed) {
    return std::fabs(simulated - claimed) <= 0.25 * std::fabs(claimed);
}
/// Inside [lo, hi] widened by 25 % of the range's ends.
bool inside(double simulated, double lo, double hi) {
    return simulated >= lo * 0.75 && simulated <= hi * 1.25;
}

struct Rows {
    std::vector<TutorialRow> rows;
    void add(std::string table, std::string item, std::string tutorial, std::string simulated,
             bool reproduced, std::string reason) {
        rows.push_back(TutorialRow{std::move(table), std::move(item), std::move(tutorial),
                                   std::move(simulated), reproduced ? "reproduced" : "differs",
                                   std::move(reason)});
    }
    void report(std::string table, std::string item, std::string tutorial, std::string simulated,
                std::string note) {
        rows.push_back(TutorialRow{std::move(table), std::move(item), std::move(tutorial),
                                   std::move(simulated), "reported", std::move(note)});
    }
};

const CompareRow& row_of(const std::vector<CompareRow>& rows, const std::string& strategy) {
    for (const auto& r : rows) {
        if (r.strategy == strategy) {
            return r;
        }
    }
    throw std::logic_error("tutorial report: no row for " + strategy);
}

/// A metric of a compared strategy, for all groups (or one group); 0 where it has no value
/// (the rows below only read metrics that apply to a backup run).
double value(const CompareRow& r, std::string_view metric, std::string_view group = "") {
    return r.values.get(metric, group).value_or(0.0);
}

/// When a statement of the trace was sent and granted, by its SQL text (first match).
const models::server::TraceRow* find(const std::vector<models::server::TraceRow>& trace,
                                     std::string_view session, std::string_view sql_prefix) {
    for (const auto& r : trace) {
        if (r.session == session && r.sql.rfind(sql_prefix, 0) == 0) {
            return &r;
        }
    }
    return nullptr;
}

/// What a row reads from a scenario's run, beyond the mariadb model.
enum class Needs { nothing, backup, backup_and_groups, galera };

/// Loads a scenario the report runs and checks that it has what its rows read (a scenario of
/// --scenarios DIR may be anything): bad input, exit code 2, naming the file and the key.
Scenario tutorial_scenario(const std::filesystem::path& file, Needs needs) {
    Scenario s = load_scenario_file(file);
    const auto refuse = [&](const char* pointer, const char* what) {
        throw ScenarioError(s.file, pointer, fmt::format("the tutorial report needs {}", what));
    };
    if (s.model != "mariadb") {
        refuse("/server/model", "the mariadb model here, not the queue model");
    }
    if ((needs == Needs::backup || needs == Needs::backup_and_groups) && !s.backup) {
        refuse("/backup", "a \"backup\" here");
    }
    if (needs == Needs::backup_and_groups && s.groups.empty()) {
        refuse("/workload/groups", "client groups here (\"workload\": {\"groups\": [...]})");
    }
    if (needs == Needs::galera && !s.galera) {
        refuse("/topology", "\"topology\": \"galera\" here");
    }
    return s;
}

}  // namespace

std::vector<TutorialRow> tutorial_report(const std::filesystem::path& dir) {
    Rows out;
    const std::vector<std::string> both = {"ftwrl", "mariabackup-stages"};
    // Every scenario is read and checked before anything runs.
    const Scenario t1 = tutorial_scenario(dir / "tutorial" / "t1.json", Needs::backup_and_groups);
    const Scenario t2 = tutorial_scenario(dir / "tutorial" / "t2.json", Needs::backup_and_groups);
    const Scenario ddl_scenario =
        tutorial_scenario(dir / "ddl-during-block-ddl.json", Needs::nothing);
    const Scenario killed = tutorial_scenario(dir / "backup-killed-mid-copy.json", Needs::nothing);
    const Scenario galera_ftwrl = tutorial_scenario(dir / "galera-ftwrl.json", Needs::galera);
    const Scenario galera_stages =
        tutorial_scenario(dir / "galera-backup-stage.json", Needs::galera);
    const Scenario no_reload = tutorial_scenario(dir / "backup-no-reload.json", Needs::backup);
    const Scenario no_lock = tutorial_scenario(dir / "backup-no-lock.json", Needs::backup);

    // T1: 100 GB, 80/20, 1000 TPS.
    const auto c1 = compare_strategies(t1, both);
    const auto& f1 = row_of(c1, "ftwrl");
    const auto& s1 = row_of(c1, "mariabackup-stages");
    out.add("T1", "FTWRL write-blocked time", "8 s",
            fmt::format("{:.3f} s", value(f1, "write_blocked_s")),
            near(value(f1, "write_blocked_s"), 8),
            "FTWRL is held for the whole non-InnoDB copy (3.5 GB here)");
    const double s1_app = value(s1, "write_blocked_s", "app");
    out.add("T1", "BACKUP STAGE write-blocked time (InnoDB)", "0.3 s",
            fmt::format("{:.3f} s", s1_app), near(s1_app, 0.3),
            "BLOCK_COMMIT ends on the redo copier's check-in: 0.3 s needs --log-copy-interval "
            "~300 ms; the default 1 s gives ~1 s "
            "(docs/measured.md#what-sets-each-stages-length)");
    out.add("T1", "BACKUP STAGE TPS during the backup", "950-1000",
            fmt::format("{:.1f} (mean)", value(s1, "tps_mean")),
            inside(value(s1, "tps_mean"), 950, 1000),
            "MyISAM writes (2 % here) still wait from FLUSH to END");
    out.add("T1", "FTWRL TPS while blocked", "0",
            fmt::format("{:.0f} (lowest piece of the window)", value(f1, "tps_min")),
            value(f1, "tps_min") == 0, "every write and commit waits");
    out.report("T1", "BACKUP STAGE p99 latency", "+50 ms (brief spike)",
               fmt::format("p99 {:.2f} ms, max {:.0f} ms (backup window)",
                           value(s1, "backup_p99_ms"), value(s1, "backup_max_ms")),
               "the max is a MyISAM write that waited from FLUSH to END");

    // T2: e-commerce, 8-minute backup.
    const auto c2 = compare_strategies(t2, both);
    const auto& f2 = row_of(c2, "ftwrl");
    const auto& s2 = row_of(c2, "mariabackup-stages");
    out.add("T2", "backup duration", "8 min", fmt::format("{:.1f} s", value(s2, "backup_s")),
            near(value(s2, "backup_s"), 480), "sized: 206 GB of InnoDB at 450 MB/s");
    out.add("T2", "FTWRL: writes blocked", "11 s",
            fmt::format("{:.3f} s", value(f2, "write_blocked_s")),
            near(value(f2, "write_blocked_s"), 11), "4.9 GB of MyISAM copied under FTWRL");
    out.add("T2", "FTWRL: queued at peak", "157 INSERT + 89 UPDATE",
            fmt::format("{} ({})", f2.peak_statements, value(f2, "peak_queue")),
            near(value(f2, "peak_queue"), 246), "every pool connection holds a waiting write");
    out.add("T2", "FTWRL: client timeouts", "12", fmt::format("{}", value(f2, "timeouts")),
            near(value(f2, "timeouts"), 12),
            "knife-edge: requests queued for a connection longer than the client timeout before "
            "the block ends");
    out.add("T2", "BACKUP STAGE: writes blocked", "0.4 s",
            fmt::format("{:.3f} s", value(s2, "write_blocked_s")),
            near(value(s2, "write_blocked_s"), 0.4), "--log-copy-interval 400 ms");
    out.add("T2", "BACKUP STAGE: queued at peak", "6", fmt::format("{}", value(s2, "peak_queue")),
            near(value(s2, "peak_queue"), 6),
            "at 1000 tps every write arriving during a 0.4 s BLOCK_COMMIT waits (~320), so the "
            "pool fills");
    out.add("T2", "BACKUP STAGE: client timeouts", "0", fmt::format("{}", value(s2, "timeouts")),
            value(s2, "timeouts") == 0, "");
    out.add("T2", "BACKUP STAGE: TPS during the copy", "980-1000",
            fmt::format("{:.1f} (mean)", value(s2, "tps_mean")),
            inside(value(s2, "tps_mean"), 980, 1000), "");

    // T3: stage durations, from the BACKUP STAGE run of T2.
    Scenario t2s = t2;
    const MariadbRun run = simulate_mariadb(t2s);
    const auto* start = find(run.trace, "backup", "BACKUP STAGE START");
    const auto* flush = find(run.trace, "backup", "BACKUP STAGE FLUSH");
    const auto* ddl = find(run.trace, "backup", "BACKUP STAGE BLOCK_DDL");
    const auto* commit = find(run.trace, "backup", "BACKUP STAGE BLOCK_COMMIT");
    const auto* end = find(run.trace, "backup", "BACKUP STAGE END");
    if (start && flush && ddl && commit && end && start->result && flush->result && ddl->result &&
        commit->result && end->result) {
        const double s_flush = sim::to_seconds(ddl->sent - flush->sent);
        const double s_ddl = sim::to_seconds(commit->sent - ddl->sent);
        const double s_commit = sim::to_seconds(end->sent - commit->sent);
        out.add("T3", "START", "0 ms",
                fmt::format("{:.1f} ms granted after sending",
                            sim::to_millis(start->result->granted - start->sent)),
                start->result->granted == start->sent, "");
        out.add("T3", "FLUSH", "10-50 ms, writes continue", fmt::format("{:.3f} s", s_flush), false,
                "FLUSH lasts the copy of the non-transactional tables, and blocks MyISAM writes "
                "from then until END; InnoDB writes continue");
        out.add("T3", "BLOCK_DDL", "0 ms on DML; DDL blocked 1-30 s",
                fmt::format("{:.3f} s, DML not blocked", s_ddl), true,
                "BLOCK_DDL ends on the redo copier's next check-in");
        out.add("T3", "BLOCK_COMMIT", "100-500 ms", fmt::format("{:.3f} s", s_commit),
                inside(s_commit, 0.1, 0.5),
                "with the default --log-copy-interval (1 s) it is ~1 s "
                "(docs/measured.md#what-sets-each-stages-length)");
        out.add("T3", "END", "0 ms",
                fmt::format("{:.1f} ms", sim::to_millis(end->result->finished - end->sent)),
                end->result->finished == end->sent, "");
    }

    // T4: queue depth while a backup runs.
    out.add("T4", "FTWRL: sessions waiting", "10-100+",
            fmt::format("{} (peak)", value(f2, "peak_queue")), value(f2, "peak_queue") >= 10,
            "T2's scenario; bounded by the pool");
    out.add("T4", "BACKUP STAGE: sessions waiting", "0-5",
            fmt::format("{} (peak)", value(s2, "peak_queue")), value(s2, "peak_queue") <= 5,
            "during BLOCK_COMMIT every autocommit write waits at its commit; at 1000 tps the pool "
            "fills");

    // T5: troubleshooting cases.
    {
        const Scenario& s = ddl_scenario;
        const auto r = simulate_mariadb(s);
        const auto* alter = find(r.trace, "app", "ALTER TABLE");
        const auto* insert = find(r.trace, "app", "INSERT");
        const auto* end_stage = find(r.trace, "backup", "BACKUP STAGE END");
        const bool waits = insert && end_stage && insert->result && end_stage->result &&
                           insert->result->granted == end_stage->result->finished;
        out.add("T5", "ALTER TABLE during BLOCK_DDL waits until the backup ends", "waits until END",
                waits ? fmt::format("statements sent at 1 s run at END ({:.1f} s)",
                                    sim::to_seconds(insert->result->granted))
                      : "does not wait",
                waits && alter != nullptr, "DDL and MyISAM writes wait from BLOCK_DDL to END");
    }
    out.add("T5", "BLOCK_COMMIT took 15 s with many tables, 234 queries blocked", "15 s",
            fmt::format("{:.3f} s (T2, {} tables)", value(s2, "write_blocked_s"),
                        t2.data.innodb_tables + t2.data.myisam_tables),
            false,
            "BLOCK_COMMIT's work is the log/statistics tables and a redo check-in, not per-table "
            "copies; with 1000 tables a real mariadb-backup spent 0.21-0.89 s there "
            "(docs/measured.md#stage-times-of-a-real-mariadb-backup)");
    {
        const Scenario& s = killed;
        const auto r = simulate_mariadb(s);
        const MetricValues v = MetricValues::of(s, r);
        bool resumed = !v.groups.empty();
        for (const auto& g : v.groups) {
            resumed =
                resumed && std::fabs(v.get("longest_commit_gap_start_s", g).value_or(0) +
                                     v.get("longest_commit_gap_s", g).value_or(0) - 4.5) < 0.01;
        }
        out.add("T5", "a killed backup session releases its stage", "implicit END",
                resumed ? "writers resume at the kill (4.5 s)" : "writers do not resume", resumed,
                "");
    }
    {
        const Scenario& s = galera_ftwrl;
        const auto r = simulate_mariadb(s);
        const auto& g = *r.galera;
        out.add("T5", "Galera: FTWRL blocks replication apply and gets the node evicted", "evicted",
                fmt::format("paused {:.1f} s, queue {}, cluster stalled {:.1f} s, no eviction",
                            sim::to_seconds(g.pause_total), g.peak_receive_queue,
                            sim::to_seconds(g.cluster_stall_total)),
                false,
                "the node desyncs and pauses; the rest of the cluster keeps writing "
                "(docs/measured.md#replicas-and-galera-observed)");
    }
    {
        const Scenario& s = galera_stages;
        const auto r = simulate_mariadb(s);
        const auto& g = *r.galera;
        out.add("T5", "Galera: BACKUP STAGE lets replicated DML continue", "apply continues",
                fmt::format("paused {:.1f} s (BLOCK_DDL to END)", sim::to_seconds(g.pause_total)),
                g.pause_total == 0,
                "the node also desyncs and pauses, from BLOCK_DDL to END "
                "(docs/measured.md#replicas-and-galera-observed)");
    }
    {
        const Scenario& s = no_reload;
        const auto r = simulate_mariadb(s);
        out.add("T5", "without the privilege the tool falls back to FTWRL", "falls back",
                r.backup->failure, false, "mariadb-backup fails with an access-denied error");
    }
    {
        const Scenario& s = no_lock;
        const auto r = simulate_mariadb(s);
        std::string tables;
        for (const auto& i : r.backup->inconsistencies) {
            tables += (tables.empty() ? "" : ", ") + i.table;
        }
        out.add("T5", "no locks: InnoDB consistent, MyISAM possibly inconsistent",
                "MyISAM inconsistent", "inconsistent: " + tables, !r.backup->consistent(), "");
    }
    return out.rows;
}

std::string tutorial_markdown(const std::vector<TutorialRow>& rows) {
    std::string out = "| table | item | tutorial | lockstage | verdict |\n|---|---|---|---|---|\n";
    for (const auto& r : rows) {
        fmt::format_to(std::back_inserter(out), "| {} | {} | {} | {} | {}{} |\n", r.table, r.item,
                       r.tutorial, r.simulated, r.verdict, r.reason.empty() ? "" : ": " + r.reason);
    }
    return out;
}

std::string tutorial_json(const std::vector<TutorialRow>& rows) {
    nlohmann::ordered_json j = nlohmann::ordered_json::array();
    for (const auto& r : rows) {
        j.push_back({{"table", r.table},
                     {"item", r.item},
                     {"tutorial", r.tutorial},
                     {"simulated", r.simulated},
                     {"verdict", r.verdict},
                     {"reason", r.reason}});
    }
    return j.dump(2) + "\n";
}

std::string tutorial_text(const std::vector<TutorialRow>& rows) {
    std::string out;
    for (const auto& r : rows) {
        fmt::format_to(std::back_inserter(out), "  {}  {:<58} {:>24}  {:<44} {}\n", r.table,
                       r.item.substr(0, 58), r.tutorial.substr(0, 24), r.simulated.substr(0, 44),
                       r.verdict);
        if (r.verdict == "differs" && !r.reason.empty()) {
            fmt::format_to(std::back_inserter(out), "      why: {}\n", r.reason);
        }
    }
    return out;
}

}  // namespace lockstage::app
