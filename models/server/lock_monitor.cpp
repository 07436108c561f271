#include "models/server/lock_monitor.hpp"

#include <algorithm>

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

}  // namespace

LockMonitor::LockMonitor(Server& server, sim::Time interval, sim::Time duration)
    : server_(server), duration_(duration) {
    const sim::Time floor = (duration + kMaxSamples - 1) / kMaxSamples;
    result_.interval = std::max<sim::Time>({interval, floor, 1});
    result_.rows.reserve(
        static_cast<std::size_t>((duration + result_.interval - 1) / result_.interval));
}

void LockMonitor::start() {
    server_.simulation().spawn(sampler(*this, server_.simulation(), duration_));
}

void LockMonitor::sample() {
    const auto waiting = server_.waiting_sessions();
    auto& row = result_.rows.emplace_back();
    row.fill(0);
    for (const auto& w : waiting) {
        const std::size_t i = state_index(w.state);
        if (i < row.size()) {
            ++row[i];
        }
    }
    const auto total = static_cast<std::uint32_t>(waiting.size());
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

}  // namespace lockstage::models::server
