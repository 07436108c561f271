#include "app/experiments/run_files.hpp"

#include "app/experiments/html_report.hpp"
#include "app/experiments/metrics.hpp"
#include "app/experiments/report.hpp"

namespace lockstage::app {

void write_mariadb_run(ResultFolder& folder, const std::string& prefix, const Scenario& s,
                       const MariadbRun& run) {
    const auto write = [&](const std::string& name, std::string_view content) {
        folder.write(prefix + name, content);
    };
    write("summary.json", mariadb_summary_json(s, run));
    if (run.replica) {
        write("replica_lag.csv", replica_lag_csv(*run.replica));
    }
    if (run.galera) {
        write("galera_queue.csv", galera_queue_csv(*run.galera));
    }
    if (!run.trace.empty()) {
        write("trace.csv", trace_csv(run.trace));
    }
    if (!run.workload.groups.empty()) {
        write("timeline.csv", groups_timeline_csv(run.workload.groups));
        write("latency_histogram.csv", groups_histogram_csv(run.workload.groups));
    }
    write("queue_depth.csv", queue_depth_csv(run.queue_depth));
    write("waits_at_peak.dot", wait_graph_dot(run.queue_depth.peak_graph));
    write("report.html", run_html(s, MetricValues::of(s, run), report_run(s, run)));
    write("scenario.json", s.effective.dump(2) + "\n");
    if (!prefix.empty()) {
        write(kResultMarker, kResultMarkerText);
    }
}

}  // namespace lockstage::app
