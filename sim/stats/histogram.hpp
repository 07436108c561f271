#pragma once
// A log-linear histogram of non-negative integer values (latencies in nanoseconds), in the spirit
// of HdrHistogram: values below 256 are counted exactly, above that each power of two is split
// into 128 buckets, so a bucket's width is at most 1/128 (0.8 %) of its values. Memory is bounded
// (at most ~7,400 counters) whatever the number of observations, which is what lets a run of
// any length keep p99, p99.9 and max without storing observations.
#include <cstdint>
#include <vector>

namespace lockstage::stats {

class Histogram {
  public:
    /// Counts `count` observations of `value` (negative values count as 0).
    void record(std::int64_t value, std::uint64_t count = 1);
    void merge(const Histogram& other);

    std::uint64_t count() const { return count_; }
    std::int64_t min() const { return count_ ? min_ : 0; }
    std::int64_t max() const { return count_ ? max_ : 0; }
    /// Exact mean of the recorded values (0 when empty).
    double mean() const { return count_ ? sum_ / static_cast<double>(count_) : 0.0; }
    /// How many observations were exactly 0 (values below 256 have buckets of their own).
    std::uint64_t zeros() const { return counts_.empty() ? 0 : counts_[index_of(0)]; }
    /// The value at quantile q in [0, 1]: the smallest bucket whose cumulative count reaches
    /// ceil(q * count), reported as the bucket's upper edge clamped to [min, max] (so quantile(1)
    /// is the exact max). 0 when empty.
    std::int64_t quantile(double q) const;

    struct Bucket {
        std::int64_t lower;  ///< inclusive
        std::int64_t upper;  ///< inclusive
        std::uint64_t count;
    };
    /// The non-empty buckets, in increasing order.
    std::vector<Bucket> buckets() const;

    static std::size_t index_of(std::int64_t value);
    static std::int64_t lower_of(std::size_t index);
    static std::int64_t upper_of(std::size_t index);

  private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t count_ = 0;
    double sum_ = 0.0;
    std::int64_t min_ = 0;
    std::int64_t max_ = 0;
};

}  // namespace lockstage::stats
