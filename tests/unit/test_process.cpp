#include <doctest/doctest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/kernel/process.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"

// Coroutines are free functions (no coroutine lambdas: g++ 12 mishandles them).
namespace {

namespace sim = lockstage::sim;
using sim::Blocker;
using sim::millis;
using sim::Process;
using sim::Simulation;
using sim::Task;
using sim::Time;

// (who, when) pairs in the order things happened.
using Trace = std::vector<std::pair<std::string, Time>>;

Process sleeper(Simulation& s, Trace& trace, std::string name, std::vector<Time> delays) {
    trace.emplace_back(name + " start", s.now());
    for (const Time d : delays) {
        co_await s.sleep(d);
        trace.emplace_back(name, s.now());
    }
}

// --- Tasks ---------------------------------------------------------------------------------

Task<int> inner_value(Simulation& s, int x) {
    co_await s.sleep(millis(2));
    co_return x * 10;
}

Task<int> outer_value(Simulation& s, int x) {
    co_await s.sleep(millis(1));
    const int v = co_await inner_value(s, x);
    co_return v + 1;
}

Task<void> inner_void(Simulation& s, Trace& trace) {
    co_await s.sleep(millis(5));
    trace.emplace_back("inner_void done", s.now());
}

Task<void> outer_void(Simulation& s, Trace& trace) {
    co_await inner_void(s, trace);
    trace.emplace_back("outer_void done", s.now());
}

Task<std::string> no_wait(int n) {
    co_return std::string(static_cast<std::size_t>(n), 'x');
}

Process task_user(Simulation& s, Trace& trace, int& result, std::string& text) {
    result = co_await outer_value(s, 4);
    trace.emplace_back("value", s.now());
    co_await outer_void(s, trace);
    text = co_await no_wait(3);
    trace.emplace_back("end", s.now());
}

Task<int> failing_inner(Simulation& s) {
    co_await s.sleep(millis(3));
    throw std::runtime_error("inner failed");
}

Task<int> failing_outer(Simulation& s) {
    const int v = co_await failing_inner(s);
    co_return v;  // never reached
}

Process catcher(Simulation& s, std::string& caught, Time& when, bool& went_on) {
    try {
        const int v = co_await failing_outer(s);
        caught = "no exception, got " + std::to_string(v);
    } catch (const std::runtime_error& e) {
        caught = e.what();
        when = s.now();
    }
    co_await s.sleep(millis(1));
    went_on = true;
}

Process thrower(Simulation& s, Time at) {
    co_await s.sleep_until(at);
    throw std::runtime_error("process failed");
}

// --- Blockers ------------------------------------------------------------------------------

struct WaitRecord {
    int result = -100;
    Time at = -1;
    int resumes = 0;
};

Process waiter(Simulation& s, Blocker& b, Time timeout, WaitRecord& rec) {
    rec.result = co_await s.block(b, timeout);
    rec.at = s.now();
    ++rec.resumes;
}

Process waker(Simulation& s, Blocker& b, Time at, int result, bool& woke) {
    co_await s.sleep_until(at);
    woke = s.wake(b, result);
}

Process named_waiter(Simulation& s, Blocker& b, std::string name, Trace& trace) {
    const int r = co_await s.block(b);
    trace.emplace_back(name + "=" + std::to_string(r), s.now());
}

Process wake_in_order(Simulation& s, std::vector<Blocker*> order, Time at, Trace& trace) {
    co_await s.sleep_until(at);
    trace.emplace_back("waker", s.now());
    int r = 0;
    for (Blocker* b : order) {
        s.wake(*b, r++);
    }
}

// --- Lifetime ------------------------------------------------------------------------------

struct DestroyFlag {
    bool& destroyed;
    explicit DestroyFlag(bool& d) : destroyed(d) {}
    DestroyFlag(const DestroyFlag&) = delete;
    DestroyFlag& operator=(const DestroyFlag&) = delete;
    ~DestroyFlag() { destroyed = true; }
};

Task<void> parked_task(Simulation& s, bool& task_destroyed) {
    DestroyFlag flag(task_destroyed);
    Blocker never;
    co_await s.block(never);
}

Process parked_forever(Simulation& s, bool& destroyed, bool& task_destroyed, bool& resumed) {
    DestroyFlag flag(destroyed);
    co_await parked_task(s, task_destroyed);
    resumed = true;
}

Process sleeps_with_flag(Simulation& s, Time d, bool& destroyed) {
    DestroyFlag flag(destroyed);
    co_await s.sleep(d);
}

Process stopper(Simulation& s, Time at, Trace& trace) {
    co_await s.sleep_until(at);
    trace.emplace_back("stop", s.now());
    s.stop();
    co_await s.sleep(millis(1));
    trace.emplace_back("after stop", s.now());
}

Process sleeps_forever(Simulation& s, bool& resumed) {
    co_await s.sleep(sim::kForever);
    resumed = true;
}

Process blocks_with_huge_timeout(Simulation& s, Blocker& b, WaitRecord& rec) {
    rec.result = co_await s.block(b, sim::kForever - 1);
    rec.at = s.now();
    ++rec.resumes;
}

}  // namespace

TEST_CASE("a process sleeps and records the simulated times") {
    Simulation s;
    Trace trace;
    s.spawn(sleeper(s, trace, "p", {millis(3), 0, millis(7), -5}));
    CHECK(trace.empty());  // spawn only schedules the start
    const auto n = s.run();
    CHECK(trace == Trace{{"p start", 0},
                         {"p", millis(3)},
                         {"p", millis(3)},
                         {"p", millis(10)},
                         {"p", millis(10)}});  // a negative delay sleeps 0
    CHECK(n == 5);
    CHECK(s.events_executed() == 5);
    CHECK(s.live_processes() == 0);
    CHECK(s.pending_events() == 0);
    CHECK(s.now() == millis(10));
}

TEST_CASE("two processes interleave deterministically, spawn order breaking ties") {
    auto run = [] {
        Simulation s;
        Trace trace;
        s.spawn(sleeper(s, trace, "a", {millis(2), millis(2), millis(2)}));
        s.spawn(sleeper(s, trace, "b", {millis(3), millis(1), millis(2)}));
        s.run();
        return trace;
    };
    const Trace trace = run();
    CHECK(trace == Trace{{"a start", 0},
                         {"b start", 0},
                         {"a", millis(2)},
                         {"b", millis(3)},
                         {"a", millis(4)},  // a scheduled t=4 at t=2, before b did at t=3
                         {"b", millis(4)},
                         {"a", millis(6)},
                         {"b", millis(6)}});
    CHECK(run() == trace);
}

TEST_CASE("Task<int> and Task<void> awaited from a process, nested two levels") {
    Simulation s;
    Trace trace;
    int result = 0;
    std::string text;
    s.spawn(task_user(s, trace, result, text));
    s.run();
    CHECK(result == 41);
    CHECK(text == "xxx");
    CHECK(trace == Trace{{"value", millis(3)},
                         {"inner_void done", millis(8)},
                         {"outer_void done", millis(8)},
                         {"end", millis(8)}});
    // Awaiting a task is not an event: spawn + three sleeps.
    CHECK(s.events_executed() == 4);
    CHECK(s.live_processes() == 0);
}

TEST_CASE("an exception thrown inside a Task reaches the awaiting process") {
    Simulation s;
    std::string caught;
    Time when = -1;
    bool went_on = false;
    s.spawn(catcher(s, caught, when, went_on));
    CHECK_NOTHROW(s.run());
    CHECK(caught == "inner failed");
    CHECK(when == millis(3));
    CHECK(went_on);
    CHECK(s.now() == millis(4));
}

TEST_CASE("an exception escaping a process makes run_until rethrow it") {
    Simulation s;
    Trace trace;
    s.spawn(thrower(s, millis(5)));
    s.spawn(sleeper(s, trace, "other", {millis(5), millis(5)}));
    CHECK(s.live_processes() == 2);
    bool thrown = false;
    try {
        s.run_until(millis(100));
    } catch (const std::runtime_error& e) {
        thrown = true;
        CHECK(std::string(e.what()) == "process failed");
    }
    CHECK(thrown);
    // The run stopped right after the failing event: the clock is at the failure, the other
    // process's event at the same time has not run yet, and the failed process is gone.
    CHECK(s.now() == millis(5));
    CHECK(trace == Trace{{"other start", 0}});
    CHECK(s.live_processes() == 1);
    // The error is reported once; the run can go on.
    CHECK_NOTHROW(s.run_until(millis(100)));
    CHECK(trace == Trace{{"other start", 0}, {"other", millis(5)}, {"other", millis(10)}});
    CHECK(s.now() == millis(100));
}

TEST_CASE("Blocker: a wake before the timeout delivers the result; the timeout never fires") {
    Simulation s;
    Blocker b;
    WaitRecord rec;
    bool woke = false;
    s.spawn(waiter(s, b, millis(10), rec));
    s.spawn(waker(s, b, millis(3), 7, woke));
    s.run_until(millis(1));
    CHECK(b.waiting());
    CHECK(s.pending_events() == 2);  // the waker's sleep and the timeout

    s.run_until(millis(4));
    CHECK(woke);
    CHECK_FALSE(b.waiting());
    CHECK(rec.result == 7);
    CHECK(rec.at == millis(3));
    CHECK(rec.resumes == 1);
    CHECK(s.pending_events() == 0);  // the timeout was cancelled

    // Past the old timeout nothing runs and nothing resumes a second time.
    const auto n = s.run_until(millis(50));
    CHECK(n == 0);
    CHECK(rec.resumes == 1);
    CHECK(rec.result == 7);
    // spawn x2, the waker's sleep, the waiter's resume.
    CHECK(s.events_executed() == 4);
}

TEST_CASE("Blocker: a timeout resumes with kTimedOut at exactly the deadline") {
    Simulation s;
    Blocker b;
    WaitRecord rec;
    bool woke = true;
    s.spawn(waiter(s, b, millis(5), rec));     // blocks at t=0, deadline 5 ms
    s.spawn(waker(s, b, millis(5), 9, woke));  // too late: scheduled after the timeout
    s.run_until(millis(5));
    CHECK(b.waiting());  // not yet at 5 ms (run_until excludes its end)
    CHECK(rec.resumes == 0);
    s.run_until(millis(6));
    CHECK(rec.result == Blocker::kTimedOut);
    CHECK(rec.at == millis(5));
    CHECK(rec.resumes == 1);
    CHECK_FALSE(woke);  // the wait had already ended
    CHECK_FALSE(b.waiting());
}

TEST_CASE("Blocker: wake on a blocker that is not waiting returns false") {
    Simulation s;
    Blocker b;
    CHECK_FALSE(b.waiting());
    CHECK_FALSE(s.wake(b, 1));
    CHECK(s.pending_events() == 0);
}

TEST_CASE("Blocker: wake with a negative result throws and leaves the wait in place") {
    Simulation s;
    Blocker b;
    WaitRecord rec;
    s.spawn(waiter(s, b, sim::kForever, rec));
    s.run_until(millis(1));
    REQUIRE(b.waiting());
    CHECK_THROWS_AS(s.wake(b, -1), std::invalid_argument);
    CHECK(b.waiting());
    CHECK(s.wake(b, 0));
    s.run_until(millis(2));
    CHECK(rec.result == 0);
    CHECK(rec.at == millis(1));
}

TEST_CASE("wakes at one time resume in wake order, after events already due then") {
    Simulation s;
    Trace trace;
    Blocker b0, b1, b2;
    s.spawn(named_waiter(s, b0, "w0", trace));
    s.spawn(named_waiter(s, b1, "w1", trace));
    s.spawn(named_waiter(s, b2, "w2", trace));
    s.spawn(wake_in_order(s, {&b2, &b0, &b1}, millis(5), trace));
    // Scheduled for t=5 before the wakes happen, so it runs before the woken processes.
    s.spawn(sleeper(s, trace, "s", {millis(5)}));
    s.run();
    CHECK(trace == Trace{{"s start", 0},
                         {"waker", millis(5)},
                         {"s", millis(5)},
                         {"w2=0", millis(5)},
                         {"w0=1", millis(5)},
                         {"w1=2", millis(5)}});
}

TEST_CASE("run_until(end) stops before events at end and leaves the clock at end") {
    Simulation s;
    Trace trace;
    s.spawn(sleeper(s, trace, "p", {millis(10)}));
    CHECK(s.run_until(millis(10)) == 1);  // only the start
    CHECK(s.now() == millis(10));
    CHECK(trace == Trace{{"p start", 0}});
    CHECK(s.run_until(millis(10)) == 0);
    CHECK(s.run_until(millis(11)) == 1);
    CHECK(trace == Trace{{"p start", 0}, {"p", millis(10)}});
    CHECK(s.now() == millis(11));
    // Later spawns start at the current time.
    s.spawn(sleeper(s, trace, "q", {millis(1)}));
    s.run();
    CHECK(trace.back() == std::make_pair(std::string("q"), millis(12)));
}

TEST_CASE("processes still parked are destroyed with the Simulation") {
    bool destroyed = false, task_destroyed = false, resumed = false, sleeper_destroyed = false;
    {
        Simulation s;
        s.spawn(parked_forever(s, destroyed, task_destroyed, resumed));
        s.spawn(sleeps_with_flag(s, sim::seconds(100), sleeper_destroyed));
        s.run_until(sim::seconds(1));
        CHECK(s.live_processes() == 2);
        CHECK(s.pending_events() == 1);  // the sleeper's wake-up
        CHECK_FALSE(destroyed);
        CHECK_FALSE(task_destroyed);
        CHECK_FALSE(sleeper_destroyed);
    }
    CHECK(destroyed);
    CHECK(task_destroyed);  // the Task frame it was awaiting went with it
    CHECK(sleeper_destroyed);
    CHECK_FALSE(resumed);
}

TEST_CASE("a process that finishes destroys its frame at once") {
    bool destroyed = false;
    Simulation s;
    s.spawn(sleeps_with_flag(s, millis(2), destroyed));
    s.run_until(millis(1));
    CHECK_FALSE(destroyed);
    s.run_until(millis(3));
    CHECK(destroyed);
    CHECK(s.live_processes() == 0);
}

TEST_CASE("live_processes counts spawned, unfinished processes") {
    Simulation s;
    Trace trace;
    CHECK(s.live_processes() == 0);
    s.spawn(sleeper(s, trace, "a", {millis(1)}));
    s.spawn(sleeper(s, trace, "b", {millis(2)}));
    s.spawn(sleeper(s, trace, "c", {millis(3)}));
    CHECK(s.live_processes() == 3);  // counted from spawn on
    s.run_until(millis(1) + 1);
    CHECK(s.live_processes() == 2);
    s.run_until(millis(2) + 1);
    CHECK(s.live_processes() == 1);
    s.run();
    CHECK(s.live_processes() == 0);
}

TEST_CASE("stop() makes run_until return after the current event") {
    Simulation s;
    Trace trace;
    s.spawn(stopper(s, millis(3), trace));
    s.spawn(sleeper(s, trace, "p", {millis(3), millis(3)}));
    const auto n = s.run_until(millis(10));
    CHECK(n == 3);                // two starts and the stopper's wake-up
    CHECK(s.now() == millis(3));  // not moved to the end
    CHECK(trace == Trace{{"p start", 0}, {"stop", millis(3)}});
    s.run_until(millis(10));  // a new run goes on
    CHECK(trace == Trace{{"p start", 0},
                         {"stop", millis(3)},
                         {"p", millis(3)},
                         {"after stop", millis(4)},
                         {"p", millis(6)}});
    CHECK(s.now() == millis(10));
}

// Known bug (reported): Simulation::sleep, schedule and block compute now() + delay without
// saturating, so a wait "for ever" started after t=0 overflows (undefined behaviour) and the
// wrapped, negative time makes EventQueue::schedule throw "time in the past" inside the process.
TEST_CASE("sleep(kForever) after t=0 parks the process instead of overflowing") {
    Simulation s;
    s.run_until(sim::seconds(1));
    bool resumed = false;
    s.spawn(sleeps_forever(s, resumed));
    CHECK_NOTHROW(s.run_until(sim::seconds(2)));
    CHECK_FALSE(resumed);
    CHECK(s.live_processes() == 1);
}

TEST_CASE("a block timeout beyond the end of time acts as no timeout (no overflow)") {
    Simulation s;
    s.run_until(sim::seconds(1));
    Blocker b;
    WaitRecord rec;
    s.spawn(blocks_with_huge_timeout(s, b, rec));
    bool threw = false;
    try {
        s.run_until(sim::seconds(2));
    } catch (const std::logic_error&) {
        threw = true;
    }
    CHECK_FALSE(threw);
    if (threw) {
        // Second bug (reported): BlockAwaiter::await_suspend marks the blocker waiting before
        // scheduling the timeout; when that throws, the process dies but the blocker still says
        // waiting and holds its destroyed frame, so a wake() would resume freed memory.
        CHECK_FALSE(b.waiting());
        return;  // waking it would crash the test run
    }
    CHECK(b.waiting());
    CHECK(s.wake(b, 3));
    CHECK_NOTHROW(s.run_until(sim::seconds(3)));
    CHECK(rec.result == 3);
    CHECK(rec.at == sim::seconds(2));
}

// --- The event limit --------------------------------------------------------------------------

Process ticker(Simulation& s, Time period) {
    for (;;) {
        co_await s.sleep(period);
    }
}

TEST_CASE("an event limit stops a run that would go on: EventLimitExceeded names count and time") {
    Simulation s;
    s.set_event_limit(10);
    s.spawn(ticker(s, millis(1)));       // event 1 starts it; each later event is one tick
    CHECK(s.run_until(millis(5)) == 5);  // the start, then ticks at 1..4 ms
    try {
        s.run_until(sim::seconds(1));
        FAIL("the limit did not stop the run");
    } catch (const sim::EventLimitExceeded& e) {
        CHECK(e.events() == 10);
        CHECK(e.at() == millis(10));  // the eleventh event, not run
    }
    CHECK(s.events_executed() == 10);
}

TEST_CASE("a run that needs exactly the limit finishes; no limit (0) never stops a run") {
    Simulation s;
    s.set_event_limit(3);
    s.spawn(ticker(s, millis(1)));
    CHECK_NOTHROW(s.run_until(millis(2) + 1));  // the start and ticks at 1 and 2 ms
    CHECK(s.events_executed() == 3);
    Simulation unlimited;
    unlimited.spawn(ticker(unlimited, 1));
    CHECK(unlimited.run_until(millis(1)) == 1'000'000);
}

namespace {

// The lock-wait pattern: a session asks for a lock, waits up to a day (lock_wait_timeout's
// default), is granted it early, runs briefly and asks again.
Process lock_waiter(Simulation& s, Blocker& b, std::uint64_t& granted, std::uint64_t& timed_out) {
    for (;;) {
        const int r = co_await s.block(b, sim::seconds(86'400));
        ++(r == Blocker::kTimedOut ? timed_out : granted);
        co_await s.sleep(millis(1));
    }
}

// Grants the waiting sessions one at a time, round robin, every `every`.
Process granter(Simulation& s, std::vector<Blocker>& sessions, Time every) {
    for (std::size_t i = 0;; i = (i + 1) % sessions.size()) {
        co_await s.sleep(every);
        s.wake(sessions[i]);
    }
}

}  // namespace

TEST_CASE("Blocker: timeouts cancelled by early wakes are freed, so stored events stay flat") {
    constexpr std::size_t kSessions = 50;
    Simulation s;
    std::vector<Blocker> sessions(kSessions);
    std::uint64_t granted = 0, timed_out = 0;
    for (Blocker& b : sessions) {
        s.spawn(lock_waiter(s, b, granted, timed_out));
    }
    s.spawn(granter(s, sessions, millis(20)));

    // Live: one timeout or sleep per session, plus the granter's sleep and a resume or two.
    const std::size_t bound = 2 * (kSessions + 3);
    std::size_t max_stored = 0, max_stored_first_hour = 0;
    for (int minute = 1; minute <= 3 * 60; ++minute) {
        s.run_until(minute * sim::kMinute);
        CHECK(s.stored_events() <= 2 * s.pending_events());
        max_stored = std::max(max_stored, s.stored_events());
        if (minute <= 60) {
            max_stored_first_hour = max_stored;
        }
    }
    // 3 h of a grant every 20 ms (the one due at 3 h itself is not run): about 540,000
    // cancelled day-long timeouts, none of which lingers.
    CHECK(granted == 3 * 3600 * 50 - 1);
    CHECK(timed_out == 0);
    CHECK(s.pending_events() <= kSessions + 3);
    CHECK(max_stored <= bound);
    CHECK(max_stored == max_stored_first_hour);  // flat: hours 2 and 3 add nothing
}
