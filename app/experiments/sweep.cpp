#include "app/experiments/sweep.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "app/experiments/csv.hpp"
#include "app/experiments/sweep_state.hpp"
#include "app/scenario/embedded_schema.hpp"
#include "app/scenario/json_reader.hpp"
#include "app/scenario/scenario_loader.hpp"
#include "app/scenario/schema_validator.hpp"
#include "sim/stats/tally.hpp"

namespace lockstage::app {

using json = nlohmann::ordered_json;

namespace {

const SchemaValidator& sweep_validator() {
    static const SchemaValidator validator(json::parse(embedded_sweep_schema()));
    return validator;
}

std::string cell(const json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

/// Every combination of axis values, first axis slowest.
std::vector<std::vector<std::size_t>> points_of(const SweepSpec& s) {
    std::vector<std::vector<std::size_t>> out{{}};
    for (const auto& axis : s.axes) {
        std::vector<std::vector<std::size_t>> next;
        for (const auto& p : out) {
            for (std::size_t i = 0; i < axis.values.size(); ++i) {
                auto q = p;
                q.push_back(i);
                next.push_back(std::move(q));
            }
        }
        out = std::move(next);
    }
    return out;
}

json point_document(const SweepSpec& s, const std::vector<std::size_t>& point, int replication) {
    json doc = s.base;
    for (std::size_t a = 0; a < s.axes.size(); ++a) {
        doc[json::json_pointer(s.axes[a].pointer)] = s.axes[a].values[point[a]];
    }
    doc["seed"] = doc.value("seed", std::uint64_t{1}) + static_cast<std::uint64_t>(replication);
    return doc;
}

std::string point_label(const SweepSpec& s, const std::vector<std::size_t>& point) {
    std::string out;
    for (std::size_t a = 0; a < s.axes.size(); ++a) {
        out += fmt::format("{}{}={}", a ? ", " : "", s.axes[a].pointer,
                           cell(s.axes[a].values[point[a]]));
    }
    return out;
}

}  // namespace

std::string SweepTerm::text() const {
    return group.empty() ? fmt::format("{}[{}]", metric, strategy)
                         : fmt::format("{}[{}][{}]", metric, group, strategy);
}

std::vector<Column> sweep_columns(const SweepSpec& spec) {
    return metric_columns(spec.groups, false);
}

std::vector<Column> sweep_csv_columns(const SweepSpec& spec) {
    return metric_columns(spec.groups, true);
}

nlohmann::ordered_json sweep_values_json(const std::vector<std::optional<double>>& v) {
    json out = json::array();
    for (const auto& x : v) {
        out.push_back(x ? json(*x) : json(nullptr));
    }
    return out;
}

std::vector<std::optional<double>> sweep_values_from_json(const nlohmann::ordered_json& j) {
    std::vector<std::optional<double>> out;
    for (const auto& x : j) {
        out.push_back(x.is_null() ? std::nullopt : std::optional<double>(x.get<double>()));
    }
    return out;
}

namespace {

/// A number of an expect line: finite, the whole text read.
std::optional<double> parse_number(const std::string& text) {
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (errno != 0 || end != text.c_str() + text.size() || !std::isfinite(v)) {
        return std::nullopt;
    }
    return v;
}

/// Checks one side of an expect line and finds its column.
SweepTerm term(const SweepSpec& s, const std::string& p, std::string metric, std::string group,
               std::string strategy) {
    const Metric* m = find_metric(metric);
    if (m == nullptr) {
        std::vector<std::string> names;
        for (const auto& x : metric_table()) {
            names.push_back(x.name);
        }
        const std::string near = closest_match(metric, names);
        throw ScenarioError(
            s.file, p,
            fmt::format("unknown metric \"{}\"{}; 'lockstage metrics' lists the {} metrics", metric,
                        near.empty() ? "" : fmt::format(" (did you mean \"{}\"?)", near),
                        names.size()));
    }
    if (!group.empty() && m->scope == Scope::Run) {
        throw ScenarioError(
            s.file, p,
            fmt::format("{} is a metric of the whole run: write {}[{}] without a group", metric,
                        metric, strategy));
    }
    if (!group.empty() && std::find(s.groups.begin(), s.groups.end(), group) == s.groups.end()) {
        throw ScenarioError(s.file, p,
                            fmt::format("no client group \"{}\" in the base scenario (groups: {})",
                                        group, fmt::join(s.groups, ", ")));
    }
    if (std::find(s.strategies.begin(), s.strategies.end(), strategy) == s.strategies.end()) {
        throw ScenarioError(s.file, p,
                            fmt::format("strategy \"{}\" is not in /strategies{}", strategy,
                                        group.empty() && std::find(s.groups.begin(), s.groups.end(),
                                                                   strategy) != s.groups.end()
                                            ? fmt::format(" (\"{}\" is a client group: write "
                                                          "{}[{}][STRATEGY])",
                                                          strategy, metric, strategy)
                                            : ""));
    }
    SweepTerm t{std::move(metric), std::move(group), std::move(strategy), 0};
    const auto cols = metric_columns(s.groups, false);
    for (std::size_t i = 0; i < cols.size(); ++i) {
        if (cols[i].metric == m && cols[i].group == t.group) {
            t.column = i;
        }
    }
    return t;
}

bool is_prefix_pointer(const std::string& prefix, const std::string& of) {
    return of == prefix || (of.size() > prefix.size() &&
                            of.compare(0, prefix.size(), prefix) == 0 && of[prefix.size()] == '/');
}

}  // namespace

SweepSpec load_sweep(const std::filesystem::path& path) {
    SweepSpec s;
    s.file = path.string();
    json doc = read_json(read_text_file(path), s.file, [](const std::vector<std::string>& t) {
        return sweep_validator().max_items(t);
    });
    if (auto err = sweep_validator().validate_and_fill(doc)) {
        throw ScenarioError(s.file, err->pointer, err->message);
    }
    s.name = doc.at("name").get<std::string>();
    const std::filesystem::path base = path.parent_path() / doc.at("base").get<std::string>();
    s.base_file = base.string();
    if (!std::filesystem::is_regular_file(base)) {
        throw ScenarioError(
            s.file, "/base",
            fmt::format("expected a scenario file (relative to the sweep's folder), but {} {}",
                        s.base_file,
                        std::filesystem::exists(base) ? "is not a file" : "does not exist"));
    }
    s.base = parse_scenario_text(read_text_file(base), s.base_file);
    for (std::size_t i = 0; i < doc.at("axes").size(); ++i) {
        const auto& a = doc["axes"][i];
        const std::string p = fmt::format("/axes/{}", i);
        SweepSpec::Axis axis;
        axis.pointer = a.at("pointer").get<std::string>();
        if (is_prefix_pointer(axis.pointer, "/backup/strategy")) {
            throw ScenarioError(s.file, p + "/pointer",
                                fmt::format("{} would set the backup strategy, which a sweep takes "
                                            "from /strategies (every point runs each of them)",
                                            axis.pointer.empty() ? "\"\"" : axis.pointer));
        }
        const json::json_pointer ptr(axis.pointer);
        if (!s.base.contains(ptr.parent_pointer()) || !s.base[ptr.parent_pointer()].is_object()) {
            throw ScenarioError(
                s.file, p + "/pointer",
                fmt::format("{} names nothing in the base scenario {}", axis.pointer, s.base_file));
        }
        if (a.contains("values") == a.contains("range")) {
            throw ScenarioError(s.file, p, "expected exactly one of \"values\" and \"range\"");
        }
        if (a.contains("values")) {
            for (const auto& v : a["values"]) {
                axis.values.push_back(v);
            }
        } else {
            const auto& r = a["range"];
            const double from = r.at("from").get<double>();
            const double to = r.at("to").get<double>();
            const int steps = r.at("steps").get<int>();
            const bool log = r.at("scale") == "log";
            if (log && !(from > 0 && to > 0)) {
                throw ScenarioError(s.file, p + "/range", "a log range needs from > 0 and to > 0");
            }
            for (int k = 0; k < steps; ++k) {
                const double t = steps == 1 ? 0.0 : static_cast<double>(k) / (steps - 1);
                axis.values.emplace_back(log ? from * std::pow(to / from, t)
                                             : from + (to - from) * t);
            }
        }
        s.axes.push_back(std::move(axis));
    }
    for (const auto& st : doc.at("strategies")) {
        s.strategies.push_back(st.get<std::string>());
    }
    s.replications = doc.at("replications").get<int>();
    // The client groups, for group metrics in expect lines (every point must keep them).
    {
        const Scenario base_scenario = load_scenario_json(s.base, s.base_file);
        for (const auto& g : base_scenario.groups) {
            s.groups.push_back(g.name);
        }
    }
    const std::string side = R"(([a-z_0-9]+)(?:\[([A-Za-z0-9_.-]+)\])?\[([a-z0-9-]+)\])";
    const std::regex form("^\\s*" + side + "\\s*(<=|>=|==|!=|<|>)\\s*(?:" + side +
                          "|([-+0-9.eE]+))\\s*$");
    for (std::size_t i = 0; i < doc.at("expect").size(); ++i) {
        const std::string text = doc["expect"][i].get<std::string>();
        const std::string p = fmt::format("/expect/{}", i);
        std::smatch m;
        if (!std::regex_match(text, m, form)) {
            throw ScenarioError(s.file, p,
                                fmt::format("expected \"metric[strategy] OP metric[strategy]\" or "
                                            "\"metric[strategy] OP number\" (a group metric may "
                                            "name a group: metric[group][strategy]), got \"{}\"",
                                            text));
        }
        SweepExpectation e;
        e.text = text;
        e.lhs = term(s, p, m[1], m[2], m[3]);
        e.op = m[4];
        e.against_number = m[8].matched;
        if (e.against_number) {
            const auto n = parse_number(m[8]);
            if (!n) {
                throw ScenarioError(
                    s.file, p,
                    fmt::format("expected a finite number after {}, got \"{}\"", e.op, m[8].str()));
            }
            e.number = *n;
        } else {
            e.rhs = term(s, p, m[5], m[6], m[7]);
        }
        s.expect.push_back(std::move(e));
    }
    // Every point must be a valid scenario with a backup, before anything runs.
    for (const auto& point : points_of(s)) {
        const Scenario sc =
            load_scenario_json(point_document(s, point, 0),
                               fmt::format("{} at {}", s.base_file, point_label(s, point)));
        if (sc.model != "mariadb" || !sc.backup) {
            throw ScenarioError(
                s.base_file, "/backup",
                "a sweep varies the backup strategy: the base scenario needs a \"backup\"");
        }
        // An axis on the flavour must not be overridden: compare runs a strategy that needs
        // another flavour on that one, whatever the point says.
        for (std::size_t a = 0; a < s.axes.size(); ++a) {
            if (!is_prefix_pointer(s.axes[a].pointer, "/server/flavor")) {
                continue;
            }
            for (const auto& name : s.strategies) {
                const auto st = models::backup::strategy_from_name(name);
                const auto runs_on = models::backup::flavor_for(*st, sc.server.flavor);
                if (st && runs_on != sc.server.flavor) {
                    throw ScenarioError(
                        s.file, fmt::format("/axes/{}/pointer", a),
                        fmt::format("strategy {} runs on {} whatever {} says ({} at {}): the axis "
                                    "would be ignored for it; sweep the flavour with strategies "
                                    "that run on every value (ftwrl, no-lock)",
                                    name, models::server::traits(runs_on).name, s.axes[a].pointer,
                                    models::server::traits(sc.server.flavor).name, sc.file));
                }
            }
        }
        std::vector<std::string> names;
        for (const auto& g : sc.groups) {
            names.push_back(g.name);
        }
        if (names != s.groups) {
            throw ScenarioError(sc.file, "/workload/groups",
                                fmt::format("expected the client groups of the base scenario ({}), "
                                            "got ({}): an axis must not add, remove or rename "
                                            "groups",
                                            fmt::join(s.groups, ", "), fmt::join(names, ", ")));
        }
        s.fingerprints.push_back(scenario_fingerprint(sc.effective));
        EventEstimate e = estimate_events(sc);
        if (e.waiting.events > kMaxWaitingRequests) {  // refused whatever --max-events says
            check_event_estimate(e, sc.file, std::nullopt);
        }
        if (e.total > s.largest_estimate.total) {
            s.largest_estimate = std::move(e);
            s.largest_estimate_at = sc.file;
        }
    }
    s.effective = std::move(doc);
    return s;
}

std::size_t sweep_runs(const SweepSpec& spec) {
    return points_of(spec).size() * spec.strategies.size() *
           static_cast<std::size_t>(spec.replications);
}

std::string sweep_point_label(const SweepSpec& spec, std::size_t point) {
    return point_label(spec, points_of(spec).at(point));
}

SweepValues run_sweep_values(const SweepSpec& spec, unsigned jobs,
                             const std::function<void(std::size_t, std::size_t)>& progress,
                             std::size_t shard, std::size_t shards, SweepValues done_before,
                             const SweepStop* stop) {
    const auto points = points_of(spec);
    const std::size_t S = spec.strategies.size();
    const auto R = static_cast<std::size_t>(spec.replications);
    const std::size_t all = points.size() * S * R;
    // This shard's runs: every shards-th run from `shard`, so shards split the work evenly.
    SweepValues values = done_before.size() == all ? std::move(done_before) : SweepValues(all);
    std::vector<std::size_t> mine;
    for (std::size_t i = shard; i < all; i += shards) {
        if (values[i].empty()) {
            mine.push_back(i);
        }
    }
    const std::size_t total = mine.size();
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> done{0};
    std::atomic<std::size_t> running{0};
    std::exception_ptr error;
    std::mutex error_mutex;
    std::mutex values_mutex;  // a run's values are stored under it (read at a second signal)
    const auto signals = [&] {
        return stop != nullptr && stop->signals != nullptr ? stop->signals->load() : 0;
    };
    auto worker = [&] {
        for (std::size_t k = next++; k < total; k = next++) {
            if (signals() > 0) {
                ++done;
                continue;
            }
            ++running;
            const std::size_t i = mine[k];
            try {
                const std::size_t p = i / (S * R);
                const std::size_t st = (i / R) % S;
                const int rep = static_cast<int>(i % R);
                Scenario sc = load_scenario_json(
                    point_document(spec, points[p], rep),
                    fmt::format("{} at {}", spec.base_file, point_label(spec, points[p])));
                apply_event_budget(sc, sc.file, spec.max_events);
                CompareRow row;
                try {
                    row = compare_strategies(sc, {spec.strategies[st]}).front();
                } catch (const sim::EventLimitExceeded& e) {
                    throw std::runtime_error(budget_spent_message(
                        e,
                        fmt::format("{} ({}, replication {})", sc.file, spec.strategies[st], rep),
                        sc, spec.max_events.has_value()));
                }
                const std::lock_guard<std::mutex> lock(values_mutex);
                values[i] = std::move(row.values.values);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) {
                    error = std::current_exception();
                }
            }
            --running;
            ++done;
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1u, jobs); ++t) {
        threads.emplace_back(worker);
    }
    std::thread main_share(worker);
    int heard = 0;  // signals acted on
    while (done.load() < total) {
        if (progress) {
            progress(done.load(), total);
        }
        const int now = signals();
        if (now >= 1 && heard < 1 && now < 2 && stop->waiting) {
            stop->waiting(running.load());
        }
        if (now >= 2 && heard < 2 && stop->abandon) {
            const std::lock_guard<std::mutex> lock(values_mutex);
            stop->abandon(values);
        }
        heard = std::max(heard, now);
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    main_share.join();
    for (auto& t : threads) {
        t.join();
    }
    if (progress) {
        progress(total, total);
    }
    if (error) {
        std::rethrow_exception(error);
    }
    return values;
}

SweepOutcome run_sweep(const SweepSpec& spec, unsigned jobs,
                       const std::function<void(std::size_t, std::size_t)>& progress) {
    return summarize_sweep(spec, run_sweep_values(spec, jobs, progress, 0, 1));
}

namespace {

/// The Student t interval of a column's values over replications; no value if any run lacks one.
std::optional<stats::ConfidenceInterval> interval_of(const SweepValues& values, std::size_t first,
                                                     std::size_t n, std::size_t column) {
    stats::Tally xs;
    for (std::size_t r = 0; r < n; ++r) {
        const auto& v = values[first + r].at(column);
        if (!v) {
            return std::nullopt;
        }
        xs.add(*v);
    }
    return stats::mean_confidence_interval(xs, 0.95);
}

bool holds(double lhs, const std::string& op, double rhs) {
    return op == "<"    ? lhs < rhs
           : op == "<=" ? lhs <= rhs
           : op == ">"  ? lhs > rhs
           : op == ">=" ? lhs >= rhs
           : op == "==" ? lhs == rhs
                        : lhs != rhs;
}

}  // namespace

SweepOutcome summarize_sweep(const SweepSpec& spec, const SweepValues& values) {
    const auto points = points_of(spec);
    const std::size_t S = spec.strategies.size();
    const auto R = static_cast<std::size_t>(spec.replications);
    SweepOutcome out;
    out.runs = values.size();
    const auto all_columns = sweep_columns(spec);
    const auto columns = sweep_csv_columns(spec);
    // Each CSV column's index among the stored ones.
    std::vector<std::size_t> index;
    for (const auto& c : columns) {
        for (std::size_t i = 0; i < all_columns.size(); ++i) {
            if (all_columns[i].metric == c.metric && all_columns[i].group == c.group) {
                index.push_back(i);
            }
        }
    }
    std::vector<std::string> runs_header = {"point"};
    std::vector<std::string> points_header = {"point"};
    for (const auto& a : spec.axes) {
        runs_header.push_back(a.pointer);
        points_header.push_back(a.pointer);
    }
    for (const char* h : {"strategy", "replication", "seed"}) {
        runs_header.emplace_back(h);
    }
    for (const char* h : {"strategy", "n"}) {
        points_header.emplace_back(h);
    }
    for (const auto& c : columns) {
        runs_header.push_back(c.name());
        for (const char* suffix : {"_mean", "_ci95_low", "_ci95_high"}) {
            points_header.push_back(c.name() + suffix);
        }
    }
    out.runs_csv = csv_line(runs_header);
    out.points_csv = csv_line(points_header);
    // per point, strategy: the mean of every stored column (for the expect lines and the fits)
    std::vector<std::vector<std::vector<std::optional<double>>>> means(
        points.size(), std::vector<std::vector<std::optional<double>>>(S));
    for (std::size_t p = 0; p < points.size(); ++p) {
        std::vector<std::string> axes_cells;
        for (std::size_t a = 0; a < spec.axes.size(); ++a) {
            axes_cells.push_back(cell(spec.axes[a].values[points[p][a]]));
        }
        for (std::size_t st = 0; st < S; ++st) {
            const std::size_t first = (p * S + st) * R;
            auto& mean = means[p][st];
            for (std::size_t c = 0; c < all_columns.size(); ++c) {
                const auto ci = interval_of(values, first, R, c);
                mean.push_back(ci ? std::optional<double>(ci->mean) : std::nullopt);
            }
            std::vector<std::string> line = {std::to_string(p)};
            line.insert(line.end(), axes_cells.begin(), axes_cells.end());
            line.push_back(spec.strategies[st]);
            line.push_back(std::to_string(R));
            for (const std::size_t c : index) {
                const auto ci = interval_of(values, first, R, c);
                line.push_back(ci ? csv_value(ci->mean) : "");
                line.push_back(ci && R > 1 ? csv_value(ci->low) : "");
                line.push_back(ci && R > 1 ? csv_value(ci->high) : "");
            }
            out.points_csv += csv_line(line);
            for (std::size_t r = 0; r < R; ++r) {
                const auto& row = values[first + r];
                std::vector<std::string> fields = {std::to_string(p)};
                fields.insert(fields.end(), axes_cells.begin(), axes_cells.end());
                fields.push_back(spec.strategies[st]);
                fields.push_back(std::to_string(r));
                fields.push_back(
                    std::to_string(point_document(spec, points[p], static_cast<int>(r))["seed"]
                                       .get<std::uint64_t>()));
                for (const std::size_t c : index) {
                    fields.push_back(csv_value(row.at(c)));
                }
                out.runs_csv += csv_line(fields);
            }
        }
        const auto strategy_index = [&](const std::string& name) {
            return static_cast<std::size_t>(
                std::find(spec.strategies.begin(), spec.strategies.end(), name) -
                spec.strategies.begin());
        };
        for (const auto& e : spec.expect) {
            const auto lhs = means[p][strategy_index(e.lhs.strategy)][e.lhs.column];
            const auto rhs = e.against_number
                                 ? std::optional<double>(e.number)
                                 : means[p][strategy_index(e.rhs.strategy)][e.rhs.column];
            if (!lhs || !rhs) {
                out.violations.push_back(fmt::format(
                    "point {} ({}): {} cannot be checked: {} has no value there (the metric does "
                    "not apply to this run)",
                    p, point_label(spec, points[p]), e.text, !lhs ? e.lhs.text() : e.rhs.text()));
            } else if (!holds(*lhs, e.op, *rhs)) {
                out.violations.push_back(fmt::format("point {} ({}): {} is false ({} vs {})", p,
                                                     point_label(spec, points[p]), e.text, *lhs,
                                                     *rhs));
            }
        }
    }
    // Fits: only numeric axes, and only with more points than coefficients, of the fitted
    // columns: write-blocked time (all groups and each group), tps_mean, backup_p99_ms, backup_s.
    std::vector<std::size_t> numeric;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        const auto& vs = spec.axes[a].values;
        if (std::all_of(vs.begin(), vs.end(), [](const json& v) { return v.is_number(); })) {
            numeric.push_back(a);
        }
    }
    std::vector<std::string> fits_header = {"strategy", "metric", "intercept"};
    for (const std::size_t a : numeric) {
        fits_header.push_back("coef " + spec.axes[a].pointer);
    }
    fits_header.emplace_back("r2");
    fits_header.emplace_back("points");
    out.fits_csv = csv_line(fits_header);
    std::vector<std::size_t> fitted;
    for (std::size_t i = 0; i < all_columns.size(); ++i) {
        const auto& c = all_columns[i];
        const std::string_view name = c.metric->name;
        if (name == "write_blocked_s" ||
            (c.group.empty() &&
             (name == "tps_mean" || name == "backup_p99_ms" || name == "backup_s"))) {
            fitted.push_back(i);
        }
    }
    const auto cols = static_cast<Eigen::Index>(numeric.size() + 1);
    const auto n = static_cast<Eigen::Index>(points.size());
    if (!numeric.empty() && n > cols) {
        Eigen::MatrixXd X(n, cols);
        for (Eigen::Index i = 0; i < n; ++i) {
            X(i, 0) = 1.0;
            for (std::size_t k = 0; k < numeric.size(); ++k) {
                X(i, static_cast<Eigen::Index>(k) + 1) =
                    spec.axes[numeric[k]]
                        .values[points[static_cast<std::size_t>(i)][numeric[k]]]
                        .get<double>();
            }
        }
        const auto qr = X.colPivHouseholderQr();
        for (std::size_t st = 0; st < S; ++st) {
            const std::string& strategy = spec.strategies[st];
            for (const std::size_t c : fitted) {
                Eigen::VectorXd y(n);
                bool complete = true;
                for (Eigen::Index i = 0; i < n; ++i) {
                    const auto& v = means[static_cast<std::size_t>(i)][st][c];
                    complete = complete && v.has_value();
                    y(i) = v.value_or(0.0);
                }
                if (!complete) {
                    continue;  // the metric has no value at some point: no fit
                }
                const std::string metric = all_columns[c].name();
                const Eigen::VectorXd b = qr.solve(y);
                const double mean_y = y.mean();
                const double ss_tot = (y.array() - mean_y).square().sum();
                const double ss_res = (X * b - y).squaredNorm();
                const double r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
                std::vector<std::string> fields = {strategy, metric, csv_value(b(0))};
                std::string formula = fmt::format("{:.4g}", b(0));
                for (Eigen::Index k = 1; k < cols; ++k) {
                    fields.push_back(csv_value(b(k)));
                    formula +=
                        fmt::format(" {:+.4g} x {}", b(k),
                                    spec.axes[numeric[static_cast<std::size_t>(k - 1)]].pointer);
                }
                fields.push_back(csv_value(r2));
                fields.push_back(std::to_string(n));
                out.fits_csv += csv_line(fields);
                if (all_columns[c].metric->name == "write_blocked_s") {
                    out.fit_lines.push_back(
                        fmt::format("{} {} ~ {} (R^2 {:.3f})", strategy, metric, formula, r2));
                }
            }
        }
    }
    return out;
}

}  // namespace lockstage::app
