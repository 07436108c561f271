#pragma once
// A counting resource with a FIFO queue: a connection pool, a set of CPU cores. A process takes
// a unit with `co_await resource.acquire(timeout)` and gives it back with release(). Waiters are
// served strictly first come, first served; a waiter that times out leaves the queue.
#include <cstdint>
#include <deque>

#include "sim/kernel/simulation.hpp"

namespace lockstage::sim {

class Resource {
  public:
    Resource(Simulation& sim, std::int64_t capacity)
        : sim_(sim), free_(capacity), capacity_(capacity) {}
    Resource(const Resource&) = delete;
    Resource& operator=(const Resource&) = delete;

    /// true once a unit is held; false if `timeout` passed first.
    Task<bool> acquire(Time timeout = kForever);
    /// Takes a unit now if one is free and nobody is queued.
    bool try_acquire();
    /// Gives a unit back; the first waiter (if any) gets it.
    void release();

    std::int64_t capacity() const { return capacity_; }
    std::int64_t in_use() const { return capacity_ - free_; }
    std::size_t queued() const { return waiters_.size(); }

  private:
    Simulation& sim_;
    std::int64_t free_;
    std::int64_t capacity_;
    std::deque<Blocker*> waiters_;
};

}  // namespace lockstage::sim
