#pragma once
// Running summaries that never store observations: Tally (count, mean, variance by Welford's
// method, min, max) and TimeWeighted (the time average of a level such as a queue length or the
// number of busy servers).
#include <cstdint>
#include <limits>

namespace lockstage::stats {

class Tally {
  public:
    void add(double x);
    std::uint64_t count() const { return n_; }
    double mean() const { return n_ ? mean_ : 0.0; }
    /// Sample variance (n - 1 in the denominator); 0 with fewer than two observations.
    double variance() const { return n_ > 1 ? m2_ / static_cast<double>(n_ - 1) : 0.0; }
    double stddev() const;
    double min() const { return n_ ? min_ : 0.0; }
    double max() const { return n_ ? max_ : 0.0; }
    double sum() const { return mean_ * static_cast<double>(n_); }

  private:
    std::uint64_t n_ = 0;
    double mean_ = 0.0;
    double m2_ = 0.0;
    double min_ = std::numeric_limits<double>::infinity();
    double max_ = -std::numeric_limits<double>::infinity();
};

/// Integral of a piecewise-constant level over time. Times are integer nanoseconds and must not
/// go backwards.
class TimeWeighted {
  public:
    explicit TimeWeighted(std::int64_t start = 0, double level = 0.0)
        : start_(start), last_(start), level_(level), max_(level) {}
    void set(std::int64_t t, double level);
    void add(std::int64_t t, double delta) { set(t, level_ + delta); }
    double level() const { return level_; }
    double max() const { return max_; }
    /// Time average over [start, t_end].
    double mean(std::int64_t t_end) const;
    /// Restarts the average at `t`, keeping the current level (e.g. after a warm-up).
    void reset(std::int64_t t);

  private:
    std::int64_t start_;
    std::int64_t last_;
    double level_;
    double area_ = 0.0;  // level x nanoseconds
    double max_;
};

}  // namespace lockstage::stats
