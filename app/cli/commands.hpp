#pragma once
// The lockstage command line: `run`, `check`, `--help`, `--version`.
// Exit codes: 0 success; 1 a failure while running or writing results; 2 bad input (a scenario
// that does not load, unknown options or arguments).
#include <iosfwd>

namespace lockstage::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitBadInput = 2;

/// Runs the program with its arguments; everything goes to `out` and `err`.
int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err);

}  // namespace lockstage::app
