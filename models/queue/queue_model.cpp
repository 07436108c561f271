#include "models/queue/queue_model.hpp"

#include <fmt/format.h>

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
    if (servers < 1 || capacity < servers || capacity > kMaxCapacity || !(rate > 0.0) ||
        !(mean_service > 0.0)) {
        return std::nullopt;
    }
    // The birth-death chain's balance equations pi(n) lambda = pi(n+1) min(n+1, c) mu give
    // pi(n) = pi(0) prod_{i=1..n} lambda / (min(i, c) mu): one pass over the states, in log space
    // so that a^n / n! neither overflows nor underflows for K up to 100,000, then normalised.
    // O(K) time and memory (it was a sparse LU of the generator, whose fill-in from the row of
    // ones made it O(K^2): 17 s and 2.7 GB at K = 20,000).
    const double log_a = std::log(rate * mean_service);
    const auto n = static_cast<std::size_t>(capacity) + 1;
    std::vector<double> log_w(n, 0.0);
    for (std::size_t i = 1; i < n; ++i) {
        log_w[i] =
            log_w[i - 1] + log_a - std::log(static_cast<double>(std::min<std::size_t>(i, servers)));
    }
    const double top = *std::max_element(log_w.begin(), log_w.end());
    double total = 0.0;
    MMcK m;
    m.stationary.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
        m.stationary[i] = std::exp(log_w[i] - top);
        total += m.stationary[i];
    }
    if (!std::isfinite(total) || !(total > 0.0)) {
        return std::nullopt;
    }
    for (std::size_t i = 0; i < n; ++i) {
        m.stationary[i] /= total;
        m.mean_in_system += static_cast<double>(i) * m.stationary[i];
        m.utilisation +=
            static_cast<double>(std::min<std::size_t>(i, servers)) * m.stationary[i] / servers;
    }
    m.blocking_probability = m.stationary.back();
    return m;
}

sim::EventCosts estimate_events(const QueueModelConfig& c) {
    // An arrival, a service, and (when a connection was idle) its wake-up: 2 to 3 per customer.
    const double seconds = sim::to_seconds(c.duration);
    const double customers = c.rate_tps * seconds;
    // A capacity costs a slot per state, in the tally of the number in system and in the
    // M/M/c/K distribution the report computes: linear in K, counted like an event each.
    return {
        {"rate_tps", fmt::format("{}/s x {} s x 2.5 events", c.rate_tps, seconds), 2.5 * customers},
        {"connections", "connections starting", static_cast<double>(c.connections)},
        {"max_in_system", fmt::format("{} states of the number in system", c.capacity + 1),
         c.capacity > 0 ? static_cast<double>(c.capacity + 1) : 0.0}};
}

}  // namespace lockstage::models::queue
