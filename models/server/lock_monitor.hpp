#pragma once
// What the sessions of a server felt of its locks, sampled: how many sessions wait, in which
// PROCESSLIST state, every `interval` of simulated time (queue depth); the peak of that number,
// what the sessions waiting then were running, and who waited for whom at that moment (the
// wait-for graph, as data; app/experiments turns it into Graphviz). Memory grows with the number of
// samples (duration / interval, capped at kMaxSamples), never with the number of statements.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "models/server/server.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/process.hpp"
#include "sim/stats/histogram.hpp"

namespace lockstage::models::server {

/// The PROCESSLIST states of lock waits, in the column order of queue_depth.csv.
inline constexpr std::array<std::string_view, 6> kWaitStates{
    "Waiting for backup lock", "Waiting for table metadata lock", "Waiting for global read lock",
    "Waiting for commit lock", "Waiting for table flush",         "Waiting for certification",
};

/// The wait-for graph at one instant: the waiting sessions and the sessions they wait for.
struct WaitGraph {
    struct Node {
        Server::SessionId id = 0;
        std::string name;        ///< the session's name
        std::string_view kind;   ///< its statement (in progress, or its last one when idle)
        bool busy = false;       ///< a statement is in progress
        std::string_view state;  ///< its wait state, "" if it does not wait
    };
    std::vector<Node> nodes;  ///< the waiters by session id, then the other blockers by id
    /// waiter -> blocker (LockManager::blocking), as indices into nodes.
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    sim::Time at = 0;
};

struct QueueDepthResult {
    sim::Time interval = 0;  ///< between samples
    /// The width of one row: the sample interval, or longer so a run has at most kMaxRows rows
    /// (memory does not grow with the run's length).
    sim::Time row_interval = 0;
    /// One row per row_interval (at i * row_interval): the largest count per kWaitStates entry
    /// seen in that interval's samples.
    std::vector<std::array<std::uint32_t, kWaitStates.size()>> rows;
    /// The largest total of one sample in each row.
    std::vector<std::uint32_t> row_totals;
    /// One observation per sample (so its percentiles are time-weighted) of the total.
    stats::Histogram total;
    std::uint32_t peak = 0;  ///< the largest total, first reached at peak_at
    sim::Time peak_at = 0;
    std::map<std::string_view, std::uint32_t> peak_by_state;
    std::map<std::string_view, std::uint32_t> peak_kinds;  ///< waiting statements by kind
    WaitGraph peak_graph;
    /// All lock-wait time by state, server-wide (Server::wait_time_by_state at the end).
    std::map<std::string_view, sim::Time> wait_time_by_state;
};

class LockMonitor {
  public:
    /// At most this many samples: a longer run samples less often.
    static constexpr sim::Time kMaxSamples = 360'000;
    static constexpr sim::Time kMaxRows = 6'000;
    LockMonitor(Server& server, sim::Time interval, sim::Time duration);
    /// What the sampler costs in kernel events (sim/kernel/event_cost.hpp): a tick every
    /// `interval` over `duration` (the cap on samples aside). One term, key "" (the interval).
    static sim::EventCosts estimate_events(sim::Time interval, sim::Time duration);
    /// Starts the sampler (a sample at 0, interval, 2 interval, ... before duration).
    void start();
    /// Takes one sample now (the sampler's step; tests call it directly).
    void sample();
    QueueDepthResult finish();
    sim::Time interval() const { return result_.interval; }

    /// The wait-for graph of the server now.
    static WaitGraph wait_graph(const Server& server, const std::vector<WaitingSession>& waiting);

  private:
    Server& server_;
    sim::Time duration_;
    QueueDepthResult result_;
};

}  // namespace lockstage::models::server
