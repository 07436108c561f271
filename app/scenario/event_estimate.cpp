#include "app/scenario/event_estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "app/scenario/scenario_loader.hpp"

namespace lockstage::app {

namespace {

/// What one transaction of a group costs on average: statements, commits that write, and its
/// service time (execution and commits, ns) and execution time alone.
struct TxCost {
    double statements = 0;
    double commits = 0;
    double service_ns = 0;
    double exec_ns = 0;
};

TxCost transaction_cost(const models::workload::GroupConfig& g, double commit_ns) {
    TxCost mix;
    double weights = 0;
    for (const auto& t : g.transactions) {
        weights += t.weight;
    }
    for (const auto& t : g.transactions) {
        const double share =
            weights > 0 ? t.weight / weights : 1.0 / static_cast<double>(g.transactions.size());
        TxCost one;
        double writes = 0;
        for (const auto& st : t.statements) {
            one.statements += 1;
            one.exec_ns += st.exec.mean();
            writes += st.statement.is_write() ? 1 : 0;
        }
        if (t.explicit_transaction) {
            one.statements += 2;  // BEGIN and COMMIT
            one.commits = writes > 0 ? 1 : 0;
        } else {
            one.commits = writes;
        }
        one.service_ns = one.exec_ns + one.commits * commit_ns;
        mix.statements += share * one.statements;
        mix.commits += share * one.commits;
        mix.service_ns += share * one.service_ns;
        mix.exec_ns += share * one.exec_ns;
    }
    return mix;
}

double mean_exec_ns(const models::workload::Occasional& o) {
    double sum = 0;
    for (const auto& t : o.statements) {
        sum += t.exec.mean();
    }
    return o.statements.empty() ? 0 : sum / static_cast<double>(o.statements.size());
}

void add(EventEstimate& e, std::string pointer, std::string what, double events) {
    if (events > 0) {
        e.total += events;
        e.terms.push_back({std::move(pointer), std::move(what), events});
    }
}

void estimate_queue(const Scenario& s, EventEstimate& e) {
    // An arrival, a service, and (when a connection was idle) its wake-up: 2 to 3 per customer.
    const double seconds = sim::to_seconds(s.duration);
    const double customers = s.queue.rate_tps * seconds;
    add(e, "/workload/rate_tps", fmt::format("{}/s x {} s x 2.5 events", s.queue.rate_tps, seconds),
        2.5 * customers);
    add(e, "/server/connections", "connections starting", s.queue.connections);
}

void estimate_groups(const Scenario& s, EventEstimate& e) {
    const double seconds = sim::to_seconds(s.duration);
    const double commit_ns = s.server.commit.mean();
    for (std::size_t i = 0; i < s.groups.size(); ++i) {
        const auto& g = s.groups[i];
        const std::string at = fmt::format("/workload/groups/{}", i);
        const TxCost tx = transaction_cost(g, commit_ns);
        // A transaction: its arrival (open: the arrival and the request's start; closed: the
        // think time), an event per statement, one per commit that writes.
        if (g.arrivals.kind == models::workload::Arrivals::Kind::Open) {
            const double per_tx = 2 + tx.statements + tx.commits;
            add(e, at + "/arrivals/rate_tps",
                fmt::format("group {}: {}/s x {} s x {:.1f} events", g.name, g.arrivals.rate_tps,
                            seconds, per_tx),
                g.arrivals.rate_tps * seconds * per_tx);
        } else {
            // A client's cycle is its think time and the service; a zero cycle retries every
            // millisecond. The pool and the cores cap the rate.
            double cycle_ns = g.arrivals.think.mean() + tx.service_ns;
            const bool retries = cycle_ns <= 0;  // each cycle also sleeps the millisecond
            if (retries) {
                cycle_ns = 1e6;
            }
            double rate = g.arrivals.clients / cycle_ns * 1e9;
            if (tx.service_ns > 0) {
                rate = std::min(rate, g.pool_size / tx.service_ns * 1e9);
            }
            if (tx.exec_ns > 0) {
                rate = std::min(rate, s.server.cpu_cores / tx.exec_ns * 1e9);
            }
            const double per_tx = 1 + tx.statements + tx.commits +
                                  (g.arrivals.clients > g.pool_size ? 1 : 0) + (retries ? 1 : 0);
            add(e, at + "/arrivals/clients",
                fmt::format("group {}: {} clients, about {:.4g}/s x {} s x {:.1f} events", g.name,
                            g.arrivals.clients, rate, seconds, per_tx),
                rate * seconds * per_tx);
        }
        // DDL and long queries: the arrival, the statement and its wake-ups, about 4 each.
        for (const auto& [o, key] : {std::pair{&g.ddl, "ddl_rate_per_h"},
                                     std::pair{&g.long_queries, "long_query_rate_per_h"}}) {
            if (o->rate_per_h > 0 && !o->statements.empty()) {
                const double per_s =
                    std::min(o->rate_per_h / 3600, 1e9 / std::max(1.0, mean_exec_ns(*o)));
                add(e, fmt::format("{}/{}", at, key),
                    fmt::format("group {}: {} {}/h", g.name, key, o->rate_per_h),
                    4 * per_s * seconds);
            }
        }
        add(e, at + "/pool_size", fmt::format("group {}: connections", g.name), g.pool_size);
    }
}

void estimate_mariadb(const Scenario& s, EventEstimate& e) {
    const double seconds = sim::to_seconds(s.duration);
    estimate_groups(s, e);
    std::size_t statements = 0;
    for (const auto& session : s.sessions) {
        statements += session.statements.size();
    }
    // A scripted statement: its send time, its execution, its commit or a wake-up.
    add(e, "/sessions", fmt::format("{} scripted statements x 3 events", statements),
        3.0 * static_cast<double>(statements));
    if (s.replica) {
        // Each applied transaction: its arrival on the primary, the applier's wake-up, its
        // execution and its commit.
        add(e, "/replication/primary_rate_tps",
            fmt::format("replication: {}/s x {} s x 4 events", s.replica->primary_rate_tps,
                        seconds),
            4 * s.replica->primary_rate_tps * seconds);
    }
    if (s.galera) {
        // Each write-set: its arrival, the applier's wake-up and its apply.
        add(e, "/galera/cluster_rate_tps",
            fmt::format("galera: {}/s x {} s x 3 events", s.galera->cluster_rate_tps, seconds),
            3 * s.galera->cluster_rate_tps * seconds);
    }
    // The lock-queue sampler ticks every output.queue_sample_ms.
    add(e, "/output/queue_sample_ms",
        fmt::format("lock-queue samples every {} ms", sim::to_millis(s.queue_sample_interval)),
        std::ceil(static_cast<double>(s.duration) /
                  static_cast<double>(std::max<sim::Time>(1, s.queue_sample_interval))));
    if (s.backup) {
        add(e, "/backup", "the backup's steps", 50);
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
