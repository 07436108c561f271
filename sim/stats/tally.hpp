#pragma once
// Running summaries that never store observations: Tally (count, mean, variance by Welford's
// method, min, max), TimeWeighted (the time average of a level such as a queue length or the
// number of busy servers), LevelTime (the time-weighted distribution of an integer level), and
// the Student t confidence interval of a mean.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

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

/// The time spent at each integer level 0 … max_level (a level above max_level counts as
/// max_level), e.g. the number of requests in a system: its time-weighted distribution. Memory is
/// max_level + 1 numbers. Times are integer nanoseconds and must not go backwards.
class LevelTime {
  public:
    explicit LevelTime(std::size_t max_level, std::int64_t start = 0)
        : start_(start), last_(start), time_(max_level + 1, 0.0) {}
    void set(std::int64_t t, std::size_t level);
    std::size_t level() const { return level_; }
    /// The share of [start, t_end] spent at each level (sums to 1; all 0 on an empty interval).
    std::vector<double> shares(std::int64_t t_end) const;
    /// Restarts the distribution at `t`, keeping the current level (e.g. after a warm-up).
    void reset(std::int64_t t);

  private:
    std::int64_t start_;
    std::int64_t last_;
    std::size_t level_ = 0;
    std::vector<double> time_;  // nanoseconds at each level
};

/// A two-sided confidence interval for the mean of independent observations (e.g. one value
/// per replication), from the Student t distribution with n - 1 degrees of freedom.
struct ConfidenceInterval {
    double mean = 0.0;
    double low = 0.0;
    double high = 0.0;
    double half_width() const { return (high - low) / 2.0; }
    bool contains(double x) const { return low <= x && x <= high; }
};
/// `confidence` in (0, 1), e.g. 0.95. With fewer than two observations the interval is the
/// mean alone.
ConfidenceInterval mean_confidence_interval(const Tally& observations, double confidence);

}  // namespace lockstage::stats
