// Compiled with lockstage_backup's include roots: a model cannot include the application.
#include "app/cli/commands.hpp"
