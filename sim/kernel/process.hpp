#pragma once
// Processes are C++20 coroutines, so an actor reads as the sequence a person would describe:
//
//     Process client(Simulation& sim, ...) {
//         co_await sim.sleep(think_time);
//         co_await run_transaction(...);   // a Task: a sub-routine that can itself wait
//     }
//
// Process: a top-level actor started with Simulation::spawn; the simulation owns its frame and
// destroys it when it finishes (or when the simulation ends). Task<T>: a lazily started
// sub-coroutine that runs when awaited and hands back a T (symmetric transfer, no event).
// An exception escaping a Process stops the run and is rethrown by Simulation::run_until.
#include <coroutine>
#include <exception>
#include <optional>
#include <utility>

#include "sim/kernel/frame_pool.hpp"

namespace lockstage::sim {

class Simulation;

class Process {
  public:
    struct promise_type : detail::PooledFrame {
        Simulation* sim = nullptr;
        promise_type* prev = nullptr;  // intrusive list of live processes, owned by the Simulation
        promise_type* next = nullptr;

        Process get_return_object() {
            return Process{std::coroutine_handle<promise_type>::from_promise(*this)};
        }
        std::suspend_always initial_suspend() noexcept { return {}; }
        struct FinalAwaiter {
            bool await_ready() noexcept { return false; }
            void await_suspend(std::coroutine_handle<promise_type> h) noexcept;
            void await_resume() noexcept {}
        };
        FinalAwaiter final_suspend() noexcept { return {}; }
        void return_void() {}
        void unhandled_exception();
    };
    using Handle = std::coroutine_handle<promise_type>;

    Process(Process&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Process& operator=(Process&&) = delete;
    ~Process() {
        if (h_) {
            h_.destroy();  // never spawned
        }
    }
    /// Gives up ownership (to the Simulation).
    Handle release() { return std::exchange(h_, {}); }

  private:
    explicit Process(Handle h) : h_(h) {}
    Handle h_;
};

template <typename T = void>
class Task;

namespace detail {

template <typename T>
struct TaskPromiseBase : PooledFrame {
    std::coroutine_handle<> continuation;
    std::exception_ptr error;

    std::suspend_always initial_suspend() noexcept { return {}; }
    struct FinalAwaiter {
        bool await_ready() noexcept { return false; }
        template <typename P>
        std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
            return h.promise().continuation;  // back to whoever awaited the task
        }
        void await_resume() noexcept {}
    };
    FinalAwaiter final_suspend() noexcept { return {}; }
    void unhandled_exception() { error = std::current_exception(); }
};

template <typename T>
struct TaskPromise : TaskPromiseBase<T> {
    std::optional<T> value;
    Task<T> get_return_object();
    template <typename U>
    void return_value(U&& v) {
        value.emplace(std::forward<U>(v));
    }
    T take() {
        if (this->error) {
            std::rethrow_exception(this->error);
        }
        return std::move(*value);
    }
};

template <>
struct TaskPromise<void> : TaskPromiseBase<void> {
    Task<void> get_return_object();
    void return_void() {}
    void take() {
        if (this->error) {
            std::rethrow_exception(this->error);
        }
    }
};

}  // namespace detail

template <typename T>
class [[nodiscard]] Task {
  public:
    using promise_type = detail::TaskPromise<T>;
    using Handle = std::coroutine_handle<promise_type>;

    explicit Task(Handle h) : h_(h) {}
    Task(Task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    Task& operator=(Task&&) = delete;
    ~Task() {
        if (h_) {
            h_.destroy();
        }
    }

    bool await_ready() const noexcept { return false; }
    std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
        h_.promise().continuation = awaiting;
        return h_;  // start the task now, in the awaiting process's turn
    }
    T await_resume() { return h_.promise().take(); }

  private:
    Handle h_;
};

namespace detail {
template <typename T>
Task<T> TaskPromise<T>::get_return_object() {
    return Task<T>{std::coroutine_handle<TaskPromise<T>>::from_promise(*this)};
}
inline Task<void> TaskPromise<void>::get_return_object() {
    return Task<void>{std::coroutine_handle<TaskPromise<void>>::from_promise(*this)};
}
}  // namespace detail

}  // namespace lockstage::sim
