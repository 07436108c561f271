#include "models/queue/queue_model.hpp"

#include <fmt/format.h>

#include <Eigen/Sparse>
#include <Eigen/SparseLU>
#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

#include "sim/kernel/random.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/stats/tally.hpp"

namespace lockstage::models::queue {

namespace {

using sim::Process;
using sim::Time;

struct Customer {
    Time arrived;
    Time service;
    bool queued;  ///< counted in the waiting line (false when an idle connection takes it at once)
};

/// The shared state of one run: the waiting line, the idle connections, the statistics.
struct QueueRun {
    const QueueModelConfig& cfg;
    sim::Simulation sim;
    std::deque<Customer> line;
    std::vector<sim::Blocker*> idle;  ///< connections parked with nothing to do
    stats::TimeWeighted busy;
    stats::TimeWeighted waiting;
    stats::LevelTime in_system;
    QueueModelResult result;

    explicit QueueRun(const QueueModelConfig& c)
        : cfg(c),
          in_system(static_cast<std::size_t>(c.capacity > 0 ? c.capacity : kMaxTrackedInSystem)),
          result(c.timeline_interval) {}

    /// Waiting (in line, a woken connection's customer included) plus in service.
    std::size_t present() const {
        return line.size() + static_cast<std::size_t>(std::llround(busy.level()));
    }

    bool counted(Time arrived) const { return arrived >= cfg.warmup; }
};

/// Customers arrive as a Poisson process; each brings its service time, drawn from its own
/// stream so the same customers arrive whatever the number of connections.
Process arrivals(QueueRun& q) {
    sim::RandomStream gaps(q.cfg.seed, "queue/arrivals");
    sim::RandomStream work(q.cfg.seed, "queue/service");
    const auto gap = sim::Distribution::exponential(
        sim::from_units_saturating(1.0 / q.cfg.rate_tps, sim::kSecond));
    for (;;) {
        co_await q.sim.sleep(gap.sample(gaps));
        const Time now = q.sim.now();
        if (now >= q.cfg.duration) {
            co_return;
        }
        const Time service = q.cfg.service.sample(work);  // drawn even if refused, so the
                                                          // customers are the same for any K
        if (q.cfg.capacity > 0 && q.present() >= static_cast<std::size_t>(q.cfg.capacity)) {
            if (q.counted(now)) {
                ++q.result.arrived;
                ++q.result.blocked;
                q.result.arrivals_per_interval.add(now);
            }
            continue;  // refused: the system is full
        }
        const bool queued = q.idle.empty();
        q.line.push_back(Customer{now, service, queued});
        q.in_system.set(now, q.present());
        if (queued) {
            q.waiting.add(now, 1.0);
        }
        if (q.counted(now)) {
            ++q.result.arrived;
            q.result.arrivals_per_interval.add(now);
        }
        if (!q.idle.empty()) {
            sim::Blocker* b = q.idle.back();
            q.idle.pop_back();
            q.sim.wake(*b);
        }
    }
}

/// One connection: take the next customer in line, serve it, repeat; park when the line is empty.
Process connection(QueueRun& q) {
    sim::Blocker parked;
    for (;;) {
        while (q.line.empty()) {
            q.idle.push_back(&parked);
            co_await q.sim.block(parked);
        }
        const Customer c = q.line.front();
        q.line.pop_front();
        const Time start = q.sim.now();
        if (c.queued) {
            q.waiting.add(start, -1.0);
        }
        q.busy.add(start, 1.0);
        co_await q.sim.sleep(c.service);
        const Time end = q.sim.now();
        q.busy.add(end, -1.0);
        q.in_system.set(end, q.present());
        if (q.counted(c.arrived)) {
            ++q.result.served;
            q.result.wait.record(start - c.arrived);
            q.result.response.record(end - c.arrived);
            q.result.completions_per_interval.add(end);
            q.result.wait_sum_per_interval.add(end, static_cast<double>(start - c.arrived));
        }
    }
}

Process end_of_warmup(QueueRun& q) {
    co_await q.sim.sleep_until(q.cfg.warmup);
    q.busy.reset(q.sim.now());
    q.waiting.reset(q.sim.now());
    q.in_system.reset(q.sim.now());
}

}  // namespace

QueueModelResult run_queue_model(const QueueModelConfig& config,
                                 const std::function<void(double)>& progress) {
    QueueRun q(config);
    q.sim.set_event_limit(config.max_events);
    q.sim.spawn(arrivals(q));
    for (int i = 0; i < config.connections; ++i) {
        q.sim.spawn(connection(q));
    }
    if (config.warmup > 0) {
        q.sim.spawn(end_of_warmup(q));
    }
    const Time step = progress ? std::max<Time>(config.duration / 100, 1) : config.duration;
    for (Time t = 0; t < config.duration;) {
        t = std::min(config.duration, t + step);
        q.sim.run_until(t);
        if (progress) {
            progress(static_cast<double>(t) / static_cast<double>(config.duration));
        }
    }
    const Time end = config.duration;
    QueueModelResult r = std::move(q.result);
    r.in_system_at_end = q.present();
    r.utilisation = q.busy.mean(end) / config.connections;
    r.mean_queue_length = q.waiting.mean(end);
    r.max_queue_length = q.waiting.max();
    r.in_system_share = q.in_system.shares(end);
    if (config.capacity <= 0) {  // drop the never-reached tail
        while (r.in_system_share.size() > 1 && r.in_system_share.back() == 0.0) {
            r.in_system_share.pop_back();
        }
    }
    r.events = q.sim.events_executed();
    r.measured = end - std::min(config.warmup, end);
    r.arrivals_per_interval.extend_to(end);
    r.completions_per_interval.extend_to(end);
    r.wait_sum_per_interval.extend_to(end);
    return r;
}

std::optional<ErlangC> erlang_c(int servers, double rate, double mean_service) {
    if (servers < 1 || !(rate > 0.0) || !(mean_service > 0.0)) {
        return std::nullopt;
    }
    const double a = rate * mean_service;
    const double rho = a / servers;
    if (rho >= 1.0) {
        return std::nullopt;
    }
    // Erlang B by its stable recursion, then C = B / (1 - rho (1 - B)).
    double b = 1.0;
    for (int k = 1; k <= servers; ++k) {
        b = a * b / (k + a * b);
    }
    ErlangC e;
    e.offered_load = a;
    e.utilisation = rho;
    e.wait_probability = b / (1.0 - rho * (1.0 - b));
    e.mean_wait = e.wait_probability * mean_service / (servers * (1.0 - rho));
    e.mean_queue_length = rate * e.mean_wait;
    return e;
}

std::optional<MMcK> mmck(int servers, int capacity, double rate, double mean_service) {
    if (servers < 1 || capacity < servers || capacity > 100000 || !(rate > 0.0) ||
        !(mean_service > 0.0)) {
        return std::nullopt;
    }
    const double mu = 1.0 / mean_service;
    const int n = capacity + 1;
    // pi Q = 0 is Q^T pi^T = 0; one balance equation is redundant, so the last row is replaced
    // by the normalisation sum pi = 1. Q^T(j, i) = q(i -> j).
    std::vector<Eigen::Triplet<double>> cells;
    for (int i = 0; i < n; ++i) {
        const double up = i < capacity ? rate : 0.0;
        const double down = static_cast<double>(std::min(i, servers)) * mu;
        if (i < n - 1) {
            cells.emplace_back(i, i, -(up + down));
        }
        if (i + 1 < n - 1 && up > 0) {
            cells.emplace_back(i + 1, i, up);
        }
        if (i >= 1 && i - 1 < n - 1 && down > 0) {
            cells.emplace_back(i - 1, i, down);
        }
        cells.emplace_back(n - 1, i, 1.0);
    }
    Eigen::SparseMatrix<double> a(n, n);
    a.setFromTriplets(cells.begin(), cells.end());
    Eigen::SparseLU<Eigen::SparseMatrix<double>> lu;
    lu.compute(a);
    if (lu.info() != Eigen::Success) {
        return std::nullopt;
    }
    Eigen::VectorXd b = Eigen::VectorXd::Zero(n);
    b(n - 1) = 1.0;
    const Eigen::VectorXd pi = lu.solve(b);
    if (lu.info() != Eigen::Success) {
        return std::nullopt;
    }
    MMcK m;
    m.stationary.assign(pi.data(), pi.data() + n);
    for (int i = 0; i < n; ++i) {
        m.stationary[i] = std::max(0.0, m.stationary[i]);  // round-off below 0
        m.mean_in_system += i * m.stationary[i];
        m.utilisation += std::min(i, servers) * m.stationary[i] / servers;
    }
    m.blocking_probability = m.stationary.back();
    return m;
}

sim::EventCosts estimate_events(const QueueModelConfig& c) {
    // An arrival, a service, and (when a connection was idle) its wake-up: 2 to 3 per customer.
    const double seconds = sim::to_seconds(c.duration);
    const double customers = c.rate_tps * seconds;
    return {
        {"rate_tps", fmt::format("{}/s x {} s x 2.5 events", c.rate_tps, seconds), 2.5 * customers},
        {"connections", "connections starting", static_cast<double>(c.connections)}};
}

}  // namespace lockstage::models::queue
