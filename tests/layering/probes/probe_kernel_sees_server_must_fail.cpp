// Compiled with lockstage_kernel's include roots: the kernel cannot include a model.
#include "models/server/server.hpp"
