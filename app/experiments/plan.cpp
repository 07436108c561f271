#include "app/experiments/plan.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <tuple>

#include "app/experiments/csv.hpp"
#include "app/experiments/metrics.hpp"
#include "app/experiments/numbers.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace lockstage::app {

using json = nlohmann::ordered_json;

namespace {

constexpr double kDay = 86400;
/// `auto` start times: this many of the daily profile's quietest hours.
constexpr std::size_t kQuietHours = 3;
/// --log-copy-interval values tried besides the scenario's own.
constexpr double kLogCopyIntervals[] = {100, 1000};
/// --kill-long-queries-timeout tried (besides off) when the scenario sets none.
constexpr double kKillTimeout = 10;
/// A scripted statement at least this long counts as a long query.
constexpr sim::Time kLongStatement = sim::kSecond;

/// "03:00" (with seconds only when they are not 0).
std::string clock_text(double time_of_day_s) {
    const auto t = static_cast<long>(std::llround(time_of_day_s)) % 86400;
    return t % 60 == 0 ? fmt::format("{:02}:{:02}", t / 3600, t / 60 % 60)
                       : fmt::format("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
}

/// "HH:MM" as seconds of the day, or nothing.
std::optional<double> parse_clock(const std::string& text) {
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos || colon == 0 || colon > 2 || text.size() != colon + 3 ||
        !std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return c == ':' || std::isdigit(c) != 0; })) {
        return std::nullopt;
    }
    const int h = std::atoi(text.substr(0, colon).c_str());
    const int m = std::atoi(text.substr(colon + 1).c_str());
    if (text.find(':', colon + 1) != std::string::npos || h > 23 || m > 59) {
        return std::nullopt;
    }
    return h * 3600.0 + m * 60.0;
}

std::vector<std::string> split(const std::string& text) {
    std::vector<std::string> out;
    for (std::size_t from = 0; from <= text.size();) {
        const std::size_t comma = std::min(text.find(',', from), text.size());
        out.push_back(text.substr(from, comma - from));
        from = comma + 1;
    }
    return out;
}

std::string strategy_words(const std::string& name) {
    return name == "mariabackup-stages"     ? "BACKUP STAGE"
           : name == "mariabackup-legacy"   ? "BACKUP STAGE (10.4-10.11.7 order)"
           : name == "ftwrl"                ? "FTWRL"
           : name == "no-lock"              ? "--no-lock"
           : name == "mysql-lock-instance"  ? "LOCK INSTANCE FOR BACKUP"
           : name == "percona-backup-locks" ? "LOCK TABLES FOR BACKUP"
                                            : name;
}

std::string metric_of_objective(const std::string& objective) {
    if (objective == "write-blocked") {
        return metric("write_blocked_s").name;
    }
    if (objective == "p99") {
        return metric("backup_p99_ms").name;
    }
    throw PlanOptionError(fmt::format("--objective {}: expected p99 or write-blocked",
                                      objective.empty() ? "\"\"" : objective));
}

double confidence_of(const std::string& text) {
    const auto c = parse_number(text);
    if (!c || !(*c > 0 && *c < 1)) {
        throw PlanOptionError(
            fmt::format("--confidence {}: expected a number between 0 and 1 (exclusive), e.g. 0.95",
                        text.empty() ? "\"\"" : text));
    }
    return *c;
}

/// The time of day of the hourly profiles: the first open group's start_hour, and the summed
/// rate of every hourly profile by hour; nothing when no group has one.
struct DailyLoad {
    double start_hour = 0;
    std::vector<double> rate_by_hour = std::vector<double>(24, 0.0);
};
std::optional<DailyLoad> daily_load(const Scenario& s) {
    std::optional<DailyLoad> load;
    const json& groups = s.effective["workload"]["groups"];
    for (const auto& g : groups) {
        const json& a = g["arrivals"];
        if (!a.contains("profile") || !a["profile"].contains("rate_tps_by_hour")) {
            continue;
        }
        if (!load) {
            load.emplace();
            load->start_hour = a["profile"].value("start_hour", 0.0);
        }
        const auto rates = a["profile"]["rate_tps_by_hour"].get<std::vector<double>>();
        for (std::size_t h = 0; h < 24 && h < rates.size(); ++h) {
            load->rate_by_hour[h] += rates[h];
        }
    }
    return load;
}

struct StartTime {
    std::optional<double> time_of_day_s;
    double start_at_s = 0;
};

std::vector<StartTime> start_times(const Scenario& s, const std::string& option,
                                   std::string& note) {
    const auto load = daily_load(s);
    const double own = s.effective["backup"].value("start_at_s", 0.0);
    const double start_h = load ? load->start_hour : 0.0;
    // The run's length: a start at or after it is refused (a run to the backup's end has none).
    const double run_s = s.drain_after_backup ? std::numeric_limits<double>::infinity()
                                              : sim::to_seconds(s.duration);
    const auto at = [&](double tod) { return std::fmod(tod - start_h * 3600 + 2 * kDay, kDay); };
    std::vector<StartTime> out;
    const auto add = [&](StartTime t) {
        if (std::none_of(out.begin(), out.end(),
                         [&](const StartTime& o) { return o.start_at_s == t.start_at_s; })) {
            out.push_back(t);
        }
    };
    if (option == "auto") {
        if (!load) {
            note = fmt::format("the scenario's own start ({:g} s): it has no hourly profile", own);
            add({std::nullopt, own});
            return out;
        }
        std::vector<int> hours(24);
        std::iota(hours.begin(), hours.end(), 0);
        std::stable_sort(hours.begin(), hours.end(), [&](int a, int b) {
            return load->rate_by_hour[static_cast<std::size_t>(a)] <
                   load->rate_by_hour[static_cast<std::size_t>(b)];
        });
        std::vector<std::string> chosen;
        for (const int h : hours) {
            if (chosen.size() == kQuietHours) {
                break;
            }
            if (at(h * 3600.0) < run_s) {
                add({h * 3600.0, at(h * 3600.0)});
                chosen.push_back(fmt::format("{} {:g}/s", clock_text(h * 3600.0),
                                             load->rate_by_hour[static_cast<std::size_t>(h)]));
            }
        }
        const double own_tod = std::fmod(start_h * 3600 + own, kDay);
        add({own_tod, own});
        note = fmt::format(
            "the {} quietest hours of the daily profile ({}) and the scenario's own "
            "start ({})",
            chosen.size(), fmt::join(chosen, ", "), clock_text(own_tod));
        return out;
    }
    for (const auto& item : split(option)) {
        const auto tod = parse_clock(item);
        if (!tod) {
            throw PlanOptionError(fmt::format(
                "--start-times {}: expected auto or times of day HH:MM (00:00 to 23:59), "
                "comma-separated",
                item.empty() ? "\"\"" : item));
        }
        if (at(*tod) >= run_s) {
            throw PlanOptionError(
                fmt::format("--start-times {}: the backup would start {:g} s into the run, at or "
                            "after its end (duration_s {:g} in {})",
                            item, at(*tod), run_s, s.file));
        }
        add({*tod, at(*tod)});
    }
    note = load ? "as given (--start-times)"
                : "as given (--start-times); the scenario has no hourly profile, so its t = 0 is "
                  "taken as 00:00";
    return out;
}

bool has_long_queries(const Scenario& s) {
    for (const auto& g : s.groups) {
        if (g.long_queries.rate_per_h > 0 && !g.long_queries.statements.empty()) {
            return true;
        }
    }
    for (const auto& session : s.sessions) {
        for (const auto& st : session.statements) {
            if (st.exec >= kLongStatement) {
                return true;
            }
        }
    }
    return false;
}

bool has_myisam(const Scenario& s) {
    return s.data.myisam_mb > 0 || s.data.myisam_tables > 0 ||
           std::any_of(s.tables.begin(), s.tables.end(),
                       [](const auto& t) { return t.engine == models::server::Engine::MyISAM; });
}

/// The scenario with its MyISAM tables converted to Aria (TRANSACTIONAL=1): the tables under
/// `tables` and the data's non-transactional share.
json to_aria(json doc, const Scenario& s) {
    if (doc.contains("tables")) {
        for (auto& t : doc["tables"]) {
            std::string engine = t.value("engine", std::string("InnoDB"));
            std::transform(engine.begin(), engine.end(), engine.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (engine == "myisam") {
                t["engine"] = "Aria";
                t["transactional"] = true;
            }
        }
    }
    json& data = doc["data"];
    data["aria_gb"] = (s.data.aria_mb + s.data.myisam_mb) / 1024;
    data["aria_tables"] = s.data.aria_tables + s.data.myisam_tables;
    data["myisam_gb"] = 0;
    data["myisam_tables"] = 0;
    return doc;
}

/// A value of an axis: a whole number as an integer (so that a point reads
/// /backup/start_at_s=3600).
json axis_value(double v) {
    return v == std::floor(v) && std::fabs(v) < 1e15 ? json(static_cast<std::int64_t>(v)) : json(v);
}

std::size_t column_index(const std::vector<Column>& columns, const std::string& metric,
                         const std::string& group) {
    for (std::size_t i = 0; i < columns.size(); ++i) {
        if (columns[i].metric->name == metric && columns[i].group == group) {
            return i;
        }
    }
    throw std::logic_error("plan: no column " + metric + "[" + group + "]");
}

}  // namespace

Plan make_plan(const std::filesystem::path& path, const PlanOptions& o) {
    Plan plan;
    plan.file = path.string();
    json doc = parse_scenario_text(read_text_file(path), plan.file);
    apply_overrides(doc, o.overrides);
    plan.overrides = override_texts(o.overrides);
    if (o.seed) {
        doc["seed"] = *o.seed;
    }
    const Scenario s =
        load_scenario_json(doc, overridden_name(plan.file, o.overrides), path.parent_path());
    if (s.model != "mariadb" || !s.backup) {
        throw ScenarioError(plan.file, "/backup",
                            "plan varies the backup's start, strategy and options: the scenario "
                            "needs a \"backup\"");
    }
    if (s.groups.empty()) {
        throw ScenarioError(plan.file, "/workload/groups",
                            "plan ranks by a client group's figures: the scenario needs a client "
                            "group");
    }
    plan.name = s.name;
    plan.seed = s.seed;
    for (const auto& g : s.groups) {
        plan.groups.push_back(g.name);
    }
    plan.group = o.group.empty() ? plan.groups.front() : o.group;
    if (std::find(plan.groups.begin(), plan.groups.end(), plan.group) == plan.groups.end()) {
        throw PlanOptionError(fmt::format("--group {}: expected a client group of {} ({})", o.group,
                                          plan.file, fmt::join(plan.groups, ", ")));
    }
    plan.metric = metric_of_objective(o.objective);
    plan.confidence = confidence_of(o.confidence);
    plan.replications = o.replications;

    const auto starts = start_times(s, o.start_times, plan.start_times_note);
    // The scenario's own values as written (with defaults filled in), not rounded through ns.
    const json& backup = s.effective["backup"];
    std::vector<double> intervals = {backup["log_copy_interval_ms"].get<double>()};
    intervals.insert(intervals.end(), std::begin(kLogCopyIntervals), std::end(kLogCopyIntervals));
    std::sort(intervals.begin(), intervals.end());
    intervals.erase(std::unique(intervals.begin(), intervals.end()), intervals.end());
    const double own_kill = backup.value("kill_long_queries_timeout_s", 0.0);
    const bool kill_options = has_long_queries(s);
    std::vector<double> kills = {own_kill};
    if (kill_options) {
        kills = {0.0, own_kill > 0 ? own_kill : kKillTimeout};
    }
    std::vector<bool> engines = {false};
    if (has_myisam(s)) {
        engines.push_back(true);
    }

    json start_values = json::array();
    json interval_values = json::array();
    json kill_values = json::array();
    for (const auto& t : starts) {
        start_values.push_back(axis_value(t.start_at_s));
    }
    for (const double v : intervals) {
        interval_values.push_back(axis_value(v));
    }
    for (const double v : kills) {
        kill_values.push_back(axis_value(v));
    }
    json sweep = {{"name", "plan"},
                  {"base", path.filename().string()},
                  {"axes",
                   {{{"pointer", "/backup/start_at_s"}, {"values", start_values}},
                    {{"pointer", "/backup/log_copy_interval_ms"}, {"values", interval_values}},
                    {{"pointer", "/backup/kill_long_queries_timeout_s"}, {"values", kill_values}}}},
                  {"strategies", o.strategies},
                  {"replications", o.replications}};
    for (std::size_t e = 0; e < engines.size(); ++e) {
        const json base = engines[e] ? to_aria(doc, s) : doc;
        SweepSpec spec = load_sweep_text(sweep.dump(), plan.file, path.parent_path(),
                                         kMaxSweepPoints, {}, &base);
        spec.max_events = o.max_events;
        if (spec.largest_estimate.total > plan.largest_estimate.total) {
            plan.largest_estimate = spec.largest_estimate;
            plan.largest_estimate_at = spec.largest_estimate_at;
        }
        std::size_t point = 0;
        for (const auto& start : starts) {
            for (const double interval : intervals) {
                for (const double kill : kills) {
                    for (std::size_t st = 0; st < o.strategies.size(); ++st) {
                        PlanCandidate c{e,
                                        point,
                                        st,
                                        o.strategies[st],
                                        start.time_of_day_s,
                                        start.start_at_s,
                                        interval,
                                        kill,
                                        engines[e],
                                        ""};
                        c.words = fmt::format("{} at {}, --log-copy-interval={:g}",
                                              strategy_words(c.strategy_name),
                                              c.time_of_day_s ? clock_text(*c.time_of_day_s)
                                                              : fmt::format("{:g} s", c.start_at_s),
                                              interval);
                        if (kill_options) {
                            c.words += kill > 0
                                           ? fmt::format(", --kill-long-queries-timeout={:g}", kill)
                                           : ", no --kill-long-queries-timeout";
                        }
                        if (c.to_aria) {
                            c.words += ", MyISAM converted to Aria";
                        }
                        plan.candidates.push_back(std::move(c));
                    }
                    ++point;
                }
            }
        }
        plan.sweeps.push_back(std::move(spec));
    }
    return plan;
}

std::vector<SweepValues> run_plan(const Plan& plan, unsigned jobs,
                                  const std::function<void(std::size_t, std::size_t)>& progress) {
    std::size_t total = 0;
    for (const auto& spec : plan.sweeps) {
        total += sweep_runs(spec);
    }
    std::vector<SweepValues> out;
    std::size_t offset = 0;
    for (const auto& spec : plan.sweeps) {
        out.push_back(run_sweep_values(
            spec, jobs,
            [&](std::size_t done, std::size_t) {
                if (progress) {
                    progress(offset + done, total);
                }
            },
            0, 1));
        offset += sweep_runs(spec);
    }
    return out;
}

std::vector<PlanRow> rank_plan(const Plan& plan, const std::vector<SweepValues>& values) {
    const auto columns = metric_columns(plan.groups, false);
    const std::size_t objective = column_index(columns, plan.metric, plan.group);
    const std::size_t all_groups = column_index(columns, plan.metric, "");
    const std::size_t backup_s = column_index(columns, "backup_s", "");
    const std::size_t finished = column_index(columns, "backup_finished", "");
    const std::size_t consistent = column_index(columns, "consistent", "");
    std::vector<std::size_t> per_group;
    for (const auto& g : plan.groups) {
        per_group.push_back(column_index(columns, plan.metric, g));
    }
    const auto R = static_cast<std::size_t>(plan.replications);
    const auto interval = [&](const PlanCandidate& c,
                              std::size_t column) -> std::optional<stats::ConfidenceInterval> {
        const auto& spec = plan.sweeps[c.sweep];
        const std::size_t first = (c.point * spec.strategies.size() + c.strategy) * R;
        stats::Tally xs;
        for (std::size_t r = 0; r < R; ++r) {
            const auto& v = values[c.sweep].at(first + r).at(column);
            if (!v) {
                return std::nullopt;
            }
            xs.add(*v);
        }
        return stats::mean_confidence_interval(xs, plan.confidence);
    };
    std::vector<PlanRow> rows;
    std::vector<std::optional<double>> all_means;
    for (const auto& c : plan.candidates) {
        PlanRow row;
        row.candidate = &c;
        row.objective = interval(c, objective);
        for (const std::size_t col : per_group) {
            row.per_group.push_back(interval(c, col));
        }
        if (const auto b = interval(c, backup_s)) {
            row.backup_s = b->mean;
        }
        const auto& spec = plan.sweeps[c.sweep];
        const std::size_t first = (c.point * spec.strategies.size() + c.strategy) * R;
        for (std::size_t r = 0; r < R; ++r) {
            const auto& v = values[c.sweep].at(first + r);
            if (v.at(finished).value_or(0) != 1) {
                ++row.not_finished;
            } else if (v.at(consistent).value_or(0) != 1) {
                ++row.inconsistent;
            }
        }
        const auto all = interval(c, all_groups);
        all_means.push_back(all ? std::optional<double>(all->mean) : std::nullopt);
        rows.push_back(std::move(row));
    }
    // Backups that finished with a consistent copy in every replication first; then the lower
    // objective, then the lower figure for all groups, then the candidates' order.
    std::vector<std::size_t> order(rows.size());
    std::iota(order.begin(), order.end(), 0);
    const auto key = [&](std::size_t i) {
        const auto& r = rows[i];
        const double inf = std::numeric_limits<double>::infinity();
        return std::tuple(r.not_finished + r.inconsistent > 0, !r.objective.has_value(),
                          r.objective ? r.objective->mean : inf, all_means[i].value_or(inf), i);
    };
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return key(a) < key(b); });
    std::vector<PlanRow> ranked;
    for (const std::size_t i : order) {
        ranked.push_back(std::move(rows[i]));
        ranked.back().rank = ranked.size();
    }
    const Metric& m = metric(plan.metric);
    const auto figure = [&](double v) { return fmt::format("{:.{}f}", v, m.decimals); };
    const std::string what = plan.metric == "write_blocked_s" ? "blocked" : "p99";
    for (auto& row : ranked) {
        for (const auto& other : ranked) {
            if (&other != &row && row.objective && other.objective &&
                row.objective->low <= other.objective->high &&
                other.objective->low <= row.objective->high) {
                row.ties.push_back(other.rank);
            }
        }
        // The named group's figure with its interval first, then the other groups' means.
        const auto text = [&](std::size_t g) {
            const auto& ci = row.per_group[g];
            return !ci ? std::string("-") : fmt::format("{} {}", figure(ci->mean), m.unit);
        };
        const auto named = static_cast<std::size_t>(
            std::find(plan.groups.begin(), plan.groups.end(), plan.group) - plan.groups.begin());
        std::string why = fmt::format("{} {} {}", plan.group, what, text(named));
        if (row.objective) {
            why +=
                fmt::format(" [{}, {}]", figure(row.objective->low), figure(row.objective->high));
        }
        for (std::size_t g = 0; g < plan.groups.size(); ++g) {
            if (g != named) {
                why += fmt::format(", {} {}", plan.groups[g], text(g));
            }
        }
        if (row.backup_s) {
            why += fmt::format("; backup {:.1f} s", *row.backup_s);
        }
        if (row.not_finished > 0) {
            why += fmt::format("; the backup did not finish in {} of {} runs", row.not_finished, R);
        }
        if (row.inconsistent > 0) {
            why += fmt::format("; an inconsistent copy in {} of {} runs", row.inconsistent, R);
        }
        if (!row.ties.empty()) {
            std::vector<std::string> shown;
            for (std::size_t k = 0; k < row.ties.size() && k < 3; ++k) {
                shown.push_back(fmt::format("#{}", row.ties[k]));
            }
            why += fmt::format(
                "; tie with {}{} (the {:g} % intervals overlap)", fmt::join(shown, ", "),
                row.ties.size() > 3 ? fmt::format(" and {} more", row.ties.size() - 3) : "",
                plan.confidence * 100);
        }
        row.reason = fmt::format("{}: {}", row.candidate->words, why);
    }
    return ranked;
}

namespace {

std::string objective_column(const Plan& plan) {
    return Column{&metric(plan.metric), plan.group}.name();
}

}  // namespace

std::string plan_text(const Plan& plan, const std::vector<PlanRow>& rows, std::size_t top) {
    const Metric& m = metric(plan.metric);
    const auto figure = [&](double v) { return fmt::format("{:.{}f}", v, m.decimals); };
    std::size_t runs = 0;
    for (const auto& spec : plan.sweeps) {
        runs += sweep_runs(spec);
    }
    std::string out = fmt::format(
        "plan {}: {} candidates x {} replications ({} runs), ranked by {} ({}, lower is better; "
        "mean and {:g} % confidence interval), seed {}\n",
        plan.name, plan.candidates.size(), plan.replications, runs, objective_column(plan), m.unit,
        plan.confidence * 100, plan.seed);
    out += fmt::format("start times: {}\n", plan.start_times_note);
    std::size_t width = 9;
    const std::size_t shown = std::min(top, rows.size());
    for (std::size_t i = 0; i < shown; ++i) {
        width = std::max(width, rows[i].candidate->words.size());
    }
    const std::string head = objective_column(plan);
    out += fmt::format("  {:>4}  {:<{}}  {:>{}}  {}\n", "rank", "candidate", width, head,
                       std::max<std::size_t>(head.size(), 8), "interval");
    for (std::size_t i = 0; i < shown; ++i) {
        const auto& r = rows[i];
        out += fmt::format(
            "  {:>4}  {:<{}}  {:>{}}  {}\n", r.rank, r.candidate->words, width,
            r.objective ? figure(r.objective->mean) : "-", std::max<std::size_t>(head.size(), 8),
            r.objective
                ? fmt::format("[{}, {}]", figure(r.objective->low), figure(r.objective->high))
                : "");
        out += fmt::format("        why: {}\n", r.reason.substr(r.candidate->words.size() + 2));
    }
    if (shown < rows.size()) {
        out += fmt::format("  ({} of {} candidates shown; plan.csv and plan.json have all)\n",
                           shown, rows.size());
    }
    return out;
}

std::string plan_json(const Plan& plan, const std::vector<PlanRow>& rows) {
    const auto ci_json = [](const std::optional<stats::ConfidenceInterval>& ci) {
        return ci ? json{{"mean", ci->mean}, {"low", ci->low}, {"high", ci->high}} : json(nullptr);
    };
    json out = {{"scenario", plan.file},
                {"name", plan.name},
                {"seed", plan.seed},
                {"group", plan.group},
                {"objective",
                 {{"metric", plan.metric},
                  {"column", objective_column(plan)},
                  {"unit", metric(plan.metric).unit}}},
                {"confidence", plan.confidence},
                {"replications", plan.replications},
                {"start_times", plan.start_times_note},
                {"candidates", json::array()}};
    if (!plan.overrides.empty()) {
        out["overrides"] = plan.overrides;
    }
    for (const auto& r : rows) {
        const auto& c = *r.candidate;
        json groups = json::object();
        for (std::size_t g = 0; g < plan.groups.size(); ++g) {
            groups[plan.groups[g]] = ci_json(r.per_group[g]);
        }
        out["candidates"].push_back(
            {{"rank", r.rank},
             {"candidate", c.words},
             {"strategy", c.strategy_name},
             {"start_time", c.time_of_day_s ? json(clock_text(*c.time_of_day_s)) : json(nullptr)},
             {"start_at_s", c.start_at_s},
             {"log_copy_interval_ms", c.log_copy_interval_ms},
             {"kill_long_queries_timeout_s", c.kill_long_queries_timeout_s},
             {"myisam_to_aria", c.to_aria},
             {"objective", ci_json(r.objective)},
             {"groups", groups},
             {"backup_s_mean", r.backup_s ? json(*r.backup_s) : json(nullptr)},
             {"backups_not_finished", r.not_finished},
             {"backups_inconsistent", r.inconsistent},
             {"ties", r.ties},
             {"reason", r.reason}});
    }
    return out.dump(2) + "\n";
}

std::string plan_csv(const Plan& plan, const std::vector<PlanRow>& rows) {
    std::vector<std::string> header = {"rank",
                                       "candidate",
                                       "strategy",
                                       "start_time",
                                       "start_at_s",
                                       "log_copy_interval_ms",
                                       "kill_long_queries_timeout_s",
                                       "myisam_to_aria",
                                       "replications",
                                       "objective",
                                       "mean",
                                       "ci_low",
                                       "ci_high"};
    for (const auto& g : plan.groups) {
        const std::string name = Column{&metric(plan.metric), g}.name();
        for (const char* suffix : {"_mean", "_ci_low", "_ci_high"}) {
            header.push_back(name + suffix);
        }
    }
    for (const char* h :
         {"backup_s_mean", "backups_not_finished", "backups_inconsistent", "ties", "reason"}) {
        header.emplace_back(h);
    }
    std::string out = csv_line(header);
    const auto cis = [](std::vector<std::string>& f,
                        const std::optional<stats::ConfidenceInterval>& ci) {
        f.push_back(ci ? csv_value(ci->mean) : "");
        f.push_back(ci ? csv_value(ci->low) : "");
        f.push_back(ci ? csv_value(ci->high) : "");
    };
    for (const auto& r : rows) {
        const auto& c = *r.candidate;
        std::vector<std::string> f = {std::to_string(r.rank),
                                      c.words,
                                      c.strategy_name,
                                      c.time_of_day_s ? clock_text(*c.time_of_day_s) : "",
                                      csv_value(c.start_at_s),
                                      csv_value(c.log_copy_interval_ms),
                                      csv_value(c.kill_long_queries_timeout_s),
                                      c.to_aria ? "1" : "0",
                                      std::to_string(plan.replications),
                                      objective_column(plan)};
        cis(f, r.objective);
        for (const auto& ci : r.per_group) {
            cis(f, ci);
        }
        f.push_back(csv_value(r.backup_s));
        f.push_back(std::to_string(r.not_finished));
        f.push_back(std::to_string(r.inconsistent));
        f.push_back(fmt::format("{}", fmt::join(r.ties, " ")));
        f.push_back(r.reason);
        out += csv_line(f);
    }
    return out;
}

}  // namespace lockstage::app
