#pragma once
// Random streams. Every actor draws from its own stream, derived from the scenario seed and the
// actor's name, so adding a client or reordering the scenario does not change another actor's
// draws. The engine is Boost.Random's mt19937_64 and all distributions come from Boost.Random,
// whose algorithms are the same with every standard library (std:: distributions are not).
#include <boost/random/mersenne_twister.hpp>
#include <cstdint>
#include <string_view>

namespace lockstage::sim {

/// 64-bit FNV-1a of a name; part of the documented seed derivation.
std::uint64_t fnv1a64(std::string_view text);
/// SplitMix64 finaliser: spreads similar inputs (seed 1, seed 2) over unrelated engine seeds.
std::uint64_t splitmix64(std::uint64_t x);

class RandomStream {
  public:
    using Engine = boost::random::mt19937_64;

    /// The stream of actor `name` in a run seeded with `seed`:
    /// engine seed = splitmix64(seed ^ splitmix64(fnv1a64(name))).
    RandomStream(std::uint64_t seed, std::string_view name);

    Engine& engine() { return engine_; }
    /// A double uniform in [0, 1).
    double uniform01();

  private:
    Engine engine_;
};

}  // namespace lockstage::sim
