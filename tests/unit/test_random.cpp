#include <doctest/doctest.h>

#include <boost/random/mersenne_twister.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

#include "sim/kernel/distribution.hpp"
#include "sim/kernel/random.hpp"
#include "sim/kernel/time.hpp"

namespace {

namespace sim = lockstage::sim;
using sim::Distribution;
using sim::RandomStream;
using sim::Time;

std::vector<std::uint64_t> raw_draws(RandomStream& r, int n) {
    std::vector<std::uint64_t> out;
    for (int i = 0; i < n; ++i) {
        out.push_back(r.engine()());
    }
    return out;
}

struct Moments {
    double mean = 0.0;
    double sd = 0.0;
    Time min = std::numeric_limits<Time>::max();
    Time max = std::numeric_limits<Time>::min();
};

Moments sample_moments(const Distribution& d, std::uint64_t seed, int n) {
    RandomStream r(seed, "moments");
    double sum = 0.0, sum2 = 0.0;
    Moments m;
    for (int i = 0; i < n; ++i) {
        const Time x = d.sample(r);
        const auto v = static_cast<double>(x);
        sum += v;
        sum2 += v * v;
        m.min = std::min(m.min, x);
        m.max = std::max(m.max, x);
    }
    m.mean = sum / n;
    m.sd = std::sqrt((sum2 - sum * sum / n) / (n - 1));
    return m;
}

constexpr int kDraws = 200'000;

}  // namespace

TEST_CASE("fnv1a64 and splitmix64 give their published values") {
    CHECK(sim::fnv1a64("") == 0xcbf29ce484222325ULL);
    CHECK(sim::fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
    CHECK(sim::fnv1a64("foobar") == 0x85944171f73967e8ULL);
    CHECK(sim::splitmix64(0) == 0xe220a8397b1dcdafULL);  // SplitMix64's first output, seed 0
}

TEST_CASE("a stream's engine is seeded by the documented derivation") {
    RandomStream r(42, "client-1");
    boost::random::mt19937_64 expected(
        sim::splitmix64(42 ^ sim::splitmix64(sim::fnv1a64("client-1"))));
    for (int i = 0; i < 5; ++i) {
        CHECK(r.engine()() == expected());
    }
}

TEST_CASE("the same (seed, name) gives the same sequence; other seeds or names differ") {
    RandomStream a1(7, "client-1"), a2(7, "client-1");
    RandomStream other_name(7, "client-2"), other_seed(8, "client-1");
    const auto a = raw_draws(a1, 20);
    CHECK(raw_draws(a2, 20) == a);
    CHECK(raw_draws(other_name, 20) != a);
    CHECK(raw_draws(other_seed, 20) != a);
    // Similar seeds and names still give unrelated first draws.
    RandomStream s1(1, "x"), s2(2, "x"), n1(1, "y");
    const auto f1 = s1.engine()();
    CHECK(f1 != s2.engine()());
    CHECK(f1 != n1.engine()());
}

TEST_CASE("adding a stream does not change the draws of the others") {
    auto draws_of_first_two = [](bool with_third) {
        RandomStream a(99, "alpha"), b(99, "beta"), c(99, "gamma");
        std::vector<double> out;
        for (int i = 0; i < 50; ++i) {
            out.push_back(a.uniform01());
            if (with_third) {
                c.uniform01();
                c.uniform01();
            }
            out.push_back(b.uniform01());
        }
        return out;
    };
    CHECK(draws_of_first_two(false) == draws_of_first_two(true));
}

TEST_CASE("uniform01 lies in [0, 1) with mean 1/2") {
    RandomStream r(3, "u01");
    double sum = 0.0, lo = 1.0, hi = 0.0;
    for (int i = 0; i < kDraws; ++i) {
        const double u = r.uniform01();
        sum += u;
        lo = std::min(lo, u);
        hi = std::max(hi, u);
    }
    CHECK(lo >= 0.0);
    CHECK(hi < 1.0);
    CHECK(sum / kDraws == doctest::Approx(0.5).epsilon(0.01));
}

TEST_CASE("pinned draws: RandomStream(42, \"client-1\") through exponential(4 ms)") {
    // Pins the documented seed derivation, splitmix64(seed ^ splitmix64(fnv1a64(name))), and
    // Boost.Random's exponential algorithm: if either changes, every scenario's results change.
    RandomStream r(42, "client-1");
    const auto d = Distribution::exponential(sim::millis(4));
    CHECK(d.sample(r) == 5'252'465);
    CHECK(d.sample(r) == 10'390'872);
    CHECK(d.sample(r) == 1'995'191);
}

TEST_CASE("constant distribution") {
    RandomStream r(1, "c");
    const auto d = Distribution::constant(sim::micros(250));
    CHECK(d.kind() == Distribution::Kind::Constant);
    CHECK(d.mean() == 250'000.0);
    for (int i = 0; i < 10; ++i) {
        CHECK(d.sample(r) == 250'000);
    }
    CHECK(Distribution::constant(0).sample(r) == 0);
}

TEST_CASE("uniform distribution stays within [lo, hi] and has the middle as mean") {
    const auto d = Distribution::uniform(sim::millis(2), sim::millis(6));
    CHECK(d.kind() == Distribution::Kind::Uniform);
    CHECK(d.mean() == 4'000'000.0);
    const Moments m = sample_moments(d, 11, kDraws);
    CHECK(m.min >= sim::millis(2));
    CHECK(m.max <= sim::millis(6));
    CHECK(m.min < sim::millis(2) + sim::micros(1));  // the whole range is covered
    CHECK(m.max > sim::millis(6) - sim::micros(1));
    CHECK(m.mean == doctest::Approx(4e6).epsilon(0.01));
    // sd of U(a, b) is (b - a) / sqrt(12).
    CHECK(m.sd == doctest::Approx(4e6 / std::sqrt(12.0)).epsilon(0.01));

    RandomStream r(1, "degenerate");
    const auto point = Distribution::uniform(500, 500);
    CHECK(point.kind() == Distribution::Kind::Uniform);
    CHECK(point.mean() == 500.0);
    CHECK(point.sample(r) == 500);
}

TEST_CASE("exponential distribution: mean and P(X > mean) = 1/e") {
    const Time mean = sim::millis(4);
    const auto d = Distribution::exponential(mean);
    CHECK(d.kind() == Distribution::Kind::Exponential);
    CHECK(d.mean() == 4e6);
    RandomStream r(5, "exp");
    double sum = 0.0;
    int above = 0;
    for (int i = 0; i < kDraws; ++i) {
        const Time x = d.sample(r);
        sum += static_cast<double>(x);
        above += x > mean ? 1 : 0;
    }
    CHECK(sum / kDraws == doctest::Approx(4e6).epsilon(0.01));
    CHECK(static_cast<double>(above) / kDraws == doctest::Approx(std::exp(-1.0)).epsilon(0.015));
}

TEST_CASE("lognormal distribution has the requested mean and standard deviation") {
    const auto d = Distribution::lognormal(sim::millis(10), sim::millis(5));
    CHECK(d.kind() == Distribution::Kind::Lognormal);
    CHECK(d.mean() == 1e7);
    const Moments m = sample_moments(d, 21, kDraws);
    CHECK(m.mean == doctest::Approx(1e7).epsilon(0.01));
    CHECK(m.sd == doctest::Approx(5e6).epsilon(0.03));
    CHECK(m.min > 0);

    // sd = 0 degenerates to the mean.
    RandomStream r(1, "ln0");
    const auto point = Distribution::lognormal(sim::millis(3), 0);
    CHECK(point.sample(r) == doctest::Approx(3e6).epsilon(1e-9));
}

TEST_CASE("empirical distribution: frequencies follow the weights") {
    const auto d = Distribution::empirical({sim::millis(1), sim::millis(2), sim::millis(10), 7},
                                           {1.0, 2.0, 7.0, 0.0});
    CHECK(d.kind() == Distribution::Kind::Empirical);
    CHECK(d.mean() == doctest::Approx((1e6 + 4e6 + 70e6) / 10.0).epsilon(1e-12));
    RandomStream r(8, "emp");
    int n1 = 0, n2 = 0, n10 = 0, other = 0;
    for (int i = 0; i < kDraws; ++i) {
        const Time x = d.sample(r);
        if (x == sim::millis(1)) {
            ++n1;
        } else if (x == sim::millis(2)) {
            ++n2;
        } else if (x == sim::millis(10)) {
            ++n10;
        } else {
            ++other;  // includes the zero-weight value 7
        }
    }
    CHECK(other == 0);
    CHECK(static_cast<double>(n1) / kDraws == doctest::Approx(0.1).epsilon(0.03));
    CHECK(static_cast<double>(n2) / kDraws == doctest::Approx(0.2).epsilon(0.02));
    CHECK(static_cast<double>(n10) / kDraws == doctest::Approx(0.7).epsilon(0.01));
}

TEST_CASE("mean() is exact") {
    CHECK(Distribution::constant(123).mean() == 123.0);
    CHECK(Distribution::uniform(10, 21).mean() == 15.5);
    CHECK(Distribution::exponential(sim::micros(800)).mean() == 800'000.0);
    CHECK(Distribution::lognormal(sim::millis(7), sim::millis(30)).mean() == 7e6);
    CHECK(Distribution::empirical({10, 20}, {1.0, 3.0}).mean() == 17.5);
}

TEST_CASE("invalid parameters throw std::invalid_argument") {
    CHECK_THROWS_AS(Distribution::constant(-1), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::exponential(0), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::exponential(-5), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::uniform(5, 4), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::uniform(-1, 4), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::lognormal(0, 1), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::lognormal(10, -1), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({}, {}), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({1, 2}, {1.0}), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({1}, {1.0, 2.0}), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({1, 2}, {0.0, 0.0}), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({1, 2}, {-1.0, 2.0}), std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({-1, 2}, {1.0, 2.0}), std::invalid_argument);
    CHECK_THROWS_AS(
        Distribution::empirical({1, 2}, {std::numeric_limits<double>::quiet_NaN(), 1.0}),
        std::invalid_argument);
    CHECK_THROWS_AS(Distribution::empirical({1, 2}, {std::numeric_limits<double>::infinity(), 1.0}),
                    std::invalid_argument);
    // The boundaries are accepted.
    CHECK_NOTHROW(Distribution::constant(0));
    CHECK_NOTHROW(Distribution::uniform(0, 0));
    CHECK_NOTHROW(Distribution::exponential(1));
    CHECK_NOTHROW(Distribution::lognormal(1, 0));
    CHECK_NOTHROW(Distribution::empirical({0}, {0.5}));
}

TEST_CASE("samples are never negative, even for tiny means") {
    const std::vector<Distribution> ds = {
        Distribution::uniform(0, 1),
        Distribution::exponential(1),
        Distribution::lognormal(1, 20),
        Distribution::empirical({0, 1}, {1.0, 1.0}),
    };
    for (const auto& d : ds) {
        CAPTURE(Distribution::kind_name(d.kind()));
        const Moments m = sample_moments(d, 31, 50'000);
        CHECK(m.min == 0);  // rounding to the nanosecond reaches 0 ...
        CHECK(m.max > 0);   // ... but the draws are not all zero
    }
}

TEST_CASE("kind_name names each kind as scenario files do") {
    using K = Distribution::Kind;
    CHECK(Distribution::kind_name(K::Constant) == "constant");
    CHECK(Distribution::kind_name(K::Uniform) == "uniform");
    CHECK(Distribution::kind_name(K::Exponential) == "exponential");
    CHECK(Distribution::kind_name(K::Lognormal) == "lognormal");
    CHECK(Distribution::kind_name(K::Empirical) == "empirical");
}
