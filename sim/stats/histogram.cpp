#include "sim/stats/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace lockstage::stats {

namespace {
constexpr int kSubBits = 8;                         // exact below 2^8
constexpr std::uint64_t kExact = 1ULL << kSubBits;  // 256
constexpr std::uint64_t kHalf = kExact / 2;         // 128 buckets per power of two
}  // namespace

std::size_t Histogram::index_of(std::int64_t value) {
    const auto v = static_cast<std::uint64_t>(value < 0 ? 0 : value);
    if (v < kExact) {
        return static_cast<std::size_t>(v);
    }
    const int shift = std::bit_width(v) - kSubBits;  // >= 1
    const std::uint64_t mantissa = v >> shift;       // in [128, 256)
    return static_cast<std::size_t>(static_cast<std::uint64_t>(shift) * kHalf + mantissa);
}

std::int64_t Histogram::lower_of(std::size_t index) {
    if (index < kExact) {
        return static_cast<std::int64_t>(index);
    }
    const std::uint64_t shift = (index - kHalf) / kHalf;
    const std::uint64_t mantissa = index - shift * kHalf;
    return static_cast<std::int64_t>(mantissa << shift);
}

std::int64_t Histogram::upper_of(std::size_t index) {
    if (index < kExact) {
        return static_cast<std::int64_t>(index);
    }
    const std::uint64_t shift = (index - kHalf) / kHalf;
    const std::uint64_t mantissa = index - shift * kHalf;
    return static_cast<std::int64_t>(((mantissa + 1) << shift) - 1);
}

void Histogram::record(std::int64_t value, std::uint64_t count) {
    if (count == 0) {
        return;
    }
    if (value < 0) {
        value = 0;
    }
    const std::size_t i = index_of(value);
    if (i >= counts_.size()) {
        counts_.resize(i + 1, 0);
    }
    counts_[i] += count;
    if (count_ == 0) {
        min_ = max_ = value;
    } else {
        min_ = std::min(min_, value);
        max_ = std::max(max_, value);
    }
    count_ += count;
    sum_ += static_cast<double>(value) * static_cast<double>(count);
}

void Histogram::merge(const Histogram& other) {
    if (other.count_ == 0) {
        return;
    }
    if (other.counts_.size() > counts_.size()) {
        counts_.resize(other.counts_.size(), 0);
    }
    for (std::size_t i = 0; i < other.counts_.size(); ++i) {
        counts_[i] += other.counts_[i];
    }
    min_ = count_ ? std::min(min_, other.min_) : other.min_;
    max_ = count_ ? std::max(max_, other.max_) : other.max_;
    count_ += other.count_;
    sum_ += other.sum_;
}

std::int64_t Histogram::quantile(double q) const {
    if (count_ == 0) {
        return 0;
    }
    q = std::clamp(q, 0.0, 1.0);
    const auto rank = std::max<std::uint64_t>(
        1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            return std::clamp(upper_of(i), min_, max_);
        }
    }
    return max_;
}

std::vector<Histogram::Bucket> Histogram::buckets() const {
    std::vector<Bucket> out;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
        if (counts_[i] != 0) {
            out.push_back(Bucket{lower_of(i), upper_of(i), counts_[i]});
        }
    }
    return out;
}

}  // namespace lockstage::stats
