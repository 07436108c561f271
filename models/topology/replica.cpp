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

server::Statement statement(server::StmtKind kind) {
    server::Statement st;
    st.kind = kind;
    return st;
}

const ReplicaConfig& checked(const server::Server& server, const ReplicaConfig& c) {
    if (!(c.primary_rate_tps > 0) || !std::isfinite(c.primary_rate_tps)) {
        throw std::invalid_argument("ReplicaApplier: primary_rate_tps must be a number > 0");
    }
    if (c.lag_sample_interval <= 0) {
        throw std::invalid_argument("ReplicaApplier: lag_sample_interval must be > 0");
    }
    if (c.parallel_threads < 0) {
        throw std::invalid_argument("ReplicaApplier: parallel_threads must be >= 0");
    }
    if (c.backed_up == BackedUp::Replica && !server.has_table(c.table)) {
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

ReplicaApplier::~ReplicaApplier() {
    if (started_) {
        server_.remove_hooks(this);
    }
}

void ReplicaApplier::start() {
    if (started_) {
        return;
    }
    started_ = true;
    server_.add_hooks(this);
    if (cfg_.backed_up == BackedUp::Primary) {
        sim_.spawn(remote_applier());  // the primary's commits arrive through the hooks
        return;
    }
    sim_.spawn(primary());
    if (cfg_.parallel_threads == 0) {
        session_ = server_.connect("replica/sql_thread");
        // An applier thread is a slave_thread: THD::set_query_timer() never arms its timer
        // (docs/statement-timeout.md#who-is-exempt).
        server_.set_max_statement_time(session_, 0);
        sim_.spawn(applier());
        return;
    }
    for (int i = 1; i <= cfg_.parallel_threads; ++i) {
        Worker& w = workers_.emplace_back();
        w.session = server_.connect(fmt::format("replica/worker{}", i));
        server_.set_max_statement_time(w.session, 0);  // a slave_thread too
    }
    for (Worker& w : workers_) {
        sim_.spawn(worker(w));
    }
}

bool ReplicaApplier::may_start() const {
    return !stopped_ && next_seq_ < committed_ + relay_.size() &&
           (ftwrl_pending_ == 0 || next_seq_ < pause_end_);
}

void ReplicaApplier::wake_idle() {
    if (idle_.waiting()) {
        sim_.wake(idle_);
    }
    for (Worker& w : workers_) {
        if (w.idle.waiting()) {
            sim_.wake(w.idle);
        }
    }
}

void ReplicaApplier::ftwrl_starting(locks::OwnerId, Time) {
    if (workers_.empty()) {
        return;  // rpl_pause_for_ftwrl() finds no worker threads
    }
    if (ftwrl_pending_++ == 0) {
        pause_end_ = next_seq_;  // pause_sub_id= largest_started_sub_id
    }
}

void ReplicaApplier::ftwrl_finished(locks::OwnerId, Time) {
    if (workers_.empty() || ftwrl_pending_ == 0) {
        return;
    }
    if (--ftwrl_pending_ == 0) {
        wake_idle();  // rpl_unpause_after_ftwrl()
    }
}

bool ReplicaApplier::ftwrl_may_lock() const {
    // FTWRL waits until last_committed_sub_id >= pause_sub_id.
    return workers_.empty() || ftwrl_pending_ == 0 || committed_ >= pause_end_;
}

void ReplicaApplier::transaction_committed(locks::OwnerId, Time began, Time) {
    if (cfg_.backed_up == BackedUp::Primary && !finished_ && sim_.now() < duration_) {
        received(began);
    }
}

sim::Process ReplicaApplier::remote_applier() {
    for (;;) {
        while (stopped_ || relay_.empty()) {
            co_await sim_.block(idle_);
        }
        co_await sim_.sleep(cfg_.apply.sample(apply_rng_));
        applied(sim_.now());
    }
}

sim::Process ReplicaApplier::worker(Worker& w) {
    const server::Statement begin = statement(server::StmtKind::Begin);
    const server::Statement commit = statement(server::StmtKind::Commit);
    const server::Statement rollback = statement(server::StmtKind::Rollback);
    for (;;) {
        while (!may_start()) {
            co_await sim_.block(w.idle);
        }
        w.seq = next_seq_++;
        const std::uint64_t epoch = epoch_;
        int retries = 0;
        bool done = false;
        while (!done) {
            server::StatementResult r = co_await server_.execute(w.session, begin, 0);
            if (r.error == server::Error::None) {
                r = co_await server_.execute(w.session, update_, cfg_.apply.sample(apply_rng_));
            }
            // In-order commit: wait for the previous transaction (wait_for_prior_commit()).
            while (r.error == server::Error::None && committed_ != w.seq && epoch_ == epoch) {
                co_await sim_.block(w.turn);
            }
            if (r.error == server::Error::None && epoch_ != epoch) {
                co_await server_.execute(w.session, rollback, 0);  // after a fatal error
                next_seq_ = std::min(next_seq_, w.seq);
                break;
            }
            if (r.error == server::Error::None) {
                r = co_await server_.execute(w.session, commit, 0);
            }
            if (r.error == server::Error::None) {
                applied(sim_.now());
                done = true;
                break;
            }
            co_await server_.execute(w.session, rollback, 0);
            if ((r.error == server::Error::LockWaitTimeout ||
                 r.error == server::Error::LockDeadlock) &&
                retries < kTransactionRetries) {
                ++retries;
                if (!finished_) {
                    ++result_.retries;
                }
                continue;
            }
            // Fatal: the SQL thread stops; the transactions after this one roll back.
            next_seq_ = std::min(next_seq_, w.seq);
            ++epoch_;
            for (Worker& x : workers_) {
                if (x.turn.waiting()) {
                    sim_.wake(x.turn);
                }
            }
            stopped_by_error(r.error);
            break;
        }
    }
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
    wake_idle();
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
    advance_lag(sim_.now());  // the intervals before now saw the relay log as it was
    relay_.push_back(t);
    ++result_.received;
    result_.peak_relay_backlog = std::max<std::uint64_t>(result_.peak_relay_backlog, relay_.size());
    if (!stopped_) {
        wake_idle();
    }
}

void ReplicaApplier::applied(Time t) {
    if (!finished_ && t < duration_) {
        observe_lag(t);  // the head's lag as it commits: the highest since the last change
        ++result_.applied;
        result_.applied_per_interval.add(t);
    }
    relay_.pop_front();
    ++committed_;
    for (Worker& w : workers_) {
        if (w.turn.waiting() && w.seq == committed_) {
            sim_.wake(w.turn);
        }
    }
    if (ftwrl_pending_ > 0 && committed_ == pause_end_) {
        server_.gates_opened();  // the workers have paused: FTWRL may lock
    }
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
    if (c.backed_up == BackedUp::Primary) {
        return {};  // two events a commit of the primary's clients, counted with their workload
    }
    const double seconds = sim::to_seconds(duration);
    return {{"primary_rate_tps",
             fmt::format("replication: {}/s x {} s x 4 events", c.primary_rate_tps, seconds),
             4 * c.primary_rate_tps * seconds}};
}

}  // namespace lockstage::models::topology
