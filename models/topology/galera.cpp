#include "models/topology/galera.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lockstage::models::topology {

using sim::Time;

namespace {

const GaleraConfig& checked(const GaleraConfig& c) {
    if (!(c.cluster_rate_tps > 0) || !std::isfinite(c.cluster_rate_tps)) {
        throw std::invalid_argument("GaleraNode: cluster_rate_tps must be a number > 0");
    }
    if (c.fc_limit < 1) {
        throw std::invalid_argument("GaleraNode: fc_limit must be >= 1");
    }
    if (c.queue_sample_interval <= 0) {
        throw std::invalid_argument("GaleraNode: queue_sample_interval must be > 0");
    }
    return c;
}

}  // namespace

GaleraNode::GaleraNode(server::Server& server, std::uint64_t seed, Time duration, GaleraConfig c)
    : server_(server),
      sim_(server.simulation()),
      duration_(duration),
      cfg_(checked(c)),
      result_(cfg_.queue_sample_interval),
      cluster_rng_(seed, "galera/cluster"),
      apply_rng_(seed, "galera/apply") {}

GaleraNode::~GaleraNode() {
    if (started_) {
        server_.remove_hooks(this);
    }
}

void GaleraNode::start() {
    if (started_) {
        return;
    }
    started_ = true;
    server_.add_hooks(this);
    sim_.spawn(cluster());
    sim_.spawn(applier());
}

void GaleraNode::backup_lock_event(locks::OwnerId session, server::BackupLockEvent e, Time) {
    switch (e) {
        case server::BackupLockEvent::FtwrlHeld:
            hold(session);
            break;
        case server::BackupLockEvent::BlockDdlWaitingForDdl:
            // backup_block_ddl(): desync_and_pause() after the wait for non-transactional
            // writes, BEFORE the wait for running DDL
            // (docs/topologies.md#backup-stage-on-a-galera-node). If that wait then fails, the
            // pause stays until END (wsrep_desynced_backup_stage).
            if (!cfg_.bf_abort_mariabackup) {
                hold(session);
            }
            break;
        case server::BackupLockEvent::BlockDdl:
            break;
        case server::BackupLockEvent::BlockCommit:
            if (cfg_.bf_abort_mariabackup) {
                hold(session);
            }
            break;
        case server::BackupLockEvent::FtwrlReleased:
        case server::BackupLockEvent::BackupEnded:
            release(session);
            break;
    }
}

void GaleraNode::hold(locks::OwnerId session) {
    const bool was_paused = !holders_.empty();
    holders_.insert(session);
    if (was_paused) {
        return;
    }
    paused_ = true;
    paused_since_ = sim_.now();
    if (!finished_) {
        ++result_.pauses;
    }
    if (cfg_.desync) {
        desynced_ = true;
        if (stalled_) {
            unstall();  // a desynced node withdraws its flow control
        }
    }
}

void GaleraNode::release(locks::OwnerId session) {
    if (holders_.erase(session) == 0 || !holders_.empty()) {
        return;
    }
    paused_ = false;
    if (!finished_) {
        const Time end = std::min(sim_.now(), duration_);
        const Time begin = std::min(paused_since_, duration_);
        result_.pause_total += end - begin;
        result_.pause_intervals.emplace_back(begin, end);
    }
    if (desynced_ && queue_ == 0) {
        desynced_ = false;
    }
    if (applier_idle_.waiting()) {
        sim_.wake(applier_idle_);
    }
    maybe_open_gate();
}

void GaleraNode::maybe_open_gate() {
    if (commits_open()) {
        server_.commit_gate_opened();
    }
}

void GaleraNode::stall() {
    stalled_ = true;
    stalled_since_ = sim_.now();
    if (!finished_) {
        ++result_.stalls;
    }
}

void GaleraNode::unstall() {
    stalled_ = false;
    if (!finished_) {
        result_.cluster_stall_total +=
            std::min(sim_.now(), duration_) - std::min(stalled_since_, duration_);
    }
    if (cluster_idle_.waiting()) {
        sim_.wake(cluster_idle_);
    }
    maybe_open_gate();
}

sim::Process GaleraNode::cluster() {
    const auto gap = sim::Distribution::exponential(
        std::max<Time>(1, sim::from_units_saturating(1.0 / cfg_.cluster_rate_tps, sim::kSecond)));
    for (;;) {
        while (stalled_) {
            co_await sim_.block(cluster_idle_);
        }
        co_await sim_.sleep(gap.sample(cluster_rng_));
        if (sim_.now() >= duration_) {
            co_return;
        }
        if (stalled_) {
            continue;  // nothing was committed during the stall; a fresh gap after it
        }
        if (!finished_) {
            ++result_.received;
        }
        set_queue(queue_ + 1);
        if (!desynced_ && !stalled_ && queue_ > static_cast<std::uint64_t>(cfg_.fc_limit)) {
            stall();
        }
        if (!paused_ && applier_idle_.waiting()) {
            sim_.wake(applier_idle_);
        }
    }
}

sim::Process GaleraNode::applier() {
    for (;;) {
        while (paused_ || queue_ == 0) {
            co_await sim_.block(applier_idle_);
        }
        co_await sim_.sleep(cfg_.apply.sample(apply_rng_));
        if (!finished_ && sim_.now() < duration_) {
            ++result_.applied;
        }
        set_queue(queue_ - 1);
        if (stalled_ && static_cast<double>(queue_) < cfg_.fc_limit / 2.0) {
            unstall();
        }
        if (desynced_ && !paused_ && queue_ == 0) {
            desynced_ = false;  // caught up: Synced again
        }
    }
}

void GaleraNode::advance(Time t) {
    if (finished_) {
        return;
    }
    const Time width = cfg_.queue_sample_interval;
    while ((index_ + 1) * width <= t) {
        result_.queue_max_per_interval.add(index_ * width, static_cast<double>(max_));
        ++index_;
        max_ = queue_;  // the queue is constant across the boundary
    }
}

void GaleraNode::set_queue(std::uint64_t n) {
    const Time now = sim_.now();
    advance(now);
    queue_ = n;
    if (finished_ || now >= duration_) {
        return;
    }
    max_ = std::max(max_, n);
    if (n > result_.peak_receive_queue) {
        result_.peak_receive_queue = n;
        result_.peak_receive_queue_at = now;
    }
}

GaleraResult GaleraNode::finish() {
    if (finished_) {
        return result_;
    }
    advance(duration_);
    const Time width = cfg_.queue_sample_interval;
    if (index_ * width < duration_) {  // the last, partial interval
        result_.queue_max_per_interval.add(index_ * width, static_cast<double>(max_));
    }
    result_.queue_max_per_interval.extend_to(duration_);
    if (paused_) {
        const Time begin = std::min(paused_since_, duration_);
        result_.pause_total += duration_ - begin;
        result_.pause_intervals.emplace_back(begin, duration_);
    }
    if (stalled_) {
        result_.cluster_stall_total += duration_ - std::min(stalled_since_, duration_);
    }
    finished_ = true;
    return result_;
}

sim::EventCosts estimate_events(const GaleraConfig& c, Time duration) {
    const double seconds = sim::to_seconds(duration);
    return {{"cluster_rate_tps",
             fmt::format("galera: {}/s x {} s x 3 events", c.cluster_rate_tps, seconds),
             3 * c.cluster_rate_tps * seconds}};
}

}  // namespace lockstage::models::topology
