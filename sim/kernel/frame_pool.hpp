#pragma once
// Recycles coroutine frames. A simulation creates and destroys frames at a high rate (one per
// client request, statement or lock wait); size-classed free lists keep that off the general
// allocator. One pool per thread, so parallel sweeps need no locking.
#include <cstddef>
#include <new>
#include <vector>

namespace lockstage::sim::detail {

class FramePool {
  public:
    static constexpr std::size_t kGranule = 64;
    static constexpr std::size_t kClasses = 32;  // frames up to 2 KiB are pooled

    static void* allocate(std::size_t n) {
        const std::size_t c = (n + kGranule - 1) / kGranule;
        if (c >= kClasses) {
            return ::operator new(n);
        }
        auto& list = instance().free_[c];
        if (!list.empty()) {
            void* p = list.back();
            list.pop_back();
            return p;
        }
        return ::operator new(c* kGranule);
    }
    static void deallocate(void* p, std::size_t n) noexcept {
        const std::size_t c = (n + kGranule - 1) / kGranule;
        if (c >= kClasses) {
            ::operator delete(p);
            return;
        }
        auto& list = instance().free_[c];
        try {
            list.push_back(p);
        } catch (...) {
            ::operator delete(p);
        }
    }

  private:
    static FramePool& instance() {
        thread_local FramePool pool;
        return pool;
    }
    ~FramePool() {
        for (auto& list : free_) {
            for (void* p : list) {
                ::operator delete(p);
            }
        }
    }
    std::vector<void*> free_[kClasses];
};

/// Base for promise types: routes frame allocation through the pool.
struct PooledFrame {
    static void* operator new(std::size_t n) { return FramePool::allocate(n); }
    static void operator delete(void* p, std::size_t n) noexcept { FramePool::deallocate(p, n); }
};

}  // namespace lockstage::sim::detail
