#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "sim/stats/histogram.hpp"
#include "sim/stats/tally.hpp"
#include "sim/stats/timeline.hpp"

namespace {

using lockstage::stats::Histogram;
using lockstage::stats::Tally;
using lockstage::stats::Timeline;
using lockstage::stats::TimeWeighted;

constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();

// 1, 2, ..., 100000.
Histogram one_to_100k() {
    Histogram h;
    for (std::int64_t v = 1; v <= 100'000; ++v) {
        h.record(v);
    }
    return h;
}

}  // namespace

TEST_CASE("Histogram counts values below 256 exactly") {
    Histogram h;
    for (std::int64_t v = 0; v < 256; ++v) {
        h.record(v, static_cast<std::uint64_t>(v + 1));
    }
    const auto b = h.buckets();
    REQUIRE(b.size() == 256);
    for (std::int64_t v = 0; v < 256; ++v) {
        const auto& bucket = b[static_cast<std::size_t>(v)];
        CHECK(bucket.lower == v);
        CHECK(bucket.upper == v);
        CHECK(bucket.count == static_cast<std::uint64_t>(v + 1));
        CHECK(Histogram::index_of(v) == static_cast<std::size_t>(v));
    }
}

TEST_CASE("Histogram bucket edges are consistent and at most 1/128 wide above 256") {
    std::vector<std::int64_t> values = {
        0,        1,   127, 128,  255,  256,  257,         300,
        511,      512, 513, 1000, 4095, 4096, 123'456'789, (std::int64_t{1} << 40) + 12345,
        kMax - 1, kMax};
    for (int p = 9; p < 63; ++p) {  // both sides of every power of two
        const std::int64_t two_p = std::int64_t{1} << p;
        values.insert(values.end(), {two_p - 1, two_p, two_p + 1, two_p + two_p / 3});
    }
    for (const std::int64_t v : values) {
        CAPTURE(v);
        const std::size_t i = Histogram::index_of(v);
        const std::int64_t lo = Histogram::lower_of(i);
        const std::int64_t hi = Histogram::upper_of(i);
        CHECK(lo <= v);
        CHECK(v <= hi);
        CHECK(Histogram::index_of(lo) == i);
        CHECK(Histogram::index_of(hi) == i);
        if (v >= 256) {
            const double width = static_cast<double>(hi - lo) + 1.0;
            CHECK(width / static_cast<double>(lo) <= 1.0 / 128.0);
        } else {
            CHECK(lo == hi);
        }
    }
    // Buckets tile the line: each one starts right after the previous one ends.
    const std::size_t last = Histogram::index_of(kMax);
    CHECK(Histogram::upper_of(last) == kMax);
    CHECK(last < 7'400);
    for (std::size_t i = 1; i <= last; ++i) {
        CAPTURE(i);
        REQUIRE(Histogram::lower_of(i) == Histogram::upper_of(i - 1) + 1);
    }
}

TEST_CASE("Histogram quantiles of 1..100000") {
    const Histogram h = one_to_100k();
    CHECK(h.count() == 100'000);
    CHECK(h.min() == 1);
    CHECK(h.max() == 100'000);
    CHECK(h.quantile(0.0) == 1);
    CHECK(h.quantile(1.0) == 100'000);
    CHECK(static_cast<double>(h.quantile(0.5)) == doctest::Approx(50'000).epsilon(0.008));
    CHECK(static_cast<double>(h.quantile(0.99)) == doctest::Approx(99'000).epsilon(0.008));
    CHECK(static_cast<double>(h.quantile(0.999)) == doctest::Approx(99'900).epsilon(0.008));
    // Never below the true quantile: a bucket is reported by its upper edge.
    CHECK(h.quantile(0.5) >= 50'000);
    CHECK(h.quantile(0.99) >= 99'000);
    // Exact in the exact range: rank ceil(2^-10 * 100000) = ceil(97.65625) = 98.
    CHECK(h.quantile(0.0009765625) == 98);
    // Out-of-range q is clamped.
    CHECK(h.quantile(-1.0) == 1);
    CHECK(h.quantile(2.0) == 100'000);
    // Quantiles never decrease with q.
    std::int64_t prev = 0;
    for (int k = 0; k <= 1000; ++k) {
        const std::int64_t x = h.quantile(k / 1000.0);
        CHECK(x >= prev);
        prev = x;
    }
}

TEST_CASE("Histogram mean is exact") {
    const Histogram h = one_to_100k();
    CHECK(h.mean() == 50'000.5);
    Histogram w;
    w.record(1'000'001, 3);
    w.record(7);
    CHECK(w.mean() == (3.0 * 1'000'001 + 7) / 4);
    CHECK(w.count() == 4);
}

TEST_CASE("Histogram merge equals recording everything in one") {
    Histogram all, a, b, empty;
    for (std::int64_t v = 0; v < 20'000; ++v) {
        const std::int64_t x = (v * 7919) % 3'000'000 + (v % 5 == 0 ? 1'000'000'000 : 0);
        all.record(x);
        (v % 3 == 0 ? a : b).record(x);
    }
    Histogram merged;
    merged.merge(empty);
    CHECK(merged.count() == 0);
    merged.merge(a);
    merged.merge(b);
    merged.merge(empty);
    CHECK(merged.count() == all.count());
    CHECK(merged.min() == all.min());
    CHECK(merged.max() == all.max());
    CHECK(merged.mean() == doctest::Approx(all.mean()).epsilon(1e-12));
    for (const double q : {0.0, 0.1, 0.5, 0.9, 0.99, 1.0}) {
        CAPTURE(q);
        CHECK(merged.quantile(q) == all.quantile(q));
    }
    const auto mb = merged.buckets();
    const auto ab = all.buckets();
    REQUIRE(mb.size() == ab.size());
    for (std::size_t i = 0; i < mb.size(); ++i) {
        CHECK(mb[i].lower == ab[i].lower);
        CHECK(mb[i].count == ab[i].count);
    }
    // Merging into a histogram whose values are all larger keeps the smaller minimum.
    Histogram big;
    big.record(5'000);
    Histogram small;
    small.record(3);
    big.merge(small);
    CHECK(big.min() == 3);
    CHECK(big.max() == 5'000);
}

TEST_CASE("Histogram records negative values as 0") {
    Histogram h;
    h.record(-42);
    h.record(-1, 2);
    h.record(10);
    CHECK(h.count() == 4);
    CHECK(h.min() == 0);
    CHECK(h.max() == 10);
    CHECK(h.mean() == 2.5);
    CHECK(h.quantile(0.5) == 0);
    const auto b = h.buckets();
    REQUIRE(b.size() == 2);
    CHECK(b[0].lower == 0);
    CHECK(b[0].count == 3);
    CHECK(h.zeros() == 3);
    h.record(1);  // 1 is not 0: it has a bucket of its own
    CHECK(h.zeros() == 3);
    CHECK(Histogram().zeros() == 0);
}

TEST_CASE("an empty Histogram reports zeros") {
    Histogram h;
    h.record(99, 0);  // a zero count records nothing
    CHECK(h.count() == 0);
    CHECK(h.min() == 0);
    CHECK(h.max() == 0);
    CHECK(h.mean() == 0.0);
    CHECK(h.quantile(0.5) == 0);
    CHECK(h.quantile(1.0) == 0);
    CHECK(h.buckets().empty());
}

TEST_CASE("Histogram buckets are increasing, non-empty and sum to the count") {
    Histogram h;
    std::uint64_t n = 0;
    for (std::int64_t v = 1; v < (std::int64_t{1} << 50); v = v * 3 + 1) {
        h.record(v, static_cast<std::uint64_t>(v % 7 + 1));
        n += static_cast<std::uint64_t>(v % 7 + 1);
    }
    h.record(kMax);
    ++n;
    const auto b = h.buckets();
    std::uint64_t sum = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        CHECK(b[i].count > 0);
        CHECK(b[i].lower <= b[i].upper);
        if (i > 0) {
            CHECK(b[i].lower > b[i - 1].upper);
        }
        sum += b[i].count;
    }
    CHECK(sum == n);
    CHECK(sum == h.count());
    CHECK(b.back().upper == kMax);
    CHECK(h.quantile(1.0) == kMax);
}

TEST_CASE("Tally matches a direct computation") {
    const std::vector<double> xs = {4.0, -2.5, 17.25, 3.0, 3.0, 1e3, 0.125, -40.0, 8.0};
    Tally t;
    CHECK(t.count() == 0);
    CHECK(t.mean() == 0.0);
    CHECK(t.variance() == 0.0);
    CHECK(t.min() == 0.0);
    CHECK(t.max() == 0.0);
    for (const double x : xs) {
        t.add(x);
    }
    const double n = static_cast<double>(xs.size());
    const double mean = std::accumulate(xs.begin(), xs.end(), 0.0) / n;
    double ss = 0.0;
    for (const double x : xs) {
        ss += (x - mean) * (x - mean);
    }
    CHECK(t.count() == xs.size());
    CHECK(t.mean() == doctest::Approx(mean).epsilon(1e-12));
    CHECK(t.variance() == doctest::Approx(ss / (n - 1)).epsilon(1e-12));
    CHECK(t.stddev() == doctest::Approx(std::sqrt(ss / (n - 1))).epsilon(1e-12));
    CHECK(t.min() == -40.0);
    CHECK(t.max() == 1e3);
    CHECK(t.sum() == doctest::Approx(mean * n).epsilon(1e-12));

    Tally one;
    one.add(5.0);
    CHECK(one.mean() == 5.0);
    CHECK(one.variance() == 0.0);  // fewer than two observations
}

TEST_CASE("Tally stays accurate with a large offset (Welford)") {
    Tally t;
    for (int i = 0; i < 1000; ++i) {
        t.add(1e9 + (i % 2 == 0 ? 1.0 : -1.0));
    }
    CHECK(t.mean() == doctest::Approx(1e9).epsilon(1e-15));
    CHECK(t.variance() == doctest::Approx(1000.0 / 999.0).epsilon(1e-6));
}

TEST_CASE("TimeWeighted gives the exact time average of a piecewise level") {
    TimeWeighted w(100, 2.0);  // level 2 from t=100
    w.set(110, 5.0);           // 10 ns at 2
    w.add(130, -1.0);          // 20 ns at 5, then 4
    w.set(130, 0.0);           // same instant: no area at 4
    w.set(160, 1.0);           // 30 ns at 0
    // [100, 200]: 2*10 + 5*20 + 0*30 + 1*40 = 160 over 100 ns.
    CHECK(w.mean(200) == doctest::Approx(1.6).epsilon(1e-12));
    CHECK(w.level() == 1.0);
    CHECK(w.max() == 5.0);
    // The average may be asked for at any later time without changing the state.
    CHECK(w.mean(300) == doctest::Approx(2.6 / 2.0).epsilon(1e-12));  // + 100 ns at 1
    CHECK(w.mean(200) == doctest::Approx(1.6).epsilon(1e-12));

    TimeWeighted at_start(50, 3.0);
    CHECK(at_start.mean(50) == 3.0);  // no time elapsed: the current level
}

TEST_CASE("TimeWeighted reset restarts the average and keeps the level") {
    TimeWeighted w;
    w.set(0, 10.0);
    w.set(1'000, 1.0);
    w.reset(2'000);  // forgets the 10 (and the 1 before 2000)
    CHECK(w.level() == 1.0);
    CHECK(w.max() == 1.0);
    w.set(2'500, 3.0);
    // [2000, 3000]: 1*500 + 3*500 = 2000 over 1000 ns.
    CHECK(w.mean(3'000) == doctest::Approx(2.0).epsilon(1e-12));
    CHECK(w.max() == 3.0);
}

TEST_CASE("Timeline adds into the right interval and pads to the end") {
    Timeline t(10);
    CHECK(t.interval() == 10);
    CHECK(t.size() == 0);
    t.add(0);
    t.add(9, 2.0);
    t.add(10);
    t.add(35, 0.5);
    REQUIRE(t.size() == 4);
    CHECK(t.at(0) == 3.0);
    CHECK(t.at(1) == 1.0);
    CHECK(t.at(2) == 0.0);
    CHECK(t.at(3) == 0.5);

    t.extend_to(40);  // already covers [0, 40)
    CHECK(t.size() == 4);
    t.extend_to(41);  // [40, 50) is needed too
    CHECK(t.size() == 5);
    t.extend_to(100);
    CHECK(t.values() == std::vector<double>{3.0, 1.0, 0.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0});
    t.extend_to(0);
    CHECK(t.size() == 10);

    Timeline fresh(1'000);
    fresh.extend_to(3'000);
    CHECK(fresh.values() == std::vector<double>{0.0, 0.0, 0.0});
}

TEST_CASE("Timeline refuses a non-positive interval") {
    CHECK_THROWS_AS(Timeline(0), std::invalid_argument);
    CHECK_THROWS_AS(Timeline(-5), std::invalid_argument);
    CHECK_NOTHROW(Timeline(1));
}

TEST_CASE("LevelTime: the time-weighted distribution of an integer level") {
    lockstage::stats::LevelTime l(3, 0);
    l.set(10, 1);  // level 0 for [0, 10)
    l.set(30, 2);  // level 1 for [10, 30)
    l.set(40, 7);  // level 2 for [30, 40), then 7 (counted as 3) for [40, 100)
    CHECK(l.level() == 7);
    CHECK(l.shares(100) == std::vector<double>{0.1, 0.2, 0.1, 0.6});
    l.set(100, 0);
    l.reset(100);                                                     // restarts, keeping level 0
    CHECK(l.shares(100) == std::vector<double>{0.0, 0.0, 0.0, 0.0});  // an empty interval
    l.set(150, 1);
    CHECK(l.shares(200) == std::vector<double>{0.5, 0.5, 0.0, 0.0});
}

TEST_CASE("mean_confidence_interval: Student t with n - 1 degrees of freedom") {
    Tally t;
    for (const double x : {1.0, 2.0, 3.0, 4.0, 5.0}) {
        t.add(x);
    }
    // t(0.975; 4) = 2.7764451, sd = sqrt(2.5).
    const auto ci = lockstage::stats::mean_confidence_interval(t, 0.95);
    CHECK(ci.mean == doctest::Approx(3.0));
    CHECK(ci.half_width() == doctest::Approx(2.7764451 * std::sqrt(2.5) / std::sqrt(5.0)));
    CHECK(ci.contains(1.04));
    CHECK_FALSE(ci.contains(1.03));
    // A higher confidence widens it: t(0.995; 4) = 4.6040949.
    CHECK(lockstage::stats::mean_confidence_interval(t, 0.99).half_width() ==
          doctest::Approx(4.6040949 * std::sqrt(2.5) / std::sqrt(5.0)));
    Tally one;
    one.add(7.0);
    const auto single = lockstage::stats::mean_confidence_interval(one, 0.95);
    CHECK(single.low == 7.0);
    CHECK(single.high == 7.0);
}
