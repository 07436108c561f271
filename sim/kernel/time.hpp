#pragma once
// Simulated time: an int64 count of nanoseconds. There is no floating-point clock; doubles appear
// only at the edges (scenario input in seconds or milliseconds, reports in seconds).
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>

namespace lockstage::sim {

using Time = std::int64_t;  ///< nanoseconds of simulated time

inline constexpr Time kNanosecond = 1;
inline constexpr Time kMicrosecond = 1'000;
inline constexpr Time kMillisecond = 1'000'000;
inline constexpr Time kSecond = 1'000'000'000;
inline constexpr Time kMinute = 60 * kSecond;
inline constexpr Time kHour = 60 * kMinute;
inline constexpr Time kForever = std::numeric_limits<Time>::max();

constexpr Time nanos(std::int64_t n) {
    return n;
}
constexpr Time micros(std::int64_t n) {
    return n * kMicrosecond;
}
constexpr Time millis(std::int64_t n) {
    return n * kMillisecond;
}
constexpr Time seconds(std::int64_t n) {
    return n * kSecond;
}

/// Converts a count of `unit` (e.g. 0.25 with kSecond) to nanoseconds, rounding to the nearest
/// nanosecond. Throws std::out_of_range if the result does not fit (about ±292 years).
inline Time from_units(double value, Time unit) {
    const double ns = value * static_cast<double>(unit);
    if (!std::isfinite(ns) || std::fabs(ns) >= 9.2e18) {
        throw std::out_of_range("time value out of range");
    }
    return static_cast<Time>(std::llround(ns));
}
/// As from_units, but a value at or past the end of time (+infinity too) gives kForever instead
/// of throwing: the mean gap of a very rare event (1 / a tiny rate), a copy that never ends.
inline Time from_units_saturating(double value, Time unit) {
    if (value * static_cast<double>(unit) >= 9.2e18) {
        return kForever;
    }
    return from_units(value, unit);
}
/// a + b and a x n for durations >= 0 (n >= 0), kForever when the result would not fit.
constexpr Time add_saturating(Time a, Time b) {
    return a >= kForever - b ? kForever : a + b;
}
constexpr Time mul_saturating(Time a, std::int64_t n) {
    return n != 0 && a > kForever / n ? kForever : a * n;
}

inline Time from_seconds(double s) {
    return from_units(s, kSecond);
}
inline Time from_millis(double ms) {
    return from_units(ms, kMillisecond);
}

/// A span of simulated time [begin, end) that is learnt as it happens (a backup's run): kForever
/// marks a begin or an end not reached yet.
struct Interval {
    Time begin = kForever;
    Time end = kForever;
    /// Whether a request alive over [from, to] overlaps the span, as far as it is known at `to`
    /// (call it when the request ends: an end not reached yet lies after `to`).
    constexpr bool overlaps(Time from, Time to) const { return begin <= to && from < end; }
    /// Whether `t` lies inside the span, as far as it is known at `t`.
    constexpr bool contains(Time t) const { return begin <= t && t < end; }
};

constexpr double to_seconds(Time t) {
    return static_cast<double>(t) / static_cast<double>(kSecond);
}
constexpr double to_millis(Time t) {
    return static_cast<double>(t) / static_cast<double>(kMillisecond);
}

}  // namespace lockstage::sim
