#include "models/workload/estimate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <utility>

namespace lockstage::models::workload {

namespace {

/// What one transaction of a group costs on average: statements, commits that write, and its
/// service time (execution and commits, ns) and execution time alone.
struct TxCost {
    double statements = 0;
    double commits = 0;
    double service_ns = 0;
    double exec_ns = 0;
};

TxCost transaction_cost(const GroupConfig& g, double commit_ns) {
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

double mean_exec_ns(const Occasional& o) {
    double sum = 0;
    for (const auto& t : o.statements) {
        sum += t.exec.mean();
    }
    return o.statements.empty() ? 0 : sum / static_cast<double>(o.statements.size());
}

}  // namespace

sim::EventCosts estimate_events(const GroupConfig& g, sim::Time duration,
                                const server::ServerConfig& server) {
    sim::EventCosts out;
    const double seconds = sim::to_seconds(duration);
    TxCost tx = transaction_cost(g, server.commit.mean());
    // A transaction: its arrival (open: the arrival and the request's start; closed: the think
    // time), an event per statement, one per commit that writes. A statement with waiting off
    // the CPU (cpu_share < 1) costs a second event; a commit through the log writer two more, its
    // wake-up and at most one group fsync.
    const double cpu_exec_ns = tx.exec_ns * server.cpu_share;
    tx.statements *= server.cpu_share < 1.0 ? 2 : 1;
    tx.commits *= server.fsync ? 3 : 1;
    if (g.arrivals.kind == Arrivals::Kind::Open) {
        const double per_tx = 2 + tx.statements + tx.commits;
        if (!g.arrivals.profile.empty()) {
            // The expected arrivals: the integral of the rate over the run.
            const double arrivals = g.arrivals.profile.integral(0, duration);
            out.push_back({"arrivals/profile",
                           fmt::format("group {}: {:.6g} arrivals (the profile's integral over "
                                       "{} s) x {:.1f} events",
                                       g.name, arrivals, seconds, per_tx),
                           arrivals * per_tx});
        } else {
            out.push_back({"arrivals/rate_tps",
                           fmt::format("group {}: {}/s x {} s x {:.1f} events", g.name,
                                       g.arrivals.rate_tps, seconds, per_tx),
                           g.arrivals.rate_tps * seconds * per_tx});
        }
        // Retries after a statement timeout that every attempt hits (max_statement_time below
        // the transaction's mean execution time): each arrival is tried up to retries.max more
        // times, at most once per (the limit + backoff), each try costing a transaction's events.
        const sim::Time limit = g.max_statement_time.value_or(server.max_statement_time);
        if (g.retries.max > 0 && limit > 0 && tx.exec_ns > static_cast<double>(limit)) {
            const double arrivals = g.arrivals.profile.empty()
                                        ? g.arrivals.rate_tps * seconds
                                        : g.arrivals.profile.integral(0, duration);
            const double cycle_ns =
                std::max(1.0, static_cast<double>(limit) + g.retries.backoff.mean());
            const double tries = std::min(static_cast<double>(g.retries.max),
                                          static_cast<double>(duration) / cycle_ns);
            out.push_back({"retries/max",
                           fmt::format("group {}: every transaction ({:.4g} ms of execution) "
                                       "outlives max_statement_time ({} ms) and is retried up to "
                                       "{} times: {:.6g} arrivals x {:.4g} tries x {:.1f} events",
                                       g.name, tx.exec_ns / 1e6, sim::to_seconds(limit) * 1e3,
                                       g.retries.max, arrivals, tries, per_tx),
                           arrivals * tries * per_tx});
        }
        // Retries after giving up on a saturated pool: the arrivals the pool cannot serve each
        // try again up to retries.max times, at most once per (client_timeout + backoff), each
        // try its wait, its timeout and the backoff's sleep. (Retries after a statement or lock
        // timeout cost what the failed attempt cost, bounded by the time the lock is held:
        // not counted.)
        const PeakWaiting waiting = estimate_peak_waiting(g, duration, server);
        if (g.retries.max > 0 && waiting.requests > 0) {
            const double excess =
                waiting.requests / sim::to_seconds(std::min(g.client_timeout, duration));
            const double cycle_ns =
                std::max(1.0, static_cast<double>(g.client_timeout) + g.retries.backoff.mean());
            const double tries = std::min(static_cast<double>(g.retries.max),
                                          static_cast<double>(duration) / cycle_ns);
            out.push_back({"retries",
                           fmt::format("group {}: about {:.4g}/s beyond the pool giving up and "
                                       "retrying up to {} times x {} s x 3 events",
                                       g.name, excess, g.retries.max, seconds),
                           excess * tries * seconds * 3});
        }
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
        if (cpu_exec_ns > 0) {
            rate = std::min(rate, server.cpu_cores / cpu_exec_ns * 1e9);
        }
        const double per_tx = 1 + tx.statements + tx.commits +
                              (g.arrivals.clients > g.pool_size ? 1 : 0) + (retries ? 1 : 0);
        out.push_back({"arrivals/clients",
                       fmt::format("group {}: {} clients, about {:.4g}/s x {} s x {:.1f} events",
                                   g.name, g.arrivals.clients, rate, seconds, per_tx),
                       rate * seconds * per_tx});
        // The clients beyond the pool may each give up after client_timeout and ask again after
        // their think time, at most once per (think + client_timeout): a request, its wait and
        // its timeout, 3 events. A timeout of 1 ns makes that a billion retries a second per
        // client, which the budget must refuse up front rather than run for minutes.
        // With retries, a client that gave up asks again after the backoff instead of its
        // think time when that is shorter, the backoff's sleep one more event.
        if (g.arrivals.clients > g.pool_size) {
            const double pause = g.retries.max > 0
                                     ? std::min(g.arrivals.think.mean(), g.retries.backoff.mean())
                                     : g.arrivals.think.mean();
            const double retry_ns = std::max(1.0, pause + static_cast<double>(g.client_timeout));
            const double retries =
                static_cast<double>(g.arrivals.clients - g.pool_size) / retry_ns * 1e9;
            const int events = g.retries.max > 0 ? 4 : 3;
            out.push_back(
                {"client_timeout_s",
                 fmt::format("group {}: {} clients beyond the pool giving up after "
                             "client_timeout_s and retrying, up to {:.4g}/s x {} s x {} events",
                             g.name, g.arrivals.clients - g.pool_size, retries, seconds, events),
                 retries * seconds * events});
        }
    }
    // DDL and long queries: the arrival, the statement and its wake-ups, about 4 each.
    for (const auto& [o, key] : {std::pair{&g.ddl, "ddl_rate_per_h"},
                                 std::pair{&g.long_queries, "long_query_rate_per_h"}}) {
        if (o->rate_per_h > 0 && !o->statements.empty()) {
            const double per_s =
                std::min(o->rate_per_h / 3600, 1e9 / std::max(1.0, mean_exec_ns(*o)));
            out.push_back({key, fmt::format("group {}: {} {}/h", g.name, key, o->rate_per_h),
                           4 * per_s * seconds});
        }
    }
    out.push_back({"pool_size", fmt::format("group {}: connections", g.name),
                   static_cast<double>(g.pool_size)});
    return out;
}

PeakWaiting estimate_peak_waiting(const GroupConfig& g, sim::Time duration,
                                  const server::ServerConfig& server) {
    if (g.arrivals.kind != Arrivals::Kind::Open) {
        return {};
    }
    const TxCost tx = transaction_cost(g, server.commit.mean());
    double served = tx.service_ns > 0 ? g.pool_size / tx.service_ns * 1e9 : 1e18;  // per second
    const double cpu_exec_ns = tx.exec_ns * server.cpu_share;
    if (cpu_exec_ns > 0) {
        served = std::min(served, server.cpu_cores / cpu_exec_ns * 1e9);
    }
    const double excess = g.arrivals.rate_tps - served;
    if (!(excess > 0)) {
        return {};
    }
    const double wait_s = sim::to_seconds(std::min(g.client_timeout, duration));
    return {
        excess * wait_s,
        fmt::format("group {}: {}/s offered, about {:.4g}/s served by pool_size {} and {} "
                    "cores, the rest waiting up to {} s",
                    g.name, g.arrivals.rate_tps, served, g.pool_size, server.cpu_cores, wait_s)};
}

}  // namespace lockstage::models::workload
