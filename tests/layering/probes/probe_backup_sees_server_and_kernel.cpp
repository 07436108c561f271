// Compiled with lockstage_backup's include roots: the positive control, so that the probes that
// must fail fail for their include alone.
#include "models/server/server.hpp"
#include "sim/kernel/simulation.hpp"

namespace lockstage::layering_probe {
int sessions(const models::server::Server& server) {
    return static_cast<int>(server.session_count());
}
}  // namespace lockstage::layering_probe
