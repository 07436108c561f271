#pragma once
// Counters per fixed interval of simulated time (TPS over time, timeouts per second). Memory
// grows with simulated duration / interval, never with the number of events.
#include <cstdint>
#include <vector>

namespace lockstage::stats {

class Timeline {
  public:
    /// `interval` > 0, in the same unit as the times passed to add (nanoseconds).
    explicit Timeline(std::int64_t interval);
    /// Adds `amount` to the interval that contains time t (t >= 0).
    void add(std::int64_t t, double amount = 1.0);
    /// Makes sure the series covers [0, t_end), so idle intervals at the end show as zeros.
    void extend_to(std::int64_t t_end);
    /// Adds another timeline of the same interval, interval by interval.
    void merge(const Timeline& other);

    std::int64_t interval() const { return interval_; }
    std::size_t size() const { return values_.size(); }
    double at(std::size_t i) const { return values_[i]; }
    const std::vector<double>& values() const { return values_; }

  private:
    std::int64_t interval_;
    std::vector<double> values_;
};

}  // namespace lockstage::stats
