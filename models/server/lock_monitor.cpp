#include "models/server/lock_monitor.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace lockstage::models::server {

namespace {

sim::Process sampler(LockMonitor& m, sim::Simulation& sim, sim::Time duration) {
    for (sim::Time t = 0; t < duration; t += m.interval()) {
        co_await sim.sleep_until(t);
        m.sample();
    }
}

std::size_t state_index(std::string_view state) {
    const auto it = std::find(kWaitStates.begin(), kWaitStates.end(), state);
    return static_cast<std::size_t>(it - kWaitStates.begin());
}

// The interval the monitor samples at: the one asked for, widened so that a long run takes at
// most kMaxSamples samples.
sim::Time effective_interval(sim::Time interval, sim::Time duration) {
    const sim::Time floor = (duration + LockMonitor::kMaxSamples - 1) / LockMonitor::kMaxSamples;
    return std::max<sim::Time>({interval, floor, 1});
}

}  // namespace

LockMonitor::LockMonitor(Server& server, sim::Time interval, sim::Time duration)
    : server_(server), duration_(duration) {
    result_.interval = effective_interval(interval, duration);
    // Rows are whole numbers of samples wide, at most kMaxRows of them.
    const sim::Time samples = (duration + result_.interval - 1) / result_.interval;
    const sim::Time per_row = std::max<sim::Time>(1, (samples + kMaxRows - 1) / kMaxRows);
    result_.row_interval = per_row * result_.interval;
    result_.rows.reserve(static_cast<std::size_t>((samples + per_row - 1) / per_row));
}

void LockMonitor::start() {
    server_.simulation().spawn(sampler(*this, server_.simulation(), duration_));
}

void LockMonitor::sample() {
    const auto waiting = server_.waiting_sessions();
    std::array<std::uint32_t, kWaitStates.size()> counts{};
    for (const auto& w : waiting) {
        const std::size_t i = state_index(w.state);
        if (i < counts.size()) {
            ++counts[i];
        }
    }
    const auto total = static_cast<std::uint32_t>(waiting.size());
    const auto r = static_cast<std::size_t>(server_.simulation().now() / result_.row_interval);
    while (result_.rows.size() <= r) {
        result_.rows.emplace_back().fill(0);
        result_.row_totals.push_back(0);
    }
    for (std::size_t i = 0; i < counts.size(); ++i) {
        result_.rows[r][i] = std::max(result_.rows[r][i], counts[i]);
    }
    result_.row_totals[r] = std::max(result_.row_totals[r], total);
    result_.total.record(total);
    if (total <= result_.peak) {
        return;
    }
    result_.peak = total;
    result_.peak_at = server_.simulation().now();
    result_.peak_by_state.clear();
    result_.peak_kinds.clear();
    for (const auto& w : waiting) {
        ++result_.peak_by_state[w.state];
        ++result_.peak_kinds[kind_name(w.kind)];
    }
    result_.peak_graph = wait_graph(server_, waiting);
}

WaitGraph LockMonitor::wait_graph(const Server& server,
                                  const std::vector<WaitingSession>& waiting) {
    WaitGraph g;
    g.at = server.simulation().now();
    std::map<Server::SessionId, std::size_t> index;
    auto node = [&](Server::SessionId id, std::string_view state) {
        if (auto it = index.find(id); it != index.end()) {
            return it->second;
        }
        g.nodes.push_back(WaitGraph::Node{id, server.session_name(id),
                                          kind_name(server.statement_kind(id)), server.busy(id),
                                          state});
        return index[id] = g.nodes.size() - 1;
    };
    for (const auto& w : waiting) {  // by session id already
        node(w.id, w.state);
    }
    const auto& locks = server.locks();
    std::vector<std::pair<Server::SessionId, Server::SessionId>> blockers;
    for (const auto& w : waiting) {
        for (const auto b : locks.blocking(w.id)) {
            blockers.emplace_back(w.id, b);
        }
    }
    std::vector<Server::SessionId> others;
    for (const auto& [w, b] : blockers) {
        if (!index.count(b)) {
            others.push_back(b);
        }
    }
    std::sort(others.begin(), others.end());
    for (const auto b : others) {
        node(b, "");
    }
    for (const auto& [w, b] : blockers) {
        g.edges.emplace_back(index.at(w), index.at(b));
    }
    return g;
}

QueueDepthResult LockMonitor::finish() {
    result_.wait_time_by_state = server_.wait_time_by_state();
    return result_;
}

sim::EventCosts LockMonitor::estimate_events(sim::Time interval, sim::Time duration) {
    const sim::Time every = effective_interval(interval, duration);
    return {{"", fmt::format("lock-queue samples every {} ms", sim::to_millis(every)),
             std::ceil(static_cast<double>(duration) / static_cast<double>(every))}};
}

}  // namespace lockstage::models::server
