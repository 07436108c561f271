#include "sim/kernel/resource.hpp"

#include <algorithm>
#include <stdexcept>

namespace lockstage::sim {

bool Resource::try_acquire() {
    if (free_ > 0 && waiters_.empty()) {
        --free_;
        return true;
    }
    return false;
}

Task<bool> Resource::acquire(Time timeout) {
    if (try_acquire()) {
        co_return true;
    }
    Blocker b;
    waiters_.push_back(&b);
    const int r = co_await sim_.block(b, timeout);
    if (r == Blocker::kTimedOut) {
        waiters_.erase(std::find(waiters_.begin(), waiters_.end(), &b));
        co_return false;
    }
    co_return true;  // release() handed its unit to us
}

void Resource::release() {
    if (!waiters_.empty()) {
        Blocker* b = waiters_.front();
        waiters_.pop_front();
        sim_.wake(*b);  // the unit passes straight to the first waiter
        return;
    }
    if (free_ >= capacity_) {
        throw std::logic_error("Resource::release without a matching acquire");
    }
    ++free_;
}

}  // namespace lockstage::sim
