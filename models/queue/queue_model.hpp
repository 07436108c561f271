#pragma once
// The plain connection-pool server ("server": {"model": "queue"}): Poisson arrivals at rate_tps,
// `connections` identical servers taking customers first come first served, service times from
// a distribution. With exponential service it is an M/M/c queue, whose answers are known in
// closed form (Erlang C), so it validates the kernel and the statistics; it stays as a scenario
// kind for validating later work. With a capacity K (at most K requests in the system, an
// arrival finding it full is refused) it is M/M/c/K, whose stationary distribution comes from
// solving its birth-death chain.
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "sim/kernel/distribution.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/time.hpp"
#include "sim/stats/histogram.hpp"
#include "sim/stats/timeline.hpp"

namespace lockstage::models::queue {

struct QueueModelConfig {
    std::uint64_t seed = 1;
    sim::Time duration = sim::seconds(60);
    sim::Time warmup = 0;  ///< customers arriving before this are not counted
    double rate_tps = 100.0;
    int connections = 1;
    int capacity = 0;  ///< at most this many in the system (waiting + in service); 0: no limit
    sim::Distribution service = sim::Distribution::exponential(sim::millis(1));
    sim::Time timeline_interval = sim::seconds(1);
    std::uint64_t max_events = 0;  ///< the kernel's event limit (0: none)
};

struct QueueModelResult {
    std::uint64_t arrived = 0;           ///< after warm-up
    std::uint64_t served = 0;            ///< arrived after warm-up and finished before the end
    std::uint64_t in_system_at_end = 0;  ///< waiting or in service when the run ended
    std::uint64_t blocked = 0;           ///< arrived after warm-up and refused: the system was full
    /// Share of the measured time with n requests in the system, n = 0, 1, …; the last entry
    /// counts n >= its index (the capacity, or kMaxTrackedInSystem without one).
    std::vector<double> in_system_share;
    stats::Histogram wait;           ///< ns from arrival to start of service
    stats::Histogram response;       ///< ns from arrival to end of service
    double utilisation = 0.0;        ///< time-average share of busy connections
    double mean_queue_length = 0.0;  ///< time-average number waiting
    double max_queue_length = 0.0;
    stats::Timeline arrivals_per_interval;
    stats::Timeline completions_per_interval;
    stats::Timeline wait_sum_per_interval;  ///< ns, of the customers completed in the interval
    std::uint64_t events = 0;
    sim::Time measured = 0;  ///< duration - warmup

    explicit QueueModelResult(sim::Time interval)
        : arrivals_per_interval(interval),
          completions_per_interval(interval),
          wait_sum_per_interval(interval) {}
};

/// What a run costs in kernel events (sim/kernel/event_cost.hpp): 2 to 3 a customer (an
/// arrival, a service, and, when a connection was idle, its wake-up), and each connection's
/// start, and a slot per state of the number in system with a capacity. Keys "rate_tps",
/// "connections" and "max_in_system" (the capacity).
sim::EventCosts estimate_events(const QueueModelConfig& c);

/// Without a capacity, the number in system is tracked exactly up to this many.
inline constexpr int kMaxTrackedInSystem = 1000;

/// Runs the model. `progress`, if given, is called with the fraction of simulated time done
/// (about every 1 %), so a long run can report progress.
QueueModelResult run_queue_model(const QueueModelConfig& config,
                                 const std::function<void(double)>& progress = {});

/// What queueing theory predicts for M/M/c (exponential service), per Erlang C.
struct ErlangC {
    double offered_load = 0.0;       ///< A = lambda / mu, in erlangs
    double utilisation = 0.0;        ///< rho = A / c
    double wait_probability = 0.0;   ///< P(an arrival waits) = C(c, A)
    double mean_wait = 0.0;          ///< Wq, in the unit of mean_service
    double mean_queue_length = 0.0;  ///< Lq = lambda * Wq
};
/// Erlang C for c servers, arrival rate `rate` and mean service `mean_service` (rate is per unit
/// of mean_service). std::nullopt when the queue is unstable (rho >= 1).
std::optional<ErlangC> erlang_c(int servers, double rate, double mean_service);

/// The largest capacity (max_in_system) the model and mmck() take: the scenario schema's bound.
inline constexpr int kMaxCapacity = 100000;

/// What queueing theory predicts for M/M/c/K: the stationary distribution of the number in the
/// system, from the balance equations of its birth-death chain (a product form, O(K)).
struct MMcK {
    std::vector<double> stationary;     ///< P(n in system), n = 0 … K
    double blocking_probability = 0.0;  ///< P(K): the share of arrivals refused (PASTA)
    double mean_in_system = 0.0;        ///< L
    double utilisation = 0.0;           ///< mean busy connections / c
};
/// std::nullopt unless 1 <= servers <= capacity <= 100,000 and rate, mean_service > 0.
std::optional<MMcK> mmck(int servers, int capacity, double rate, double mean_service);

}  // namespace lockstage::models::queue
