#include "models/topology/replica.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <utility>

namespace lockstage::models::topology {

using sim::Time;

namespace {

server::Statement update_of(const std::string& table) {
    server::Statement st;
    st.kind = server::StmtKind::Update;
    st.tables = {table};
    return st;
}

const ReplicaConfig& checked(const server::Server& server, const ReplicaConfig& c) {
    if (!(c.primary_rate_tps > 0) || !std::isfinite(c.primary_rate_tps)) {
        throw std::invalid_argument("ReplicaApplier: primary_rate_tps must be a number > 0");
    }
    if (c.lag_sample_interval <= 0) {
        throw std::invalid_argument("ReplicaApplier: lag_sample_interval must be > 0");
    }
    if (!server.has_table(c.table)) {
        throw std::invalid_argument("ReplicaApplier: unknown table \"" + c.table + "\"");
    }
    return c;
}

}  // namespace

ReplicaApplier::ReplicaApplier(server::Server& server, std::uint64_t seed, Time duration,
                               Time interval, ReplicaConfig c)
    : server_(server),
      sim_(server.simulation()),
      duration_(duration),
      cfg_(checked(server, c)),
      result_(cfg_.lag_sample_interval, interval),
      primary_rng_(seed, "replica/primary"),
      apply_rng_(seed, "replica/apply"),
      update_(update_of(cfg_.table)) {}

void ReplicaApplier::start() {
    if (started_) {
        return;
    }
    started_ = true;
    session_ = server_.connect("replica/sql_thread");
    sim_.spawn(primary());
    sim_.spawn(applier());
}

void ReplicaApplier::stop_sql_thread() {
    if (!stopped_) {
        stopped_ = true;
        stopped_since_ = sim_.now();
    }
}

void ReplicaApplier::start_sql_thread() {
    if (!stopped_) {
        return;
    }
    stopped_ = false;
    if (!finished_) {
        result_.stopped_total +=
            std::min(sim_.now(), duration_) - std::min(stopped_since_, duration_);
    }
    if (idle_.waiting()) {
        sim_.wake(idle_);
    }
}

void ReplicaApplier::stopped_by_error(server::Error e) {
    if (!finished_) {
        result_.last_error = e;
    }
    stop_sql_thread();
}

sim::Process ReplicaApplier::primary() {
    const auto gap = sim::Distribution::exponential(
        std::max<Time>(1, sim::from_units_saturating(1.0 / cfg_.primary_rate_tps, sim::kSecond)));
    for (;;) {
        co_await sim_.sleep(gap.sample(primary_rng_));
        if (sim_.now() >= duration_) {
            co_return;
        }
        received(sim_.now());
    }
}

sim::Process ReplicaApplier::applier() {
    int retries = 0;
    for (;;) {
        while (stopped_ || relay_.empty()) {
            co_await sim_.block(idle_);
        }
        const Time exec = cfg_.apply.sample(apply_rng_);
        const server::StatementResult r = co_await server_.execute(session_, update_, exec);
        if (r.error == server::Error::None) {
            retries = 0;
            applied(sim_.now());
            continue;
        }
        if ((r.error == server::Error::LockWaitTimeout || r.error == server::Error::LockDeadlock) &&
            retries < kTransactionRetries) {
            ++retries;
            if (!finished_) {
                ++result_.retries;
            }
            continue;
        }
        retries = 0;
        stopped_by_error(r.error);
    }
}

void ReplicaApplier::received(Time t) {
    advance_lag(t);  // the intervals before t saw the relay log as it was
    relay_.push_back(t);
    ++result_.received;
    result_.peak_relay_backlog = std::max<std::uint64_t>(result_.peak_relay_backlog, relay_.size());
    if (!stopped_ && idle_.waiting()) {
        sim_.wake(idle_);
    }
}

void ReplicaApplier::applied(Time t) {
    if (!finished_ && t < duration_) {
        observe_lag(t);  // the head's lag as it commits: the highest since the last change
        ++result_.applied;
        result_.applied_per_interval.add(t);
    }
    relay_.pop_front();
}

void ReplicaApplier::advance_lag(Time t) {
    if (finished_) {
        return;
    }
    const Time width = cfg_.lag_sample_interval;
    while ((lag_index_ + 1) * width <= t) {
        const Time end = (lag_index_ + 1) * width;
        const Time at_end = lag_at(end);
        lag_max_ = std::max(lag_max_, at_end);
        result_.lag_max_per_interval.add(lag_index_ * width, static_cast<double>(lag_max_));
        ++lag_index_;
        lag_max_ = at_end;  // the lag is continuous across the boundary
    }
}

void ReplicaApplier::observe_lag(Time t) {
    advance_lag(t);
    const Time v = lag_at(t);
    lag_max_ = std::max(lag_max_, v);
    if (v > result_.peak_lag) {
        result_.peak_lag = v;
        result_.peak_lag_at = t;
    }
}

ReplicaResult ReplicaApplier::finish() {
    if (finished_) {
        return result_;
    }
    observe_lag(duration_);
    const Time width = cfg_.lag_sample_interval;
    if (lag_index_ * width < duration_) {  // the last, partial interval
        result_.lag_max_per_interval.add(lag_index_ * width, static_cast<double>(lag_max_));
    }
    result_.lag_max_per_interval.extend_to(duration_);
    result_.applied_per_interval.extend_to(duration_);
    if (stopped_) {
        result_.stopped_total += duration_ - std::min(stopped_since_, duration_);
    }
    finished_ = true;
    return result_;
}

sim::EventCosts estimate_events(const ReplicaConfig& c, Time duration) {
    const double seconds = sim::to_seconds(duration);
    return {{"primary_rate_tps",
             fmt::format("replication: {}/s x {} s x 4 events", c.primary_rate_tps, seconds),
             4 * c.primary_rate_tps * seconds}};
}

}  // namespace lockstage::models::topology
