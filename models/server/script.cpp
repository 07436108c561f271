#include "models/server/script.hpp"

#include <fmt/format.h>

namespace lockstage::models::server {

namespace {

sim::Process play(Server& server, Server::SessionId id, std::size_t index,
                  const ScriptedSession& script, std::vector<TraceRow>& trace) {
    sim::Simulation& sim = server.simulation();
    std::size_t seq = 0;
    for (const auto& step : script.statements) {
        co_await sim.sleep_until(step.at);
        const std::size_t row = trace.size();
        trace.push_back(TraceRow{index, script.name, ++seq, step.sql, sim.now(), std::nullopt});
        StatementResult r = co_await server.execute(id, step.statement, step.exec);
        trace[row].result = r;
    }
}

}  // namespace

void start_scripts(Server& server, const std::vector<ScriptedSession>& sessions,
                   std::vector<TraceRow>& trace) {
    std::vector<Server::SessionId> ids;
    for (const auto& s : sessions) {
        ids.push_back(server.connect(s.name, s.user));  // all connect first, so KILL finds them
    }
    for (std::size_t i = 0; i < sessions.size(); ++i) {
        server.simulation().spawn(play(server, ids[i], i, sessions[i], trace));
    }
}

sim::EventCosts estimate_events(const std::vector<ScriptedSession>& sessions) {
    std::size_t statements = 0;
    for (const auto& session : sessions) {
        statements += session.statements.size();
    }
    return {{"", fmt::format("{} scripted statements x 3 events", statements),
             3.0 * static_cast<double>(statements)}};
}

}  // namespace lockstage::models::server
