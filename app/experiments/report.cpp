#include "app/experiments/report.hpp"

#include <fmt/format.h>

#include <algorithm>
// g++ 12 at -O2 sees adjacency_list's edge iterator (a boost::optional) as maybe uninitialized
// inside write_graphviz: a false positive in Boost's headers, silenced for them only.
// (clang, which builds the fuzz targets, has no such warning and would refuse the pragma.)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/graphviz.hpp>
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/experiments/csv.hpp"
#include "app/experiments/metrics.hpp"
#include "lockstage_version.hpp"

namespace lockstage::app {

using json = nlohmann::ordered_json;

namespace {

double ms(double ns) {
    return ns / 1e6;
}

json class_latency_json(const std::array<stats::Histogram, 4>& h) {
    json j = json::object();
    for (std::size_t i = 0; i < h.size(); ++i) {
        j[std::string(models::workload::kTxClassNames[i])] = latency_summary_json(h[i]);
    }
    return j;
}

json queue_depth_json(const models::server::QueueDepthResult& q) {
    json j;
    j["sample_interval_ms"] = sim::to_millis(q.interval);
    j["samples"] = q.rows.size();
    json by_state = json::object();
    for (const auto& [state, n] : q.peak_by_state) {
        by_state[std::string(state)] = n;
    }
    j["peak_by_state"] = std::move(by_state);
    json kinds = json::object();
    for (const auto& [kind, n] : q.peak_kinds) {
        kinds[std::string(kind)] = n;
    }
    j["peak_statements"] = std::move(kinds);
    return j;
}

std::optional<models::queue::ErlangC> theory(const Scenario& s) {
    if (s.queue.service.kind() != sim::Distribution::Kind::Exponential || s.queue.capacity > 0) {
        return std::nullopt;
    }
    return models::queue::erlang_c(s.queue.connections, s.queue.rate_tps,
                                   sim::to_seconds(static_cast<sim::Time>(s.queue.service.mean())));
}

/// What the birth-death chain predicts for a queue with max_in_system and exponential service.
std::optional<models::queue::MMcK> mmck_theory(const Scenario& s) {
    if (s.queue.service.kind() != sim::Distribution::Kind::Exponential || s.queue.capacity <= 0) {
        return std::nullopt;
    }
    return models::queue::mmck(s.queue.connections, s.queue.capacity, s.queue.rate_tps,
                               sim::to_seconds(static_cast<sim::Time>(s.queue.service.mean())));
}

}  // namespace

std::string queue_summary_json(const Scenario& s, const models::queue::QueueModelResult& r) {
    const double measured_s = sim::to_seconds(r.measured);
    json j;
    j["lockstage_version"] = LOCKSTAGE_VERSION;
    j["scenario"] = s.name;
    j["model"] = s.model;
    j["seed"] = s.seed;
    if (!s.overrides.empty()) {
        j["overrides"] = s.overrides;
    }
    j["duration_s"] = sim::to_seconds(s.duration);
    j["warmup_s"] = sim::to_seconds(s.warmup);
    j["connections"] = s.queue.connections;
    j["max_in_system"] = s.queue.capacity > 0 ? json(s.queue.capacity) : json(nullptr);
    j["requests"] = {{"arrived", r.arrived},
                     {"served", r.served},
                     {"blocked", r.blocked},
                     {"in_system_at_end", r.in_system_at_end}};
    j["blocking_share"] =
        r.arrived > 0 ? static_cast<double>(r.blocked) / static_cast<double>(r.arrived) : 0.0;
    j["in_system_share"] = r.in_system_share;
    j["throughput_tps"] = measured_s > 0 ? static_cast<double>(r.served) / measured_s : 0.0;
    j["utilisation"] = r.utilisation;
    j["mean_queue_length"] = r.mean_queue_length;
    j["max_queue_length"] = r.max_queue_length;
    j["wait_ms"] = latency_summary_json(r.wait);
    j["response_ms"] = latency_summary_json(r.response);
    if (const auto e = theory(s)) {
        j["erlang_c"] = {{"utilisation", e->utilisation},
                         {"wait_probability", e->wait_probability},
                         {"mean_wait_ms", e->mean_wait * 1e3},
                         {"mean_queue_length", e->mean_queue_length}};
    } else {
        j["erlang_c"] = nullptr;
    }
    if (const auto k = mmck_theory(s)) {
        double tv = 0.0;
        for (std::size_t n = 0; n < k->stationary.size(); ++n) {
            tv += std::abs(k->stationary[n] -
                           (n < r.in_system_share.size() ? r.in_system_share[n] : 0.0));
        }
        j["mmck"] = {{"blocking_probability", k->blocking_probability},
                     {"mean_in_system", k->mean_in_system},
                     {"utilisation", k->utilisation},
                     {"stationary", k->stationary},
                     {"total_variation_distance", tv / 2.0}};
    } else {
        j["mmck"] = nullptr;
    }
    j["kernel"] = {{"events", r.events}};
    return j.dump(2) + "\n";
}

std::string queue_timeline_csv(const models::queue::QueueModelResult& r) {
    std::string out = "t_start_s,arrivals,completions,throughput_tps,mean_wait_ms\n";
    const auto& arr = r.arrivals_per_interval;
    const auto& done = r.completions_per_interval;
    const auto& wait = r.wait_sum_per_interval;
    const double width_s = sim::to_seconds(arr.interval());
    for (std::size_t i = 0; i < arr.size(); ++i) {
        const double n = done.at(i);
        fmt::format_to(std::back_inserter(out), "{},{},{},{},{:.6f}\n",
                       sim::to_seconds(static_cast<sim::Time>(i) * arr.interval()), arr.at(i), n,
                       n / width_s, n > 0 ? ms(wait.at(i) / n) : 0.0);
    }
    return out;
}

std::string queue_histogram_csv(const models::queue::QueueModelResult& r) {
    std::string out = "metric,lower_ms,upper_ms,count\n";
    const std::pair<const char*, const stats::Histogram*> metrics[] = {{"wait", &r.wait},
                                                                       {"response", &r.response}};
    for (const auto& [name, h] : metrics) {
        for (const auto& b : h->buckets()) {
            fmt::format_to(std::back_inserter(out), "{},{:.6f},{:.6f},{}\n", name,
                           ms(static_cast<double>(b.lower)), ms(static_cast<double>(b.upper)),
                           b.count);
        }
    }
    return out;
}

std::string queue_summary_text(const Scenario& s, const models::queue::QueueModelResult& r) {
    const double measured_s = sim::to_seconds(r.measured);
    std::string out = fmt::format(
        "scenario {} (queue model, {} connections), seed {}, {} s simulated ({} s warm-up)\n",
        s.name, s.queue.connections, s.seed, sim::to_seconds(s.duration),
        sim::to_seconds(s.warmup));
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>12}\n", "requests arrived", r.arrived);
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>12}\n", "requests served", r.served);
    if (s.queue.capacity > 0) {
        const auto k = mmck_theory(s);
        fmt::format_to(
            std::back_inserter(out), "  {:<22}{:>12}   ({:.1f} %, the system full at {}{})\n",
            "requests refused", r.blocked,
            r.arrived ? 100.0 * static_cast<double>(r.blocked) / static_cast<double>(r.arrived)
                      : 0.0,
            s.queue.capacity,
            k ? fmt::format("; M/M/c/K: {:.1f} %", 100.0 * k->blocking_probability) : "");
    }
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>12.1f}\n", "throughput (tps)",
                   measured_s > 0 ? static_cast<double>(r.served) / measured_s : 0.0);
    const auto e = theory(s);
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>10.1f} %{}\n", "utilisation",
                   100.0 * r.utilisation,
                   e ? fmt::format("   (Erlang C: {:.1f} %)", 100.0 * e->utilisation) : "");
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>12.3f}{}\n", "mean queue length",
                   r.mean_queue_length,
                   e ? fmt::format("   (Erlang C: {:.3f})", e->mean_queue_length) : "");
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>10}{:>10}{:>10}{:>10}{:>10}\n",
                   "latency (ms)", "mean", "p50", "p99", "p99.9", "max");
    for (const auto& [name, h] : {std::pair{"wait", &r.wait}, std::pair{"response", &r.response}}) {
        fmt::format_to(
            std::back_inserter(out), "  {:<22}{:>10.3f}{:>10.3f}{:>10.3f}{:>10.3f}{:>10.3f}\n",
            name, ms(h->mean()), ms(static_cast<double>(h->quantile(0.5))),
            ms(static_cast<double>(h->quantile(0.99))), ms(static_cast<double>(h->quantile(0.999))),
            ms(static_cast<double>(h->max())));
    }
    if (e) {
        fmt::format_to(std::back_inserter(out), "  {:<22}{:>10.3f}\n", "wait, Erlang C",
                       e->mean_wait * 1e3);
    }
    return out;
}

namespace {

std::vector<const models::server::TraceRow*> sorted_rows(
    const std::vector<models::server::TraceRow>& rows) {
    std::vector<const models::server::TraceRow*> out;
    for (const auto& r : rows) {
        out.push_back(&r);
    }
    std::stable_sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
        return a->session_index != b->session_index ? a->session_index < b->session_index
                                                    : a->seq < b->seq;
    });
    return out;
}

std::string seconds(sim::Time t) {
    return fmt::format("{:.6f}", sim::to_seconds(t));
}

}  // namespace

std::string trace_csv(const std::vector<models::server::TraceRow>& rows) {
    std::string out = "session,seq,sql,sent_s,granted_s,finished_s,wait_s,wait_state,error\n";
    for (const auto* r : sorted_rows(rows)) {
        if (r->result) {
            const auto& x = *r->result;
            fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{},{},{},{}\n",
                           csv_field(r->session), r->seq, csv_field(r->sql), seconds(x.sent),
                           seconds(x.granted), seconds(x.finished), seconds(x.wait),
                           csv_field(x.wait_state), models::server::error_name(x.error));
        } else {  // still waiting or running when the run ended
            fmt::format_to(std::back_inserter(out), "{},{},{},{},,,,,\n", csv_field(r->session),
                           r->seq, csv_field(r->sql), seconds(r->sent));
        }
    }
    return out;
}

std::vector<BackupStage> backup_stages(const MariadbRun& run) {
    std::vector<const models::server::TraceRow*> locks;
    for (const auto* r : sorted_rows(run.trace)) {
        if (r->session == "backup" && r->sql.rfind("--", 0) != 0 && r->sql.rfind("SET", 0) != 0) {
            locks.push_back(r);
        }
    }
    std::vector<BackupStage> out;
    for (std::size_t i = 0; i < locks.size(); ++i) {
        const auto* r = locks[i];
        BackupStage st{r->sql, r->sent, std::nullopt, "", std::nullopt};
        if (r->result) {
            st.granted = r->result->granted;
            st.error = models::server::error_name(r->result->error);
        }
        if (i + 1 < locks.size()) {
            st.released = locks[i + 1]->sent;
        } else if (run.backup && run.backup->over) {
            st.released = run.backup->ended;
        } else if (!run.backup && r->result) {
            st.released = r->result->finished;  // a scripted "backup" session: its last statement
        }
        out.push_back(std::move(st));
    }
    return out;
}

std::string mariadb_summary_json(const Scenario& s, const MariadbRun& run) {
    const auto& rows = run.trace;
    const auto& backup = run.backup;
    json j;
    j["lockstage_version"] = LOCKSTAGE_VERSION;
    j["scenario"] = s.name;
    j["model"] = s.model;
    j["flavor"] = models::server::traits(s.server.flavor).name;
    j["seed"] = s.seed;
    if (!s.overrides.empty()) {
        j["overrides"] = s.overrides;
    }
    j["duration_s"] = sim::to_seconds(s.duration);
    // Every figure of the metric table; the rest of the file is what is not a metric (details,
    // lists, the stage timeline).
    j["metrics"] = metrics_json(MetricValues::of(s, run));
    std::uint64_t finished = 0;
    std::uint64_t waited = 0;
    json errors = json::object();
    for (const auto& r : rows) {
        if (!r.result) {
            continue;
        }
        ++finished;
        waited += r.result->wait > 0 ? 1 : 0;
        if (r.result->error != models::server::Error::None) {
            const std::string name(models::server::error_name(r.result->error));
            errors[name] = errors.value(name, 0) + 1;
        }
    }
    j["statements"] = {{"sent", rows.size()},
                       {"finished", finished},
                       {"unfinished", rows.size() - finished},
                       {"waited", waited},
                       {"errors", errors}};
    json gs = json::array();
    for (const auto& g : run.workload.groups) {
        json x;
        x["name"] = g.name;
        x["ddl_sent"] = g.ddl_sent;
        x["long_queries_sent"] = g.long_queries_sent;
        json errs = json::object();
        for (const auto& [name, n] : g.errors) {
            errs[name] = n;
        }
        x["errors"] = std::move(errs);
        x["latency_by_class_ms"] = class_latency_json(g.class_latency);
        x["backup_window_latency_by_class_ms"] =
            backup ? class_latency_json(g.class_latency_backup) : json(nullptr);
        gs.push_back(std::move(x));
    }
    j["groups"] = std::move(gs);
    if (backup) {
        json b;
        b["strategy"] = backup->strategy;
        b["started"] = backup->started;
        b["failure"] = backup->failure;
        b["began_s"] = sim::to_seconds(backup->began);
        b["ended_s"] = sim::to_seconds(backup->ended);
        b["binlog_position"] = backup->binlog_position;
        json inc = json::array();
        for (const auto& i : backup->inconsistencies) {
            inc.push_back({{"table", i.table}, {"reason", i.reason}});
        }
        b["inconsistencies"] = std::move(inc);
        // The stage timeline: each lock statement of the backup, when it was requested and
        // granted, and when its lock gave way to the next one (or ended the backup).
        json stages = json::array();
        for (const auto& st : backup_stages(run)) {
            json x = {{"statement", st.statement}, {"requested_s", sim::to_seconds(st.requested)}};
            x["granted_s"] = st.granted ? json(sim::to_seconds(*st.granted)) : json(nullptr);
            x["error"] = st.error;
            x["released_s"] = st.released ? json(sim::to_seconds(*st.released)) : json(nullptr);
            stages.push_back(std::move(x));
        }
        b["stages"] = std::move(stages);
        j["backup"] = std::move(b);
    } else {
        j["backup"] = nullptr;
    }
    if (run.replica) {
        const auto& rp = *run.replica;
        j["replica"] = {{"received", rp.received},
                        {"applied", rp.applied},
                        {"peak_lag_at_s", sim::to_seconds(rp.peak_lag_at)},
                        {"peak_relay_backlog", rp.peak_relay_backlog},
                        {"retries", rp.retries},
                        {"last_error", models::server::error_name(rp.last_error)}};
    } else {
        j["replica"] = nullptr;
    }
    if (run.galera) {
        const auto& g = *run.galera;
        json intervals = json::array();
        for (const auto& [begin, end] : g.pause_intervals) {
            intervals.push_back({sim::to_seconds(begin), sim::to_seconds(end)});
        }
        j["galera"] = {{"received", g.received},
                       {"applied", g.applied},
                       {"pauses", g.pauses},
                       {"pause_intervals_s", std::move(intervals)},
                       {"peak_receive_queue_at_s", sim::to_seconds(g.peak_receive_queue_at)},
                       {"stalls", g.stalls}};
    } else {
        j["galera"] = nullptr;
    }
    j["queue_depth"] = queue_depth_json(run.queue_depth);
    json waits = json::object();
    for (const auto& [state, t] : run.queue_depth.wait_time_by_state) {
        waits[std::string(state)] = sim::to_seconds(t);
    }
    j["lock_wait_s_by_state"] = std::move(waits);
    j["kernel"] = {{"events", run.events}};
    return j.dump(2) + "\n";
}

std::string replica_lag_csv(const models::topology::ReplicaResult& r) {
    std::string out = "t_start_s,max_lag_s\n";
    const auto& lag = r.lag_max_per_interval;
    for (std::size_t i = 0; i < lag.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{},{:.6f}\n",
                       sim::to_seconds(static_cast<sim::Time>(i) * lag.interval()),
                       lag.at(i) / 1e9);
    }
    return out;
}

std::string galera_queue_csv(const models::topology::GaleraResult& r) {
    std::string out = "t_start_s,max_receive_queue\n";
    const auto& q = r.queue_max_per_interval;
    for (std::size_t i = 0; i < q.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "{},{}\n",
                       sim::to_seconds(static_cast<sim::Time>(i) * q.interval()),
                       static_cast<std::uint64_t>(q.at(i)));
    }
    return out;
}

std::string groups_timeline_csv(const std::vector<models::workload::GroupResult>& groups) {
    std::string out = "t_start_s,group,completed,commits,throughput_tps,timeouts\n";
    if (groups.empty()) {
        return out;
    }
    const auto& first = groups.front().completed_per_interval;
    const double width_s = sim::to_seconds(first.interval());
    for (std::size_t i = 0; i < first.size(); ++i) {
        for (const auto& g : groups) {
            const double done = g.completed_per_interval.at(i);
            fmt::format_to(std::back_inserter(out), "{},{},{},{},{},{}\n",
                           sim::to_seconds(static_cast<sim::Time>(i) * first.interval()),
                           csv_field(g.name), done, g.commits_per_interval.at(i), done / width_s,
                           g.timeouts_per_interval.at(i));
        }
    }
    return out;
}

std::string groups_histogram_csv(const std::vector<models::workload::GroupResult>& groups) {
    std::string out = "group,metric,lower_ms,upper_ms,count\n";
    for (const auto& g : groups) {
        std::vector<std::pair<std::string, const stats::Histogram*>> metrics{
            {"latency", &g.latency},
            {"latency_backup_window", &g.latency_backup},
            {"latency_blocked_interval", &g.latency_blocked},
            {"pool_wait", &g.pool_wait}};
        for (std::size_t i = 0; i < g.class_latency.size(); ++i) {
            metrics.emplace_back(fmt::format("latency_{}", models::workload::kTxClassNames[i]),
                                 &g.class_latency[i]);
        }
        for (std::size_t i = 0; i < g.class_latency_backup.size(); ++i) {
            metrics.emplace_back(
                fmt::format("latency_{}_backup_window", models::workload::kTxClassNames[i]),
                &g.class_latency_backup[i]);
        }
        metrics.emplace_back("blocked_backup_lock", &g.blocked);
        for (const auto& [name, h] : metrics) {
            for (const auto& b : h->buckets()) {
                fmt::format_to(std::back_inserter(out), "{},{},{:.6f},{:.6f},{}\n",
                               csv_field(g.name), name, ms(static_cast<double>(b.lower)),
                               ms(static_cast<double>(b.upper)), b.count);
            }
        }
    }
    return out;
}

std::string queue_depth_csv(const models::server::QueueDepthResult& q) {
    using models::server::kWaitStates;
    std::vector<std::size_t> cols;
    for (std::size_t c = 0; c < kWaitStates.size(); ++c) {
        if (std::any_of(q.rows.begin(), q.rows.end(), [c](const auto& r) { return r[c] != 0; })) {
            cols.push_back(c);
        }
    }
    std::string out = "t_s";
    for (const auto c : cols) {
        out += "," + csv_field(kWaitStates[c]);
    }
    out += ",total\n";
    for (std::size_t i = 0; i < q.rows.size(); ++i) {
        out += seconds(static_cast<sim::Time>(i) * q.row_interval);
        for (const auto c : cols) {
            fmt::format_to(std::back_inserter(out), ",{}", q.rows[i][c]);
        }
        fmt::format_to(std::back_inserter(out), ",{}\n", q.row_totals[i]);
    }
    return out;
}

std::string wait_graph_dot(const models::server::WaitGraph& g) {
    using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
    Graph graph(g.nodes.size());
    for (const auto& [from, to] : g.edges) {
        boost::add_edge(from, to, graph);
    }
    std::vector<std::string> labels;
    for (const auto& n : g.nodes) {
        std::string label = n.name + "\\n" + std::string(n.kind);
        if (!n.busy) {
            label += " (idle)";
        }
        if (!n.state.empty()) {
            label += "\\n" + std::string(n.state);
        }
        labels.push_back(std::move(label));
    }
    std::ostringstream os;
    boost::write_graphviz(
        os, graph,
        [&](std::ostream& o, std::size_t v) {
            o << "[label=" << boost::escape_dot_string(labels[v]) << "]";
        },
        boost::default_writer(),
        [&](std::ostream& o) {
            o << "label="
              << boost::escape_dot_string(
                     fmt::format("waits at the peak queue depth, t = {} s", seconds(g.at)))
              << ";\n";
        });
    return os.str();
}

std::string mariadb_summary_text(const Scenario& s, const MariadbRun& run,
                                 const std::vector<double>& percentiles) {
    const auto& rows = run.trace;
    const auto& groups = run.workload.groups;
    const auto& backup = run.backup;
    const MetricValues values = MetricValues::of(s, run);
    std::string out = fmt::format(
        "scenario {} ({} server, {} client groups, {} scripted sessions), {} s simulated, seed "
        "{}\n",
        s.name, models::server::traits(s.server.flavor).name, groups.size(), s.sessions.size(),
        sim::to_seconds(s.duration), s.seed);
    if (!groups.empty()) {
        // One row per group and one for all groups; the columns are metrics of the table, the
        // latency percentiles those of --percentiles (default: p99_ms) read from the histogram
        // the latency metrics read.
        const std::vector<std::string> before = {"throughput_tps", "commits_per_s", "timeouts",
                                                 "failed"};
        const std::vector<std::string> after = {"max_ms", "write_blocked_s",
                                                "write_blocked_start_s", "longest_commit_gap_s"};
        std::vector<Percentile> shown_percentiles;
        for (const double p : percentiles.empty() ? std::vector<double>{99} : percentiles) {
            shown_percentiles.push_back(percentile(p));
        }
        std::vector<std::string> names = before;
        std::vector<const Metric*> metrics;
        for (const auto& n : before) {
            metrics.push_back(&metric(n));
        }
        for (const auto& p : shown_percentiles) {
            names.push_back(p.name);
            metrics.push_back(&metric("p99_ms"));  // its unit and decimals
        }
        for (const auto& n : after) {
            names.push_back(n);
            metrics.push_back(&metric(n));
        }
        std::vector<TextRow> table;
        std::vector<std::string> labels;
        for (const auto& g : groups) {
            labels.push_back(g.name);
        }
        if (groups.size() > 1) {
            labels.emplace_back("");  // all groups
        }
        for (const auto& label : labels) {
            TextRow r{label.empty() ? "(all groups)" : label, {}};
            const models::workload::GroupResult* g = &run.workload.all;
            for (const auto& group : groups) {
                g = group.name == label ? &group : g;
            }
            for (const auto& n : before) {
                r.values.push_back(values.get(n, label));
            }
            for (const auto& p : shown_percentiles) {
                r.values.push_back(latency_quantile_ms(g->latency, p.q));
            }
            for (const auto& n : after) {
                r.values.push_back(values.get(n, label));
            }
            table.push_back(std::move(r));
        }
        out += metrics_text_table("group", names, metrics, table);
        out +=
            "  (latency: every request, failed and timed-out ones included; write_blocked_s: the "
            "longest time with no commit while writes waited for a lock; 'lockstage metrics' "
            "defines every column";
        out += percentiles.empty() ? ")\n"
                                   : ", pN_ms the N-th percentile of that latency, as p99_ms)\n";
    }
    if (run.queue_depth.peak > 0) {
        const auto& q = run.queue_depth;
        std::string kinds;
        for (const auto& [kind, n] : q.peak_kinds) {
            kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
        }
        fmt::format_to(std::back_inserter(out),
                       "  lock queue: peak {} sessions waiting at {} s ({}); mean {}\n",
                       text_value(metric("peak_queue"), values.get("peak_queue")),
                       text_value(metric("peak_queue_at_s"), values.get("peak_queue_at_s")), kinds,
                       text_value(metric("mean_queue"), values.get("mean_queue")));
    }
    if (backup) {
        fmt::format_to(std::back_inserter(out), "  backup {}: {} ({:.3f} s to {:.3f} s), {}\n",
                       backup->strategy,
                       backup->finished ? "finished" : "FAILED: " + backup->failure,
                       sim::to_seconds(backup->began), sim::to_seconds(backup->ended),
                       backup->consistent() ? "consistent copy" : "NOT a consistent copy");
        for (const auto& i : backup->inconsistencies) {
            fmt::format_to(std::back_inserter(out), "    {}: {}\n", i.table, i.reason);
        }
    }
    if (run.replica) {
        const auto& rp = *run.replica;
        fmt::format_to(std::back_inserter(out),
                       "  replica: peak lag {} s at {:.3f} s, peak relay backlog {} transactions, "
                       "{} of {} applied\n",
                       text_value(metric("replica_peak_lag_s"), values.get("replica_peak_lag_s")),
                       sim::to_seconds(rp.peak_lag_at), rp.peak_relay_backlog, rp.applied,
                       rp.received);
    }
    if (run.galera) {
        const auto& g = *run.galera;
        fmt::format_to(
            std::back_inserter(out),
            "  galera node 1: {} pause(s), {} s paused, peak receive queue {} at "
            "{:.3f} s, cluster stalled {} s by flow control, {} of {} applied\n",
            g.pauses, text_value(metric("galera_pause_s"), values.get("galera_pause_s")),
            text_value(metric("galera_peak_receive_queue"),
                       values.get("galera_peak_receive_queue")),
            sim::to_seconds(g.peak_receive_queue_at),
            text_value(metric("galera_cluster_stall_s"), values.get("galera_cluster_stall_s")),
            g.applied, g.received);
    }
    if (rows.empty()) {
        return out;
    }
    fmt::format_to(std::back_inserter(out), "  {:<10} {:>3}  {:<34} {:>9} {:>9} {:>9}  {}\n",
                   "session", "seq", "sql", "sent_s", "wait_ms", "done_s", "wait state / error");
    std::size_t shown = 0;
    for (const auto* r : sorted_rows(rows)) {
        if (++shown > 40) {
            fmt::format_to(std::back_inserter(out), "  ... {} more rows in trace.csv\n",
                           rows.size() - 40);
            break;
        }
        std::string sql = r->sql.size() > 34 ? r->sql.substr(0, 33) + "~" : r->sql;
        if (r->result) {
            const auto& x = *r->result;
            std::string note(x.wait_state);
            if (x.error != models::server::Error::None) {
                note +=
                    (note.empty() ? "" : "; ") + std::string(models::server::error_name(x.error));
            }
            fmt::format_to(std::back_inserter(out),
                           "  {:<10} {:>3}  {:<34} {:>9.3f} {:>9.3f} {:>9.3f}  {}\n", r->session,
                           r->seq, sql, sim::to_seconds(x.sent), sim::to_millis(x.wait),
                           sim::to_seconds(x.finished), note);
        } else {
            fmt::format_to(std::back_inserter(out),
                           "  {:<10} {:>3}  {:<34} {:>9.3f} {:>9} {:>9}  {}\n", r->session, r->seq,
                           sql, sim::to_seconds(r->sent), "", "", "still running at the end");
        }
    }
    return out;
}

}  // namespace lockstage::app
