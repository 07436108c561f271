#include "sim/kernel/random.hpp"

#include <boost/random/uniform_01.hpp>

namespace lockstage::sim {

std::uint64_t fnv1a64(std::string_view text) {
    std::uint64_t h = 14695981039346656037ULL;
    for (const char c : text) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ULL;
    }
    return h;
}

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

RandomStream::RandomStream(std::uint64_t seed, std::string_view name)
    : engine_(splitmix64(seed ^ splitmix64(fnv1a64(name)))) {}

double RandomStream::uniform01() {
    return boost::random::uniform_01<double>{}(engine_);
}

}  // namespace lockstage::sim
