#pragma once
// What a part of a run costs in kernel events, estimated before it runs. Each model estimates
// its own share from its configuration (the workload per client group, the replica's stream, the
// backup's steps ...); the application adds the shares up, sizes the run's event budget and, for
// a run too large, names the key that makes it so.
#include <string>
#include <vector>

namespace lockstage::sim {

struct EventCost {
    /// The configuration key that drives the cost, relative to the model's configuration
    /// ("arrivals/rate_tps"); "" for the configuration as a whole.
    std::string key;
    std::string what;  ///< for messages, e.g. "group app: 500/s x 60 s x 4.0 events"
    double events = 0;
};

using EventCosts = std::vector<EventCost>;

}  // namespace lockstage::sim
