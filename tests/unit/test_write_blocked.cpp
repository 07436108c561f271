// WriteBlocked (models/workload/write_blocked.hpp): the longest interval with no commit while a
// write waited, and the latency of the requests whose lifetime overlapped it.
#include <doctest/doctest.h>

#include "models/workload/write_blocked.hpp"
#include "sim/kernel/time.hpp"

namespace {

namespace sim = lockstage::sim;
using lockstage::models::workload::WriteBlocked;
using sim::millis;
using sim::seconds;

}  // namespace

TEST_CASE("WriteBlocked: no write ever waits: no interval, no latency") {
    WriteBlocked w;
    w.committed(seconds(1));
    w.request_ended(0, seconds(2));
    w.finish(seconds(10));
    CHECK(w.longest() == 0);
    CHECK(w.latency().count() == 0);
}

TEST_CASE("WriteBlocked: the interval and the requests that overlapped it, even ending later") {
    WriteBlocked w;
    w.request_ended(millis(100), millis(200));  // over before the interval: not in it
    w.wait_began(seconds(1));
    w.request_ended(millis(500), millis(1500));  // arrived before, ended inside: in it
    w.wait_ended(seconds(3));                    // the interval [1 s, 3 s)
    CHECK(w.longest() == seconds(2));
    CHECK(w.longest_start() == seconds(1));
    CHECK(w.latency().count() == 1);
    // Queued behind the block, ending after it: arrived before its end, so it was caught.
    w.request_ended(millis(2900), millis(3500));
    CHECK(w.latency().count() == 2);
    CHECK(w.latency().max() == millis(1000));
    // Arrived after the interval's end: not caught.
    w.request_ended(millis(3100), millis(3200));
    CHECK(w.latency().count() == 2);
}

TEST_CASE("WriteBlocked: a commit ends an interval; only a strictly longer one replaces it") {
    WriteBlocked w;
    w.wait_began(seconds(1));
    w.request_ended(seconds(1), millis(1500));
    w.committed(seconds(2));  // [1 s, 2 s); writes still wait, so [2 s, ...) begins
    w.request_ended(millis(1900), millis(2500));  // overlaps both
    w.wait_ended(seconds(3));  // [2 s, 3 s): as long, not longer: the first stays
    CHECK(w.longest() == seconds(1));
    CHECK(w.longest_start() == seconds(1));
    CHECK(w.latency().count() == 2);  // 0.5 s (inside), 0.6 s (arrived before 2 s)
    w.wait_began(seconds(5));
    w.request_ended(seconds(4), seconds(6));
    w.wait_ended(seconds(8));  // [5 s, 8 s): longer, it replaces the first with its own requests
    CHECK(w.longest() == seconds(3));
    CHECK(w.longest_start() == seconds(5));
    CHECK(w.latency().count() == 1);
    CHECK(w.latency().max() == seconds(2));
}

TEST_CASE("WriteBlocked: several writes waiting make one interval until the last one goes") {
    WriteBlocked w;
    w.wait_began(seconds(1));
    w.wait_began(seconds(2));
    w.wait_ended(seconds(3));
    w.wait_ended(seconds(4));
    w.finish(seconds(10));
    CHECK(w.longest() == seconds(3));
}

TEST_CASE("WriteBlocked: an interval still open at the end closes there, its requests kept") {
    WriteBlocked w;
    w.wait_began(seconds(1));
    // More requests than the buffer holds: they spill into a histogram and all move over.
    for (int i = 0; i < 10'000; ++i) {
        w.request_ended(seconds(1), seconds(1) + millis(1) + i);
    }
    w.finish(seconds(5));
    CHECK(w.longest() == seconds(4));
    CHECK(w.latency().count() == 10'000);
    CHECK(w.latency().min() == millis(1));
    // A request still running at the end (counted by its caller at the end) arrived before it.
    w.request_ended(seconds(4), seconds(5));
    CHECK(w.latency().count() == 10'001);
}

TEST_CASE("WriteBlocked: a shorter interval's requests are forgotten, not mixed in") {
    WriteBlocked w;
    w.wait_began(seconds(1));
    w.wait_ended(seconds(4));  // [1 s, 4 s)
    w.wait_began(seconds(6));
    for (int i = 0; i < 5'000; ++i) {  // spills, then is dropped with the interval
        w.request_ended(seconds(6), seconds(6) + millis(500));
    }
    w.wait_ended(seconds(7));  // [6 s, 7 s): shorter
    CHECK(w.longest() == seconds(3));
    CHECK(w.latency().count() == 0);
    w.wait_began(seconds(8));
    w.request_ended(seconds(8), seconds(8) + millis(5));
    w.wait_ended(seconds(12));  // [8 s, 12 s): longer, with only its own request
    CHECK(w.latency().count() == 1);
    CHECK(w.latency().max() == millis(5));
}
