#include "sim/stats/tally.hpp"

#include <algorithm>
#include <cmath>

namespace lockstage::stats {

void Tally::add(double x) {
    ++n_;
    const double d = x - mean_;
    mean_ += d / static_cast<double>(n_);
    m2_ += d * (x - mean_);
    min_ = std::min(min_, x);
    max_ = std::max(max_, x);
}

double Tally::stddev() const {
    return std::sqrt(variance());
}

void TimeWeighted::set(std::int64_t t, double level) {
    if (t > last_) {
        area_ += level_ * static_cast<double>(t - last_);
        last_ = t;
    }
    level_ = level;
    max_ = std::max(max_, level);
}

double TimeWeighted::mean(std::int64_t t_end) const {
    const std::int64_t end = std::max(t_end, last_);
    const double area = area_ + level_ * static_cast<double>(end - last_);
    return end > start_ ? area / static_cast<double>(end - start_) : level_;
}

void TimeWeighted::reset(std::int64_t t) {
    start_ = last_ = std::max(t, last_);
    area_ = 0.0;
    max_ = level_;
}

}  // namespace lockstage::stats
