#pragma once
// The two helpers every model test writes its SQL with: sql() parses a statement (a statement
// the parser refuses fails the test with the parser's message), at() makes a scripted
// statement sent at a given time.

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "models/server/script.hpp"
#include "models/server/sql.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::tests {

inline models::server::Statement sql(std::string_view text) {
    auto r = models::server::parse_sql(text);
    if (const auto* msg = std::get_if<std::string>(&r)) {
        FAIL("test SQL refused: " << *msg);
    }
    return std::get<models::server::Statement>(r);
}

// A statement of the script sent at time t, executing for exec once its locks are granted.
inline models::server::ScriptedStatement at(sim::Time t, std::string_view text,
                                            sim::Time exec = sim::millis(1)) {
    return models::server::ScriptedStatement{t, std::string(text), sql(text), exec};
}

// The result of the `seq`-th statement (1-based) of session `name` in a trace; fails the test if
// that statement was never sent or never finished.
inline models::server::StatementResult traced(const std::vector<models::server::TraceRow>& trace,
                                              std::string_view name, std::size_t seq) {
    for (const auto& row : trace) {
        if (row.session == name && row.seq == seq) {
            INFO(name << " #" << seq << ": " << row.sql);
            REQUIRE(row.result.has_value());
            return *row.result;
        }
    }
    FAIL("no statement " << seq << " of session " << name);
    return {};
}

}  // namespace lockstage::tests
