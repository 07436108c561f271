#pragma once
// A time-varying arrival rate, piecewise constant: a list of steps (from this time on, this rate
// per second), optionally repeating with a period (a daily profile repeats every 24 h). Arrivals
// of the non-homogeneous Poisson process of that rate are drawn exactly by inverting the
// integrated rate: the next arrival after `now` is where the integral of the rate from `now`
// reaches an Exp(1) draw (Boost.Random), so the process needs no thinning and no bound.
#include <optional>
#include <vector>

#include "sim/kernel/random.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::sim {

class RateProfile {
  public:
    struct Step {
        Time at = 0;        ///< from this time on (the first step is at 0)
        double rate = 0.0;  ///< arrivals per second, >= 0
    };
    RateProfile() = default;
    /// `steps` sorted by strictly increasing `at`, the first at 0, rates >= 0; `period` 0: the
    /// last step's rate holds for ever; otherwise the steps repeat every `period` (all at <
    /// period).
    RateProfile(std::vector<Step> steps, Time period);
    /// A profile of 24 hourly rates (rate_by_hour[h] holds during hour h of the day) on a clock
    /// whose time 0 is `start` into the day (0 = midnight): repeats every 24 h.
    static RateProfile daily(const std::vector<double>& rate_by_hour, Time start);

    bool empty() const { return steps_.empty(); }
    const std::vector<Step>& steps() const { return steps_; }
    Time period() const { return period_; }
    /// The rate at time t.
    double rate_at(Time t) const;
    /// The expected number of arrivals in [a, b): the integral of the rate.
    double integral(Time a, Time b) const;
    /// The largest rate.
    double max_rate() const;
    /// The time of the next arrival after `now`, given an Exp(1) draw `e`; nullopt when the rate
    /// stays 0 from some time on before the integral reaches `e`.
    std::optional<Time> next(Time now, double e) const;
    /// The same, drawing `e` from `rng`.
    std::optional<Time> next(Time now, RandomStream& rng) const;

  private:
    /// Index of the step in force at `t` (t within the first period if periodic).
    std::size_t step_at(Time t) const;
    /// End of step i within its period (period_ or kForever for the last).
    Time step_end(std::size_t i) const;
    /// Integral over one whole period.
    double period_integral() const;

    std::vector<Step> steps_;
    Time period_ = 0;
};

}  // namespace lockstage::sim
