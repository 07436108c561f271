#include "app/experiments/html_report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <map>

#include "lockstage_version.hpp"

namespace lockstage::app {

namespace {

// --- Text ----------------------------------------------------------------------------------

/// A fixed-point number for SVG coordinates and printed figures.
std::string fixed(double v, int decimals) {
    if (v == 0.0) {
        v = 0.0;  // no "-0.0"
    }
    return fmt::format("{:.{}f}", v, decimals);
}

std::string px(double v) {
    return fixed(v, 1);
}

/// A short name for a backup lock statement on a chart: "BACKUP STAGE BLOCK_DDL" -> "BLOCK_DDL".
std::string short_statement(const std::string& sql) {
    constexpr std::string_view prefix = "BACKUP STAGE ";
    if (sql.rfind(prefix, 0) == 0) {
        return sql.substr(prefix.size());
    }
    return sql.size() > 24 ? sql.substr(0, 22) + "..." : sql;
}

constexpr const char* kSeriesColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b",
                                         "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr const char* kBandColors[] = {"#fdb863", "#92c5de", "#f4a582", "#b2abd2",
                                       "#a6dba0", "#d9d9d9", "#c2a5cf", "#fddbc7"};

const char* series_color(std::size_t i) {
    return kSeriesColors[i % std::size(kSeriesColors)];
}
const char* band_color(std::size_t i) {
    return kBandColors[i % std::size(kBandColors)];
}

// --- Charts --------------------------------------------------------------------------------

struct Axis {
    double lo = 0;
    double hi = 1;
    bool log = false;
    std::string label;
};

/// A step series: value `values[i]` on [x0 + i * width, x0 + (i + 1) * width).
struct Steps {
    std::string name;
    const char* color;
    double x0;
    double width;
    std::vector<double> values;
};

/// A shaded stretch of the x axis: the time a lock was held (solid) or waited for (`waiting`,
/// pale and dashed).
struct Band {
    double from;
    double to;
    std::string label;
    std::string title;
    const char* color;
    bool waiting;
};

/// Ticks at 1, 2 or 5 times a power of ten (linear) or at powers of ten (log), with their labels.
std::vector<std::pair<double, std::string>> ticks(const Axis& a) {
    std::vector<std::pair<double, std::string>> out;
    if (a.log) {
        const int from = static_cast<int>(std::floor(std::log10(a.lo) + 1e-9));
        const int to = static_cast<int>(std::ceil(std::log10(a.hi) - 1e-9));
        for (int k = from; k <= to; ++k) {
            const double v = std::pow(10.0, k);
            if (v >= a.lo * (1 - 1e-9) && v <= a.hi * (1 + 1e-9)) {
                out.emplace_back(v, fixed(v, std::max(0, -k)));
            }
        }
        return out;
    }
    const double raw = (a.hi - a.lo) / 6;
    const double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double step = mag;
    for (const double m : {1.0, 2.0, 5.0, 10.0}) {
        if (m * mag >= raw) {
            step = m * mag;
            break;
        }
    }
    const int decimals = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
    for (auto k = static_cast<long long>(std::ceil(a.lo / step - 1e-9));
         static_cast<double>(k) * step <= a.hi + 1e-9 * step; ++k) {
        const double v = static_cast<double>(k) * step;
        out.emplace_back(v, fixed(v, decimals));
    }
    return out;
}

/// One SVG chart: axes with ticks, shaded bands, step series, bars, marker lines.
class Chart {
  public:
    Chart(int width, int height, Axis x, Axis y, std::string kind)
        : w_(width), h_(height), x_(std::move(x)), y_(std::move(y)), kind_(std::move(kind)) {}

    void band(const Band& b) {
        const double from = std::max(b.from, x_.lo);
        const double to = std::min(b.to, x_.hi);
        if (to < from) {
            return;
        }
        const double x0 = sx(from);
        const double x1 = std::max(sx(to), x0 + 1.0);
        fmt::format_to(std::back_inserter(body_),
                       "<g class=\"stage\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" "
                       "height=\"{}\" fill=\"{}\" fill-opacity=\"{}\"{}/>",
                       html_escape(b.title), px(x0), kTop, px(x1 - x0), px(plot_h()), b.color,
                       b.waiting ? "0.25" : "0.6",
                       b.waiting ? " stroke=\"#888\" stroke-dasharray=\"3,3\"" : "");
        if (!b.label.empty()) {
            // Labels alternate between two rows above the plot so that neighbours do not overlap.
            const double row = (labels_++ % 2 == 0) ? 11.0 : 23.0;
            fmt::format_to(std::back_inserter(body_),
                           "<text x=\"{}\" y=\"{}\" class=\"band-label\">{}</text>", px(x0), row,
                           html_escape(b.label));
        }
        body_ += "</g>";
    }

    void steps(const Steps& s) {
        std::string d;
        bool open = false;
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            const double a = std::max(s.x0 + static_cast<double>(i) * s.width, x_.lo);
            const double b = std::min(s.x0 + static_cast<double>(i + 1) * s.width, x_.hi);
            if (b <= a) {
                continue;
            }
            const double y = sy(s.values[i]);
            if (!open) {
                d += fmt::format("M{},{}", px(sx(a)), px(y));
                open = true;
            } else {
                d += fmt::format("V{}", px(y));
            }
            d += fmt::format("H{}", px(sx(b)));
        }
        if (open) {
            fmt::format_to(std::back_inserter(body_),
                           "<path class=\"series\" d=\"{}\" stroke=\"{}\"><title>{}</title></path>",
                           d, s.color, html_escape(s.name));
        }
    }

    /// A bar over [x0, x1) from the bottom of the plot to y.
    void bar(double x0, double x1, double y, const char* color, const std::string& title) {
        const double a = sx(std::max(x0, x_.lo));
        const double b = sx(std::min(x1, x_.hi));
        const double top = sy(y);
        fmt::format_to(std::back_inserter(body_),
                       "<rect class=\"bar\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" "
                       "fill=\"{}\"><title>{}</title></rect>",
                       px(a), px(top), px(std::max(b - a, 0.5)), px(kTop + plot_h() - top), color,
                       html_escape(title));
    }

    /// A dashed vertical line at x, labelled.
    void marker(double x, const std::string& label) {
        if (x < x_.lo || x > x_.hi) {
            return;
        }
        // The label reads to the right of the line, or to its left near the right edge.
        const bool left = sx(x) > w_ - kRight - 7.0 * static_cast<double>(label.size());
        fmt::format_to(std::back_inserter(body_),
                       "<line class=\"marker\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                       "<text x=\"{3}\" y=\"{4}\" class=\"marker-label\"{5}>{6}</text>",
                       px(sx(x)), kTop, px(kTop + plot_h()), px(sx(x) + (left ? -3 : 3)), kTop + 10,
                       left ? " text-anchor=\"end\"" : "", html_escape(label));
    }

    std::string svg(const std::string& title) const {
        std::string out = fmt::format(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart {}\" width=\"{}\" "
            "height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\"><title>{}</title>",
            kind_, w_, h_, w_, h_, html_escape(title));
        out += body_;
        // Axes on top of the bands.
        const double bottom = kTop + plot_h();
        fmt::format_to(std::back_inserter(out), "<path class=\"axis\" d=\"M{0},{1}V{2}H{3}\"/>",
                       kLeft, kTop, px(bottom), w_ - kRight);
        for (const auto& [v, text] : ticks(x_)) {
            const double x = sx(v);
            fmt::format_to(std::back_inserter(out),
                           "<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/>"
                           "<text x=\"{0}\" y=\"{3}\" class=\"xt\">{4}</text>",
                           px(x), px(bottom), px(bottom + 4), px(bottom + 15), text);
        }
        for (const auto& [v, text] : ticks(y_)) {
            const double y = sy(v);
            fmt::format_to(std::back_inserter(out),
                           "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/>"
                           "<text x=\"{3}\" y=\"{4}\" class=\"yt\">{5}</text>",
                           kLeft, px(y), w_ - kRight, kLeft - 4, px(y + 3), text);
        }
        fmt::format_to(std::back_inserter(out),
                       "<text x=\"{}\" y=\"{}\" class=\"xl\">{}</text>"
                       "<text x=\"12\" y=\"{}\" class=\"yl\" transform=\"rotate(-90 12 {})\">{}"
                       "</text></svg>",
                       px(kLeft + plot_w() / 2), h_ - 4, html_escape(x_.label),
                       px(kTop + plot_h() / 2), px(kTop + plot_h() / 2), html_escape(y_.label));
        return out;
    }

  private:
    static constexpr int kLeft = 56;
    static constexpr int kRight = 24;
    static constexpr int kTop = 30;
    static constexpr int kBottom = 36;
    double plot_w() const { return w_ - kLeft - kRight; }
    double plot_h() const { return h_ - kTop - kBottom; }
    static double to_axis(const Axis& a, double v) {
        if (a.log) {
            const double lv = std::log10(std::max(v, a.lo));
            return (lv - std::log10(a.lo)) / (std::log10(a.hi) - std::log10(a.lo));
        }
        return (v - a.lo) / (a.hi - a.lo);
    }
    double sx(double v) const { return kLeft + plot_w() * std::clamp(to_axis(x_, v), 0.0, 1.0); }
    double sy(double v) const {
        return kTop + plot_h() * (1.0 - std::clamp(to_axis(y_, v), 0.0, 1.0));
    }

    int w_;
    int h_;
    Axis x_;
    Axis y_;
    std::string kind_;
    std::string body_;
    std::size_t labels_ = 0;
};

/// The top of a linear axis for values up to `v`: a little headroom, never 0.
double linear_top(double v) {
    return v > 0 ? v * 1.08 : 1.0;
}

// --- A mariadb run's pieces ---------------------------------------------------------------

double max_commit_rate(const ReportRun& r) {
    double top = 0;
    for (const auto& g : r.groups) {
        for (const double n : g.commits) {
            top = std::max(top, n / sim::to_seconds(g.interval));
        }
    }
    return top;
}

/// The backup's lock stages as bands: the wait for each lock, then the time it was held.
std::vector<Band> stage_bands(const ReportRun& r, const Axis& x, int width) {
    std::vector<Band> out;
    const double px_per_s = (width - 70) / (x.hi - x.lo);
    if (r.window) {  // the whole backup, under its lock statements
        out.push_back(
            {sim::to_seconds(r.window->first), sim::to_seconds(r.window->second), "",
             fmt::format("backup window: {} s to {} s", fixed(sim::to_seconds(r.window->first), 3),
                         fixed(sim::to_seconds(r.window->second), 3)),
             "#bbbbbb", true});
    }
    for (std::size_t i = 0; i < r.stages.size(); ++i) {
        const auto& st = r.stages[i];
        const double requested = sim::to_seconds(st.requested);
        const double granted =
            st.granted ? sim::to_seconds(*st.granted) : sim::to_seconds(r.duration);
        const double released =
            st.released ? sim::to_seconds(*st.released) : sim::to_seconds(r.duration);
        const std::string name = short_statement(st.statement);
        const std::string number = fmt::format("{}", i + 1);
        if (granted > requested) {
            out.push_back(
                {requested, granted, "",
                 fmt::format("{}: waiting {} s", st.statement, fixed(granted - requested, 3)),
                 band_color(i), true});
        }
        if (st.granted) {
            const bool room =
                (released - granted) * px_per_s >= 7.0 * static_cast<double>(name.size());
            out.push_back({granted, std::max(released, granted), room ? name : number,
                           fmt::format("{} ({}): held {} s to {} s", st.statement, number,
                                       fixed(granted, 3), fixed(released, 3)),
                           band_color(i), false});
        }
    }
    return out;
}

/// The x axis of the zoom: the backup window (of every run) with a margin of a tenth of it (at
/// least one timeline interval) each side, inside the run.
std::optional<Axis> zoom_axis(const std::vector<const ReportRun*>& runs) {
    std::optional<std::pair<double, double>> span;
    double interval = 0;
    double duration = 0;
    for (const auto* r : runs) {
        duration = std::max(duration, sim::to_seconds(r->duration));
        for (const auto& g : r->groups) {
            interval = std::max(interval, sim::to_seconds(g.interval));
        }
        // The backup's window, or without a backup actor the span of the lock statements.
        std::optional<std::pair<double, double>> own;
        if (r->window) {
            own = std::pair{sim::to_seconds(r->window->first), sim::to_seconds(r->window->second)};
        } else if (!r->stages.empty()) {
            const auto& last = r->stages.back();
            own = std::pair{sim::to_seconds(r->stages.front().requested),
                            sim::to_seconds(last.released.value_or(r->duration))};
        }
        if (own) {
            span = span ? std::pair{std::min(span->first, own->first),
                                    std::max(span->second, own->second)}
                        : *own;
        }
    }
    if (!span) {
        return std::nullopt;
    }
    const double margin = std::max((span->second - span->first) / 10, interval);
    const double lo = std::max(0.0, span->first - margin);
    const double hi = std::min(duration, span->second + margin);
    if (hi <= lo) {
        return std::nullopt;
    }
    return Axis{lo, hi, false, "simulated time (s), zoomed on the backup window"};
}

std::string legend(const ReportRun& r) {
    std::string out = "<div class=\"legend\">";
    for (std::size_t i = 0; i < r.groups.size(); ++i) {
        fmt::format_to(std::back_inserter(out), "<span><i style=\"background:{}\"></i>{}</span>",
                       series_color(i), html_escape(r.groups[i].name));
    }
    return out + "</div>";
}

std::string commits_chart(const ReportRun& r, const Axis& x, double y_top, int width,
                          const std::string& title) {
    Chart c(width, 260, x, {0, linear_top(y_top), false, "commits/s"}, "commits");
    for (const auto& b : stage_bands(r, x, width)) {
        c.band(b);
    }
    for (std::size_t i = 0; i < r.groups.size(); ++i) {
        const auto& g = r.groups[i];
        std::vector<double> rate;
        for (const double n : g.commits) {
            rate.push_back(n / sim::to_seconds(g.interval));
        }
        c.steps({g.name, series_color(i), 0.0, sim::to_seconds(g.interval), std::move(rate)});
    }
    return c.svg(title) + legend(r);
}

std::string depth_chart(const ReportRun& r, const Axis& x, double y_top, int width,
                        const std::string& title) {
    Chart c(width, 200, x, {0, linear_top(y_top), false, "sessions waiting"}, "queue-depth");
    for (const auto& b : stage_bands(r, x, width)) {
        c.band(b);
    }
    std::vector<double> v(r.depth.begin(), r.depth.end());
    c.steps({"sessions waiting for a lock", "#333", 0.0, sim::to_seconds(r.depth_interval),
             std::move(v)});
    if (r.depth_peak > 0) {
        c.marker(sim::to_seconds(r.depth_peak_at), fmt::format("peak {}", r.depth_peak));
    }
    return c.svg(title);
}

std::string stage_table(const ReportRun& r) {
    if (r.stages.empty()) {
        return "<p class=\"note\">No backup lock statements in this run.</p>";
    }
    std::string out =
        "<table class=\"stages\"><thead><tr><th>#</th><th>statement</th><th>requested (s)</th>"
        "<th>granted (s)</th><th>released (s)</th><th>waited (s)</th><th>error</th></tr></thead>"
        "<tbody>";
    auto cell = [](const std::optional<sim::Time>& t) {
        return t ? fixed(sim::to_seconds(*t), 3) : std::string("-");
    };
    for (std::size_t i = 0; i < r.stages.size(); ++i) {
        const auto& st = r.stages[i];
        fmt::format_to(std::back_inserter(out),
                       "<tr><td><i class=\"swatch\" style=\"background:{}\"></i>{}</td><td>{}</td>"
                       "<td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                       band_color(i), i + 1, html_escape(st.statement),
                       fixed(sim::to_seconds(st.requested), 3), cell(st.granted), cell(st.released),
                       st.granted ? fixed(sim::to_seconds(*st.granted - st.requested), 3) : "-",
                       html_escape(st.error));
    }
    return out + "</tbody></table>";
}

/// Latency histograms on log axes: bins of a tenth of a decade (ms), counts on a log scale.
struct LatencyScale {
    Axis x{0.001, 1000, true, "latency (ms)"};
    double top = 10;
};

int bin_of(double ms) {
    return static_cast<int>(std::floor(std::log10(ms) * 10 + 1e-9));
}

std::map<int, std::uint64_t> latency_bins(const stats::Histogram& h) {
    std::map<int, std::uint64_t> bins;
    for (const auto& b : h.buckets()) {
        const double lower_ms = std::max(static_cast<double>(b.lower), 1.0) / 1e6;
        bins[bin_of(lower_ms)] += b.count;
    }
    return bins;
}

LatencyScale latency_scale(const std::vector<const stats::Histogram*>& hs) {
    std::optional<int> lo;
    std::optional<int> hi;
    std::uint64_t top = 1;
    for (const auto* h : hs) {
        for (const auto& [bin, n] : latency_bins(*h)) {
            lo = lo ? std::min(*lo, bin) : bin;
            hi = hi ? std::max(*hi, bin) : bin;
            top = std::max(top, n);
        }
    }
    LatencyScale s;
    if (lo) {
        s.x.lo = std::pow(10.0, std::floor(*lo / 10.0));
        s.x.hi = std::pow(10.0, std::floor(*hi / 10.0) + 1);
    }
    s.top = std::pow(10.0, std::ceil(std::log10(static_cast<double>(top)) + 1e-9));
    return s;
}

std::string latency_chart(const stats::Histogram& h, const LatencyScale& scale,
                          std::optional<double> p99_ms, int width, const std::string& title,
                          const char* color) {
    Chart c(width, 200, scale.x, {0.5, scale.top, true, "requests"}, "latency");
    for (const auto& [bin, n] : latency_bins(h)) {
        const double a = std::pow(10.0, bin / 10.0);
        const double b = std::pow(10.0, (bin + 1) / 10.0);
        c.bar(a, b, static_cast<double>(n), color,
              fmt::format("{} requests between {} and {} ms", n, fixed(a, 3), fixed(b, 3)));
    }
    if (p99_ms) {
        c.marker(*p99_ms, "p99 " + fixed(*p99_ms, 2) + " ms");
    }
    return c.svg(title);
}

/// The wait-for graph at the queue's peak: waiters on the left, the sessions they wait for to
/// their right (columns by distance from a session that waits for nobody). Large graphs are
/// listed instead.
std::string wait_graph(const models::server::WaitGraph& g, int width) {
    if (g.nodes.empty()) {
        return "<p class=\"note\">No session waited for a lock.</p>";
    }
    const std::size_t n = g.nodes.size();
    std::vector<std::vector<std::size_t>> waits_for(n);
    std::vector<std::vector<std::size_t>> waited_by(n);
    for (const auto& [from, to] : g.edges) {
        waits_for[from].push_back(to);
        waited_by[to].push_back(from);
    }
    auto label = [&](std::size_t i) {
        const auto& node = g.nodes[i];
        return fmt::format("{}: {}{}", node.name, node.kind, node.busy ? "" : " (idle)");
    };
    constexpr std::size_t kMaxDrawn = 40;
    if (n > kMaxDrawn) {
        std::string out = fmt::format(
            "<p class=\"note\">{} sessions at t = {} s: too many to draw; who waited for whom:</p>"
            "<table class=\"waits\"><thead><tr><th>session</th><th>statement</th><th>state</th>"
            "<th>waits for</th></tr></thead><tbody>",
            n, fixed(sim::to_seconds(g.at), 3));
        constexpr std::size_t kMaxRows = 200;
        for (std::size_t i = 0; i < std::min(n, kMaxRows); ++i) {
            std::string targets;
            for (const auto t : waits_for[i]) {
                targets += (targets.empty() ? "" : ", ") + g.nodes[t].name;
            }
            fmt::format_to(std::back_inserter(out),
                           "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                           html_escape(g.nodes[i].name), html_escape(g.nodes[i].kind),
                           html_escape(g.nodes[i].state), html_escape(targets));
        }
        out += "</tbody></table>";
        if (n > kMaxRows) {
            out += fmt::format("<p class=\"note\">and {} more sessions.</p>", n - kMaxRows);
        }
        return out;
    }
    // Column: 0 for a session that waits for nobody, else 1 + the smallest column of those it
    // waits for (breadth first from the column-0 sessions; a session only in a cycle gets 1).
    std::vector<int> column(n, -1);
    std::deque<std::size_t> todo;
    for (std::size_t i = 0; i < n; ++i) {
        if (waits_for[i].empty()) {
            column[i] = 0;
            todo.push_back(i);
        }
    }
    while (!todo.empty()) {
        const std::size_t i = todo.front();
        todo.pop_front();
        for (const auto w : waited_by[i]) {
            if (column[w] < 0) {
                column[w] = column[i] + 1;
                todo.push_back(w);
            }
        }
    }
    int columns = 1;
    for (auto& c : column) {
        c = c < 0 ? 1 : c;
        columns = std::max(columns, c + 1);
    }
    std::vector<int> row(n, 0);
    std::vector<int> rows_in(static_cast<std::size_t>(columns), 0);
    for (std::size_t i = 0; i < n; ++i) {
        row[i] = rows_in[static_cast<std::size_t>(column[i])]++;
    }
    const int rows = *std::max_element(rows_in.begin(), rows_in.end());
    constexpr int kNodeW = 190;
    constexpr int kNodeH = 40;
    constexpr int kGapY = 12;
    const int gap_x =
        columns > 1 ? std::max(40, (width - 20 - columns * kNodeW) / (columns - 1)) : 0;
    const int w = std::max(width, 20 + columns * kNodeW + (columns - 1) * gap_x);
    const int h = 30 + rows * (kNodeH + kGapY);
    // Waiters left: column c is drawn at position columns - 1 - c.
    // What fits in a node's box (the full label is its tooltip).
    auto fit = [](const std::string& text) {
        return text.size() > 30 ? text.substr(0, 28) + "..." : text;
    };
    auto nx = [&](std::size_t i) { return 10 + (columns - 1 - column[i]) * (kNodeW + gap_x); };
    auto ny = [&](std::size_t i) { return 24 + row[i] * (kNodeH + kGapY); };
    std::string out = fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart wait-graph\" width=\"{0}\" "
        "height=\"{1}\" viewBox=\"0 0 {0} {1}\" role=\"img\"><title>who waited for whom at t = "
        "{2} s</title><text x=\"10\" y=\"14\" class=\"note\">t = {2} s; arrow: waits for</text>",
        w, h, fixed(sim::to_seconds(g.at), 3));
    for (const auto& [from, to] : g.edges) {
        const int x1 = nx(from) + kNodeW;
        const int y1 = ny(from) + kNodeH / 2;
        const int x2 = nx(to);
        const int y2 = ny(to) + kNodeH / 2;
        // An edge to a node in the same or an earlier drawn column (a cycle) bends below.
        const std::string d =
            x2 > x1
                ? fmt::format("M{},{}L{},{}", x1, y1, x2, y2)
                : fmt::format("M{},{}C{},{} {},{} {},{}", nx(from) + kNodeW / 2, ny(from) + kNodeH,
                              nx(from) + kNodeW / 2, ny(from) + kNodeH + 30, x2 + kNodeW / 2,
                              y2 + kNodeH / 2 + 30, x2 + kNodeW / 2, y2 + kNodeH / 2);
        fmt::format_to(std::back_inserter(out),
                       "<path class=\"edge\" d=\"{}\"><title>{} waits for {}</title></path>", d,
                       html_escape(g.nodes[from].name), html_escape(g.nodes[to].name));
        if (x2 > x1) {  // the arrow head
            fmt::format_to(std::back_inserter(out), "<path class=\"head\" d=\"M{},{}l-8,-4v8z\"/>",
                           x2, y2);
        }
    }
    for (std::size_t i = 0; i < n; ++i) {
        const auto& node = g.nodes[i];
        fmt::format_to(
            std::back_inserter(out),
            "<g class=\"node{}\"><title>{}</title><rect x=\"{}\" y=\"{}\" width=\"{}\" "
            "height=\"{}\" rx=\"4\"/><text x=\"{}\" y=\"{}\">{}</text><text x=\"{}\" "
            "y=\"{}\" class=\"state\">{}</text></g>",
            node.state.empty() ? "" : " waiting", html_escape(label(i)), nx(i), ny(i), kNodeW,
            kNodeH, nx(i) + 6, ny(i) + 16, html_escape(fit(label(i))), nx(i) + 6, ny(i) + 32,
            html_escape(node.state.empty() ? std::string_view("not waiting") : node.state));
    }
    return out + "</svg>";
}

std::string verdict(const ReportRun& r) {
    if (!r.has_backup) {
        return r.stages.empty()
                   ? "<p class=\"verdict none\" data-verdict=\"no-backup\">No backup in this "
                     "scenario.</p>"
                   : "<p class=\"verdict none\" data-verdict=\"no-backup\">No copy to judge: the "
                     "backup's locks are taken by a scripted session named backup.</p>";
    }
    std::string out;
    if (!r.finished) {
        out =
            fmt::format("<p class=\"verdict bad\" data-verdict=\"failed\">Backup {} FAILED: {}</p>",
                        html_escape(r.strategy), html_escape(r.failure));
    } else if (r.consistent) {
        out = fmt::format(
            "<p class=\"verdict ok\" data-verdict=\"consistent\">Backup {} finished: a consistent "
            "copy.</p>",
            html_escape(r.strategy));
    } else {
        out = fmt::format(
            "<p class=\"verdict bad\" data-verdict=\"inconsistent\">Backup {} finished: NOT a "
            "consistent copy.</p>",
            html_escape(r.strategy));
    }
    if (!r.inconsistencies.empty()) {
        out += "<ul class=\"inconsistencies\">";
        for (const auto& i : r.inconsistencies) {
            out += "<li>" + html_escape(i) + "</li>";
        }
        out += "</ul>";
    }
    return out;
}

// --- The page ------------------------------------------------------------------------------

constexpr const char* kStyle = R"(
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222;max-width:none}
h1{font-size:1.5em;margin:0 0 .2em}h2{font-size:1.15em;margin:1.6em 0 .4em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:.6em 0 .2em}
.sub,.note{color:#555}
table{border-collapse:collapse;margin:.4em 0}
th,td{border:1px solid #ddd;padding:2px 8px;text-align:left;vertical-align:top}
td.v{text-align:right;font-variant-numeric:tabular-nums}
thead th{background:#f3f3f3}
.row{display:flex;gap:16px;overflow-x:auto;align-items:flex-start}
.col{flex:0 0 auto}
.col.fixed{width:460px}.col.fixed table{font-size:12px}
svg.chart{display:block;background:#fff}
svg .axis{fill:none;stroke:#333}
svg .tick{stroke:#333}
svg .grid{stroke:#eee}
svg .series{fill:none;stroke-width:1.5}
svg .marker{stroke:#c00;stroke-dasharray:4,3}
svg text{font:11px system-ui,sans-serif;fill:#333}
svg .xt{text-anchor:middle}svg .yt{text-anchor:end}
svg .xl,svg .yl{text-anchor:middle}
svg .marker-label{fill:#c00}
svg .band-label{font-size:10px}
svg .edge{fill:none;stroke:#666}svg .head{fill:#666}
svg .node rect{fill:#eef;stroke:#669}svg .node.waiting rect{fill:#fee;stroke:#c66}
svg .state{fill:#666;font-size:10px}
.legend span{margin-right:1em}.legend i,.swatch{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:middle}
.verdict{font-weight:bold;padding:4px 8px;display:inline-block}
.verdict.ok{background:#e6f4e6}.verdict.bad{background:#fbe3e3}.verdict.none{background:#eee}
)";

std::string page_head(const std::string& title) {
    return fmt::format(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n"
        "<style>{}</style>\n</head>\n<body>\n",
        html_escape(title), kStyle);
}

std::string page_foot() {
    return fmt::format("<p class=\"note\">Written by lockstage {}.</p>\n</body>\n</html>\n",
                       html_escape(LOCKSTAGE_VERSION));
}

/// A value cell of a metric table: the printed value, and the exact one in data-value.
std::string value_cell(const Metric& m, std::optional<double> v, const std::string& group,
                       const std::string& strategy) {
    return fmt::format(
        "<td class=\"v\" data-metric=\"{}\" data-group=\"{}\"{} data-value=\"{}\">{}</td>",
        html_escape(m.name), html_escape(group),
        strategy.empty() ? "" : fmt::format(" data-strategy=\"{}\"", html_escape(strategy)),
        csv_value(v), html_escape(text_value(m, v)));
}

std::string metric_name_cell(const Metric& m, const std::string& group) {
    return fmt::format("<th title=\"{}\">{}{}</th><td>{}</td><td>{}</td>",
                       html_escape(m.definition), html_escape(m.name),
                       group.empty() ? "" : "[" + html_escape(group) + "]", html_escape(m.unit),
                       html_escape(m.window));
}

std::string run_metric_table(const MetricValues& v) {
    std::string out =
        "<table class=\"metrics\"><thead><tr><th>metric</th><th>unit</th><th>window</th>"
        "<th>run / all groups</th>";
    for (const auto& g : v.groups) {
        out += "<th>" + html_escape(g) + "</th>";
    }
    out += "</tr></thead><tbody>";
    for (const auto& c : metric_columns(v.groups, true)) {
        if (!c.group.empty()) {
            continue;  // a group's value is a cell of the metric's row
        }
        const Metric& m = *c.metric;
        out += "<tr>" + metric_name_cell(m, "") + value_cell(m, v.get(m.name), "", "");
        for (const auto& g : v.groups) {
            out += m.scope == Scope::Group ? value_cell(m, v.get(m.name, g), g, "") : "<td></td>";
        }
        out += "</tr>";
    }
    return out + "</tbody></table>";
}

std::string group_color_legend_note() {
    return "<p class=\"note\">Shaded: grey and dashed, the backup window; in colour, the "
           "backup's lock statements, pale and dashed while waiting for the lock, solid while "
           "holding it (numbered as in the table); hover for times.</p>";
}

}  // namespace

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

ReportRun report_run(const Scenario& s, const MariadbRun& run) {
    ReportRun r;
    for (const auto& g : run.workload.groups) {
        r.groups.push_back({g.name, g.commits_per_interval.interval(),
                            g.commits_per_interval.values(), g.latency});
    }
    r.stages = backup_stages(run);
    r.window = backup_window(s, run);
    r.duration = s.duration;
    r.depth_interval = run.queue_depth.row_interval;
    r.depth = run.queue_depth.row_totals;
    r.depth_peak = run.queue_depth.peak;
    r.depth_peak_at = run.queue_depth.peak_at;
    r.peak_graph = run.queue_depth.peak_graph;
    r.flavor = std::string(models::server::traits(s.server.flavor).name);
    if (run.backup) {
        r.has_backup = true;
        r.strategy = run.backup->strategy;
        r.finished = run.backup->finished;
        r.consistent = run.backup->consistent();
        r.failure = run.backup->failure;
        for (const auto& i : run.backup->inconsistencies) {
            r.inconsistencies.push_back(i.table + ": " + i.reason);
        }
    }
    return r;
}

std::string compare_html(const Scenario& base, const std::vector<CompareColumn>& columns) {
    // Every strategy's chart of a section shares the scales of the others.
    constexpr int kWidth = 460;
    std::vector<const ReportRun*> runs;
    double commit_top = 0;
    double depth_top = 0;
    std::vector<const stats::Histogram*> hists;
    for (const auto& c : columns) {
        runs.push_back(c.run);
        commit_top = std::max(commit_top, max_commit_rate(*c.run));
        depth_top = std::max(depth_top, static_cast<double>(c.run->depth_peak));
        for (const auto& g : c.run->groups) {
            hists.push_back(&g.latency);
        }
    }
    const LatencyScale lat = latency_scale(hists);
    const Axis full{0, sim::to_seconds(base.duration), false, "simulated time (s)"};
    const auto zoom = zoom_axis(runs);
    const std::string title = fmt::format("lockstage compare: {}", base.name);
    std::string out = page_head(title);
    fmt::format_to(std::back_inserter(out),
                   "<h1>{}</h1>\n<p class=\"sub\">{} backup strategies side by side on the same "
                   "random streams and the same scales; seed {}, {} s simulated.</p>\n",
                   html_escape(title), columns.size(), base.seed,
                   fixed(sim::to_seconds(base.duration), 3));
    if (!base.description.empty()) {
        out += "<p class=\"description\">" + html_escape(base.description) + "</p>\n";
    }
    auto section = [&](const std::string& id, const std::string& heading,
                       const std::function<std::string(const CompareColumn&)>& body) {
        std::string s = fmt::format("<section id=\"{}\"><h2>{}</h2><div class=\"row\">", id,
                                    html_escape(heading));
        for (const auto& c : columns) {
            s += fmt::format(
                "<div class=\"col fixed\" data-strategy=\"{0}\"><h3>{0} <span "
                "class=\"note\">({1})</span></h3>",
                html_escape(c.run->strategy), html_escape(c.run->flavor));
            s += body(c) + "</div>";
        }
        return s + "</div></section>\n";
    };
    out += section("verdict", "Consistency verdict",
                   [](const CompareColumn& c) { return verdict(*c.run); });
    // The headline metrics: one row per column of compare.csv, one column per strategy.
    out +=
        "<section id=\"metrics\"><h2>Headline metrics</h2><table class=\"metrics\"><thead><tr>"
        "<th>metric</th><th>unit</th><th>window</th>";
    for (const auto& c : columns) {
        out += "<th>" + html_escape(c.run->strategy) + "</th>";
    }
    out += "</tr></thead><tbody>";
    const std::vector<std::string> groups =
        columns.empty() ? std::vector<std::string>{} : columns.front().values->groups;
    for (const auto& col : metric_columns(groups, true)) {
        out += "<tr>" + metric_name_cell(*col.metric, col.group);
        for (const auto& c : columns) {
            out += value_cell(*col.metric, c.values->get(col.metric->name, col.group), col.group,
                              c.run->strategy);
        }
        out += "</tr>";
    }
    out += "</tbody></table></section>\n";
    out += section("commits", "Commits per group over time", [&](const CompareColumn& c) {
        return commits_chart(*c.run, full, commit_top, kWidth, "commits per second by group") +
               stage_table(*c.run);
    });
    if (zoom) {
        out += section("zoom", "The backup window", [&](const CompareColumn& c) {
            return commits_chart(*c.run, *zoom, commit_top, kWidth,
                                 "commits per second, backup window") +
                   depth_chart(*c.run, *zoom, depth_top, kWidth, "lock queue, backup window");
        });
    }
    out += group_color_legend_note();
    out += section("queue-depth", "Lock queue depth", [&](const CompareColumn& c) {
        return depth_chart(*c.run, full, depth_top, kWidth, "sessions waiting for a lock");
    });
    out += section("latency", "Latency per group", [&](const CompareColumn& c) {
        std::string s;
        for (std::size_t i = 0; i < c.run->groups.size(); ++i) {
            const auto& g = c.run->groups[i];
            s += "<h3>" + html_escape(g.name) + "</h3>" +
                 latency_chart(g.latency, lat, c.values->get("p99_ms", g.name), kWidth,
                               "latency histogram of " + g.name, series_color(i));
        }
        return s;
    });
    out += section("wait-graph", "Who waited for whom at the lock queue's peak",
                   [&](const CompareColumn& c) { return wait_graph(c.run->peak_graph, kWidth); });
    return out + page_foot();
}

std::string run_html(const Scenario& s, const MetricValues& values, const ReportRun& r) {
    constexpr int kWidth = 940;
    const std::string title = fmt::format("lockstage run: {}", s.name);
    std::string out = page_head(title);
    fmt::format_to(std::back_inserter(out),
                   "<h1>{}</h1>\n<p class=\"sub\">{}{} server, seed {}, {} s simulated.</p>\n",
                   html_escape(title),
                   r.has_backup ? "backup strategy " + html_escape(r.strategy) + " on a " : "",
                   html_escape(r.flavor), s.seed, fixed(sim::to_seconds(s.duration), 3));
    if (!s.description.empty()) {
        out += "<p class=\"description\">" + html_escape(s.description) + "</p>\n";
    }
    out += "<section id=\"verdict\"><h2>Consistency verdict</h2>" + verdict(r) + "</section>\n";
    out += "<section id=\"metrics\"><h2>Headline metrics</h2>" + run_metric_table(values) +
           "<p class=\"note\">Hover a metric for its definition; <code>lockstage metrics</code> "
           "lists them all.</p></section>\n";
    const Axis full{0, sim::to_seconds(s.duration), false, "simulated time (s)"};
    const double commit_top = max_commit_rate(r);
    const double depth_top = r.depth_peak;
    out += "<section id=\"commits\"><h2>Commits per group over time</h2>";
    out += r.groups.empty()
               ? "<p class=\"note\">No client groups in this scenario.</p>"
               : commits_chart(r, full, commit_top, kWidth, "commits per second by group");
    out += group_color_legend_note() + stage_table(r) + "</section>\n";
    if (const auto zoom = zoom_axis({&r})) {
        out += "<section id=\"zoom\"><h2>The backup window</h2>";
        if (!r.groups.empty()) {
            out += commits_chart(r, *zoom, commit_top, kWidth, "commits per second, backup window");
        }
        out +=
            depth_chart(r, *zoom, depth_top, kWidth, "lock queue, backup window") + "</section>\n";
    }
    out += "<section id=\"queue-depth\"><h2>Lock queue depth</h2>" +
           depth_chart(r, full, depth_top, kWidth, "sessions waiting for a lock") + "</section>\n";
    out += "<section id=\"latency\"><h2>Latency per group</h2>";
    if (r.groups.empty()) {
        out += "<p class=\"note\">No client groups in this scenario.</p>";
    } else {
        std::vector<const stats::Histogram*> hists;
        for (const auto& g : r.groups) {
            hists.push_back(&g.latency);
        }
        const LatencyScale lat = latency_scale(hists);
        out += "<div class=\"row\">";
        for (std::size_t i = 0; i < r.groups.size(); ++i) {
            const auto& g = r.groups[i];
            out += "<div class=\"col\"><h3>" + html_escape(g.name) + "</h3>" +
                   latency_chart(g.latency, lat, values.get("p99_ms", g.name), 460,
                                 "latency histogram of " + g.name, series_color(i)) +
                   "</div>";
        }
        out += "</div>";
    }
    out += "</section>\n";
    out += "<section id=\"wait-graph\"><h2>Who waited for whom at the lock queue's peak</h2>" +
           wait_graph(r.peak_graph, kWidth) + "</section>\n";
    return out + page_foot();
}

std::string queue_html(const Scenario& s, const models::queue::QueueModelResult& r) {
    constexpr int kWidth = 940;
    const std::string title = fmt::format("lockstage run: {}", s.name);
    std::string out = page_head(title);
    fmt::format_to(std::back_inserter(out),
                   "<h1>{}</h1>\n<p class=\"sub\">queue model, {} connections, seed {}, {} s "
                   "simulated ({} s warm-up).</p>\n",
                   html_escape(title), s.queue.connections, s.seed,
                   fixed(sim::to_seconds(s.duration), 3), fixed(sim::to_seconds(s.warmup), 3));
    if (!s.description.empty()) {
        out += "<p class=\"description\">" + html_escape(s.description) + "</p>\n";
    }
    const double measured_s = sim::to_seconds(r.measured);
    const std::pair<const char*, std::string> figures[] = {
        {"requests arrived", fmt::format("{}", r.arrived)},
        {"requests served", fmt::format("{}", r.served)},
        {"requests refused (system full)", fmt::format("{}", r.blocked)},
        {"throughput (1/s)",
         fixed(measured_s > 0 ? static_cast<double>(r.served) / measured_s : 0.0, 1)},
        {"utilisation", fixed(r.utilisation, 4)},
        {"mean queue length", fixed(r.mean_queue_length, 3)}};
    out += "<section id=\"metrics\"><h2>Figures</h2><table class=\"metrics\"><tbody>";
    for (const auto& [name, value] : figures) {
        out += fmt::format("<tr><th>{}</th><td class=\"v\">{}</td></tr>", name, value);
    }
    out +=
        "</tbody></table><table class=\"metrics\"><thead><tr><th>latency (ms)</th><th>mean</th>"
        "<th>p50</th><th>p99</th><th>p99.9</th><th>max</th></tr></thead><tbody>";
    const std::pair<const char*, const stats::Histogram*> hists[] = {{"wait", &r.wait},
                                                                     {"response", &r.response}};
    for (const auto& [name, h] : hists) {
        fmt::format_to(std::back_inserter(out),
                       "<tr><th>{}</th><td class=\"v\">{}</td><td class=\"v\">{}</td><td "
                       "class=\"v\">{}</td><td class=\"v\">{}</td><td class=\"v\">{}</td></tr>",
                       name, fixed(h->mean() / 1e6, 3),
                       fixed(static_cast<double>(h->quantile(0.5)) / 1e6, 3),
                       fixed(static_cast<double>(h->quantile(0.99)) / 1e6, 3),
                       fixed(static_cast<double>(h->quantile(0.999)) / 1e6, 3),
                       fixed(static_cast<double>(h->max()) / 1e6, 3));
    }
    out += "</tbody></table></section>\n";
    const auto& done = r.completions_per_interval;
    const double width_s = sim::to_seconds(done.interval());
    std::vector<double> rate;
    double top = 0;
    for (const double n : done.values()) {
        rate.push_back(n / width_s);
        top = std::max(top, n / width_s);
    }
    Chart c(kWidth, 240, {0, sim::to_seconds(s.duration), false, "simulated time (s)"},
            {0, linear_top(top), false, "completions/s"}, "throughput");
    c.steps({"completions per second", series_color(0), 0.0, width_s, std::move(rate)});
    if (s.warmup > 0) {
        c.marker(sim::to_seconds(s.warmup), "end of warm-up");
    }
    out += "<section id=\"throughput\"><h2>Throughput over time</h2>" +
           c.svg("completions per second") + "</section>\n";
    const LatencyScale lat = latency_scale({&r.wait, &r.response});
    out += "<section id=\"latency\"><h2>Latency</h2><div class=\"row\">";
    for (std::size_t i = 0; i < std::size(hists); ++i) {
        const auto& [name, h] = hists[i];
        out += fmt::format("<div class=\"col\"><h3>{}</h3>", name) +
               latency_chart(
                   *h, lat,
                   h->count() ? std::optional<double>(static_cast<double>(h->quantile(0.99)) / 1e6)
                              : std::nullopt,
                   460, std::string(name) + " histogram", series_color(i)) +
               "</div>";
    }
    out += "</div></section>\n";
    return out + page_foot();
}

}  // namespace lockstage::app
