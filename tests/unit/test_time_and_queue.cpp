#include <doctest/doctest.h>

#include <algorithm>
#include <boost/random/mersenne_twister.hpp>
#include <boost/random/uniform_int_distribution.hpp>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/time.hpp"

namespace {

namespace sim = lockstage::sim;
using sim::Action;
using sim::EventHandle;
using sim::EventQueue;
using sim::Time;

// A firing log for the queue tests: each event's context is one Tag, whose action appends the
// tag's name to the log and may schedule a follow-up event at the current time.
struct Log {
    EventQueue* queue = nullptr;
    std::vector<std::string> fired;
};

struct Tag {
    Log* log;
    std::string name;
    Tag* follow_up = nullptr;  // scheduled at now() when this one fires
};

void fire(void* ctx) {
    auto* t = static_cast<Tag*>(ctx);
    t->log->fired.push_back(t->name);
    if (t->follow_up != nullptr) {
        t->log->queue->schedule(t->log->queue->now(), Action{&fire, t->follow_up});
    }
}

Action act(Tag& t) {
    return Action{&fire, &t};
}
bool is_empty(const Action& a) {
    return a.fn == nullptr;
}

// Pops and runs every event before `end`, returning the names in firing order.
std::vector<std::string> drain(EventQueue& q, Log& log, Time end = sim::kForever) {
    log.fired.clear();
    for (Action a = q.pop_before(end); a.fn != nullptr; a = q.pop_before(end)) {
        a.fn(a.ctx);
    }
    return log.fired;
}

using Names = std::vector<std::string>;

}  // namespace

TEST_CASE("time helpers convert units and round to the nearest nanosecond") {
    CHECK(sim::nanos(7) == 7);
    CHECK(sim::micros(3) == 3'000);
    CHECK(sim::millis(4) == 4'000'000);
    CHECK(sim::seconds(2) == 2'000'000'000);
    CHECK(sim::kMinute == 60 * sim::kSecond);
    CHECK(sim::kHour == 3600 * sim::kSecond);

    CHECK(sim::from_seconds(0.25) == 250'000'000);
    CHECK(sim::from_seconds(-1.5) == -1'500'000'000);
    CHECK(sim::from_millis(0.8) == 800'000);
    CHECK(sim::from_millis(1.0000004) == 1'000'000);     // 1,000,000.4 ns rounds down
    CHECK(sim::from_millis(1.0000006) == 1'000'001);     // 1,000,000.6 ns rounds up
    CHECK(sim::from_units(2.5, sim::kNanosecond) == 3);  // halves round away from zero
    CHECK(sim::from_units(-2.5, sim::kNanosecond) == -3);
    CHECK(sim::from_units(1.5, sim::kMicrosecond) == 1'500);

    CHECK(sim::to_seconds(sim::millis(1500)) == doctest::Approx(1.5));
    CHECK(sim::to_millis(sim::micros(2500)) == doctest::Approx(2.5));
}

TEST_CASE("from_units throws std::out_of_range when the result does not fit") {
    CHECK_THROWS_AS(sim::from_seconds(1e10), std::out_of_range);  // ~317 years
    CHECK_THROWS_AS(sim::from_seconds(-1e10), std::out_of_range);
    CHECK_THROWS_AS(sim::from_seconds(std::numeric_limits<double>::quiet_NaN()), std::out_of_range);
    CHECK_THROWS_AS(sim::from_millis(std::numeric_limits<double>::infinity()), std::out_of_range);
    CHECK_THROWS_AS(sim::from_units(1e300, sim::kNanosecond), std::out_of_range);
    // About 250 years still fits.
    CHECK(sim::from_seconds(7.9e9) == 7'900'000'000LL * sim::kSecond);
}

TEST_CASE("saturating conversions and arithmetic stop at kForever instead of overflowing") {
    CHECK(sim::from_units_saturating(1.5, sim::kSecond) == 1'500'000'000);
    CHECK(sim::from_units_saturating(1.0 / 1e-15, sim::kSecond) == sim::kForever);  // a tiny rate
    CHECK(sim::from_units_saturating(std::numeric_limits<double>::infinity(), 1) == sim::kForever);
    CHECK(sim::add_saturating(2, 3) == 5);
    CHECK(sim::add_saturating(sim::kForever - 1, 2) == sim::kForever);
    CHECK(sim::add_saturating(sim::kForever, 0) == sim::kForever);
    CHECK(sim::mul_saturating(sim::millis(1'000'000), 10'000'000) == sim::kForever);  // 1e19 ns
    CHECK(sim::mul_saturating(sim::millis(1), 30'000'000) == 30'000'000 * sim::kMillisecond);
    CHECK(sim::mul_saturating(sim::kForever, 0) == 0);
}

TEST_CASE("EventQueue fires events in time order and FIFO among equal times") {
    EventQueue q;
    Log log{&q, {}};
    Tag a{&log, "a"}, b{&log, "b"}, c{&log, "c"}, d{&log, "d"}, e{&log, "e"};
    q.schedule(30, act(a));
    q.schedule(10, act(b));
    q.schedule(20, act(c));
    q.schedule(10, act(d));
    q.schedule(0, act(e));  // at now(): goes to the same-time ring
    CHECK(q.size() == 5);
    CHECK(q.next_time() == 0);
    CHECK(drain(q, log) == Names{"e", "b", "d", "c", "a"});
    CHECK(q.now() == 30);
    CHECK(q.size() == 0);
    CHECK(q.next_time() == sim::kForever);
    CHECK(q.scheduled_count() == 5);
}

TEST_CASE("events scheduled at the current time run after those already due then") {
    EventQueue q;
    Log log{&q, {}};
    Tag late1{&log, "late1"}, late2{&log, "late2"}, nested{&log, "nested"};
    Tag first{&log, "first", &late1};  // schedules late1 at t=10 while firing at t=10
    Tag second{&log, "second", &late2};
    Tag third{&log, "third"};
    late1.follow_up = &nested;
    q.schedule(10, act(first));
    q.schedule(10, act(second));
    q.schedule(10, act(third));
    // The three heap events at t=10 predate late1/late2 (scheduled during t=10), and nested is
    // scheduled by late1, so it comes after late2.
    CHECK(drain(q, log) == Names{"first", "second", "third", "late1", "late2", "nested"});
    CHECK(q.now() == 10);
}

TEST_CASE("events already in the heap at a time reached by advance_to come before new ones") {
    EventQueue q;
    Log log{&q, {}};
    Tag heap{&log, "heap"}, ring{&log, "ring"};
    q.schedule(50, act(heap));
    q.advance_to(50);  // allowed: the next event is not before 50
    CHECK(q.now() == 50);
    q.schedule(50, act(ring));
    CHECK(drain(q, log) == Names{"heap", "ring"});
}

TEST_CASE("cancel: a cancelled event never fires and stale cancels return false") {
    EventQueue q;
    Log log{&q, {}};
    Tag a{&log, "a"}, b{&log, "b"}, c{&log, "c"}, now{&log, "now"};
    const EventHandle ha = q.schedule(10, act(a));
    const EventHandle hb = q.schedule(20, act(b));
    const EventHandle hc = q.schedule(30, act(c));
    const EventHandle hn = q.schedule(0, act(now));
    CHECK(q.pending(ha));
    CHECK(q.pending(hb));
    CHECK_FALSE(q.pending(EventHandle{}));
    CHECK_FALSE(q.cancel(EventHandle{}));

    CHECK(q.cancel(hb));
    CHECK_FALSE(q.pending(hb));
    CHECK_FALSE(q.cancel(hb));  // double cancel
    CHECK(q.cancel(hn));        // also works for a same-time (ring) event
    CHECK(q.size() == 2);

    CHECK(drain(q, log, 15) == Names{"a"});
    CHECK_FALSE(q.pending(ha));
    CHECK_FALSE(q.cancel(ha));  // already fired

    // A new event may reuse the slot of a fired or cancelled one; the old handles stay dead.
    Tag d{&log, "d"};
    const EventHandle hd = q.schedule(25, act(d));
    CHECK_FALSE(q.cancel(ha));
    CHECK_FALSE(q.cancel(hb));
    CHECK(q.pending(hd));
    CHECK(q.pending(hc));
    CHECK(drain(q, log) == Names{"d", "c"});
    CHECK(q.size() == 0);
}

TEST_CASE("pop_before(end) excludes events at end and leaves the clock alone when empty") {
    EventQueue q;
    Log log{&q, {}};
    Tag a{&log, "a"}, b{&log, "b"};
    q.schedule(100, act(a));
    q.schedule(99, act(b));
    CHECK(drain(q, log, 100) == Names{"b"});
    CHECK(q.now() == 99);
    const Action none = q.pop_before(100);
    CHECK(is_empty(none));
    CHECK(q.now() == 99);
    CHECK(drain(q, log, 101) == Names{"a"});
    CHECK(q.now() == 100);
}

TEST_CASE("pop_before skips cancelled events at the front") {
    EventQueue q;
    Log log{&q, {}};
    Tag a{&log, "a"}, b{&log, "b"};
    const EventHandle ha = q.schedule(5, act(a));
    q.schedule(7, act(b));
    CHECK(q.cancel(ha));
    CHECK(q.next_time() == 7);
    CHECK(drain(q, log) == Names{"b"});
    CHECK(q.now() == 7);
}

TEST_CASE("advance_to moves the clock only when no live event comes before the target") {
    EventQueue q;
    Log log{&q, {}};
    Tag a{&log, "a"};
    q.advance_to(40);
    CHECK(q.now() == 40);
    q.advance_to(30);  // never backwards
    CHECK(q.now() == 40);
    const EventHandle h = q.schedule(60, act(a));
    q.advance_to(70);  // the event at 60 comes first
    CHECK(q.now() == 40);
    q.advance_to(60);
    CHECK(q.now() == 60);
    CHECK(q.pending(h));
    CHECK(q.cancel(h));
    q.advance_to(70);  // the cancelled event no longer holds the clock back
    CHECK(q.now() == 70);
}

TEST_CASE("scheduling in the past throws std::logic_error") {
    EventQueue q;
    Log log{&q, {}};
    Tag a{&log, "a"};
    q.advance_to(100);
    CHECK_THROWS_AS(q.schedule(99, act(a)), std::logic_error);
    CHECK(q.size() == 0);
    CHECK(q.scheduled_count() == 0);
    CHECK_NOTHROW(q.schedule(100, act(a)));
    CHECK(q.size() == 1);
}

namespace {

// Context of the randomized test: each event's ctx is its RandomEvent; firing records the id.
struct RandomEvent {
    std::uint64_t id;
    std::vector<std::uint64_t>* fired;
};
void record_id(void* ctx) {
    auto* e = static_cast<RandomEvent*>(ctx);
    e->fired->push_back(e->id);
}

}  // namespace

TEST_CASE("EventQueue agrees with a reference model under random schedule/cancel/pop") {
    boost::random::mt19937_64 rng(20240611);
    auto pick = [&rng](std::uint64_t lo, std::uint64_t hi) {
        return boost::random::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };

    EventQueue q;
    std::vector<std::uint64_t> fired;
    // Reference: live events keyed by (time, scheduling order) -> id. An event's id is its
    // scheduling order, which is also the queue's sequence number.
    std::map<std::pair<Time, std::uint64_t>, std::uint64_t> ref;
    std::vector<EventHandle> handles;                  // by id - 1
    std::vector<Time> times;                           // by id - 1
    std::vector<std::unique_ptr<RandomEvent>> events;  // stable ctx pointers, by id - 1
    Time now = 0;
    std::uint64_t pops = 0, cancels = 0, same_time = 0;

    for (int step = 0; step < 6000; ++step) {
        const std::uint64_t op = pick(0, 99);
        if (op < 45) {
            // Schedule: often at the current time or a small, colliding delay.
            const std::uint64_t kind = pick(0, 3);
            const Time at = now + (kind == 0   ? 0
                                   : kind == 1 ? static_cast<Time>(pick(1, 5))
                                               : static_cast<Time>(pick(0, 200)));
            same_time += at == now ? 1 : 0;
            const std::uint64_t id = events.size() + 1;
            events.push_back(std::make_unique<RandomEvent>(RandomEvent{id, &fired}));
            const EventHandle h = q.schedule(at, Action{&record_id, events.back().get()});
            REQUIRE(h.seq == id);
            handles.push_back(h);
            times.push_back(at);
            ref.emplace(std::make_pair(at, id), id);
        } else if (op < 65 && !handles.empty()) {
            // Cancel any handle ever issued: live, fired or already cancelled.
            const std::uint64_t id = pick(1, handles.size());
            const bool live = ref.count({times[id - 1], id}) != 0;
            REQUIRE(q.pending(handles[id - 1]) == live);
            REQUIRE(q.cancel(handles[id - 1]) == live);
            ref.erase({times[id - 1], id});
            cancels += live ? 1 : 0;
        } else if (op < 95) {
            // Pop before a random horizon, sometimes exactly at the next event's time.
            const Time end = pick(0, 4) == 0 && !ref.empty() ? ref.begin()->first.first
                                                             : now + static_cast<Time>(pick(0, 60));
            fired.clear();
            const Action a = q.pop_before(end);
            if (!ref.empty() && ref.begin()->first.first < end) {
                REQUIRE_FALSE(is_empty(a));
                a.fn(a.ctx);
                REQUIRE(fired.size() == 1);
                REQUIRE(fired[0] == ref.begin()->second);
                now = ref.begin()->first.first;
                ref.erase(ref.begin());
                ++pops;
            } else {
                REQUIRE(is_empty(a));
            }
            REQUIRE(q.now() == now);
        } else {
            // Advance the clock; it moves only if nothing live comes first.
            const Time target = now + static_cast<Time>(pick(0, 40));
            q.advance_to(target);
            if (ref.empty() || ref.begin()->first.first >= target) {
                now = std::max(now, target);
            }
            REQUIRE(q.now() == now);
        }
        REQUIRE(q.size() == ref.size());
        // next_time() also drops cancelled heads, so it is asked only now and then.
        if (pick(0, 2) == 0) {
            REQUIRE(q.next_time() == (ref.empty() ? sim::kForever : ref.begin()->first.first));
        }
    }
    // Drain what is left, in reference order.
    while (!ref.empty()) {
        fired.clear();
        const Action a = q.pop_before(sim::kForever);
        REQUIRE_FALSE(is_empty(a));
        a.fn(a.ctx);
        REQUIRE(fired.size() == 1);
        REQUIRE(fired[0] == ref.begin()->second);
        ref.erase(ref.begin());
    }
    CHECK(is_empty(q.pop_before(sim::kForever)));
    CHECK(q.size() == 0);
    CHECK(q.scheduled_count() == handles.size());
    // The mix really exercised every path.
    CHECK(pops > 1000);
    CHECK(cancels > 300);
    CHECK(same_time > 300);
}

TEST_CASE("EventQueue frees cancelled events: far-future timeouts cancelled in bulk stay bounded") {
    // The lock-wait pattern, at queue level: each cycle schedules a burst of timeouts a day
    // ahead and some near work, cancels most outstanding timeouts (the locks were granted) and
    // pops a little. Without freeing, every cancelled timeout would stay stored for a day.
    boost::random::mt19937_64 rng(13);
    auto pick = [&rng](std::uint64_t lo, std::uint64_t hi) {
        return boost::random::uniform_int_distribution<std::uint64_t>(lo, hi)(rng);
    };
    const Time day = sim::seconds(86'400);

    EventQueue q;
    std::vector<std::uint64_t> fired;
    // Reference: live events by time; a multimap keeps equal times in insertion (= seq) order.
    using Ref = std::multimap<Time, std::uint64_t>;
    Ref ref;
    std::vector<Ref::iterator> where;  // by id - 1; ref.end() once fired or cancelled
    std::vector<EventHandle> handles;  // by id - 1
    std::vector<std::unique_ptr<RandomEvent>> events;
    std::vector<std::uint64_t> outstanding;  // ids of timeouts not cancelled yet (may have fired)
    std::uint64_t cancels = 0, pops = 0, timeouts_fired = 0;
    std::size_t max_stored = 0;

    auto schedule = [&](Time at) {
        const std::uint64_t id = events.size() + 1;
        events.push_back(std::make_unique<RandomEvent>(RandomEvent{id, &fired}));
        handles.push_back(q.schedule(at, Action{&record_id, events.back().get()}));
        where.push_back(ref.emplace(at, id));
        return id;
    };
    auto check_bound = [&] {
        REQUIRE(q.size() == ref.size());
        REQUIRE(q.stored() <= 2 * q.size());
        max_stored = std::max(max_stored, q.stored());
    };
    // Pops every event before `end`, each in exact reference order.
    auto pop_until = [&](Time end, std::uint64_t at_most) {
        for (std::uint64_t k = 0; k < at_most; ++k) {
            fired.clear();
            const Action a = q.pop_before(end);
            if (ref.empty() || ref.begin()->first >= end) {
                REQUIRE(is_empty(a));
                return;
            }
            REQUIRE_FALSE(is_empty(a));
            a.fn(a.ctx);
            REQUIRE(fired.size() == 1);
            REQUIRE(fired[0] == ref.begin()->second);
            REQUIRE(q.now() == ref.begin()->first);
            timeouts_fired += ref.begin()->first >= day ? 1 : 0;
            where[fired[0] - 1] = ref.end();
            ref.erase(ref.begin());
            ++pops;
            check_bound();
        }
    };

    for (int cycle = 0; cycle < 400; ++cycle) {
        const Time now = q.now();
        for (std::uint64_t n = pick(50, 150); n > 0; --n) {
            // Few distinct times, so equal-time timeouts must keep their seq order.
            outstanding.push_back(schedule(now + day + static_cast<Time>(pick(0, 3)) * 1000));
            check_bound();
        }
        for (std::uint64_t n = pick(0, 20); n > 0; --n) {
            schedule(now + static_cast<Time>(pick(0, 3)));  // 0: the same-time ring
            check_bound();
        }
        // Cancel about 90 % of the outstanding timeouts, in random order.
        for (std::size_t n = outstanding.size() * 9 / 10; n > 0; --n) {
            const std::size_t i = pick(0, outstanding.size() - 1);
            const std::uint64_t id = outstanding[i];
            outstanding[i] = outstanding.back();
            outstanding.pop_back();
            const bool live = where[id - 1] != ref.end();
            REQUIRE(q.pending(handles[id - 1]) == live);
            REQUIRE(q.cancel(handles[id - 1]) == live);
            if (live) {
                ref.erase(where[id - 1]);
                where[id - 1] = ref.end();
                ++cancels;
            }
            check_bound();
        }
        pop_until(now + 4, pick(0, 30));
        if (cycle % 100 == 99) {
            pop_until(q.now() + 2 * day, std::numeric_limits<std::uint64_t>::max());  // a day on
        }
    }
    pop_until(sim::kForever, std::numeric_limits<std::uint64_t>::max());
    CHECK(ref.empty());
    CHECK(q.size() == 0);
    CHECK(q.stored() == 0);
    CHECK(cancels > 30'000);
    CHECK(timeouts_fired > 100);  // the surviving timeouts did fire, in order
    CHECK(pops > 3'000);
    // A handful of live timeouts and near events at any time: the store never grew with the
    // tens of thousands of cancels (it would hold them all if cancelled entries stayed).
    CHECK(max_stored < 1'000);
}
