#include "sim/kernel/distribution.hpp"

#include <cmath>
#include <numeric>
#include <stdexcept>

namespace lockstage::sim {

namespace {
Time to_time(double ns) {
    if (!(ns > 0.0)) {
        return 0;  // also maps NaN to 0
    }
    if (ns >= 9.2e18) {
        return kForever;
    }
    return static_cast<Time>(std::llround(ns));
}
}  // namespace

Distribution Distribution::constant(Time value) {
    if (value < 0) {
        throw std::invalid_argument("constant distribution: value must be >= 0");
    }
    return Distribution(Kind::Constant, value, static_cast<double>(value));
}

Distribution Distribution::uniform(Time lo, Time hi) {
    if (lo < 0 || hi < lo) {
        throw std::invalid_argument("uniform distribution: need 0 <= min <= max");
    }
    if (lo == hi) {
        return Distribution(Kind::Uniform, lo, static_cast<double>(lo));
    }
    return Distribution(Kind::Uniform,
                        boost::random::uniform_real_distribution<double>(static_cast<double>(lo),
                                                                         static_cast<double>(hi)),
                        (static_cast<double>(lo) + static_cast<double>(hi)) / 2.0);
}

Distribution Distribution::exponential(Time mean) {
    if (mean <= 0) {
        throw std::invalid_argument("exponential distribution: mean must be > 0");
    }
    const double m = static_cast<double>(mean);
    return Distribution(Kind::Exponential, boost::random::exponential_distribution<double>(1.0 / m),
                        m);
}

Distribution Distribution::lognormal(Time mean, Time sd) {
    if (mean <= 0 || sd < 0) {
        throw std::invalid_argument("lognormal distribution: need mean > 0 and sd >= 0");
    }
    const double m = static_cast<double>(mean);
    const double s = static_cast<double>(sd);
    // Parameters of the underlying normal, from the lognormal's own mean and sd.
    const double sigma2 = std::log1p((s * s) / (m * m));
    const double mu = std::log(m) - sigma2 / 2.0;
    return Distribution(Kind::Lognormal,
                        boost::random::lognormal_distribution<double>(mu, std::sqrt(sigma2)), m);
}

Distribution Distribution::empirical(std::vector<Time> values, std::vector<double> weights) {
    if (values.empty() || values.size() != weights.size()) {
        throw std::invalid_argument(
            "empirical distribution: need as many weights as values (>= 1)");
    }
    double total = 0.0;
    double weighted = 0.0;
    for (std::size_t i = 0; i < values.size(); ++i) {
        if (values[i] < 0 || !(weights[i] >= 0.0) || !std::isfinite(weights[i])) {
            throw std::invalid_argument("empirical distribution: values and weights must be >= 0");
        }
        total += weights[i];
        weighted += weights[i] * static_cast<double>(values[i]);
    }
    if (!(total > 0.0)) {
        throw std::invalid_argument("empirical distribution: weights must have a positive sum");
    }
    Empirical e{std::move(values), boost::random::discrete_distribution<std::size_t, double>(
                                       weights.begin(), weights.end())};
    return Distribution(Kind::Empirical, std::move(e), weighted / total);
}

Time Distribution::sample(RandomStream& rng) const {
    auto& eng = rng.engine();
    switch (impl_.index()) {
        case 0:
            return std::get<0>(impl_);
        case 1:
            return to_time(std::get<1>(impl_)(eng));
        case 2:
            return to_time(std::get<2>(impl_)(eng));
        case 3:
            return to_time(std::get<3>(impl_)(eng));
        default: {
            const auto& e = std::get<4>(impl_);
            return e.values[e.pick(eng)];
        }
    }
}

std::string_view Distribution::kind_name(Kind k) {
    switch (k) {
        case Kind::Constant:
            return "constant";
        case Kind::Uniform:
            return "uniform";
        case Kind::Exponential:
            return "exponential";
        case Kind::Lognormal:
            return "lognormal";
        case Kind::Empirical:
            return "empirical";
    }
    return "?";
}

}  // namespace lockstage::sim
