#include "sim/kernel/rate_profile.hpp"

#include <algorithm>
#include <boost/random/exponential_distribution.hpp>
#include <cmath>

namespace lockstage::sim {

RateProfile::RateProfile(std::vector<Step> steps, Time period)
    : steps_(std::move(steps)), period_(period) {}

RateProfile RateProfile::daily(const std::vector<double>& rate_by_hour, Time start) {
    constexpr Time kDay = 24 * kHour;
    start %= kDay;
    const auto rate = [&](Time p) {
        return rate_by_hour[static_cast<std::size_t>(((start + p) % kDay) / kHour)];
    };
    std::vector<Step> steps{{0, rate(0)}};
    for (Time b = (kHour - start % kHour) % kHour; b < kDay; b += kHour) {
        if (b > 0) {
            steps.push_back({b, rate(b)});
        }
    }
    return RateProfile(std::move(steps), kDay);
}

std::size_t RateProfile::step_at(Time t) const {
    const auto it = std::upper_bound(steps_.begin(), steps_.end(), t,
                                     [](Time x, const Step& s) { return x < s.at; });
    return static_cast<std::size_t>(it - steps_.begin()) - 1;
}

Time RateProfile::step_end(std::size_t i) const {
    if (i + 1 < steps_.size()) {
        return steps_[i + 1].at;
    }
    return period_ > 0 ? period_ : kForever;
}

double RateProfile::period_integral() const {
    double sum = 0.0;
    for (std::size_t i = 0; i < steps_.size(); ++i) {
        sum += steps_[i].rate * to_seconds(step_end(i) - steps_[i].at);
    }
    return sum;
}

double RateProfile::rate_at(Time t) const {
    return steps_[step_at(period_ > 0 ? t % period_ : t)].rate;
}

double RateProfile::max_rate() const {
    double m = 0.0;
    for (const auto& s : steps_) {
        m = std::max(m, s.rate);
    }
    return m;
}

double RateProfile::integral(Time a, Time b) const {
    // F(t): the integral from 0 to t.
    const auto F = [this](Time t) {
        double whole = 0.0;
        if (period_ > 0) {
            whole = static_cast<double>(t / period_) * period_integral();
            t %= period_;
        }
        for (std::size_t i = 0; i < steps_.size() && steps_[i].at < t; ++i) {
            whole += steps_[i].rate * to_seconds(std::min(t, step_end(i)) - steps_[i].at);
        }
        return whole;
    };
    return b <= a ? 0.0 : F(b) - F(a);
}

std::optional<Time> RateProfile::next(Time now, double e) const {
    Time base = period_ > 0 ? now - now % period_ : 0;
    Time local = now - base;
    for (;;) {
        const std::size_t i = step_at(local);
        const Time end = step_end(i);
        const double rate = steps_[i].rate;
        const double mass =
            end == kForever ? (rate > 0 ? INFINITY : 0.0) : rate * to_seconds(end - local);
        if (rate > 0 && mass >= e) {
            const Time gap = from_units_saturating(e / rate, kSecond);
            const Time at = add_saturating(add_saturating(base, local), gap);
            return at == kForever ? std::nullopt : std::optional<Time>(std::min(at, base + end));
        }
        if (end == kForever) {
            return std::nullopt;  // the rate stays 0
        }
        e -= mass;
        local = end;
        if (local == period_) {
            // A whole period at a time while the draw exceeds one.
            const double whole = period_integral();
            if (!(whole > 0)) {
                return std::nullopt;
            }
            const double n = std::floor(e / whole);
            const Time skip = mul_saturating(period_, static_cast<Time>(std::min(n, 9.2e18)));
            base = add_saturating(add_saturating(base, period_), skip);
            if (base == kForever) {
                return std::nullopt;
            }
            e = std::max(0.0, e - n * whole);
            local = 0;
        }
    }
}

std::optional<Time> RateProfile::next(Time now, RandomStream& rng) const {
    boost::random::exponential_distribution<double> exp1(1.0);
    return next(now, exp1(rng.engine()));
}

}  // namespace lockstage::sim
