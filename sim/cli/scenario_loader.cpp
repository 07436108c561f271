#include "sim/cli/scenario_loader.hpp"

#include <fmt/format.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <vector>

#include "sim/cli/embedded_schema.hpp"
#include "sim/cli/schema_validator.hpp"

namespace lockstage::cli {

using json = nlohmann::ordered_json;

ScenarioError::ScenarioError(std::string file, std::string where, std::string what)
    : std::runtime_error(fmt::format("{}: {}: {}", file, where.empty() ? "/" : where, what)),
      file_(std::move(file)),
      where_(std::move(where)),
      detail_(std::move(what)) {}

namespace {

constexpr std::size_t kMaxTimelineRows = 10'000'000;

std::string escape_pointer_token(const std::string& key) {
    std::string out;
    for (const char c : key) {
        if (c == '~') {
            out += "~0";
        } else if (c == '/') {
            out += "~1";
        } else {
            out += c;
        }
    }
    return out;
}

/// Parses JSON, refusing duplicate keys (nlohmann would silently keep the last one).
json parse_json(std::string_view text, const std::string& file) {
    struct Frame {
        bool object;
        std::vector<std::string> keys;
        std::size_t index = 0;
    };
    std::vector<Frame> stack;
    std::vector<std::string> path;  // pointer tokens of the enclosing containers' members
    auto pointer = [&](const std::string& last) {
        std::string p;
        for (const auto& t : path) {
            p += "/" + t;
        }
        return p + "/" + last;
    };
    // Containers and values inside an array take the array's running index as their token.
    auto enter_value = [&]() {
        if (!stack.empty() && !stack.back().object) {
            path.push_back(std::to_string(stack.back().index++));
        }
    };
    json::parser_callback_t cb = [&](int, json::parse_event_t event, json& parsed) {
        switch (event) {
            case json::parse_event_t::key: {
                const auto key = parsed.get<std::string>();
                auto& keys = stack.back().keys;
                for (const auto& k : keys) {
                    if (k == key) {
                        throw ScenarioError(file, pointer(escape_pointer_token(key)),
                                            fmt::format("duplicate key \"{}\"", key));
                    }
                }
                keys.push_back(key);
                path.push_back(escape_pointer_token(key));
                break;
            }
            case json::parse_event_t::object_start:
            case json::parse_event_t::array_start:
                if (!stack.empty() && !stack.back().object) {
                    enter_value();
                }
                stack.push_back(Frame{event == json::parse_event_t::object_start, {}, 0});
                break;
            case json::parse_event_t::object_end:
            case json::parse_event_t::array_end:
                stack.pop_back();
                if (!path.empty() && !stack.empty()) {
                    path.pop_back();
                }
                break;
            case json::parse_event_t::value:
                if (!stack.empty() && stack.back().object && !path.empty()) {
                    path.pop_back();
                } else if (!stack.empty()) {
                    ++stack.back().index;
                }
                break;
        }
        return true;
    };
    try {
        return json::parse(text.begin(), text.end(), cb);
    } catch (const json::parse_error& e) {
        // Line and column of the byte where parsing stopped (1-based).
        const std::size_t stop = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
        std::size_t line = 1;
        std::size_t column = 1;
        for (std::size_t i = 0; i < stop; ++i) {
            if (text[i] == '\n') {
                ++line;
                column = 1;
            } else {
                ++column;
            }
        }
        std::string detail = e.what();
        if (const auto at = detail.find(": ", detail.find("parse error"));
            at != std::string::npos) {
            detail = detail.substr(at + 2);
        }
        throw ScenarioError(file, fmt::format("line {}, column {}", line, column),
                            "malformed JSON: " + detail);
    }
}

const SchemaValidator& scenario_validator() {
    static const SchemaValidator validator(json::parse(embedded_scenario_schema()));
    return validator;
}

/// Reads typed values out of a document that already passed the schema.
class Reader {
  public:
    explicit Reader(const std::string& file) : file_(file) {}

    [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
        throw ScenarioError(file_, pointer, what);
    }

    /// A duration in `unit`, at least 1 ns unless zero is allowed.
    sim::Time time(const json& v, const std::string& pointer, sim::Time unit,
                   bool allow_zero) const {
        const double x = v.get<double>();
        const sim::Time t = sim::from_units(x, unit);  // the schema bounds keep this in range
        if (t == 0 && !(allow_zero && x == 0.0)) {
            fail(pointer, fmt::format("expected a duration of at least 1 ns, got {}", v.dump()));
        }
        return t;
    }

    sim::Distribution distribution(const json& d, const std::string& p) const {
        const auto kind = d.at("dist").get<std::string>();
        if (kind == "constant") {
            return sim::Distribution::constant(
                time(d.at("value_ms"), p + "/value_ms", sim::kMillisecond, true));
        }
        if (kind == "uniform") {
            const auto lo = time(d.at("min_ms"), p + "/min_ms", sim::kMillisecond, true);
            const auto hi = time(d.at("max_ms"), p + "/max_ms", sim::kMillisecond, true);
            if (hi < lo) {
                fail(p + "/max_ms", fmt::format("expected a number >= min_ms ({}), got {}",
                                                d.at("min_ms").dump(), d.at("max_ms").dump()));
            }
            return sim::Distribution::uniform(lo, hi);
        }
        if (kind == "exponential") {
            return sim::Distribution::exponential(
                time(d.at("mean_ms"), p + "/mean_ms", sim::kMillisecond, false));
        }
        if (kind == "lognormal") {
            return sim::Distribution::lognormal(
                time(d.at("mean_ms"), p + "/mean_ms", sim::kMillisecond, false),
                time(d.at("sd_ms"), p + "/sd_ms", sim::kMillisecond, true));
        }
        // empirical
        const auto& values = d.at("values_ms");
        const auto& weights = d.at("weights");
        if (weights.size() != values.size()) {
            fail(p + "/weights",
                 fmt::format("expected {} weights, one per value in values_ms, got {}",
                             values.size(), weights.size()));
        }
        std::vector<sim::Time> vs;
        std::vector<double> ws;
        double total = 0.0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            vs.push_back(
                time(values[i], fmt::format("{}/values_ms/{}", p, i), sim::kMillisecond, true));
            ws.push_back(weights[i].get<double>());
            total += ws.back();
        }
        if (!(total > 0.0)) {
            fail(p + "/weights", "expected weights with a positive sum, got all zeros");
        }
        return sim::Distribution::empirical(std::move(vs), std::move(ws));
    }

  private:
    const std::string& file_;
};

}  // namespace

Scenario load_scenario_text(std::string_view text, const std::string& file) {
    json doc = parse_json(text, file);
    if (auto err = scenario_validator().validate_and_fill(doc)) {
        throw ScenarioError(file, err->pointer, err->message);
    }
    const Reader r(file);
    Scenario s;
    s.file = file;
    s.name = doc.at("name").get<std::string>();
    s.description = doc.at("description").get<std::string>();
    s.seed = doc.at("seed").get<std::uint64_t>();
    s.duration = r.time(doc.at("duration_s"), "/duration_s", sim::kSecond, false);
    s.warmup = r.time(doc.at("warmup_s"), "/warmup_s", sim::kSecond, true);
    if (s.warmup >= s.duration) {
        r.fail("/warmup_s", fmt::format("expected less than duration_s ({}), got {}",
                                        doc.at("duration_s").dump(), doc.at("warmup_s").dump()));
    }
    const auto& output = doc.at("output");
    s.timeline_interval = r.time(output.at("timeline_interval_s"), "/output/timeline_interval_s",
                                 sim::kSecond, false);
    if (static_cast<std::uint64_t>(s.duration / s.timeline_interval) >= kMaxTimelineRows) {
        r.fail("/output/timeline_interval_s",
               fmt::format(
                   "expected an interval giving at most {} timeline rows over duration_s, got {}",
                   kMaxTimelineRows, output.at("timeline_interval_s").dump()));
    }
    const auto& server = doc.at("server");
    s.model = server.at("model").get<std::string>();
    const auto& workload = doc.at("workload");

    auto& q = s.queue;
    q.seed = s.seed;
    q.duration = s.duration;
    q.warmup = s.warmup;
    q.timeline_interval = s.timeline_interval;
    q.connections = server.at("connections").get<int>();
    q.rate_tps = workload.at("rate_tps").get<double>();
    q.service = r.distribution(workload.at("service"), "/workload/service");
    s.effective = std::move(doc);
    return s;
}

Scenario load_scenario_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError(path.string(), "", "cannot open the file for reading");
    }
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) {
        throw ScenarioError(path.string(), "", "cannot read the file");
    }
    return load_scenario_text(text.str(), path.string());
}

}  // namespace lockstage::cli
