#pragma once
// The pending-event set: a binary min-heap ordered by (time, sequence number) plus a FIFO ring for
// events scheduled at the current time. The sequence number is the scheduling order, so events
// with equal timestamps fire in the order they were scheduled (FIFO) and a run is reproducible.
// Cancellation is lazy: a cancelled event stays in the heap with an empty action and is skipped
// when it reaches the top; the handle's (slot, seq) pair makes a stale cancel harmless.
#include <cstdint>
#include <vector>

#include "sim/kernel/time.hpp"

namespace lockstage::sim {

/// What an event does when it fires: a plain function pointer and its argument. Resuming a
/// coroutine is `fn = resume_coroutine, ctx = handle.address()`; no allocation per event.
struct Action {
    void (*fn)(void*) = nullptr;
    void* ctx = nullptr;
};

/// Names one scheduled event so it can be cancelled. Default-constructed = no event.
struct EventHandle {
    std::uint32_t slot = 0;
    std::uint64_t seq = 0;  ///< 0 means "none"; real events start at 1
    explicit operator bool() const { return seq != 0; }
};

class EventQueue {
  public:
    /// Schedules `action` at absolute time `at` (>= now()).
    EventHandle schedule(Time at, Action action);
    /// Cancels a pending event; returns false if it already fired or was cancelled.
    bool cancel(EventHandle h);
    /// True if `h` names an event that has neither fired nor been cancelled.
    bool pending(EventHandle h) const;

    /// Pops the earliest live event with time < `end`, advancing now() to its time, and returns
    /// its action; returns an empty action when there is none (now() is then unchanged).
    Action pop_before(Time end);

    Time now() const { return now_; }
    /// Moves the clock forward to `t` when no live event comes before it (end of a run).
    void advance_to(Time t);
    /// Time of the earliest live event, or kForever if none.
    Time next_time();
    std::size_t size() const { return live_; }
    std::uint64_t scheduled_count() const { return next_seq_ - 1; }

  private:
    struct Entry {
        Time at;
        std::uint64_t seq;
        std::uint32_t slot;
    };
    struct Slot {
        Action action;
        std::uint64_t seq = 0;
    };
    static bool later(const Entry& a, const Entry& b) {
        return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
    std::uint32_t take_slot();
    void drop_dead_heads();

    std::vector<Entry> heap_;
    std::vector<Entry> ring_;  ///< events at time now_, in seq order, from ring_head_
    std::size_t ring_head_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::uint64_t next_seq_ = 1;
    std::size_t live_ = 0;
    Time now_ = 0;
};

}  // namespace lockstage::sim
