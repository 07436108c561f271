#include <doctest/doctest.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/kernel/process.hpp"
#include "sim/kernel/resource.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"

// sim::Resource: a counting resource with a strict FIFO queue. Times are exact (ns).
// Coroutines are free functions (no coroutine lambdas: g++ 12 mishandles them).
namespace {

namespace sim = lockstage::sim;
using sim::kForever;
using sim::millis;
using sim::Process;
using sim::Resource;
using sim::Simulation;
using sim::Time;

struct Event {
    std::string who;
    std::string what;  // "got", "timed out", "released"
    Time at;
};

// Arrives after `delay`, asks for a unit (with `timeout`), holds it for `hold`, gives it back.
Process user(Simulation& s, Resource& r, std::vector<Event>& log, std::string name, Time delay,
             Time timeout, Time hold) {
    co_await s.sleep(delay);
    const bool ok = co_await r.acquire(timeout);
    if (!ok) {
        log.push_back({name, "timed out", s.now()});
        co_return;
    }
    log.push_back({name, "got", s.now()});
    co_await s.sleep(hold);
    r.release();
    log.push_back({name, "released", s.now()});
}

// The time at which `who` did `what`, or -1.
Time when(const std::vector<Event>& log, const std::string& who, const std::string& what) {
    for (const auto& e : log) {
        if (e.who == who && e.what == what) {
            return e.at;
        }
    }
    return -1;
}

// The names of those who got a unit, in the order they got it.
std::vector<std::string> grant_order(const std::vector<Event>& log) {
    std::vector<std::string> out;
    for (const auto& e : log) {
        if (e.what == "got") {
            out.push_back(e.who);
        }
    }
    return out;
}

}  // namespace

TEST_CASE("Resource: up to capacity units are granted at once, the rest wait") {
    Simulation s;
    Resource r(s, 2);
    std::vector<Event> log;
    s.spawn(user(s, r, log, "a", 0, kForever, millis(10)));
    s.spawn(user(s, r, log, "b", 0, kForever, millis(10)));
    s.spawn(user(s, r, log, "c", 0, kForever, millis(10)));
    CHECK(r.capacity() == 2);
    CHECK(r.in_use() == 0);
    CHECK(r.queued() == 0);

    s.run_until(millis(5));
    CHECK(when(log, "a", "got") == 0);
    CHECK(when(log, "b", "got") == 0);
    CHECK(when(log, "c", "got") == -1);
    CHECK(r.in_use() == 2);
    CHECK(r.queued() == 1);

    s.run();
    CHECK(when(log, "c", "got") == millis(10));  // a's unit, at the moment a gave it back
    CHECK(when(log, "c", "released") == millis(20));
    CHECK(r.in_use() == 0);
    CHECK(r.queued() == 0);
}

TEST_CASE("Resource: try_acquire takes a free unit and refuses when none is free") {
    Simulation s;
    Resource r(s, 2);
    CHECK(r.try_acquire());
    CHECK(r.in_use() == 1);
    CHECK(r.try_acquire());
    CHECK(r.in_use() == 2);
    CHECK_FALSE(r.try_acquire());
    CHECK(r.in_use() == 2);
    r.release();
    CHECK(r.in_use() == 1);
    CHECK(r.try_acquire());
    CHECK(r.in_use() == 2);
}

TEST_CASE("Resource: waiters are served first come, first served") {
    Simulation s;
    Resource r(s, 1);
    std::vector<Event> log;
    s.spawn(user(s, r, log, "holder", 0, kForever, millis(10)));
    // Spawned in another order than they arrive: arrival order decides.
    s.spawn(user(s, r, log, "third", millis(3), kForever, millis(10)));
    s.spawn(user(s, r, log, "first", millis(1), kForever, millis(10)));
    s.spawn(user(s, r, log, "second", millis(2), kForever, millis(10)));

    s.run_until(millis(4));
    CHECK(r.in_use() == 1);
    CHECK(r.queued() == 3);

    s.run();
    CHECK(grant_order(log) == std::vector<std::string>{"holder", "first", "second", "third"});
    CHECK(when(log, "first", "got") == millis(10));
    CHECK(when(log, "second", "got") == millis(20));
    CHECK(when(log, "third", "got") == millis(30));
    CHECK(r.in_use() == 0);
    CHECK(r.queued() == 0);
}

TEST_CASE("Resource: a waiter that times out leaves the queue and takes no later unit") {
    Simulation s;
    Resource r(s, 1);
    std::vector<Event> log;
    s.spawn(user(s, r, log, "holder", 0, kForever, millis(10)));
    s.spawn(user(s, r, log, "impatient", millis(1), millis(2), millis(10)));
    s.spawn(user(s, r, log, "patient", millis(2), kForever, millis(10)));

    s.run_until(millis(3) - 1);
    CHECK(r.queued() == 2);
    s.run_until(millis(3) + 1);
    CHECK(when(log, "impatient", "timed out") == millis(3));  // exactly arrival + timeout
    CHECK(r.queued() == 1);
    CHECK(r.in_use() == 1);

    s.run();
    CHECK(when(log, "impatient", "got") == -1);
    CHECK(when(log, "patient", "got") == millis(10));
    CHECK(grant_order(log) == std::vector<std::string>{"holder", "patient"});
    CHECK(r.in_use() == 0);
    CHECK(r.queued() == 0);
    // The unit the holder gave back was not lost to the departed waiter.
    CHECK(r.try_acquire());
}

TEST_CASE("Resource: a waiter that times out in the middle of the queue keeps the order") {
    Simulation s;
    Resource r(s, 1);
    std::vector<Event> log;
    s.spawn(user(s, r, log, "holder", 0, kForever, millis(10)));
    s.spawn(user(s, r, log, "a", millis(1), kForever, millis(1)));
    s.spawn(user(s, r, log, "b", millis(2), millis(5), millis(1)));  // gives up at 7 ms
    s.spawn(user(s, r, log, "c", millis(3), kForever, millis(1)));
    s.run();
    CHECK(when(log, "b", "timed out") == millis(7));
    CHECK(grant_order(log) == std::vector<std::string>{"holder", "a", "c"});
    CHECK(when(log, "a", "got") == millis(10));
    CHECK(when(log, "c", "got") == millis(11));
}

TEST_CASE("Resource: release hands the unit straight to the first waiter") {
    Simulation s;
    Resource r(s, 1);
    std::vector<Event> log;
    s.spawn(user(s, r, log, "holder", 0, kForever, millis(10)));
    s.spawn(user(s, r, log, "waiter", millis(1), kForever, millis(10)));
    s.run_until(millis(10));  // events before 10 ms only: the holder still holds
    CHECK(r.in_use() == 1);
    CHECK(r.queued() == 1);
    CHECK(when(log, "holder", "released") == -1);

    s.run_until(millis(10) + 1);
    CHECK(when(log, "holder", "released") == millis(10));
    CHECK(when(log, "waiter", "got") == millis(10));
    // The unit passed from holder to waiter without ever being free.
    CHECK(r.in_use() == 1);
    CHECK(r.queued() == 0);
    CHECK_FALSE(r.try_acquire());
    s.run();
    CHECK(r.in_use() == 0);
}

TEST_CASE("Resource: the unit is the first waiter's even before it resumes") {
    // holder releases at 10 ms; a third process tries at the same instant, after the release
    // but before the waiter has run again: it must not take the unit.
    Simulation s;
    Resource r(s, 1);
    std::vector<Event> log;
    s.spawn(user(s, r, log, "holder", 0, kForever, millis(10)));
    s.spawn(user(s, r, log, "waiter", millis(1), kForever, millis(5)));
    s.spawn(user(s, r, log, "late", millis(10), kForever, millis(5)));
    s.run();
    CHECK(grant_order(log) == std::vector<std::string>{"holder", "waiter", "late"});
    CHECK(when(log, "waiter", "got") == millis(10));
    CHECK(when(log, "late", "got") == millis(15));
}

TEST_CASE("Resource: release without a matching acquire throws std::logic_error") {
    Simulation s;
    Resource r(s, 2);
    CHECK_THROWS_AS(r.release(), std::logic_error);
    CHECK(r.in_use() == 0);
    REQUIRE(r.try_acquire());
    r.release();
    CHECK_THROWS_AS(r.release(), std::logic_error);
    CHECK(r.in_use() == 0);
    // Still usable: both units can be taken, no more.
    CHECK(r.try_acquire());
    CHECK(r.try_acquire());
    CHECK_FALSE(r.try_acquire());
}

TEST_CASE("Resource: in_use and queued follow the holders and the waiters") {
    Simulation s;
    Resource r(s, 3);
    std::vector<Event> log;
    // Five users arrive at 0, 1, 2, 3, 4 ms and each holds for 10 ms.
    const std::vector<std::string> names = {"u0", "u1", "u2", "u3", "u4"};
    for (std::size_t i = 0; i < names.size(); ++i) {
        s.spawn(
            user(s, r, log, names[i], millis(static_cast<std::int64_t>(i)), kForever, millis(10)));
    }
    const std::vector<std::pair<Time, std::pair<std::int64_t, std::size_t>>> expected = {
        {millis(0) + 1, {1, 0}},  {millis(2) + 1, {3, 0}},  {millis(3) + 1, {3, 1}},
        {millis(4) + 1, {3, 2}},  {millis(10) + 1, {3, 1}}, {millis(11) + 1, {3, 0}},
        {millis(12) + 1, {2, 0}}, {millis(20) + 1, {1, 0}}, {millis(21) + 1, {0, 0}},
    };
    for (const auto& [t, counts] : expected) {
        s.run_until(t);
        INFO("at " << t << " ns");
        CHECK(r.in_use() == counts.first);
        CHECK(r.queued() == counts.second);
    }
    CHECK(when(log, "u3", "got") == millis(10));
    CHECK(when(log, "u4", "got") == millis(11));
}
