#include "sim/kernel/simulation.hpp"

#include <limits>
#include <stdexcept>
#include <string>

namespace lockstage::sim {

EventLimitExceeded::EventLimitExceeded(std::uint64_t events, Time at)
    : std::runtime_error("event limit of " + std::to_string(events) + " events reached at " +
                         std::to_string(at) + " ns"),
      events_(events),
      at_(at) {}

void Process::promise_type::FinalAwaiter::await_suspend(
    std::coroutine_handle<promise_type> h) noexcept {
    Simulation* sim = h.promise().sim;
    sim->unlink(&h.promise());
    h.destroy();
}

void Process::promise_type::unhandled_exception() {
    sim->fail(std::current_exception());
}

Simulation::~Simulation() {
    // Processes still parked when the run ends are destroyed here; their frames own any Task
    // they were awaiting, so everything below them goes too.
    while (processes_ != nullptr) {
        Process::promise_type* p = processes_;
        unlink(p);
        Process::Handle::from_promise(*p).destroy();
    }
}

void Simulation::link(Process::promise_type* p) {
    p->sim = this;
    p->prev = nullptr;
    p->next = processes_;
    if (processes_ != nullptr) {
        processes_->prev = p;
    }
    processes_ = p;
    ++live_processes_;
}

void Simulation::unlink(Process::promise_type* p) {
    if (p->prev != nullptr) {
        p->prev->next = p->next;
    } else {
        processes_ = p->next;
    }
    if (p->next != nullptr) {
        p->next->prev = p->prev;
    }
    p->prev = p->next = nullptr;
    --live_processes_;
}

void Simulation::spawn(Process p) {
    Process::Handle h = p.release();
    link(&h.promise());
    queue_.schedule(now(), resume_action(h));
}

void Simulation::fail(std::exception_ptr e) {
    if (!error_) {
        error_ = e;
    }
    stop_ = true;
}

void Simulation::BlockAwaiter::await_suspend(std::coroutine_handle<> h) {
    if (b.waiting_) {
        throw std::logic_error("Blocker is already waiting");
    }
    // Schedule the timeout before marking the wait, so a throw leaves the blocker untouched. A
    // timeout that reaches past the end of time is no timeout.
    const Time at = timeout == kForever ? kForever : sim.after(timeout);
    b.timeout_ = at == kForever ? EventHandle{}
                                : sim.schedule_at(at, Action{&Simulation::on_block_timeout, &b});
    b.handle_ = h;
    b.sim_ = &sim;
    b.result_ = 0;
    b.waiting_ = true;
}

void Simulation::on_block_timeout(void* blocker) {
    auto& b = *static_cast<Blocker*>(blocker);
    b.waiting_ = false;
    b.timeout_ = EventHandle{};
    b.result_ = Blocker::kTimedOut;
    b.handle_.resume();
}

bool Simulation::wake(Blocker& b, int result) {
    if (!b.waiting_) {
        return false;
    }
    if (result < 0) {
        throw std::invalid_argument("Simulation::wake: result must be >= 0");
    }
    b.waiting_ = false;
    b.result_ = result;
    if (b.timeout_) {
        queue_.cancel(b.timeout_);
        b.timeout_ = EventHandle{};
    }
    queue_.schedule(now(), resume_action(b.handle_));
    return true;
}

std::uint64_t Simulation::run_until(Time end) {
    stop_ = false;
    std::uint64_t n = 0;
    // Events this call may still run under the limit: one comparison per event.
    const std::uint64_t room = event_limit_ == 0 ? std::numeric_limits<std::uint64_t>::max()
                               : event_limit_ > events_executed_ ? event_limit_ - events_executed_
                                                                 : 0;
    while (!stop_) {
        const Action a = queue_.pop_before(end);
        if (a.fn == nullptr) {
            break;
        }
        if (n == room) {
            events_executed_ += n;
            throw EventLimitExceeded(events_executed_, now());
        }
        ++n;
        a.fn(a.ctx);
    }
    events_executed_ += n;
    if (error_) {
        std::rethrow_exception(std::exchange(error_, nullptr));
    }
    if (!stop_ && end != kForever) {
        queue_.advance_to(end);
    }
    return n;
}

}  // namespace lockstage::sim
