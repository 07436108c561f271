#pragma once
#include <string_view>

namespace lockstage::app {

/// The scenario JSON Schema (scenarios/scenario.schema.json), compiled into the program so the
/// loader and the shipped schema cannot drift apart.
std::string_view embedded_scenario_schema();
/// The sweep JSON Schema (scenarios/sweep.schema.json), compiled in likewise.
std::string_view embedded_sweep_schema();

}  // namespace lockstage::app
