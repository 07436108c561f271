// sim::RateProfile: a piecewise-constant rate (a daily profile), its integral, and arrivals of
// the non-homogeneous Poisson process drawn by inverting the integrated rate.
#include <doctest/doctest.h>

#include <boost/math/distributions/poisson.hpp>
#include <vector>

#include "sim/kernel/random.hpp"
#include "sim/kernel/rate_profile.hpp"
#include "sim/kernel/time.hpp"

namespace {

namespace sim = lockstage::sim;
using sim::RateProfile;
using sim::Time;

std::vector<double> test_rates() {
    std::vector<double> r;
    for (int h = 0; h < 24; ++h) {
        r.push_back(h == 4 ? 0.0 : 0.05 * (h % 6 + 1));  // 180..1080 per hour, none at 04:00
    }
    return r;
}

}  // namespace

TEST_CASE("a daily profile starting at 02:30 has the rate of the hour of day it is") {
    const auto p = RateProfile::daily(test_rates(), 2 * sim::kHour + 30 * sim::kMinute);
    CHECK(p.period() == 24 * sim::kHour);
    CHECK(p.rate_at(0) == doctest::Approx(0.15));                 // 02:30
    CHECK(p.rate_at(30 * sim::kMinute) == doctest::Approx(0.2));  // 03:00
    CHECK(p.rate_at(90 * sim::kMinute) == 0.0);                   // 04:00
    CHECK(p.rate_at(24 * sim::kHour) == doctest::Approx(0.15));   // 02:30 the next day
    CHECK(p.rate_at(22 * sim::kHour) == doctest::Approx(0.05));   // 00:30
    CHECK(p.max_rate() == doctest::Approx(0.3));
}

TEST_CASE("the integral of a profile is the expected number of arrivals") {
    const auto p = RateProfile::daily(test_rates(), 0);
    double day = 0;
    for (double r : test_rates()) {
        day += r * 3600;
    }
    CHECK(p.integral(0, 24 * sim::kHour) == doctest::Approx(day));
    CHECK(p.integral(0, 72 * sim::kHour) == doctest::Approx(3 * day));
    CHECK(p.integral(3 * sim::kHour, 5 * sim::kHour) == doctest::Approx(0.2 * 3600));
    CHECK(p.integral(sim::kHour / 2, sim::kHour) == doctest::Approx(0.05 * 1800));
    // A CSV-like profile: steps, the last holding for ever.
    const RateProfile steps({{0, 2.0}, {10 * sim::kSecond, 0.0}, {20 * sim::kSecond, 1.0}}, 0);
    CHECK(steps.integral(0, 100 * sim::kSecond) == doctest::Approx(20.0 + 80.0));
    CHECK(steps.integral(5 * sim::kSecond, 15 * sim::kSecond) == doctest::Approx(10.0));
}

TEST_CASE("the next arrival is where the integrated rate reaches the draw") {
    const RateProfile steps({{0, 2.0}, {10 * sim::kSecond, 0.0}, {20 * sim::kSecond, 1.0}}, 0);
    CHECK(steps.next(0, 1.0) == sim::millis(500));
    CHECK(steps.next(9 * sim::kSecond, 3.0) == 21 * sim::kSecond);  // 2 before the gap, 1 after
    CHECK(steps.next(12 * sim::kSecond, 0.5) == 20 * sim::kSecond + sim::millis(500));
    const RateProfile stops({{0, 1.0}, {sim::kSecond, 0.0}}, 0);
    CHECK_FALSE(stops.next(0, 2.0).has_value());  // the rate stays 0
    CHECK(stops.next(0, 0.25) == sim::millis(250));
    // Periodic: a draw larger than several days' integral skips whole days.
    const auto p = RateProfile::daily(test_rates(), 0);
    const double day = p.integral(0, 24 * sim::kHour);
    const auto t = p.next(0, 3 * day + 0.05 * 1800);  // 3 days, then half of 00:00-01:00
    REQUIRE(t.has_value());
    CHECK(std::abs(*t - (72 * sim::kHour + 30 * sim::kMinute)) < sim::kMillisecond);
    const auto none = RateProfile::daily(std::vector<double>(24, 0.0), 0);
    CHECK_FALSE(none.next(0, 0.1).has_value());
}

TEST_CASE("arrivals per hour follow the profile (Poisson bounds, fixed seed)") {
    // Two days from 02:00: each hour of the simulated clock gets a Poisson count of mean rate x
    // 3600; every count must fall in the central 1 - 1e-6 of that Poisson distribution, and a
    // zero-rate hour gets none.
    const auto rates = test_rates();
    const Time start = 2 * sim::kHour;
    const auto p = RateProfile::daily(rates, start);
    sim::RandomStream rng(42, "profile-test");
    std::vector<int> count(48, 0);
    Time now = 0;
    int total = 0;
    for (;;) {
        const auto t = p.next(now, rng);
        REQUIRE(t.has_value());
        REQUIRE(*t >= now);
        if (*t >= 48 * sim::kHour) {
            break;
        }
        ++count[static_cast<std::size_t>(*t / sim::kHour)];
        ++total;
        now = *t;
    }
    double expected_total = 0;
    for (std::size_t i = 0; i < count.size(); ++i) {
        const double mean = rates[(i + 2) % 24] * 3600;
        expected_total += mean;
        if (mean == 0) {
            CHECK(count[i] == 0);
            continue;
        }
        const boost::math::poisson_distribution<double> poisson(mean);
        INFO("simulated hour ", i, ", hour of day ", (i + 2) % 24, ", mean ", mean);
        CHECK(count[i] >= boost::math::quantile(poisson, 0.5e-6));
        CHECK(count[i] <= boost::math::quantile(boost::math::complement(poisson, 0.5e-6)));
    }
    const boost::math::poisson_distribution<double> all(expected_total);
    CHECK(total >= boost::math::quantile(all, 0.5e-6));
    CHECK(total <= boost::math::quantile(boost::math::complement(all, 0.5e-6)));
}

TEST_CASE("profile arrivals are the same for the same seed") {
    const auto p = RateProfile::daily(test_rates(), 0);
    sim::RandomStream a(7, "x"), b(7, "x");
    for (int i = 0; i < 100; ++i) {
        CHECK(p.next(i * sim::kMinute, a) == p.next(i * sim::kMinute, b));
    }
}
