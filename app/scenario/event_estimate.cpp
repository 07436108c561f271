#include "app/scenario/event_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "app/scenario/scenario_loader.hpp"
#include "models/server/lock_monitor.hpp"
#include "models/workload/estimate.hpp"

namespace lockstage::app {

namespace {

/// Adds a model's terms, each key prefixed with the JSON pointer of that model's configuration
/// in the scenario ("/workload/groups/0" + "arrivals/rate_tps"); terms of no events are left out.
void add(EventEstimate& e, std::string_view at, const sim::EventCosts& costs) {
    for (const sim::EventCost& c : costs) {
        if (c.events > 0) {
            e.total += c.events;
            e.terms.push_back({c.key.empty() ? std::string(at) : fmt::format("{}/{}", at, c.key),
                               c.what, c.events});
        }
    }
}

void estimate_queue(const Scenario& s, EventEstimate& e) {
    // The queue model's configuration is spread over the scenario: its arrivals under /workload,
    // its connections under /server.
    for (const sim::EventCost& c : models::queue::estimate_events(s.queue)) {
        add(e, c.key == "connections" || c.key == "max_in_system" ? "/server" : "/workload", {c});
    }
}

void estimate_mariadb(const Scenario& s, EventEstimate& e) {
    double most = 0;
    for (std::size_t i = 0; i < s.groups.size(); ++i) {
        add(e, fmt::format("/workload/groups/{}", i),
            models::workload::estimate_events(s.groups[i], s.duration, s.server));
        auto w = models::workload::estimate_peak_waiting(s.groups[i], s.duration, s.server);
        e.waiting.events += w.requests;
        if (w.requests > most) {
            most = w.requests;
            e.waiting.pointer = fmt::format("/workload/groups/{}/arrivals/rate_tps", i);
            e.waiting.what = std::move(w.what);
        }
    }
    add(e, "/sessions", models::server::estimate_events(s.sessions));
    if (s.replica) {
        add(e, "/replication", models::topology::estimate_events(*s.replica, s.duration));
    }
    if (s.galera) {
        add(e, "/galera", models::topology::estimate_events(*s.galera, s.duration));
    }
    add(e, "/output/queue_sample_ms",
        models::server::LockMonitor::estimate_events(s.queue_sample_interval, s.duration));
    if (s.backup) {
        add(e, "/backup", models::backup::estimate_events(*s.backup));
    }
}

}  // namespace

const EventEstimate::Term* EventEstimate::largest() const {
    const auto it = std::max_element(terms.begin(), terms.end(), [](const Term& a, const Term& b) {
        return a.events < b.events;
    });
    return it == terms.end() ? nullptr : &*it;
}

EventEstimate estimate_events(const Scenario& s) {
    EventEstimate e;
    if (s.model == "queue") {
        estimate_queue(s, e);
    } else {
        estimate_mariadb(s, e);
    }
    return e;
}

std::uint64_t event_budget(const EventEstimate& e, std::optional<std::uint64_t> max_events) {
    if (max_events) {
        return *max_events;
    }
    const double budget = std::max(kDefaultEventLimit, kBudgetOverEstimate * e.total);
    return budget >= 1.8e19 ? UINT64_MAX : static_cast<std::uint64_t>(budget);
}

std::string events_text(double events) {
    return events < 1e6 ? fmt::format("{:.0f}", events) : fmt::format("{:.2g}", events);
}

void check_event_estimate(const EventEstimate& e, const std::string& file,
                          std::optional<std::uint64_t> max_events) {
    if (e.waiting.events > kMaxWaitingRequests) {
        throw ScenarioError(
            file, e.waiting.pointer,
            fmt::format("expected at most {} requests waiting for a pool connection at once "
                        "(about 600 bytes of memory each); this one piles up about {} ({}); "
                        "lower rate_tps, raise pool_size or shorten client_timeout_s",
                        events_text(kMaxWaitingRequests), events_text(e.waiting.events),
                        e.waiting.what));
    }
    const double limit =
        std::max(kDefaultEventLimit, max_events ? static_cast<double>(*max_events) : 0.0);
    if (e.total <= limit) {
        return;
    }
    const EventEstimate::Term* big = e.largest();
    throw ScenarioError(
        file, big ? big->pointer : "",
        fmt::format(
            "expected a run of at most {} kernel events; this one is estimated at {} "
            "(mostly {}); to run it anyway, give --max-events N with N above the estimate, e.g. "
            "--max-events {}",
            events_text(limit), events_text(e.total), big ? big->what : "",
            events_text(std::ceil(e.total * 2))));
}

EventEstimate apply_event_budget(Scenario& s, const std::string& file,
                                 std::optional<std::uint64_t> max_events) {
    EventEstimate e = estimate_events(s);
    check_event_estimate(e, file, max_events);
    s.max_events = event_budget(e, max_events);
    s.queue.max_events = s.max_events;
    return e;
}

std::string budget_spent_message(const sim::EventLimitExceeded& e, const std::string& run,
                                 const Scenario& s, bool flag_given) {
    return fmt::format(
        "{}: the run was stopped at its event budget: {} kernel events executed by simulated time "
        "{:.9g} s of {:.9g} s (budget {}); no result folder was written; raise the budget with "
        "--max-events N",
        run, e.events(), sim::to_seconds(e.at()), sim::to_seconds(s.duration),
        flag_given ? "set by --max-events"
                   : fmt::format("by default the larger of {} and {} x the estimate",
                                 events_text(kDefaultEventLimit), kBudgetOverEstimate));
}

std::optional<std::uint64_t> parse_event_count(const std::string& text) {
    if (text.empty() || text.find_first_not_of("0123456789.eE+") != std::string::npos) {
        return std::nullopt;
    }
    errno = 0;
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (errno != 0 || end != text.c_str() + text.size() || !(v >= 1) || v >= 1.8e19 ||
        v != std::floor(v)) {
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(v);
}

}  // namespace lockstage::app
