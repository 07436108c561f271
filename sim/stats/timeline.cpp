#include "sim/stats/timeline.hpp"

#include <stdexcept>

namespace lockstage::stats {

Timeline::Timeline(std::int64_t interval) : interval_(interval) {
    if (interval <= 0) {
        throw std::invalid_argument("Timeline: interval must be > 0");
    }
}

void Timeline::add(std::int64_t t, double amount) {
    const auto i = static_cast<std::size_t>(t < 0 ? 0 : t / interval_);
    if (i >= values_.size()) {
        values_.resize(i + 1, 0.0);
    }
    values_[i] += amount;
}

void Timeline::extend_to(std::int64_t t_end) {
    if (t_end <= 0) {
        return;
    }
    const auto n = static_cast<std::size_t>((t_end + interval_ - 1) / interval_);
    if (n > values_.size()) {
        values_.resize(n, 0.0);
    }
}

void Timeline::merge(const Timeline& other) {
    if (other.interval_ != interval_) {
        throw std::invalid_argument("Timeline::merge: intervals differ");
    }
    if (other.values_.size() > values_.size()) {
        values_.resize(other.values_.size(), 0.0);
    }
    for (std::size_t i = 0; i < other.values_.size(); ++i) {
        values_[i] += other.values_[i];
    }
}

}  // namespace lockstage::stats
