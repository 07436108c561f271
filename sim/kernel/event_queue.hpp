#pragma once
// The pending-event set: a binary min-heap ordered by (time, sequence number) plus a FIFO ring for
// events scheduled at the current time. The sequence number is the scheduling order, so events
// with equal timestamps fire in the order they were scheduled (FIFO) and a run is reproducible.
// Cancelling marks the event's slot empty (O(1)); the dead entry is dropped when it reaches the
// front, or earlier by a compaction: as soon as dead entries make up more than half of the stored
// ones, all of them are dropped at once, their slots freed and the heap rebuilt (O(n), so O(1)
// amortized per cancel). So at any time stored() <= 2 * size(), however many events are
// cancelled (a lock wait's timeout, a day ahead, is cancelled when the lock is granted). Since
// (time, seq) is a total order, the firing order does not depend on the heap's layout.
// The handle's (slot, seq) pair makes a stale cancel harmless.
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
    /// Live events: scheduled, not yet fired, not cancelled.
    std::size_t size() const { return live_; }
    /// Entries held in the heap and the ring, live or cancelled but not yet dropped; always
    /// <= 2 * size(). For tests and memory checks; it never affects the firing order.
    std::size_t stored() const { return heap_.size() + (ring_.size() - ring_head_); }
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
    void release_slot(std::uint32_t slot);
    bool is_dead(const Entry& e) const { return slots_[e.slot].action.fn == nullptr; }
    void drop_dead_heads();
    /// Drops every cancelled entry from the heap and the ring and rebuilds the heap.
    void compact();

    std::vector<Entry> heap_;
    std::vector<Entry> ring_;  ///< events at time now_, in seq order, from ring_head_
    std::size_t ring_head_ = 0;
    std::vector<Slot> slots_;
    std::vector<std::uint32_t> free_slots_;
    std::uint64_t next_seq_ = 1;
    std::size_t live_ = 0;
    std::size_t dead_ = 0;  ///< cancelled entries still stored; 2 * dead_ <= stored() always
    Time now_ = 0;
};

}  // namespace lockstage::sim
