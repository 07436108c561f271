#pragma once
// How much work a scenario is, in kernel events, before it runs; and the event budget a run gets.
//
// The estimate adds up the event sources of a run, each estimated by its model from its own
// configuration (sim/kernel/event_cost.hpp): the client groups (models/workload/estimate.hpp),
// the scripted sessions, the lock-queue sampler (models/server), the replica's applied stream and
// the Galera receive stream (models/topology), the backup's steps (models/backup), the queue model
// (models/queue). This file only assembles them, naming each term by the JSON pointer of the key
// that drives it. Lock waits add a wake-up each and are not counted, so runs with heavy blocking
// do a little more than estimated. On the shipped scenarios the estimate is within about 10 % of
// the events the runs report (README, Command line).
//
// A run whose estimate exceeds the limit (10^10 events, or --max-events N when that is larger) is
// refused before it starts; a run that executes more events than its budget is stopped.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "app/scenario/scenario.hpp"
#include "sim/kernel/simulation.hpp"

namespace lockstage::app {

/// The limit above which a run is refused unless --max-events allows it (about half an hour of
/// wall time at 5 M events/s).
inline constexpr double kDefaultEventLimit = 1e10;
/// Without --max-events, a run may execute this many times its estimate (or the default limit,
/// whichever is more) before it is stopped.
inline constexpr double kBudgetOverEstimate = 10.0;
/// At most this many requests waiting for a pool connection at once (about 600 bytes each, so
/// 6 GB): an open group offered far more than its pool serves, with a long client_timeout, would
/// otherwise exhaust the machine's memory. --max-events does not lift it.
inline constexpr double kMaxWaitingRequests = 1e7;

struct EventEstimate {
    struct Term {
        std::string pointer;  ///< the scenario key that drives it ("" for the root)
        std::string what;     ///< e.g. "group app: 500/s x 60 s x 4 events"
        double events = 0;
    };
    std::vector<Term> terms;
    double total = 0;
    /// Requests that may wait for a pool connection at once, all open groups together, and the
    /// group with the most (models/workload/estimate.hpp estimate_peak_waiting()).
    Term waiting;
    /// The largest term (the one a message names), or nullptr without terms.
    const Term* largest() const;
};

EventEstimate estimate_events(const Scenario& s);

/// The events a run may execute: `max_events` when given, else
/// max(kDefaultEventLimit, kBudgetOverEstimate x the estimate).
std::uint64_t event_budget(const EventEstimate& e, std::optional<std::uint64_t> max_events);

/// Throws a ScenarioError (exit code 2) naming the largest term's pointer when the estimate is
/// above max(kDefaultEventLimit, max_events), or the waiting group's when more than
/// kMaxWaitingRequests may wait at once; `where` prefixes nothing but names the file.
void check_event_estimate(const EventEstimate& e, const std::string& file,
                          std::optional<std::uint64_t> max_events);

/// Estimates `s`, refuses it (check_event_estimate, naming `file`) and sets its budget
/// (Scenario::max_events and the queue model's).
EventEstimate apply_event_budget(Scenario& s, const std::string& file,
                                 std::optional<std::uint64_t> max_events);

/// The message for a run stopped by its budget: how many events, at what simulated time, and the
/// flag that raises the budget. `run` names the run (a file, a sweep point).
std::string budget_spent_message(const sim::EventLimitExceeded& e, const std::string& run,
                                 const Scenario& s, bool flag_given);

/// "1.3e+05"-style figures for messages.
std::string events_text(double events);

/// Parses --max-events: a whole number, also in the form 2e10; std::nullopt if it is not one
/// or is below 1.
std::optional<std::uint64_t> parse_event_count(const std::string& text);

}  // namespace lockstage::app
