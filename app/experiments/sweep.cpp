#include "app/experiments/sweep.hpp"

#include <fmt/format.h>

#include <Eigen/Dense>
#include <atomic>
#include <cmath>
#include <exception>
#include <functional>
#include <map>
#include <mutex>
#include <regex>
#include <thread>

#include "app/scenario/embedded_schema.hpp"
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

const std::vector<std::string>& sweep_metrics() {
    static const std::vector<std::string> names = {
        "write_blocked_s", "tps_min",  "tps_mean", "p99_ms",   "max_ms",
        "peak_queue",      "timeouts", "failed",   "backup_s", "consistent"};
    return names;
}

double sweep_metric(const CompareRow& r, const std::string& m) {
    if (m == "write_blocked_s") {
        double longest = 0;
        for (const auto& [group, seconds] : r.write_blocked_s) {
            longest = std::max(longest, seconds);
        }
        return longest;
    }
    if (m == "tps_min")
        return r.tps_during_backup_min;
    if (m == "tps_mean")
        return r.tps_during_backup_mean;
    if (m == "p99_ms")
        return r.p99_ms;
    if (m == "max_ms")
        return r.max_ms;
    if (m == "peak_queue")
        return r.peak_queue;
    if (m == "timeouts")
        return static_cast<double>(r.timeouts);
    if (m == "failed")
        return static_cast<double>(r.failed);
    if (m == "backup_s")
        return r.backup_s;
    return r.consistent ? 1.0 : 0.0;  // "consistent"
}

SweepSpec load_sweep(const std::filesystem::path& path) {
    SweepSpec s;
    s.file = path.string();
    json doc = parse_json_text(read_text_file(path), s.file);
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
    s.base = parse_json_text(read_text_file(base), s.base_file);
    for (std::size_t i = 0; i < doc.at("axes").size(); ++i) {
        const auto& a = doc["axes"][i];
        const std::string p = fmt::format("/axes/{}", i);
        SweepSpec::Axis axis;
        axis.pointer = a.at("pointer").get<std::string>();
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
    const std::regex form(
        R"(^\s*([a-z_0-9]+)\[([a-z0-9-]+)\]\s*(<=|>=|==|!=|<|>)\s*(?:([a-z_0-9]+)\[([a-z0-9-]+)\]|(-?[0-9.]+(?:[eE][-+]?[0-9]+)?))\s*$)");
    const auto& metrics = sweep_metrics();
    for (std::size_t i = 0; i < doc.at("expect").size(); ++i) {
        const std::string text = doc["expect"][i].get<std::string>();
        const std::string p = fmt::format("/expect/{}", i);
        std::smatch m;
        if (!std::regex_match(text, m, form)) {
            throw ScenarioError(s.file, p,
                                fmt::format("expected \"metric[strategy] OP metric[strategy]\" or "
                                            "\"metric[strategy] OP number\", got \"{}\"",
                                            text));
        }
        SweepExpectation e{text, m[1], m[2], m[3], m[6].matched, 0, m[4], m[5]};
        if (e.against_number) {
            e.number = std::stod(m[6]);
        }
        for (const auto& [metric, strategy] :
             {std::pair{e.metric, e.strategy}, std::pair{e.rhs_metric, e.rhs_strategy}}) {
            if (metric.empty()) {
                continue;
            }
            if (std::find(metrics.begin(), metrics.end(), metric) == metrics.end()) {
                throw ScenarioError(s.file, p,
                                    fmt::format("unknown metric \"{}\" (known: {})", metric,
                                                fmt::join(metrics, ", ")));
            }
            if (std::find(s.strategies.begin(), s.strategies.end(), strategy) ==
                s.strategies.end()) {
                throw ScenarioError(s.file, p,
                                    fmt::format("strategy \"{}\" is not in /strategies", strategy));
            }
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
        EventEstimate e = estimate_events(sc);
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

SweepValues run_sweep_values(const SweepSpec& spec, unsigned jobs,
                             const std::function<void(std::size_t, std::size_t)>& progress,
                             std::size_t shard, std::size_t shards, SweepValues done_before,
                             const std::atomic<bool>* stop) {
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
    std::exception_ptr error;
    std::mutex error_mutex;
    auto worker = [&] {
        for (std::size_t k = next++; k < total; k = next++) {
            if (stop != nullptr && stop->load()) {
                ++done;
                continue;
            }
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
                std::vector<double> v;
                for (const auto& m : sweep_metrics()) {
                    v.push_back(sweep_metric(row, m));
                }
                values[i] = std::move(v);
            } catch (...) {
                const std::lock_guard<std::mutex> lock(error_mutex);
                if (!error) {
                    error = std::current_exception();
                }
            }
            ++done;
        }
    };
    std::vector<std::thread> threads;
    for (unsigned t = 1; t < std::max(1u, jobs); ++t) {
        threads.emplace_back(worker);
    }
    std::thread main_share(worker);
    while (done.load() < total) {
        if (progress) {
            progress(done.load(), total);
        }
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

SweepOutcome summarize_sweep(const SweepSpec& spec, const SweepValues& values) {
    const auto points = points_of(spec);
    const std::size_t S = spec.strategies.size();
    const auto R = static_cast<std::size_t>(spec.replications);
    SweepOutcome out;
    out.runs = values.size();
    const auto& metrics = sweep_metrics();
    std::string axes_header;
    for (const auto& a : spec.axes) {
        axes_header += "," + a.pointer;
    }
    out.runs_csv = "point" + axes_header + ",strategy,replication,seed";
    out.points_csv = "point" + axes_header + ",strategy,n";
    for (const auto& m : metrics) {
        out.runs_csv += "," + m;
        out.points_csv += fmt::format(",{0}_mean,{0}_ci95_low,{0}_ci95_high", m);
    }
    out.runs_csv += "\n";
    out.points_csv += "\n";
    const auto base_seed = spec.base.value("seed", std::uint64_t{1});
    // strategy -> metric -> mean, per point (kept for the fits)
    std::vector<std::map<std::string, std::map<std::string, double>>> means(points.size());
    for (std::size_t p = 0; p < points.size(); ++p) {
        std::string axes_cells;
        for (std::size_t a = 0; a < spec.axes.size(); ++a) {
            axes_cells += "," + cell(spec.axes[a].values[points[p][a]]);
        }
        std::map<std::string, std::map<std::string, double>>& mean = means[p];
        for (std::size_t st = 0; st < S; ++st) {
            std::string line = fmt::format("{}{},{},{}", p, axes_cells, spec.strategies[st], R);
            for (std::size_t mi = 0; mi < metrics.size(); ++mi) {
                const auto& m = metrics[mi];
                stats::Tally xs;
                for (std::size_t r = 0; r < R; ++r) {
                    xs.add(values[(p * S + st) * R + r].at(mi));
                }
                const stats::ConfidenceInterval ci = stats::mean_confidence_interval(xs, 0.95);
                mean[spec.strategies[st]][m] = ci.mean;
                if (R > 1) {
                    line += fmt::format(",{},{},{}", ci.mean, ci.low, ci.high);
                } else {
                    line += fmt::format(",{},,", ci.mean);
                }
            }
            out.points_csv += line + "\n";
            for (std::size_t r = 0; r < R; ++r) {
                const auto& row = values[(p * S + st) * R + r];
                out.runs_csv += fmt::format("{}{},{},{},{}", p, axes_cells, spec.strategies[st], r,
                                            base_seed + r);
                for (const double v : row) {
                    out.runs_csv += fmt::format(",{}", v);
                }
                out.runs_csv += "\n";
            }
        }
        for (const auto& e : spec.expect) {
            const double lhs = mean[e.strategy][e.metric];
            const double rhs = e.against_number ? e.number : mean[e.rhs_strategy][e.rhs_metric];
            const bool ok = e.op == "<"    ? lhs < rhs
                            : e.op == "<=" ? lhs <= rhs
                            : e.op == ">"  ? lhs > rhs
                            : e.op == ">=" ? lhs >= rhs
                            : e.op == "==" ? lhs == rhs
                                           : lhs != rhs;
            if (!ok) {
                out.violations.push_back(fmt::format("point {} ({}): {} is false ({} vs {})", p,
                                                     point_label(spec, points[p]), e.text, lhs,
                                                     rhs));
            }
        }
    }
    // Fits: only numeric axes, and only with more points than coefficients.
    std::vector<std::size_t> numeric;
    for (std::size_t a = 0; a < spec.axes.size(); ++a) {
        const auto& vs = spec.axes[a].values;
        if (std::all_of(vs.begin(), vs.end(), [](const json& v) { return v.is_number(); })) {
            numeric.push_back(a);
        }
    }
    out.fits_csv = "strategy,metric,intercept";
    for (const std::size_t a : numeric) {
        out.fits_csv += ",coef " + spec.axes[a].pointer;
    }
    out.fits_csv += ",r2,points\n";
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
        for (const auto& strategy : spec.strategies) {
            for (const std::string metric : {"write_blocked_s", "tps_mean", "p99_ms", "backup_s"}) {
                Eigen::VectorXd y(n);
                for (Eigen::Index i = 0; i < n; ++i) {
                    y(i) = means[static_cast<std::size_t>(i)][strategy][metric];
                }
                const Eigen::VectorXd b = qr.solve(y);
                const double mean_y = y.mean();
                const double ss_tot = (y.array() - mean_y).square().sum();
                const double ss_res = (X * b - y).squaredNorm();
                const double r2 = ss_tot > 0 ? 1.0 - ss_res / ss_tot : 1.0;
                out.fits_csv += fmt::format("{},{},{}", strategy, metric, b(0));
                std::string formula = fmt::format("{:.4g}", b(0));
                for (Eigen::Index k = 1; k < cols; ++k) {
                    out.fits_csv += fmt::format(",{}", b(k));
                    formula +=
                        fmt::format(" {:+.4g} x {}", b(k),
                                    spec.axes[numeric[static_cast<std::size_t>(k - 1)]].pointer);
                }
                out.fits_csv += fmt::format(",{},{}\n", r2, n);
                if (metric == "write_blocked_s") {
                    out.fit_lines.push_back(
                        fmt::format("{} write_blocked_s ~ {} (R^2 {:.3f})", strategy, formula, r2));
                }
            }
        }
    }
    return out;
}

}  // namespace lockstage::app
