// Compiled with lockstage_server's include roots: the server cannot include the workload built
// on it.
#include "models/workload/clients.hpp"
