#pragma once
// report.html: one self-contained page per run and per compare (inline CSS and SVG drawn here,
// no script, nothing fetched), built from the results in memory. A run's page: the headline
// metrics of the metric table, commits per client group over time with the backup's lock
// stages shaded, the same zoomed on the backup window, the lock queue's depth, each group's
// latency histogram (log axes), the wait-for graph at the queue's peak and the verdict on the
// copy. A compare's page shows the strategies side by side on the same scales. Every string
// from the scenario is HTML-escaped; the page is a pure function of the scenario and the
// results (same scenario and seed, same bytes).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "app/experiments/mariadb_run.hpp"
#include "app/experiments/metrics.hpp"
#include "app/experiments/report.hpp"
#include "app/scenario/scenario.hpp"
#include "models/queue/queue_model.hpp"

namespace lockstage::app {

/// What the charts of one mariadb-model run need, kept after the run is gone (compare keeps
/// one per strategy).
struct ReportRun {
    struct Group {
        std::string name;
        sim::Time interval = sim::kSecond;
        std::vector<double> commits;  ///< per interval
        stats::Histogram latency;     ///< every request, as the latency metrics
    };
    std::vector<Group> groups;
    std::vector<BackupStage> stages;
    std::optional<std::pair<sim::Time, sim::Time>> window;  ///< backup_window()
    sim::Time duration = 0;
    sim::Time depth_interval = 0;      ///< queue depth: one row's width
    std::vector<std::uint32_t> depth;  ///< the largest total of each row
    std::uint32_t depth_peak = 0;
    sim::Time depth_peak_at = 0;
    models::server::WaitGraph peak_graph;
    bool has_backup = false;
    std::string strategy;
    std::string flavor;
    bool finished = false;
    bool consistent = false;
    std::string failure;
    std::vector<std::string> inconsistencies;  ///< "table: reason"
};

ReportRun report_run(const Scenario& s, const MariadbRun& run);

/// report.html of a mariadb-model run.
std::string run_html(const Scenario& s, const MetricValues& values, const ReportRun& r);

/// One column of a compare page.
struct CompareColumn {
    const ReportRun* run;
    const MetricValues* values;
};
/// report.html of a compare: the strategies side by side.
std::string compare_html(const Scenario& base, const std::vector<CompareColumn>& columns);

/// report.html of a queue-model run: its figures, throughput over time, latency histograms.
std::string queue_html(const Scenario& s, const models::queue::QueueModelResult& r);

/// `text` with & < > " ' replaced by character references.
std::string html_escape(std::string_view text);

}  // namespace lockstage::app
