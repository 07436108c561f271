#include "app/experiments/sweep.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <atomic>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <system_error>
#include <thread>

#include "app/experiments/csv.hpp"
#include "app/experiments/numbers.hpp"
#include "app/experiments/sweep_state.hpp"
#include "app/scenario/embedded_schema.hpp"
#include "app/scenario/json_reader.hpp"
#include "app/scenario/overrides.hpp"
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
        // load_sweep checked that each axis's parent is an object: "add" replaces or adds it.
        json_add(doc, json::json_pointer(s.axes[a].pointer), s.axes[a].values[point[a]], s.file);
    }
    // Replication r runs with the point's seed + r (load_sweep checks that it does not pass
    // 2^64 - 1). A seed that is not a whole number >= 0 is left as it is, for the loader to refuse.
    json& seed = doc["seed"];
    if (seed.is_null()) {
        seed = std::uint64_t{1};
    }
    if (seed.is_number_unsigned()) {
        seed = seed.get<std::uint64_t>() + static_cast<std::uint64_t>(replication);
    }
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

/// Refuses a sweep above kMaxSweepPoints points or kMaxSweepRuns runs, counting without making
/// the points (the product is checked for overflow: 8 axes of 1000 values are 1e24 points).
void check_sweep_size(const SweepSpec& s, std::uint64_t max_points) {
    std::uint64_t points = 1;
    bool overflow = false;
    double approx = 1;  // for the message when the count overflows
    std::string factors;
    for (const auto& axis : s.axes) {
        overflow = overflow || __builtin_mul_overflow(points, axis.values.size(), &points);
        approx *= static_cast<double>(axis.values.size());
        factors += fmt::format("{}{}", factors.empty() ? "" : " x ", axis.values.size());
    }
    const std::string count = overflow ? fmt::format("{:.3g}", approx) : std::to_string(points);
    if (overflow || points > max_points) {
        throw ScenarioError(s.file, "/axes",
                            fmt::format("{} points ({} values), above the limit of {} points per "
                                        "sweep: give the axes fewer values or split the sweep",
                                        count, factors, max_points));
    }
    const std::uint64_t runs =
        points * s.strategies.size() * static_cast<std::uint64_t>(s.replications);
    if (runs > kMaxSweepRuns) {
        throw ScenarioError(
            s.file, "/replications",
            fmt::format("{} runs ({} points x {} strategies x {} replications), "
                        "above the limit of {} runs per sweep",
                        runs, points, s.strategies.size(), s.replications, kMaxSweepRuns));
    }
}

bool is_prefix_pointer(const std::string& prefix, const std::string& of) {
    return of == prefix || (of.size() > prefix.size() &&
                            of.compare(0, prefix.size(), prefix) == 0 && of[prefix.size()] == '/');
}

/// Reads an expect line's pieces, by hand (std::regex recurses per character and overflows the
/// stack on a long line): `metric[strategy]` or `metric[group][strategy]`, an operator, then
/// another such term or a number. Spaces are allowed around the operator and at both ends.
class ExpectReader {
  public:
    explicit ExpectReader(std::string_view text) : text_(text) {}

    struct Term {
        std::string metric, group, strategy;
    };

    bool parse(Term& lhs, std::string& op, Term& rhs, std::string& number) {
        spaces();
        if (!term(lhs)) {
            return false;
        }
        spaces();
        for (const char* o : {"<=", ">=", "==", "!=", "<", ">"}) {
            if (text_.substr(at_, std::strlen(o)) == o) {
                op = o;
                at_ += op.size();
                break;
            }
        }
        if (op.empty()) {
            return false;
        }
        spaces();
        const std::size_t rhs_at = at_;
        if (!term(rhs)) {
            at_ = rhs_at;
            rhs = {};
            number = std::string(take([](char c) {
                return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' ||
                       c == 'E';
            }));
            if (number.empty()) {
                return false;
            }
        }
        spaces();
        return at_ == text_.size();
    }

  private:
    static bool metric_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    static bool strategy_char(char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
    }
    static bool group_char(char c) {
        return strategy_char(c) || (c >= 'A' && c <= 'Z') || c == '_' || c == '.';
    }

    template <class Pred>
    std::string_view take(Pred pred) {
        const std::size_t from = at_;
        while (at_ < text_.size() && pred(text_[at_])) {
            ++at_;
        }
        return text_.substr(from, at_ - from);
    }
    void spaces() {
        take([](char c) {
            return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
        });
    }
    /// "[name]" of the given characters.
    template <class Pred>
    bool bracket(Pred pred, std::string& out) {
        if (at_ >= text_.size() || text_[at_] != '[') {
            return false;
        }
        ++at_;
        out = std::string(take(pred));
        if (out.empty() || at_ >= text_.size() || text_[at_] != ']') {
            return false;
        }
        ++at_;
        return true;
    }
    bool term(Term& t) {
        t.metric = std::string(take(metric_char));
        if (t.metric.empty()) {
            return false;
        }
        const std::size_t first = at_;
        std::string a;
        std::string b;
        if (bracket(group_char, a) && bracket(strategy_char, b)) {
            t.group = std::move(a);
            t.strategy = std::move(b);
            return true;
        }
        at_ = first;  // one bracket: the strategy
        return bracket(strategy_char, t.strategy);
    }

    std::string_view text_;
    std::size_t at_ = 0;
};

}  // namespace

SweepExpectation parse_expectation(const SweepSpec& s, const std::string& text,
                                   const std::string& where) {
    ExpectReader::Term lhs;
    ExpectReader::Term rhs;
    std::string op;
    std::string number;
    if (!ExpectReader(text).parse(lhs, op, rhs, number)) {
        throw ScenarioError(s.file, where,
                            fmt::format("expected \"metric[strategy] OP metric[strategy]\" or "
                                        "\"metric[strategy] OP number\" (a group metric may "
                                        "name a group: metric[group][strategy]), got \"{}\"",
                                        text));
    }
    SweepExpectation e;
    e.text = text;
    e.lhs = term(s, where, lhs.metric, lhs.group, lhs.strategy);
    e.op = op;
    e.against_number = !number.empty();
    if (e.against_number) {
        const auto n = parse_number(number);
        if (!n) {
            throw ScenarioError(
                s.file, where,
                fmt::format("expected a finite number after {}, got \"{}\"", e.op, number));
        }
        e.number = *n;
    } else {
        e.rhs = term(s, where, rhs.metric, rhs.group, rhs.strategy);
    }
    return e;
}

SweepSpec load_sweep(const std::filesystem::path& path, const std::vector<Override>& overrides) {
    return load_sweep_text(read_text_file(path), path.string(), path.parent_path(), kMaxSweepPoints,
                           overrides);
}

SweepSpec load_sweep_text(std::string_view text, const std::string& file,
                          const std::filesystem::path& dir, std::uint64_t max_points,
                          const std::vector<Override>& overrides,
                          const nlohmann::ordered_json* base_document) {
    SweepSpec s;
    s.file = file;
    json doc = read_json(text, s.file, [](const std::vector<std::string>& t) {
        return sweep_validator().max_items(t);
    });
    if (auto err = sweep_validator().validate_and_fill(doc)) {
        throw ScenarioError(s.file, err->pointer, err->message);
    }
    s.name = doc.at("name").get<std::string>();
    const std::filesystem::path base = dir / doc.at("base").get<std::string>();
    s.base_file = base.string();
    // The error_code form: a name the system refuses (too long) is bad input, not an exception.
    namespace fs = std::filesystem;
    if (base_document != nullptr) {
        s.base = *base_document;
    } else if (std::error_code ec; fs::status(base, ec).type() != fs::file_type::regular) {
        const auto type = fs::status(base, ec).type();
        throw ScenarioError(
            s.file, "/base",
            fmt::format("expected a scenario file (relative to the sweep's folder), but {}{}",
                        s.base_file,
                        type == fs::file_type::not_found ? " does not exist"
                        : type != fs::file_type::none    ? " is not a file"
                                                         : ": " + ec.message()));
    } else {
        s.base = parse_scenario_text(read_text_file(base), s.base_file);
    }
    apply_overrides(s.base, overrides);
    s.base_label = overridden_name(s.base_file, overrides);
    s.base_dir = base.parent_path();
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
        const json::json_pointer ptr = parse_pointer(s.file, p + "/pointer", axis.pointer);
        for (std::size_t b = 0; b < s.axes.size(); ++b) {
            if (is_prefix_pointer(s.axes[b].pointer, axis.pointer) ||
                is_prefix_pointer(axis.pointer, s.axes[b].pointer)) {
                throw ScenarioError(s.file, p + "/pointer",
                                    fmt::format("{} overlaps /axes/{}'s {}: two axes must set "
                                                "different values, neither inside the other",
                                                axis.pointer, b, s.axes[b].pointer));
            }
        }
        if (!s.base.contains(ptr.parent_pointer()) || !s.base[ptr.parent_pointer()].is_object()) {
            throw ScenarioError(s.file, p + "/pointer",
                                fmt::format("{} names nothing in the base scenario {}",
                                            axis.pointer, s.base_label));
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
                const double v = log ? from * std::pow(to / from, t) : from + (to - from) * t;
                if (!std::isfinite(v)) {
                    throw ScenarioError(s.file, p + "/range",
                                        fmt::format("value {} of the range is not a finite "
                                                    "number (from {} to {})",
                                                    k, from, to));
                }
                axis.values.emplace_back(v);
            }
        }
        s.axes.push_back(std::move(axis));
    }
    for (const auto& st : doc.at("strategies")) {
        s.strategies.push_back(st.get<std::string>());
    }
    s.replications = doc.at("replications").get<int>();
    check_sweep_size(s, max_points);
    // The client groups, for group metrics in expect lines (every point must keep them).
    {
        const Scenario base_scenario = load_scenario_json(s.base, s.base_label, s.base_dir);
        for (const auto& g : base_scenario.groups) {
            s.groups.push_back(g.name);
        }
    }
    for (std::size_t i = 0; i < doc.at("expect").size(); ++i) {
        s.expect.push_back(parse_expectation(s, doc["expect"][i].get<std::string>(),
                                             fmt::format("/expect/{}", i)));
    }
    // Every point must be a valid scenario with a backup, before anything runs.
    for (const auto& point : points_of(s)) {
        const Scenario sc = load_scenario_json(
            point_document(s, point, 0),
            fmt::format("{} at {}", s.base_label, point_label(s, point)), s.base_dir);
        if (const auto last = static_cast<std::uint64_t>(s.replications - 1);
            sc.seed > std::numeric_limits<std::uint64_t>::max() - last) {
            throw ScenarioError(s.file, "/replications",
                                fmt::format("replication {} would run with seed {} + {}, past "
                                            "18446744073709551615 ({})",
                                            last, sc.seed, last, sc.file));
        }
        if (sc.model != "mariadb" || !sc.backup) {
            throw ScenarioError(
                s.base_label, "/backup",
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
    if (!overrides.empty()) {
        doc["overrides"] = override_texts(overrides);
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
                    fmt::format("{} at {}", spec.base_label, point_label(spec, points[p])),
                    spec.base_dir);
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
    // No more threads than runs; if the system refuses one, the threads made so far do the work.
    for (std::size_t t = 1; t < std::min<std::size_t>(std::max(1u, jobs), total); ++t) {
        try {
            threads.emplace_back(worker);
        } catch (const std::system_error&) {
            break;
        }
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

LinearFit fit_linear(const std::vector<std::vector<double>>& x, const std::vector<double>& y,
                     const std::vector<std::string>& names) {
    LinearFit fit;
    const std::size_t n = y.size();
    const std::size_t cols = names.size() + 1;
    const auto no_fit = [&](std::string reason) {
        fit.no_fit = std::move(reason);
        return fit;
    };
    if (x.size() != n) {
        throw std::logic_error("fit_linear: x and y differ in length");
    }
    if (n <= cols) {
        return no_fit(
            fmt::format("{} points for {} coefficients: a fit needs more points than "
                        "coefficients",
                        n, cols));
    }
    for (std::size_t i = 0; i < n; ++i) {
        if (x[i].size() != names.size()) {
            throw std::logic_error("fit_linear: a row of x has the wrong length");
        }
        if (!std::isfinite(y[i]) ||
            !std::all_of(x[i].begin(), x[i].end(), [](double v) { return std::isfinite(v); })) {
            return no_fit("a value is not a finite number");
        }
    }
    for (std::size_t k = 0; k < names.size(); ++k) {
        if (std::all_of(x.begin(), x.end(), [&](const auto& row) { return row[k] == x[0][k]; })) {
            return no_fit(fmt::format("{} takes one value ({}) at every point", names[k], x[0][k]));
        }
    }
    const auto [lo, hi] = std::minmax_element(y.begin(), y.end());
    if (*hi - *lo <= 1e-12 * std::max(std::fabs(*lo), std::fabs(*hi))) {
        return no_fit(fmt::format("the metric is constant ({:.6g}) at every point", *lo));
    }
    const auto rows = static_cast<Eigen::Index>(n);
    const auto width = static_cast<Eigen::Index>(cols);
    Eigen::MatrixXd X(rows, width);
    Eigen::VectorXd Y(rows);
    for (Eigen::Index i = 0; i < rows; ++i) {
        const auto& row = x[static_cast<std::size_t>(i)];
        X(i, 0) = 1.0;
        for (Eigen::Index k = 1; k < width; ++k) {
            X(i, k) = row[static_cast<std::size_t>(k - 1)];
        }
        Y(i) = y[static_cast<std::size_t>(i)];
    }
    const auto qr = X.colPivHouseholderQr();
    if (qr.rank() < width) {
        return no_fit("the axes' values are collinear: their effects cannot be told apart");
    }
    const Eigen::VectorXd b = qr.solve(Y);
    const double ss_tot = (Y.array() - Y.mean()).square().sum();
    const double ss_res = (X * b - Y).squaredNorm();
    const double r2 = 1.0 - ss_res / ss_tot;
    if (!std::isfinite(r2) || r2 < 0 || !b.allFinite()) {
        return no_fit(fmt::format("numerically unstable (R^2 {:.3g})", r2));
    }
    fit.coefficients.assign(b.data(), b.data() + b.size());
    fit.r2 = r2;
    return fit;
}

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
    // Fits: against the numeric axes that take more than one value (one that takes a single
    // value is a constant, part of the intercept), of the fitted columns: write-blocked time (all
    // groups and each group), tps_mean, backup_p99_ms, backup_s. A degenerate one is a row
    // without coefficients, its reason in no_fit.
    std::vector<std::size_t> numeric;
    std::vector<std::string> names;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        const auto& vs = spec.axes[a].values;
        if (std::all_of(vs.begin(), vs.end(), [](const json& v) { return v.is_number(); }) &&
            std::any_of(vs.begin(), vs.end(), [&](const json& v) {
                return v.get<double>() != vs.front().get<double>();
            })) {
            numeric.push_back(a);
            names.push_back(spec.axes[a].pointer);
        }
    }
    std::vector<std::string> fits_header = {"strategy", "metric", "intercept"};
    for (const auto& name : names) {
        fits_header.push_back("coef " + name);
    }
    for (const char* h : {"r2", "points", "no_fit"}) {
        fits_header.emplace_back(h);
    }
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
    if (numeric.empty()) {
        return out;
    }
    std::vector<std::vector<double>> x(points.size());
    for (std::size_t i = 0; i < points.size(); ++i) {
        for (const std::size_t a : numeric) {
            x[i].push_back(spec.axes[a].values[points[i][a]].get<double>());
        }
    }
    for (std::size_t st = 0; st < S; ++st) {
        const std::string& strategy = spec.strategies[st];
        for (const std::size_t c : fitted) {
            std::vector<double> y;
            for (std::size_t i = 0; i < points.size(); ++i) {
                if (const auto& v = means[i][st][c]) {
                    y.push_back(*v);
                }
            }
            const LinearFit fit = y.size() == points.size()
                                      ? fit_linear(x, y, names)
                                      : LinearFit{{}, 0, "the metric has no value at some point"};
            const std::string metric = all_columns[c].name();
            std::vector<std::string> fields = {strategy, metric};
            std::string formula;
            for (std::size_t k = 0; k <= names.size(); ++k) {
                fields.push_back(fit.coefficients.empty() ? "" : csv_value(fit.coefficients[k]));
                if (!fit.coefficients.empty()) {
                    formula +=
                        k == 0 ? fmt::format("{:.4g}", fit.coefficients[0])
                               : fmt::format(" {:+.4g} x {}", fit.coefficients[k], names[k - 1]);
                }
            }
            fields.push_back(fit.coefficients.empty() ? "" : csv_value(fit.r2));
            fields.push_back(std::to_string(points.size()));
            fields.push_back(fit.no_fit);
            out.fits_csv += csv_line(fields);
            if (all_columns[c].metric->name == "write_blocked_s") {
                out.fit_lines.push_back(
                    fit.coefficients.empty()
                        ? fmt::format("{} {}: no fit: {}", strategy, metric, fit.no_fit)
                        : fmt::format("{} {} ~ {} (R^2 {:.3f})", strategy, metric, formula,
                                      fit.r2));
            }
        }
    }
    return out;
}

}  // namespace lockstage::app
