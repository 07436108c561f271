#pragma once
// The files of one mariadb-model run's result folder: what `lockstage run` writes, and what
// `compare` writes under runs/<strategy>/ for each strategy's run (the same writer, so a compare's
// runs/ folder is a run result folder like any other).
#include <string>

#include "app/experiments/mariadb_run.hpp"
#include "app/experiments/result_writer.hpp"
#include "app/scenario/scenario.hpp"

namespace lockstage::app {

/// Writes summary.json, the CSVs, waits_at_peak.dot, report.html and scenario.json of the run `s`
/// made into `folder`, each named `prefix` + its name ("" for the folder itself, "runs/ftwrl/"
/// for a subfolder, which then gets its own result marker).
void write_mariadb_run(ResultFolder& folder, const std::string& prefix, const Scenario& s,
                       const MariadbRun& run);

}  // namespace lockstage::app
