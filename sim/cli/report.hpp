#pragma once
// Turns a run's results into the files of its result folder and the summary printed on the
// terminal. Everything here is a pure function of the scenario and the results, so the same
// scenario and seed give byte-identical files (no wall-clock time, no host name).
#include <string>

#include "models/server/queue_model.hpp"
#include "sim/cli/scenario.hpp"

namespace lockstage::cli {

/// summary.json: the headline figures of the run.
std::string queue_summary_json(const Scenario& s, const models::QueueModelResult& r);
/// timeline.csv: one row per output interval.
std::string queue_timeline_csv(const models::QueueModelResult& r);
/// latency_histogram.csv: the non-empty histogram buckets of each latency metric.
std::string queue_histogram_csv(const models::QueueModelResult& r);
/// The short human summary printed by `lockstage run`.
std::string queue_summary_text(const Scenario& s, const models::QueueModelResult& r);

}  // namespace lockstage::cli
