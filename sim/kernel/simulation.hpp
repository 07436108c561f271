#pragma once
// The simulation facade that models see: the clock, scheduling, processes and the two ways a
// process waits (for a duration; or until another actor wakes it, with an optional timeout).
// Models never touch the event queue directly.
#include <coroutine>
#include <cstdint>
#include <exception>
#include <stdexcept>

#include "sim/kernel/event_queue.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::sim {

/// A parked process. It lives in the waiting process's frame; whoever the process waits for
/// (a lock queue, a pool) keeps a pointer to it and calls Simulation::wake. A wait ends exactly
/// once: by wake (with the waker's result) or by its timeout (result kTimedOut).
class Blocker {
  public:
    static constexpr int kTimedOut = -1;
    bool waiting() const { return waiting_; }

  private:
    friend class Simulation;
    std::coroutine_handle<> handle_;
    EventHandle timeout_;
    Simulation* sim_ = nullptr;
    int result_ = 0;
    bool waiting_ = false;
};

/// Thrown by Simulation::run_until when the event limit is spent and another event is due. The
/// run cannot go on; the caller decides what to tell the user.
class EventLimitExceeded : public std::runtime_error {
  public:
    EventLimitExceeded(std::uint64_t events, Time at);
    std::uint64_t events() const { return events_; }  ///< events executed, = the limit
    Time at() const { return at_; }                   ///< the time of the event not run

  private:
    std::uint64_t events_;
    Time at_;
};

class Simulation {
  public:
    Simulation() = default;
    Simulation(const Simulation&) = delete;
    Simulation& operator=(const Simulation&) = delete;
    ~Simulation();

    Time now() const { return queue_.now(); }
    /// now() + delay, with a negative delay counted as 0 and a sum past the end of time capped
    /// at kForever (an event at kForever never runs: the process stays parked).
    Time after(Time delay) const {
        if (delay <= 0) {
            return now();
        }
        return delay >= kForever - now() ? kForever : now() + delay;
    }

    /// Runs `action` after `delay` (>= 0). Equal times fire in scheduling order.
    EventHandle schedule(Time delay, Action action) {
        return queue_.schedule(after(delay), action);
    }
    EventHandle schedule_at(Time at, Action action) { return queue_.schedule(at, action); }
    bool cancel(EventHandle h) { return queue_.cancel(h); }

    /// Starts a process at the current time (after the events already scheduled for now).
    void spawn(Process p);

    /// `co_await sim.sleep(d)`: resumes the process `d` nanoseconds later.
    struct SleepAwaiter {
        Simulation& sim;
        Time at;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h) { sim.schedule_at(at, resume_action(h)); }
        void await_resume() const noexcept {}
    };
    SleepAwaiter sleep(Time delay) { return SleepAwaiter{*this, after(delay)}; }
    SleepAwaiter sleep_until(Time at) { return SleepAwaiter{*this, at > now() ? at : now()}; }

    /// `int r = co_await sim.block(b, timeout)`: parks the process until wake(b, r) or until
    /// `timeout` has passed (r == Blocker::kTimedOut). kForever waits without a timeout.
    struct BlockAwaiter {
        Simulation& sim;
        Blocker& b;
        Time timeout;
        bool await_ready() const noexcept { return false; }
        void await_suspend(std::coroutine_handle<> h);
        int await_resume() const noexcept { return b.result_; }
    };
    BlockAwaiter block(Blocker& b, Time timeout = kForever) {
        return BlockAwaiter{*this, b, timeout};
    }
    /// Ends a wait: the parked process resumes at the current time, after events already
    /// scheduled for now, with `result` (>= 0). Returns false if `b` is not waiting.
    bool wake(Blocker& b, int result = 0);

    /// Runs events strictly before `end`, then sets the clock to `end`. Rethrows an exception
    /// that escaped a process. Returns the number of events executed by this call.
    std::uint64_t run_until(Time end);
    /// Runs until no event is left.
    std::uint64_t run() { return run_until(kForever); }
    /// Asks run_until to return after the current event.
    void stop() { stop_ = true; }
    /// At most `limit` events over the whole run (0: no limit): once that many have run,
    /// run_until throws EventLimitExceeded instead of running another.
    void set_event_limit(std::uint64_t limit) { event_limit_ = limit; }

    std::uint64_t events_executed() const { return events_executed_; }
    /// Live scheduled events.
    std::size_t pending_events() const { return queue_.size(); }
    /// Entries the event queue holds, live or cancelled but not yet dropped (EventQueue::stored,
    /// at most 2 * pending_events()). For tests: a cancelled lock-wait timeout does not linger.
    std::size_t stored_events() const { return queue_.stored(); }
    std::size_t live_processes() const { return live_processes_; }

    static Action resume_action(std::coroutine_handle<> h) {
        return Action{&resume_coroutine, h.address()};
    }

  private:
    friend struct Process::promise_type;
    static void resume_coroutine(void* address) {
        std::coroutine_handle<>::from_address(address).resume();
    }
    static void on_block_timeout(void* blocker);
    void link(Process::promise_type* p);
    void unlink(Process::promise_type* p);
    void fail(std::exception_ptr e);

    EventQueue queue_;
    Process::promise_type* processes_ = nullptr;
    std::size_t live_processes_ = 0;
    std::uint64_t events_executed_ = 0;
    std::uint64_t event_limit_ = 0;
    std::exception_ptr error_;
    bool stop_ = false;
};

}  // namespace lockstage::sim
