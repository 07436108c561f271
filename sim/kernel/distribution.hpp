#pragma once
// Distributions of durations (service times, think times, copy phases), sampled in whole
// nanoseconds. Five kinds, as scenario files name them with {"dist": ...}: constant, uniform,
// exponential, lognormal (given by its own mean and standard deviation) and empirical (weighted
// choice among values). Sampling uses Boost.Random only.
#include <boost/random/discrete_distribution.hpp>
#include <boost/random/exponential_distribution.hpp>
#include <boost/random/lognormal_distribution.hpp>
#include <boost/random/uniform_real_distribution.hpp>
#include <string_view>
#include <variant>
#include <vector>

#include "sim/kernel/random.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::sim {

class Distribution {
  public:
    enum class Kind { Constant, Uniform, Exponential, Lognormal, Empirical };

    /// Always `value`.
    static Distribution constant(Time value);
    /// Uniform on [lo, hi] (lo <= hi).
    static Distribution uniform(Time lo, Time hi);
    /// Exponential with the given mean (> 0): the gaps of a Poisson process.
    static Distribution exponential(Time mean);
    /// Lognormal whose own mean and standard deviation are given (mean > 0, sd >= 0).
    static Distribution lognormal(Time mean, Time sd);
    /// One of `values`, with probability proportional to `weights` (same length, >= 1 entry,
    /// weights >= 0 with a positive sum).
    static Distribution empirical(std::vector<Time> values, std::vector<double> weights);

    /// A draw, rounded to the nanosecond and never negative.
    Time sample(RandomStream& rng) const;
    /// The exact mean of the distribution, in nanoseconds.
    double mean() const { return mean_; }
    Kind kind() const { return kind_; }
    static std::string_view kind_name(Kind k);

  private:
    struct Empirical {
        std::vector<Time> values;
        boost::random::discrete_distribution<std::size_t, double> pick;
    };
    using Impl = std::variant<Time, boost::random::uniform_real_distribution<double>,
                              boost::random::exponential_distribution<double>,
                              boost::random::lognormal_distribution<double>, Empirical>;
    Distribution(Kind k, Impl impl, double mean) : kind_(k), impl_(std::move(impl)), mean_(mean) {}

    Kind kind_;
    mutable Impl impl_;  // Boost's lognormal has a non-const operator(), though it keeps no state
    double mean_;
};

}  // namespace lockstage::sim
