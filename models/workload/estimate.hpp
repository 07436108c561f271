#pragma once
// What a client group costs in kernel events, before the run (see sim/kernel/event_cost.hpp):
// its transactions (open: rate x duration; closed: clients / (think + service), at most
// pool / service and cores / execution time), each costing its arrival, an event per statement
// and one per commit that writes; its DDL and long queries; its pool's connections.
#include "models/server/server.hpp"
#include "models/workload/clients.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::models::workload {

/// Keys relative to the group: "arrivals/rate_tps" or "arrivals/clients", "ddl_rate_per_h",
/// "long_query_rate_per_h", "pool_size". `server` gives the commit time and the cores.
sim::EventCosts estimate_events(const GroupConfig& g, sim::Time duration,
                                const server::ServerConfig& server);

}  // namespace lockstage::models::workload
