#include "models/workload/write_blocked.hpp"

namespace lockstage::models::workload {

void WriteBlocked::wait_began(sim::Time at) {
    if (waiting_++ == 0) {
        since_ = at;
    }
}

void WriteBlocked::wait_ended(sim::Time at) {
    if (--waiting_ == 0) {
        close(at);
    }
}

void WriteBlocked::committed(sim::Time at) {
    if (waiting_ > 0) {
        close(at);
        since_ = at;
    }
}

void WriteBlocked::request_ended(sim::Time arrived, sim::Time now) {
    if (waiting_ > 0) {  // it overlapped the interval in progress
        current_.push_back(now - arrived);
        if (current_.size() == kBuffer) {
            for (const sim::Time v : current_) {
                spill_.record(v);
            }
            current_.clear();
        }
    }
    if (best_end_ > 0 && arrived < best_end_) {  // it overlapped the longest finished one
        best_.record(now - arrived);
    }
}

void WriteBlocked::close(sim::Time now) {
    // Strictly longer: of equal intervals the first one stays (the one reported first).
    if (now - since_ > best_length_) {
        best_start_ = since_;
        best_length_ = now - since_;
        best_end_ = now;
        best_ = std::move(spill_);
        spill_ = stats::Histogram();
        for (const sim::Time v : current_) {
            best_.record(v);
        }
        current_.clear();
        return;
    }
    clear_current();
}

void WriteBlocked::clear_current() {
    current_.clear();
    if (spill_.count() > 0) {  // at least kBuffer requests since the last clear pay for it
        spill_ = stats::Histogram();
    }
}

void WriteBlocked::finish(sim::Time end) {
    if (waiting_ > 0) {
        close(end);
        waiting_ = 0;
    }
}

}  // namespace lockstage::models::workload
