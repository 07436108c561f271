#pragma once
// Write-blocked time as a DBA means it: the longest interval in which a set of clients (one
// group, or all groups together) committed nothing while at least one of their writes (INSERT,
// UPDATE, DELETE or COMMIT) waited for a lock; and the latency of the requests whose lifetime
// overlapped that interval ("what the users caught in the block felt").
//
// Nothing is stored per request. The latencies of requests that end during the interval in
// progress go into a small buffer (spilling into a histogram when it grows), and only the longest
// finished interval keeps a histogram, which goes on collecting the requests that overlapped it
// and end later (arrived before its end). A shorter interval is forgotten when it closes, so
// memory stays at two histograms whatever the run's length.
#include <cstdint>
#include <vector>

#include "sim/kernel/time.hpp"
#include "sim/stats/histogram.hpp"

namespace lockstage::models::workload {

class WriteBlocked {
  public:
    /// A write of these clients starts or stops waiting for a lock.
    void wait_began(sim::Time at);
    void wait_ended(sim::Time at);
    /// These clients committed a write: an interval in progress ends, and (writes still waiting)
    /// another begins.
    void committed(sim::Time at);
    /// A request of these clients that arrived at `arrived` ended at `now` (completed, failed,
    /// gave up, or was still running at the end of the run).
    void request_ended(sim::Time arrived, sim::Time now);
    /// Closes an interval still open at the end of the run.
    void finish(sim::Time end);

    /// The longest interval (0 if no write ever waited), when it began, and the latency of the
    /// requests that overlapped it.
    sim::Time longest() const { return best_length_; }
    sim::Time longest_start() const { return best_start_; }
    const stats::Histogram& latency() const { return best_; }

  private:
    void close(sim::Time now);
    void clear_current();

    static constexpr std::size_t kBuffer = 4096;
    int waiting_ = 0;
    sim::Time since_ = 0;             ///< the interval in progress began then (while waiting_ > 0)
    std::vector<sim::Time> current_;  ///< latencies of requests ended during it
    stats::Histogram spill_;          ///< ... those beyond kBuffer
    sim::Time best_start_ = 0;
    sim::Time best_length_ = 0;
    sim::Time best_end_ = 0;  ///< = best_start_ + best_length_; 0 while there is none
    stats::Histogram best_;
};

}  // namespace lockstage::models::workload
