#include "app/experiments/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace lockstage::app {

namespace {

using models::workload::GroupResult;
using Value = std::optional<double>;

double seconds(sim::Time t) {
    return sim::to_seconds(t);
}

/// A latency quantile of a histogram in ms; no value without observations.
Value quantile_ms(const stats::Histogram& h, double q) {
    if (h.count() == 0) {
        return std::nullopt;
    }
    return static_cast<double>(h.quantile(q)) / 1e6;
}
Value mean_ms(const stats::Histogram& h) {
    if (h.count() == 0) {
        return std::nullopt;
    }
    return h.mean() / 1e6;
}

/// The backup window's pieces: the window cut into intervals of the timeline's width from its
/// start; a last piece shorter than half an interval joins the one before (a window shorter
/// than one interval is one piece). Each piece: its length (ns) and the completions in it.
std::vector<std::pair<sim::Time, double>> window_pieces(const MetricContext& c,
                                                        const GroupResult& g) {
    std::vector<std::pair<sim::Time, double>> out;
    const auto w = backup_window(c.scenario, c.run);
    if (!w || w->second <= w->first) {
        return out;
    }
    const sim::Time width = c.scenario.timeline_interval;
    for (sim::Time at = w->first; at < w->second; at += std::min(width, w->second - at)) {
        const std::size_t i = out.size();
        const double n = i < g.backup_completions.size() ? g.backup_completions[i] : 0.0;
        out.emplace_back(std::min(width, w->second - at), n);
        if (w->second - at <= width) {
            break;
        }
    }
    if (out.size() >= 2 && 2 * out.back().first < width) {
        out[out.size() - 2].first += out.back().first;
        out[out.size() - 2].second += out.back().second;
        out.pop_back();
    }
    return out;
}

Value tps_mean(const MetricContext& c, const GroupResult& g) {
    const auto pieces = window_pieces(c, g);
    if (pieces.empty()) {
        return std::nullopt;
    }
    sim::Time length = 0;
    double done = 0;
    for (const auto& [len, n] : pieces) {
        length += len;
        done += n;
    }
    return done / seconds(length);
}

Value tps_min(const MetricContext& c, const GroupResult& g) {
    const auto pieces = window_pieces(c, g);
    if (pieces.empty()) {
        return std::nullopt;
    }
    double lowest = pieces.front().second / seconds(pieces.front().first);
    for (const auto& [len, n] : pieces) {
        lowest = std::min(lowest, n / seconds(len));
    }
    return lowest;
}

bool has_backup(const MetricContext& c) {
    return c.run.backup && c.run.backup->started;
}

/// The latency metrics of each window: p50, p99, p99.9 and max (`percent` 100).
struct LatencyKind {
    const char* suffix;
    double percent;
    double q;
    const char* what;
    bool headline;  ///< when the window's metrics are
};
constexpr LatencyKind kLatencyKinds[] = {
    {"p50_ms", 50, 0.50, "median latency (arrival to end) of ", false},
    {"p99_ms", 99, 0.99, "99th percentile of the latency of ", true},
    {"p999_ms", 99.9, 0.999, "99.9th percentile of the latency of ", false},
    {"max_ms", 100, 1.0, "largest latency of ", true}};

/// The latency metrics of one window, from one definition: p50, p99, p99.9 and max of the
/// histogram `member` of a group's figures; `headline` marks p99 and max as headline metrics.
void add_latency(std::vector<Metric>& table, const std::string& prefix, const std::string& window,
                 stats::Histogram GroupResult::*member, const std::string& of, bool headline) {
    for (const auto& k : kLatencyKinds) {
        const double q = k.q;
        table.push_back({prefix + k.suffix,
                         "ms",
                         Scope::Group,
                         window,
                         k.what + of,
                         2,
                         false,
                         headline && k.headline,
                         [member, q](const MetricContext&, const GroupResult& g) {
                             return quantile_ms(g.*member, q);
                         },
                         {}});
    }
}

std::vector<Metric> build_table() {
    std::vector<Metric> t = {
        // --- Requests ------------------------------------------------------------------------
        {"arrived",
         "requests",
         Scope::Group,
         "run",
         "requests of the transaction mix that arrived",
         0,
         true,
         false,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.arrived);
         },
         {}},
        {"completed",
         "requests",
         Scope::Group,
         "run",
         "requests that ran to the end without an error",
         0,
         true,
         false,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.completed);
         },
         {}},
        {"failed",
         "requests",
         Scope::Group,
         "run",
         "requests ended by a server error (lock wait timeout, statement timeout, deadlock, kill)",
         0,
         true,
         true,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.failed);
         },
         {}},
        {"timeouts",
         "requests",
         Scope::Group,
         "run",
         "requests that gave up waiting for a pool connection after client_timeout_s",
         0,
         true,
         true,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.timeouts);
         },
         {}},
        {"statement_timeouts",
         "statements",
         Scope::Group,
         "run",
         "statements of the group's connections ended by max_statement_time "
         "(ER_STATEMENT_TIMEOUT), every attempt's: a request retried after one counts each",
         0,
         true,
         false,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.statement_timeouts);
         },
         {}},
        {"retries",
         "attempts",
         Scope::Group,
         "run",
         "times a request ran again (the group's retries) after ER_STATEMENT_TIMEOUT, "
         "ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK or giving up on a pool connection; failed and "
         "timeouts count only requests whose last attempt failed",
         0,
         true,
         false,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.retries);
         },
         {}},
        {"unfinished",
         "requests",
         Scope::Group,
         "run",
         "requests still waiting or running when the run ended",
         0,
         true,
         false,
         [](const MetricContext&, const GroupResult& g) -> Value {
             return static_cast<double>(g.unfinished);
         },
         {}},
        {"throughput_tps",
         "1/s",
         Scope::Group,
         "run",
         "completed requests / duration_s",
         1,
         false,
         false,
         [](const MetricContext& c, const GroupResult& g) -> Value {
             return static_cast<double>(g.completed) / seconds(c.scenario.duration);
         },
         {}},
        {"commits_per_s",
         "1/s",
         Scope::Group,
         "run",
         "completed requests that wrote / duration_s",
         1,
         false,
         false,
         [](const MetricContext& c, const GroupResult& g) -> Value {
             return static_cast<double>(g.commits) / seconds(c.scenario.duration);
         },
         {}},
        // --- Latency: every request that ended (completed, failed, timed out) counts, with
        // its time from arrival to its end; a request still in progress at the end of the run
        // counts with its time so far (a lower bound). Windows: the whole run, the backup
        // window, the write-blocked interval; a request belongs to a window when its lifetime
        // overlaps it.
        {"mean_ms",
         "ms",
         Scope::Group,
         "run",
         "mean latency (arrival to end) of every request: completed, failed, timed out, and "
         "those still in progress at the end (their time so far)",
         2,
         false,
         false,
         [](const MetricContext&, const GroupResult& g) { return mean_ms(g.latency); },
         {}},
    };
    add_latency(t, "", "run", &GroupResult::latency, "every request (as mean_ms)", false);
    t.insert(t.end(), {
                          {"backup_requests",
                           "requests",
                           Scope::Group,
                           "backup window",
                           "requests whose lifetime (arrival to end) overlapped the backup window",
                           0,
                           true,
                           false,
                           [](const MetricContext& c, const GroupResult& g) -> Value {
                               if (!has_backup(c)) {
                                   return std::nullopt;
                               }
                               return static_cast<double>(g.latency_backup.count());
                           },
                           {}},
                      });
    add_latency(t, "backup_", "backup window", &GroupResult::latency_backup,
                "the requests whose lifetime overlapped the backup window", true);
    t.insert(
        t.end(),
        {
            // --- Throughput during the backup ---------------------------------------------------
            {"tps_mean",
             "1/s",
             Scope::Group,
             "backup window",
             "requests completed in the backup window / its length",
             1,
             false,
             true,
             tps_mean,
             {}},
            {"tps_min",
             "1/s",
             Scope::Group,
             "backup window",
             "lowest throughput over the backup window cut into output.timeline_interval_s pieces "
             "from its start (a last piece shorter than half an interval joins the one before; a "
             "window shorter than one interval is one piece), so tps_min <= tps_mean",
             1,
             false,
             true,
             tps_min,
             {}},
            // --- Write-blocked time
            // ---------------------------------------------------------------
            {"write_blocked_s",
             "s",
             Scope::Group,
             "run",
             "the longest interval in which the group committed nothing while at least one of its "
             "writes (INSERT, UPDATE, DELETE, COMMIT) waited for a lock; for all groups: no group "
             "committed while a write of any group waited",
             3,
             false,
             true,
             [](const MetricContext&, const GroupResult& g) -> Value {
                 return seconds(g.write_blocked);
             },
             {}},
            {"write_blocked_start_s",
             "s",
             Scope::Group,
             "run",
             "when that interval began",
             3,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) -> Value {
                 if (g.write_blocked == 0) {
                     return std::nullopt;
                 }
                 return seconds(g.write_blocked_start);
             },
             {}},
            {"blocked_requests",
             "requests",
             Scope::Group,
             "blocked interval",
             "requests whose lifetime overlapped the write-blocked interval",
             0,
             true,
             false,
             [](const MetricContext&, const GroupResult& g) -> Value {
                 if (g.write_blocked == 0) {
                     return std::nullopt;
                 }
                 return static_cast<double>(g.latency_blocked.count());
             },
             {}},
        });
    add_latency(t, "blocked_", "blocked interval", &GroupResult::latency_blocked,
                "the requests whose lifetime overlapped the write-blocked interval", false);
    t.insert(
        t.end(),
        {
            {"longest_commit_gap_s",
             "s",
             Scope::Group,
             "run",
             "the longest interval in which the group committed nothing (writes stopped, or none "
             "came)",
             3,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) -> Value {
                 return seconds(g.longest_commit_gap);
             },
             {}},
            {"longest_commit_gap_start_s",
             "s",
             Scope::Group,
             "run",
             "when that interval began",
             3,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) -> Value {
                 return seconds(g.longest_gap_start);
             },
             {}},
            // --- Waiting ------------------------------------------------------------------------
            {"pool_wait_p99_ms",
             "ms",
             Scope::Group,
             "run",
             "99th percentile of the time requests waited for a pool connection (those that got "
             "one)",
             2,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) {
                 return quantile_ms(g.pool_wait, 0.99);
             },
             {}},
            {"pool_wait_max_ms",
             "ms",
             Scope::Group,
             "run",
             "longest wait for a pool connection (of those that got one)",
             2,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) {
                 return quantile_ms(g.pool_wait, 1.0);
             },
             {}},
            {"max_pool_queue",
             "requests",
             Scope::Group,
             "run",
             "most requests waiting for a pool connection at once (for all groups: the largest of "
             "any group's pool)",
             0,
             true,
             false,
             [](const MetricContext&, const GroupResult& g) -> Value {
                 return static_cast<double>(g.max_pool_queue);
             },
             {}},
            {"backup_lock_wait_p99_ms",
             "ms",
             Scope::Group,
             "run",
             "99th percentile, over completed and failed requests and DDL, of the time each waited "
             "for backup-related locks (BACKUP, GLOBAL, COMMIT, table flush, LOCK INSTANCE, LOCK "
             "TABLES FOR BACKUP)",
             2,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) {
                 return quantile_ms(g.blocked, 0.99);
             },
             {}},
            {"backup_lock_wait_max_ms",
             "ms",
             Scope::Group,
             "run",
             "the longest such wait of one request",
             2,
             false,
             false,
             [](const MetricContext&, const GroupResult& g) { return quantile_ms(g.blocked, 1.0); },
             {}},
            // --- The server's lock queue
            // ----------------------------------------------------------
            {"peak_queue",
             "sessions",
             Scope::Run,
             "run",
             "most sessions waiting for a lock at one sample (every output.queue_sample_ms); "
             "requests "
             "queued for a pool connection are not sessions and do not count",
             0,
             true,
             true,
             {},
             [](const MetricContext& c) -> Value {
                 return static_cast<double>(c.run.queue_depth.peak);
             }},
            {"peak_queue_at_s",
             "s",
             Scope::Run,
             "run",
             "when the lock queue first reached its peak",
             3,
             false,
             false,
             {},
             [](const MetricContext& c) -> Value {
                 if (c.run.queue_depth.peak == 0) {
                     return std::nullopt;
                 }
                 return seconds(c.run.queue_depth.peak_at);
             }},
            {"mean_queue",
             "sessions",
             Scope::Run,
             "run",
             "time-weighted mean of the sessions waiting for a lock",
             3,
             false,
             false,
             {},
             [](const MetricContext& c) -> Value { return c.run.queue_depth.total.mean(); }},
            // --- The backup
            // -----------------------------------------------------------------------
            {"backup_s",
             "s",
             Scope::Run,
             "backup window",
             "the backup's length: from its start to the end of its last statement (to the end of "
             "the run if it was still running)",
             3,
             false,
             true,
             {},
             [](const MetricContext& c) -> Value {
                 const auto w = backup_window(c.scenario, c.run);
                 if (!w) {
                     return std::nullopt;
                 }
                 return seconds(w->second - w->first);
             }},
            {"backup_finished",
             "0/1",
             Scope::Run,
             "run",
             "1 if the backup ran to its end, 0 if it failed, was killed or was still running at "
             "the "
             "end of the run",
             0,
             true,
             true,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.backup) {
                     return std::nullopt;
                 }
                 return c.run.backup->finished ? 1.0 : 0.0;
             }},
            {"consistent",
             "0/1",
             Scope::Run,
             "run",
             "1 if the backup finished and its copy is consistent (see the inconsistencies in "
             "summary.json)",
             0,
             true,
             true,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.backup) {
                     return std::nullopt;
                 }
                 return c.run.backup->consistent() ? 1.0 : 0.0;
             }},
            // --- Topologies
            // -----------------------------------------------------------------------
            {"replica_peak_lag_s",
             "s",
             Scope::Run,
             "run",
             "replica: the highest replication lag (now minus the primary timestamp of the "
             "oldest unapplied transaction: its commit time, or with `backed_up` `primary` the "
             "start of its committing statement)",
             3,
             false,
             false,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.replica) {
                     return std::nullopt;
                 }
                 return seconds(c.run.replica->peak_lag);
             }},
            {"replica_stopped_s",
             "s",
             Scope::Run,
             "run",
             "replica: time the SQL thread was stopped (--safe-slave-backup, or an error)",
             3,
             false,
             false,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.replica) {
                     return std::nullopt;
                 }
                 return seconds(c.run.replica->stopped_total);
             }},
            {"galera_pause_s",
             "s",
             Scope::Run,
             "run",
             "Galera: time node 1's provider was paused",
             3,
             false,
             false,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.galera) {
                     return std::nullopt;
                 }
                 return seconds(c.run.galera->pause_total);
             }},
            {"galera_peak_receive_queue",
             "write-sets",
             Scope::Run,
             "run",
             "Galera: the largest receive queue of node 1",
             0,
             true,
             false,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.galera) {
                     return std::nullopt;
                 }
                 return static_cast<double>(c.run.galera->peak_receive_queue);
             }},
            {"galera_cluster_stall_s",
             "s",
             Scope::Run,
             "run",
             "Galera: time flow control stopped the whole cluster",
             3,
             false,
             false,
             {},
             [](const MetricContext& c) -> Value {
                 if (!c.run.galera) {
                     return std::nullopt;
                 }
                 return seconds(c.run.galera->cluster_stall_total);
             }},
        });
    return t;
}

}  // namespace

const std::vector<Metric>& metric_table() {
    static const std::vector<Metric> table = build_table();
    return table;
}

const Metric* find_metric(std::string_view name) {
    for (const auto& m : metric_table()) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

const Metric& metric(std::string_view name) {
    if (const Metric* m = find_metric(name)) {
        return *m;
    }
    throw std::logic_error(fmt::format("no metric named \"{}\"", name));
}

std::string Column::name() const {
    return group.empty() ? std::string(metric->name) : fmt::format("{}[{}]", metric->name, group);
}

std::vector<Column> metric_columns(const std::vector<std::string>& groups, bool headline_only) {
    std::vector<Column> out;
    for (const auto& m : metric_table()) {
        if (headline_only && !m.headline) {
            continue;
        }
        out.push_back(Column{&m, ""});
        if (m.scope == Scope::Group) {
            for (const auto& g : groups) {
                out.push_back(Column{&m, g});
            }
        }
    }
    return out;
}

MetricValues MetricValues::of(const Scenario& s, const MariadbRun& run) {
    MetricValues v;
    for (const auto& g : run.workload.groups) {
        v.groups.push_back(g.name);
    }
    const MetricContext c{s, run};
    for (const auto& col : metric_columns(v.groups, false)) {
        if (col.metric->scope == Scope::Run) {
            v.values.push_back(col.metric->of_run(c));
            continue;
        }
        const GroupResult* g = &run.workload.all;
        for (const auto& r : run.workload.groups) {
            if (r.name == col.group) {
                g = &r;
            }
        }
        v.values.push_back(col.metric->of_group(c, *g));
    }
    return v;
}

std::optional<double> MetricValues::get(std::string_view name, std::string_view group) const {
    const auto cols = metric_columns(groups, false);
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].metric->name == name && cols[i].group == group) {
            return values.at(i);
        }
    }
    throw std::logic_error(fmt::format("no value of \"{}\" for group \"{}\"", name, group));
}

std::optional<double> latency_quantile_ms(const stats::Histogram& h, double q) {
    return quantile_ms(h, q);
}

Percentile percentile(double percent) {
    for (const auto& k : kLatencyKinds) {
        if (k.percent == percent) {
            return {k.suffix, k.q};  // the metric table's own: the same name, the same value
        }
    }
    return {fmt::format("p{}_ms", percent), percent / 100.0};
}

std::optional<std::vector<double>> parse_percentiles(std::string_view text) {
    std::vector<double> out;
    for (std::size_t from = 0; from <= text.size();) {
        const std::size_t comma = std::min(text.find(',', from), text.size());
        const std::string_view token = text.substr(from, comma - from);
        // Plain decimals only: digits with at most one point, no sign, exponent or spaces.
        const bool plain = !token.empty() && token.size() <= 20 &&
                           std::all_of(token.begin(), token.end(),
                                       [](char c) { return (c >= '0' && c <= '9') || c == '.'; }) &&
                           std::count(token.begin(), token.end(), '.') <= 1 && token != ".";
        if (!plain) {
            return std::nullopt;
        }
        const double p = std::stod(std::string(token));
        if (!(p > 0 && p < 100) || std::find(out.begin(), out.end(), p) != out.end() ||
            out.size() == kMaxPercentiles) {
            return std::nullopt;
        }
        out.push_back(p);
        from = comma + 1;
    }
    return out;
}

std::string csv_value(std::optional<double> v) {
    return v ? fmt::format("{}", *v) : "";
}

std::string text_value(const Metric& m, std::optional<double> v) {
    return v ? fmt::format("{:.{}f}", *v, m.decimals) : "-";
}

nlohmann::ordered_json latency_summary_json(const stats::Histogram& h) {
    nlohmann::ordered_json j;
    j["count"] = h.count();
    j["mean"] = mean_ms(h).value_or(0.0);
    for (const auto& [name, q] :
         {std::pair{"p50", 0.50}, std::pair{"p90", 0.90}, std::pair{"p99", 0.99},
          std::pair{"p999", 0.999}, std::pair{"max", 1.0}}) {
        j[name] = quantile_ms(h, q).value_or(0.0);
    }
    return j;
}

nlohmann::ordered_json metrics_json(const MetricValues& v) {
    using json = nlohmann::ordered_json;
    json out;
    json run = json::object();
    json all = json::object();
    json groups = json::object();
    for (const auto& g : v.groups) {
        groups[g] = json::object();
    }
    const auto cols = metric_columns(v.groups, false);
    for (std::size_t i = 0; i < cols.size(); ++i) {
        const Metric& m = *cols[i].metric;
        const auto& value = v.values[i];
        json x = !value      ? json(nullptr)
                 : m.integer ? json(static_cast<std::uint64_t>(*value))
                             : json(*value);
        if (m.scope == Scope::Run) {
            run[m.name] = std::move(x);
        } else if (cols[i].group.empty()) {
            all[m.name] = std::move(x);
        } else {
            groups[cols[i].group][m.name] = std::move(x);
        }
    }
    out["run"] = std::move(run);
    out["all_groups"] = std::move(all);
    out["groups"] = std::move(groups);
    return out;
}

std::string metrics_text_table(const std::string& label_header,
                               const std::vector<std::string>& headers,
                               const std::vector<const Metric*>& metrics,
                               const std::vector<TextRow>& rows) {
    std::size_t label_width = label_header.size();
    for (const auto& r : rows) {
        label_width = std::max(label_width, r.label.size());
    }
    std::vector<std::size_t> widths;
    for (std::size_t i = 0; i < headers.size(); ++i) {
        std::size_t w = headers[i].size();
        for (const auto& r : rows) {
            w = std::max(w, text_value(*metrics[i], r.values.at(i)).size());
        }
        widths.push_back(w);
    }
    std::string out = fmt::format("  {:<{}}", label_header, label_width);
    for (std::size_t i = 0; i < headers.size(); ++i) {
        out += fmt::format("  {:>{}}", headers[i], widths[i]);
    }
    out += "\n";
    for (const auto& r : rows) {
        out += fmt::format("  {:<{}}", r.label, label_width);
        for (std::size_t i = 0; i < headers.size(); ++i) {
            out += fmt::format("  {:>{}}", text_value(*metrics[i], r.values.at(i)), widths[i]);
        }
        out += "\n";
    }
    return out;
}

std::string metric_table_markdown() {
    std::string out = "| metric | unit | per | window | definition |\n|---|---|---|---|---|\n";
    for (const auto& m : metric_table()) {
        fmt::format_to(std::back_inserter(out), "| `{}` | {} | {} | {} | {}{} |\n", m.name, m.unit,
                       m.scope == Scope::Group ? "group" : "run", m.window, m.definition,
                       m.headline ? " (headline)" : "");
    }
    return out;
}

std::optional<std::pair<sim::Time, sim::Time>> backup_window(const Scenario& s,
                                                             const MariadbRun& run) {
    if (!run.backup || !run.backup->started) {
        return std::nullopt;
    }
    const sim::Interval& w = run.backup_window;
    return std::pair{w.begin, w.end == sim::kForever ? s.duration : w.end};
}

}  // namespace lockstage::app
