#include "sim/cli/report.hpp"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "lockstage_version.hpp"

namespace lockstage::cli {

using json = nlohmann::ordered_json;

namespace {

double ms(double ns) {
    return ns / 1e6;
}

json latency_json(const stats::Histogram& h) {
    json j;
    j["count"] = h.count();
    j["mean"] = ms(h.mean());
    j["p50"] = ms(static_cast<double>(h.quantile(0.50)));
    j["p90"] = ms(static_cast<double>(h.quantile(0.90)));
    j["p99"] = ms(static_cast<double>(h.quantile(0.99)));
    j["p999"] = ms(static_cast<double>(h.quantile(0.999)));
    j["max"] = ms(static_cast<double>(h.max()));
    return j;
}

std::optional<models::ErlangC> theory(const Scenario& s) {
    if (s.queue.service.kind() != sim::Distribution::Kind::Exponential) {
        return std::nullopt;
    }
    return models::erlang_c(s.queue.connections, s.queue.rate_tps,
                            sim::to_seconds(static_cast<sim::Time>(s.queue.service.mean())));
}

}  // namespace

std::string queue_summary_json(const Scenario& s, const models::QueueModelResult& r) {
    const double measured_s = sim::to_seconds(r.measured);
    json j;
    j["lockstage_version"] = LOCKSTAGE_VERSION;
    j["scenario"] = s.name;
    j["model"] = s.model;
    j["seed"] = s.seed;
    j["duration_s"] = sim::to_seconds(s.duration);
    j["warmup_s"] = sim::to_seconds(s.warmup);
    j["connections"] = s.queue.connections;
    j["requests"] = {
        {"arrived", r.arrived}, {"served", r.served}, {"in_system_at_end", r.in_system_at_end}};
    j["throughput_tps"] = measured_s > 0 ? static_cast<double>(r.served) / measured_s : 0.0;
    j["utilisation"] = r.utilisation;
    j["mean_queue_length"] = r.mean_queue_length;
    j["max_queue_length"] = r.max_queue_length;
    j["wait_ms"] = latency_json(r.wait);
    j["response_ms"] = latency_json(r.response);
    if (const auto e = theory(s)) {
        j["erlang_c"] = {{"utilisation", e->utilisation},
                         {"wait_probability", e->wait_probability},
                         {"mean_wait_ms", e->mean_wait * 1e3},
                         {"mean_queue_length", e->mean_queue_length}};
    } else {
        j["erlang_c"] = nullptr;
    }
    j["kernel"] = {{"events", r.events}};
    return j.dump(2) + "\n";
}

std::string queue_timeline_csv(const models::QueueModelResult& r) {
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

std::string queue_histogram_csv(const models::QueueModelResult& r) {
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

std::string queue_summary_text(const Scenario& s, const models::QueueModelResult& r) {
    const double measured_s = sim::to_seconds(r.measured);
    std::string out = fmt::format(
        "scenario {} (queue model, {} connections), seed {}, {} s simulated ({} s warm-up)\n",
        s.name, s.queue.connections, s.seed, sim::to_seconds(s.duration),
        sim::to_seconds(s.warmup));
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>12}\n", "requests arrived", r.arrived);
    fmt::format_to(std::back_inserter(out), "  {:<22}{:>12}\n", "requests served", r.served);
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

}  // namespace lockstage::cli
