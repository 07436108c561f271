#pragma once
// What a client group costs in kernel events, before the run (see sim/kernel/event_cost.hpp):
// its transactions (open: rate x duration; closed: clients / (think + service), at most
// pool / service and cores / execution time), each costing its arrival, an event per statement
// and one per commit that writes; its DDL and long queries; its pool's connections.
#include <string>

#include "models/server/server.hpp"
#include "models/workload/clients.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::models::workload {

/// Keys relative to the group: "arrivals/rate_tps" or "arrivals/clients", "ddl_rate_per_h",
/// "long_query_rate_per_h", "pool_size". `server` gives the commit time and the cores.
sim::EventCosts estimate_events(const GroupConfig& g, sim::Time duration,
                                const server::ServerConfig& server);

/// How many of an open group's requests may wait for a pool connection at once, and why: a group
/// offered more than its pool (pool_size / service) and the cores (cpu_cores / execution time)
/// serve piles up the excess, each request waiting up to client_timeout (at most the run). Each
/// waiting request is a suspended coroutine of some 600 bytes, so this bounds the run's memory.
/// A closed group's waiting requests are at most its clients: 0 here.
struct PeakWaiting {
    double requests = 0;
    std::string what;  ///< e.g. "group app: 1e+07/s offered, about 4000/s served, ..."
};
PeakWaiting estimate_peak_waiting(const GroupConfig& g, sim::Time duration,
                                  const server::ServerConfig& server);

}  // namespace lockstage::models::workload
