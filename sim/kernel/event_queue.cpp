#include "sim/kernel/event_queue.hpp"

#include <algorithm>
#include <cassert>
#include <stdexcept>

namespace lockstage::sim {

std::uint32_t EventQueue::take_slot() {
    if (!free_slots_.empty()) {
        const std::uint32_t s = free_slots_.back();
        free_slots_.pop_back();
        return s;
    }
    slots_.emplace_back();
    return static_cast<std::uint32_t>(slots_.size() - 1);
}

void EventQueue::release_slot(std::uint32_t slot) {
    slots_[slot] = Slot{};
    free_slots_.push_back(slot);
}

EventHandle EventQueue::schedule(Time at, Action action) {
    if (at < now_) {
        throw std::logic_error("EventQueue::schedule: time in the past");
    }
    if (action.fn == nullptr) {
        throw std::invalid_argument("EventQueue::schedule: empty action");
    }
    const std::uint32_t slot = take_slot();
    const std::uint64_t seq = next_seq_++;
    slots_[slot] = Slot{action, seq};
    ++live_;
    if (at == now_) {
        ring_.push_back(Entry{at, seq, slot});
    } else {
        heap_.push_back(Entry{at, seq, slot});
        std::push_heap(heap_.begin(), heap_.end(), later);
    }
    return EventHandle{slot, seq};
}

bool EventQueue::pending(EventHandle h) const {
    return h && h.slot < slots_.size() && slots_[h.slot].seq == h.seq &&
           slots_[h.slot].action.fn != nullptr;
}

bool EventQueue::cancel(EventHandle h) {
    if (!pending(h)) {
        return false;
    }
    slots_[h.slot].action = Action{};  // the entry is dropped at the front or by compact()
    --live_;
    ++dead_;
    if (2 * dead_ > stored()) {
        compact();
    }
    return true;
}

void EventQueue::compact() {
    // Each compaction drops more than half of what it scans, so its cost is paid by the cancels
    // that made those entries dead. Any valid heap pops in the same (time, seq) order.
    std::size_t out = 0;
    for (const Entry& e : heap_) {
        if (is_dead(e)) {
            release_slot(e.slot);
        } else {
            heap_[out++] = e;
        }
    }
    heap_.resize(out);
    std::make_heap(heap_.begin(), heap_.end(), later);
    out = 0;
    for (std::size_t i = ring_head_; i < ring_.size(); ++i) {  // keeps the ring's seq order
        if (is_dead(ring_[i])) {
            release_slot(ring_[i].slot);
        } else {
            ring_[out++] = ring_[i];
        }
    }
    ring_.resize(out);
    ring_head_ = 0;
    dead_ = 0;
}

void EventQueue::drop_dead_heads() {
    // Frees the slots of cancelled events sitting at the front of either structure.
    while (dead_ != 0) {
        if (ring_head_ < ring_.size() && is_dead(ring_[ring_head_])) {
            release_slot(ring_[ring_head_].slot);
            ++ring_head_;
        } else if (!heap_.empty() && is_dead(heap_.front())) {
            release_slot(heap_.front().slot);
            std::pop_heap(heap_.begin(), heap_.end(), later);
            heap_.pop_back();
        } else {
            break;
        }
        --dead_;
    }
    if (ring_head_ == ring_.size()) {
        ring_.clear();
        ring_head_ = 0;
    }
}

Time EventQueue::next_time() {
    drop_dead_heads();
    if (ring_head_ < ring_.size()) {
        return now_;
    }
    return heap_.empty() ? kForever : heap_.front().at;
}

Action EventQueue::pop_before(Time end) {
    drop_dead_heads();
    const bool have_ring = ring_head_ < ring_.size();
    const bool have_heap = !heap_.empty();
    if (!have_ring && !have_heap) {
        return Action{};
    }
    // The ring holds events at now_; a heap event at now_ with a smaller seq goes first.
    const bool from_heap = !have_ring || (have_heap && heap_.front().at == now_ &&
                                          heap_.front().seq < ring_[ring_head_].seq);
    const Entry e = from_heap ? heap_.front() : ring_[ring_head_];
    if (e.at >= end) {
        return Action{};
    }
    if (from_heap) {
        std::pop_heap(heap_.begin(), heap_.end(), later);
        heap_.pop_back();
    } else {
        ++ring_head_;
    }
    Slot& s = slots_[e.slot];
    assert(s.seq == e.seq && s.action.fn != nullptr);
    const Action a = s.action;
    release_slot(e.slot);
    --live_;
    now_ = e.at;
    if (dead_ != 0 && 2 * dead_ > stored()) {
        compact();  // keeps stored() <= 2 * size() while live events drain
    }
    return a;
}

void EventQueue::advance_to(Time t) {
    if (t > now_ && next_time() >= t) {
        now_ = t;
    }
}

}  // namespace lockstage::sim
