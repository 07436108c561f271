#include "sim/stats/tally.hpp"

#include <algorithm>
#include <boost/math/distributions/students_t.hpp>
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

void LevelTime::set(std::int64_t t, std::size_t level) {
    if (t > last_) {
        time_[std::min(level_, time_.size() - 1)] += static_cast<double>(t - last_);
        last_ = t;
    }
    level_ = level;
}

std::vector<double> LevelTime::shares(std::int64_t t_end) const {
    std::vector<double> out = time_;
    const std::int64_t end = std::max(t_end, last_);
    out[std::min(level_, out.size() - 1)] += static_cast<double>(end - last_);
    const double total = static_cast<double>(end - start_);
    for (double& x : out) {
        x = total > 0 ? x / total : 0.0;
    }
    return out;
}

void LevelTime::reset(std::int64_t t) {
    start_ = last_ = std::max(t, last_);
    std::fill(time_.begin(), time_.end(), 0.0);
}

ConfidenceInterval mean_confidence_interval(const Tally& observations, double confidence) {
    ConfidenceInterval ci;
    ci.mean = ci.low = ci.high = observations.mean();
    if (observations.count() < 2) {
        return ci;
    }
    const boost::math::students_t t(static_cast<double>(observations.count() - 1));
    const double half = boost::math::quantile(t, 0.5 + confidence / 2.0) * observations.stddev() /
                        std::sqrt(static_cast<double>(observations.count()));
    ci.low = ci.mean - half;
    ci.high = ci.mean + half;
    return ci;
}

}  // namespace lockstage::stats
