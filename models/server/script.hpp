#pragma once
// Scripted sessions, the way mysqltest replays a lock interaction: each session sends its
// statements in order, a statement at its `at` time or when the previous one finished,
// whichever is later. Every statement becomes one trace row.
#include <optional>
#include <string>
#include <vector>

#include "models/server/server.hpp"
#include "sim/kernel/event_cost.hpp"
#include "sim/kernel/process.hpp"

namespace lockstage::models::server {

struct ScriptedStatement {
    sim::Time at = 0;
    std::string sql;  ///< as written, for the trace
    Statement statement;
    sim::Time exec = sim::kMillisecond;
};

struct ScriptedSession {
    std::string name;
    std::string user;  ///< "" = every privilege
    std::vector<ScriptedStatement> statements;
};

struct TraceRow {
    std::size_t session_index = 0;  ///< position of the session in the scenario
    std::string session;
    std::size_t seq = 0;  ///< 1-based within the session
    std::string sql;
    sim::Time sent = 0;
    std::optional<StatementResult> result;  ///< empty: still running when the run ended
};

/// Plays every session's script on `server`; rows are appended to `trace` as statements are
/// sent and completed when they finish (a row whose result is empty was still running at the
/// end of the run). Rows are in sending order; sort by (session_index, seq) for a report.
void start_scripts(Server& server, const std::vector<ScriptedSession>& sessions,
                   std::vector<TraceRow>& trace);

/// What the scripts cost in kernel events (sim/kernel/event_cost.hpp): 3 a statement (its send
/// time, its execution, its commit or a wake-up). One term, key "" (the sessions as a whole).
sim::EventCosts estimate_events(const std::vector<ScriptedSession>& sessions);

}  // namespace lockstage::models::server
