#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "models/locks/lock_manager.hpp"
#include "models/locks/mdl_modes.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"

// The expected behaviour comes from literal copies of the source tables below (MariaDB's sql/mdl.cc
// BACKUP bitmaps as written in docs/mdl-backup-namespace.md#granted-matrix and
// docs/mdl-backup-namespace.md#waiting-matrix, mdl.cc's comment tables for TABLE and the scoped
// locks), never from mode_table(): a flipped cell in mdl_modes.cpp makes these tests fail.
// Coroutines are free functions (no coroutine lambdas: g++ 12 mishandles them).
namespace {

namespace sim = lockstage::sim;
namespace lk = lockstage::models::locks;
using lk::Duration;
using lk::LockKey;
using lk::LockManager;
using lk::LockResult;
using lk::Mode;
using lk::Ns;
using lk::OwnerId;
using sim::kForever;
using sim::Process;
using sim::seconds;
using sim::Simulation;
using sim::Time;

// --- Literal source tables -----------------------------------------------------------------

// MariaDB's sql/mdl.cc MDL_backup_lock::m_granted_incompatible, as written in
// docs/mdl-backup-namespace.md#granted-matrix, cell for cell.
constexpr std::string_view kBackupGranted = R"(
|Req\Held|S0|S1|S2|S3|S4|F1|F2|D|TD|SD|DD|BL|AC|C|
|-|-|-|-|-|-|-|-|-|-|-|-|-|-|-|
|S0|X|X|X|X|X|.|.|.|.|.|.|X|.|.|
|S1|X|.|.|.|.|.|.|.|.|.|.|.|.|.|
|S2|X|.|.|.|.|.|.|X|.|.|.|.|.|.|
|S3|X|.|.|.|.|.|.|X|.|.|X|.|.|.|
|S4|X|.|.|.|.|.|.|X|.|X|X|.|.|X|
|F1|.|.|.|.|.|.|.|X|X|X|X|.|X|.|
|F2|.|.|.|.|.|.|.|X|X|X|X|.|X|X|
|D|.|X|X|X|X|X|X|.|.|.|.|.|.|.|
|TD|.|.|.|.|.|X|X|.|.|.|.|.|.|.|
|SD|.|.|.|.|X|X|X|.|.|.|.|.|.|.|
|DD|.|.|.|X|X|X|X|.|.|.|.|X|.|.|
|BL|X|X|X|X|X|.|.|.|.|.|X|X|.|.|
|AC|.|.|.|.|.|X|X|.|.|.|.|.|.|.|
|C|.|.|.|.|X|.|X|.|.|.|.|.|.|.|
)";

// sql/mdl.cc MDL_backup_lock::m_waiting_incompatible, as written in
// docs/mdl-backup-namespace.md#waiting-matrix, cell for cell (the rows of S1-S4 and F1, F2 are
// one row here).
constexpr std::string_view kBackupWaiting = R"(
| Request | Blocked by queued |
|---|---|
| S0 | S1 S2 S3 S4 BL |
| S1, S2, S3, S4, F1, F2 | nothing (backup and FTWRL requests jump the queue) |
| D | S1 S2 S3 S4 F1 F2 |
| TD | F1 F2 |
| SD | S4 F1 F2 |
| DD | S3 S4 F1 F2 BL |
| BL | S0 |
| AC | F1 F2 |
| C | S4 F2 |
)";

// MariaDB sql/mdl.cc, the comment tables above MDL_object_lock::m_granted_incompatible and
// m_waiting_incompatible, verbatim ("-" = waits). The test keeps SH SR SW SU SRO SNW SNRW X.
constexpr std::string_view kTableGranted = R"MDL(
     Request  |  Granted requests for lock         |
      type    | S  SH  SR  SW  SU  SRO SNW SNRW X  |
    ----------+------------------------------------+
    S         | +   +   +   +   +   +   +   +   -  |
    SH        | +   +   +   +   +   +   +   +   -  |
    SR        | +   +   +   +   +   +   +   -   -  |
    SW        | +   +   +   +   +   -   -   -   -  |
    SU        | +   +   +   +   -   +   -   -   -  |
    SRO       | +   +   +   -   +   +   +   -   -  |
    SNW       | +   +   +   -   -   +   -   -   -  |
    SNRW      | +   +   -   -   -   -   -   -   -  |
    X         | -   -   -   -   -   -   -   -   -  |
    SU -> X   | -   -   -   -   0   -   0   0   0  |
    SNW -> X  | -   -   -   0   0   -   0   0   0  |
    SNRW -> X | -   -   0   0   0   0   0   0   0  |
)MDL";

constexpr std::string_view kTableWaiting = R"MDL(
     Request  |  Pending requests for lock        |
      type    | S  SH  SR  SW  SU  SRO SNW SNRW X |
    ----------+-----------------------------------+
    S         | +   +   +   +   +   +   +   +   - |
    SH        | +   +   +   +   +   +   +   +   + |
    SR        | +   +   +   +   +   +   +   -   - |
    SW        | +   +   +   +   +   +   -   -   - |
    SU        | +   +   +   +   +   +   +   +   - |
    SRO       | +   +   +   -   +   +   +   -   - |
    SNW       | +   +   +   +   +   +   +   +   - |
    SNRW      | +   +   +   +   +   +   +   +   - |
    X         | +   +   +   +   +   +   +   +   + |
    SU -> X   | +   +   +   +   +   +   +   +   + |
    SNW -> X  | +   +   +   +   +   +   +   +   + |
    SNRW -> X | +   +   +   +   +   +   +   +   + |
)MDL";

// MariaDB sql/mdl.cc, the comment tables above MDL_scoped_lock::m_granted_incompatible and
// m_waiting_incompatible (the same in 10.3, where GLOBAL and COMMIT use them), verbatim.
constexpr std::string_view kScopedGranted = R"MDL(
             | Type of active   |
     Request |   scoped lock    |
      type   | IS(*)  IX   S  X |
    ---------+------------------+
    IS(*)    |  +      +   +  + |
    IX       |  +      +   -  - |
    S        |  +      -   +  - |
    X        |  +      -   -  - |
)MDL";

constexpr std::string_view kScopedWaiting = R"MDL(
             |    Pending      |
     Request |  scoped lock    |
      type   | IS(*)  IX  S  X |
    ---------+-----------------+
    IS(*)    |  +      +  +  + |
    IX       |  +      +  -  - |
    S        |  +      +  +  - |
    X        |  +      +  +  + |
)MDL";

// Our TABLE_FLUSH simplification of close_cached_tables, as the design states it.
constexpr std::string_view kFlushGranted = R"(
|Req\Held|OPEN|FLUSH|
|-|-|-|
|OPEN|.|.|
|FLUSH|X|.|
)";
constexpr std::string_view kFlushWaiting = R"(
|Req\Queued|OPEN|FLUSH|
|-|-|-|
|OPEN|.|X|
|FLUSH|.|.|
)";

// Abbreviations in enum order.
const std::vector<std::string> kBackupAbbr = {"S0", "S1", "S2", "S3", "S4", "F1", "F2",
                                              "D",  "TD", "SD", "DD", "BL", "AC", "C"};
const std::vector<std::string> kTableAbbr = {"SH", "SR", "SW", "SU", "SRO", "SNW", "SNRW", "X"};
const std::vector<std::string> kScopedAbbr = {"IX", "S", "X"};
const std::vector<std::string> kFlushAbbr = {"OPEN", "FLUSH"};

// InnoDB record locks (lock0lock.cc lock_rec_has_to_wait; docs/row-locks.md#model): S with S
// only, and a conflicting queued request counts as much as a granted one (FIFO).
constexpr std::string_view kRowGrid = R"(
|Req\Held|S|X|
|-|-|-|
|S|.|X|
|X|X|X|
)";
const std::vector<std::string> kRowAbbr = {"S", "X"};
static_assert(lk::backup::FTWRL1 == 5 && lk::backup::DDL == 10 && lk::backup::COMMIT == 13);
static_assert(lk::table::SHARED_UPGRADABLE == 3 && lk::table::SHARED_READ_ONLY == 4 &&
              lk::table::EXCLUSIVE == 7);
static_assert(lk::scoped::SHARED == 1 && lk::flush::FLUSH == 1);

// --- Parsers for those tables --------------------------------------------------------------

using Matrix = std::vector<std::vector<bool>>;  // [requested][other]: true = the request waits

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return "";
    }
    return std::string(s.substr(b, s.find_last_not_of(" \t") - b + 1));
}

std::vector<std::string> split(std::string_view s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= s.size(); ++i) {
        if (i == s.size() || s[i] == sep) {
            out.push_back(trim(s.substr(start, i - start)));
            start = i + 1;
        }
    }
    return out;
}

std::vector<std::string> words(std::string_view s) {
    std::istringstream in{std::string(s)};
    std::vector<std::string> out;
    for (std::string w; in >> w;) {
        out.push_back(w);
    }
    return out;
}

std::vector<std::string> lines(std::string_view text) {
    return split(text, '\n');
}

std::size_t index_of(const std::vector<std::string>& abbr, const std::string& a) {
    const auto it = std::find(abbr.begin(), abbr.end(), a);
    REQUIRE_MESSAGE(it != abbr.end(), "unknown mode " << a);
    return static_cast<std::size_t>(it - abbr.begin());
}

/// "|Req\Held|A|B|" then "|A|X|.|" rows.
Matrix parse_grid(std::string_view text, const std::vector<std::string>& abbr) {
    Matrix m(abbr.size(), std::vector<bool>(abbr.size(), false));
    std::vector<std::string> columns;
    std::vector<bool> seen(abbr.size(), false);
    for (const std::string& line : lines(text)) {
        if (line.empty()) {
            continue;
        }
        std::vector<std::string> cells = split(line, '|');
        cells = std::vector<std::string>(cells.begin() + 1, cells.end() - 1);
        if (cells[0].rfind("Req", 0) == 0) {
            columns.assign(cells.begin() + 1, cells.end());
            REQUIRE(columns == abbr);
            continue;
        }
        if (cells[0] == "-") {
            continue;
        }
        const std::size_t r = index_of(abbr, cells[0]);
        REQUIRE(cells.size() == abbr.size() + 1);
        for (std::size_t c = 0; c < abbr.size(); ++c) {
            REQUIRE((cells[c + 1] == "X" || cells[c + 1] == "."));
            m[r][c] = cells[c + 1] == "X";
        }
        seen[r] = true;
    }
    REQUIRE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
    return m;
}

/// A "| Request(s) | Blocked by queued |" list, as in docs/mdl-backup-namespace.md#waiting-matrix.
Matrix parse_blocked_by(std::string_view text, const std::vector<std::string>& abbr) {
    Matrix m(abbr.size(), std::vector<bool>(abbr.size(), false));
    std::vector<bool> seen(abbr.size(), false);
    for (const std::string& line : lines(text)) {
        if (line.empty()) {
            continue;
        }
        const std::vector<std::string> cells = split(line, '|');
        if (cells[1] == "Request" || cells[1] == "---") {
            continue;
        }
        std::vector<std::size_t> blockers;
        if (cells[2].rfind("nothing", 0) != 0) {
            for (const std::string& w : words(cells[2])) {
                blockers.push_back(index_of(abbr, w));
            }
        }
        for (const std::string& req : split(cells[1], ',')) {
            const std::size_t r = index_of(abbr, req);
            REQUIRE_FALSE(seen[r]);
            seen[r] = true;
            for (const std::size_t b : blockers) {
                m[r][b] = true;
            }
        }
    }
    REQUIRE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
    return m;
}

/// mdl.cc's ASCII tables: a "type | cols |" header and "ROW | + - ... |" rows; rows and columns
/// not in `abbr` (S, SRO, IS(*), the "->" upgrade rows) are skipped.
Matrix parse_mdl_comment(std::string_view text, const std::vector<std::string>& abbr) {
    Matrix m(abbr.size(), std::vector<bool>(abbr.size(), false));
    std::vector<std::string> columns;
    std::vector<bool> seen(abbr.size(), false);
    for (const std::string& line : lines(text)) {
        const std::vector<std::string> parts = split(line, '|');
        if (parts.size() < 3) {
            continue;
        }
        const std::string& label = parts[0];
        const std::vector<std::string> cells = words(parts[1]);
        if (label == "type") {
            columns = cells;
            continue;
        }
        const auto r = std::find(abbr.begin(), abbr.end(), label);
        if (r == abbr.end()) {
            continue;
        }
        REQUIRE(cells.size() == columns.size());
        for (std::size_t c = 0; c < columns.size(); ++c) {
            const auto col = std::find(abbr.begin(), abbr.end(), columns[c]);
            if (col != abbr.end()) {
                REQUIRE((cells[c] == "+" || cells[c] == "-"));
                m[static_cast<std::size_t>(r - abbr.begin())]
                 [static_cast<std::size_t>(col - abbr.begin())] = cells[c] == "-";
            }
        }
        seen[static_cast<std::size_t>(r - abbr.begin())] = true;
    }
    REQUIRE(std::all_of(seen.begin(), seen.end(), [](bool b) { return b; }));
    return m;
}

// --- Processes -----------------------------------------------------------------------------

struct Outcome {
    std::optional<LockResult> result;
    Time at = -1;
    std::vector<OwnerId>* order = nullptr;  // appends the owner when the acquire returns
};

Process request(Simulation& sim, LockManager& lm, OwnerId owner, LockKey key, Mode mode, Duration d,
                Time timeout, Outcome& out) {
    const LockResult r = co_await lm.acquire(owner, key, mode, d, timeout);
    out.result = r;
    out.at = sim.now();
    if (out.order != nullptr) {
        out.order->push_back(owner);
    }
}

Process upgrade_request(Simulation& sim, LockManager& lm, OwnerId owner, LockKey key, Mode from,
                        Mode to, Duration d, Time timeout, Outcome& out) {
    const LockResult r = co_await lm.upgrade(owner, key, from, to, d, timeout);
    out.result = r;
    out.at = sim.now();
}

Process request_after(Simulation& sim, LockManager& lm, Time delay, OwnerId owner, LockKey key,
                      Mode mode, Duration d, Time timeout, Outcome& out) {
    co_await sim.sleep(delay);
    const LockResult r = co_await lm.acquire(owner, key, mode, d, timeout);
    out.result = r;
    out.at = sim.now();
}

constexpr LockKey kBackup{Ns::Backup, 0};
constexpr LockKey kGlobal{Ns::Global, 0};
constexpr LockKey kFlush{Ns::TableFlush, 0};
constexpr LockKey table_key(std::uint32_t id) {
    return LockKey{Ns::Table, id};
}

// --- Matrix cells, by behaviour ------------------------------------------------------------

/// Owner 1 holds `held`; is owner 2's request for `req` granted at once?
bool granted_while_held(LockKey key, Mode held, Mode req) {
    Simulation sim;
    LockManager lm(sim);
    REQUIRE(lm.try_acquire(1, key, held, Duration::Statement));
    return lm.try_acquire(2, key, req, Duration::Statement);
}

/// Owner 1 has a request for `queued` waiting behind `blocker` (held by `blocker_owner`); is
/// owner 2's request for `req` granted at once?
bool granted_while_queued(LockKey key, Mode queued, OwnerId blocker_owner, Mode blocker, Mode req) {
    Simulation sim;
    LockManager lm(sim);
    REQUIRE(lm.try_acquire(blocker_owner, key, blocker, Duration::Explicit));
    Outcome o;
    sim.spawn(request(sim, lm, 1, key, queued, Duration::Statement, kForever, o));
    sim.run();
    REQUIRE(lm.is_waiting(1));
    return lm.try_acquire(2, key, req, Duration::Statement);
}

/// Owners 2 and 1 queue `req` then `queued`, both behind `blocker` held by owner 3; owner 3
/// releases. The rescan checks `req` first, while the later `queued` is still queued: granted?
bool granted_before_later_queued(LockKey key, Mode blocker, Mode req, Mode queued) {
    Simulation sim;
    LockManager lm(sim);
    REQUIRE(lm.try_acquire(3, key, blocker, Duration::Explicit));
    Outcome o2, o1;
    sim.spawn(request(sim, lm, 2, key, req, Duration::Statement, kForever, o2));
    sim.spawn(request(sim, lm, 1, key, queued, Duration::Statement, kForever, o1));
    sim.run();
    REQUIRE(lm.is_waiting(2));
    REQUIRE(lm.is_waiting(1));
    REQUIRE(lm.deadlocks() == 0);
    lm.release(3, key);
    return !lm.is_waiting(2);
}

/// Every cell of both matrices of a namespace; returns the waiting cells no set-up can show.
/// A waiting cell (req, queued) is shown, by preference:
///  1. both queued behind one holder, released: granted_before_later_queued (not when each
///     mode is in the other's waiting row: two such queued requests form a wait-for cycle);
///  2. `queued` waits behind a third owner's ticket that does not block `req`;
///  3. `queued` waits behind the requester's own ticket (own tickets do not conflict), unless
///     that ticket already satisfies `req` (find_ticket).
std::vector<std::string> check_every_cell(LockKey key, const std::vector<std::string>& abbr,
                                          const Matrix& granted, const Matrix& waiting) {
    const std::size_t n = abbr.size();
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t h = 0; h < n; ++h) {
            const bool got = granted_while_held(key, static_cast<Mode>(h), static_cast<Mode>(r));
            CHECK_MESSAGE(got == !granted[r][h],
                          "granted matrix: request " << abbr[r] << " while " << abbr[h] << " held");
        }
    }
    // find_ticket per the literal tables: a held b satisfies a request of r.
    const auto covers = [&](std::size_t b, std::size_t r) {
        if (key.ns == Ns::Backup) {
            return b == r;
        }
        for (std::size_t x = 0; x < n; ++x) {
            if (granted[r][x] && !granted[b][x]) {
                return false;
            }
        }
        return true;
    };
    std::vector<std::string> hidden;
    for (std::size_t r = 0; r < n; ++r) {
        for (std::size_t q = 0; q < n; ++q) {
            const auto R = static_cast<Mode>(r), Q = static_cast<Mode>(q);
            std::optional<bool> got;
            std::string how;
            for (std::size_t b = 0; b < n && !got && !(waiting[r][q] && waiting[q][r]); ++b) {
                if (granted[r][b] && granted[q][b]) {
                    got = granted_before_later_queued(key, static_cast<Mode>(b), R, Q);
                    how = "both behind " + abbr[b];
                }
            }
            for (std::size_t b = 0; b < n && !got; ++b) {
                if (granted[q][b] && !granted[r][b]) {
                    got = granted_while_queued(key, Q, 3, static_cast<Mode>(b), R);
                    how = "queued behind owner 3's " + abbr[b];
                }
            }
            for (std::size_t b = 0; b < n && !got; ++b) {
                if (granted[q][b] && !covers(b, r)) {
                    got = granted_while_queued(key, Q, 2, static_cast<Mode>(b), R);
                    how = "queued behind the requester's " + abbr[b];
                }
            }
            if (!got) {
                hidden.push_back(abbr[r] + "/" + abbr[q]);
                continue;
            }
            CHECK_MESSAGE(*got == !waiting[r][q], "waiting matrix: request "
                                                      << abbr[r] << " while " << abbr[q]
                                                      << " queued (" << how << ")");
        }
    }
    return hidden;
}

}  // namespace

TEST_CASE("BACKUP: every cell of docs/mdl-backup-namespace.md's granted and waiting matrices") {
    const Matrix g = parse_grid(kBackupGranted, kBackupAbbr);
    const Matrix w = parse_blocked_by(kBackupWaiting, kBackupAbbr);
    CHECK(check_every_cell(kBackup, kBackupAbbr, g, w).empty());
}

TEST_CASE("TABLE: every cell of mdl.cc's object-lock matrices (8 modes)") {
    const Matrix g = parse_mdl_comment(kTableGranted, kTableAbbr);
    const Matrix w = parse_mdl_comment(kTableWaiting, kTableAbbr);
    CHECK(check_every_cell(table_key(7), kTableAbbr, g, w).empty());
}

TEST_CASE("ROW: InnoDB's record-lock compatibility, granted and queued") {
    const Matrix g = parse_grid(kRowGrid, kRowAbbr);
    // With two modes, a queued X behind a held S cannot be told from X behind X (every mode
    // conflicts with X), so the X-request cells are checked through the granted matrix only.
    const auto hidden = check_every_cell(LockKey{lk::Ns::Row, 1}, kRowAbbr, g, g);
    INFO("hidden: " << hidden.size());
    for (const auto& h : hidden) {
        INFO(h);
    }
    CHECK(hidden.size() <= 2);
}

TEST_CASE("GLOBAL and COMMIT: every cell of mdl.cc's scoped-lock matrices") {
    const Matrix g = parse_mdl_comment(kScopedGranted, kScopedAbbr);
    const Matrix w = parse_mdl_comment(kScopedWaiting, kScopedAbbr);
    CHECK(check_every_cell(kGlobal, kScopedAbbr, g, w).empty());
    CHECK(check_every_cell(LockKey{Ns::Commit, 0}, kScopedAbbr, g, w).empty());
}

TEST_CASE("TABLE_FLUSH: every cell of the simplified close_cached_tables matrices") {
    const Matrix g = parse_grid(kFlushGranted, kFlushAbbr);
    Matrix w(2, std::vector<bool>(2, false));
    {
        std::string text(kFlushWaiting);
        text.replace(text.find("Queued"), 6, "Held");  // same grid format
        w = parse_grid(text, kFlushAbbr);
    }
    // OPEN never waits for a held lock: it cannot be queued without a queued FLUSH, which
    // blocks every OPEN request anyway. Those two cells are "." by design.
    CHECK(check_every_cell(kFlush, kFlushAbbr, g, w) ==
          std::vector<std::string>{"OPEN/OPEN", "FLUSH/OPEN"});
}

TEST_CASE("TABLE_FLUSH: a pending flush waits for readers, and new statements wait behind it") {
    Simulation sim;
    LockManager lm(sim);
    REQUIRE(lm.try_acquire(1, kFlush, lk::flush::OPEN, Duration::Statement));  // a long SELECT
    REQUIRE(lm.try_acquire(9, kFlush, lk::flush::OPEN, Duration::Statement));  // FTWRL's own
    Outcome flush, select;
    sim.spawn(request(sim, lm, 9, kFlush, lk::flush::FLUSH, Duration::Statement, kForever, flush));
    sim.spawn(request_after(sim, lm, seconds(1), 2, kFlush, lk::flush::OPEN, Duration::Statement,
                            kForever, select));
    sim.run_until(seconds(5));
    CHECK(lm.is_waiting(9));
    CHECK(lm.is_waiting(2));
    CHECK(lk::mode_table(Ns::TableFlush).wait_state == "Waiting for table flush");
    lm.release_duration(1, Duration::Statement);  // the SELECT ends
    sim.run();
    CHECK(flush.result == LockResult::Granted);
    CHECK(flush.at == seconds(5));
    CHECK(select.result == LockResult::Granted);  // a granted FLUSH blocks nothing
    CHECK(select.at == seconds(5));
}

TEST_CASE("an immediately grantable request returns without any event") {
    Simulation sim;
    LockManager lm(sim);
    Outcome o;
    sim.spawn(
        request(sim, lm, 1, kBackup, lk::backup::TRANS_DML, Duration::Statement, kForever, o));
    sim.run();
    CHECK(o.result == LockResult::Granted);
    CHECK(sim.events_executed() == 1);  // the spawn only
    CHECK(sim.pending_events() == 0);
}

TEST_CASE("release rescans the waiters in FIFO order; each grant is seen by the next") {
    Simulation sim;
    LockManager lm(sim);
    const LockKey t = table_key(1);
    REQUIRE(lm.try_acquire(1, t, lk::table::EXCLUSIVE, Duration::Statement));
    std::vector<OwnerId> order;
    Outcome snw, sw, sr;
    snw.order = sw.order = sr.order = &order;
    sim.spawn(
        request(sim, lm, 2, t, lk::table::SHARED_NO_WRITE, Duration::Statement, kForever, snw));
    sim.spawn(request(sim, lm, 3, t, lk::table::SHARED_WRITE, Duration::Statement, kForever, sw));
    sim.spawn(request(sim, lm, 4, t, lk::table::SHARED_READ, Duration::Statement, kForever, sr));
    sim.run_until(seconds(1));
    CHECK(order.empty());
    lm.release(1, t);
    sim.run_until(seconds(2));
    // SNW (first) is granted; SW now conflicts with that SNW and keeps waiting; SR is granted.
    CHECK(order == std::vector<OwnerId>{2, 4});
    CHECK(snw.at == seconds(1));
    CHECK(lm.is_waiting(3));
    const auto g = lm.granted(t);
    REQUIRE(g.size() == 2);
    CHECK(g[0].owner == 2);
    CHECK(g[1].owner == 4);
    lm.release_duration(2, Duration::Statement);
    sim.run();
    CHECK(order == std::vector<OwnerId>{2, 4, 3});
    CHECK(sw.at == seconds(2));
}

TEST_CASE("a later queued FTWRL1 blocks a DML request that was already waiting") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(4, kBackup, TRANS_DML, Duration::Statement));  // a running write
    REQUIRE(lm.try_acquire(1, kBackup, FLUSH, Duration::Explicit));       // BACKUP STAGE FLUSH
    Outcome dml, ftwrl;
    sim.spawn(request(sim, lm, 2, kBackup, DML, Duration::Statement, kForever, dml));  // MyISAM
    sim.spawn(request_after(sim, lm, seconds(1), 3, kBackup, FTWRL1, Duration::Explicit, kForever,
                            ftwrl));
    sim.run_until(seconds(2));
    REQUIRE(lm.is_waiting(2));
    REQUIRE(lm.is_waiting(3));
    lm.release(1, kBackup);  // BACKUP STAGE END: nothing held blocks DML any more...
    sim.run_until(seconds(3));
    CHECK(lm.is_waiting(2));  // ...but FTWRL1, queued after it, does
    CHECK_FALSE(dml.result.has_value());
    lm.release_duration(4, Duration::Statement);  // the write ends: FTWRL1 granted
    sim.run_until(seconds(4));
    CHECK(ftwrl.result == LockResult::Granted);
    CHECK(ftwrl.at == seconds(3));
    CHECK(lm.is_waiting(2));  // now blocked by the granted FTWRL1
    lm.release(3, kBackup);   // UNLOCK TABLES
    sim.run();
    CHECK(dml.result == LockResult::Granted);
    CHECK(dml.at == seconds(4));
}

TEST_CASE("own tickets do not conflict: one owner upgrades stage by stage") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    CHECK(lm.try_acquire(1, kBackup, START, Duration::Explicit));
    Mode previous = START;
    for (const Mode m : {FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT}) {
        CHECK(lm.try_upgrade(1, kBackup, previous, m, Duration::Explicit));
        const auto held = lm.held_by(1);
        REQUIRE(held.size() == 1);  // the ticket is replaced, not added
        CHECK(held[0].mode == m);
        previous = m;
    }
    CHECK(lm.try_acquire(2, kBackup, FTWRL1, Duration::Explicit));  // FTWRL is compatible
    CHECK(lm.try_upgrade(2, kBackup, FTWRL1, FTWRL2, Duration::Explicit));
    REQUIRE(lm.held_by(2).size() == 1);
    CHECK(lm.held_by(2)[0].mode == FTWRL2);
    CHECK_FALSE(lm.try_acquire(3, kBackup, COMMIT, Duration::Statement));

    // An upgrade that conflicts with someone else waits, then replaces the ticket.
    Simulation sim2;
    LockManager lm2(sim2);
    REQUIRE(lm2.try_acquire(5, kBackup, COMMIT, Duration::Statement));  // an in-flight commit
    REQUIRE(lm2.try_acquire(1, kBackup, WAIT_DDL, Duration::Explicit));
    Outcome up;
    sim2.spawn(upgrade_request(sim2, lm2, 1, kBackup, WAIT_DDL, WAIT_COMMIT, Duration::Explicit,
                               kForever, up));
    sim2.run_until(seconds(1));
    CHECK(lm2.waiting_for(1) == kBackup);
    lm2.release_duration(5, Duration::Statement);
    sim2.run();
    CHECK(up.result == LockResult::Granted);
    REQUIRE(lm2.held_by(1).size() == 1);
    CHECK(lm2.held_by(1)[0].mode == WAIT_COMMIT);
}

TEST_CASE("an upgrade granted in a rescan is seen by the waiters before it") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(1, kBackup, START, Duration::Explicit));
    REQUIRE(lm.try_acquire(4, kBackup, COMMIT, Duration::Statement));
    Outcome other, up;
    sim.spawn(request(sim, lm, 3, kBackup, WAIT_FLUSH, Duration::Explicit, kForever, other));
    sim.spawn(
        upgrade_request(sim, lm, 1, kBackup, START, WAIT_COMMIT, Duration::Explicit, kForever, up));
    sim.run_until(seconds(1));
    REQUIRE(lm.is_waiting(3));  // behind owner 1's START
    REQUIRE(lm.is_waiting(1));  // behind owner 4's COMMIT
    lm.release(4, kBackup);
    sim.run();
    CHECK(up.result == LockResult::Granted);
    CHECK(other.result == LockResult::Granted);  // START became WAIT_COMMIT, which allows it
}

TEST_CASE("a re-request satisfied by a held ticket is granted at once (find_ticket)") {
    Simulation sim;
    LockManager lm(sim);
    const LockKey t = table_key(3);
    REQUIRE(lm.try_acquire(1, t, lk::table::SHARED_WRITE, Duration::Transaction));
    Outcome x;
    sim.spawn(request(sim, lm, 2, t, lk::table::EXCLUSIVE, Duration::Statement, kForever, x));
    sim.run_until(seconds(1));
    REQUIRE(lm.is_waiting(2));
    // A queued X blocks new SR requests, but not one its owner's SW already covers.
    CHECK_FALSE(lm.try_acquire(3, t, lk::table::SHARED_READ, Duration::Statement));
    CHECK(lm.try_acquire(1, t, lk::table::SHARED_READ, Duration::Statement));
    CHECK(lm.held_by(1).size() == 2);  // a clone with the statement duration
    CHECK(lm.try_acquire(1, t, lk::table::SHARED_READ, Duration::Statement));
    CHECK(lm.held_by(1).size() == 2);
    CHECK(lm.deadlocks() == 0);
}

TEST_CASE("a timeout ends at exactly the deadline and lets the others proceed") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(4, kBackup, TRANS_DML, Duration::Statement));  // a long write
    Outcome ftwrl, dml;
    sim.spawn(request(sim, lm, 3, kBackup, FTWRL1, Duration::Explicit, seconds(2), ftwrl));
    sim.spawn(request_after(sim, lm, seconds(1), 2, kBackup, TRANS_DML, Duration::Statement,
                            kForever, dml));
    sim.run_until(seconds(1) + 1);
    REQUIRE(lm.is_waiting(2));  // queued behind the pending FTWRL1
    sim.run();
    CHECK(ftwrl.result == LockResult::Timeout);
    CHECK(ftwrl.at == seconds(2));
    CHECK(dml.result == LockResult::Granted);
    CHECK(dml.at == seconds(2));
    CHECK_FALSE(lm.is_waiting(3));
    CHECK(lm.held_by(3).empty());
}

TEST_CASE("timeout 0 fails at once without queueing") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(4, kBackup, TRANS_DML, Duration::Statement));
    Outcome ftwrl;
    sim.spawn(request(sim, lm, 3, kBackup, FTWRL1, Duration::Explicit, 0, ftwrl));
    sim.run();
    CHECK(ftwrl.result == LockResult::Timeout);
    CHECK(ftwrl.at == 0);
    CHECK(lm.try_acquire(2, kBackup, TRANS_DML, Duration::Statement));  // nothing was queued
}

TEST_CASE("kill_wait ends a wait with Killed and rescans") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(4, kBackup, TRANS_DML, Duration::Statement));
    Outcome ftwrl, dml;
    sim.spawn(request(sim, lm, 3, kBackup, FTWRL1, Duration::Explicit, kForever, ftwrl));
    sim.spawn(request(sim, lm, 2, kBackup, DML, Duration::Statement, kForever, dml));
    sim.run_until(seconds(1));
    REQUIRE(lm.is_waiting(2));
    lm.kill_wait(3);  // KILL QUERY of the FTWRL
    sim.run_until(seconds(2));
    CHECK(ftwrl.result == LockResult::Killed);
    CHECK(ftwrl.at == seconds(1));
    CHECK(dml.result == LockResult::Granted);
    CHECK(dml.at == seconds(1));
    lm.kill_wait(3);  // not waiting: nothing happens
    CHECK(lm.held_by(3).empty());
}

TEST_CASE("release_duration releases one duration only") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    const LockKey t1 = table_key(1), t2 = table_key(2);
    REQUIRE(lm.try_acquire(1, t1, lk::table::SHARED_READ, Duration::Statement));
    REQUIRE(lm.try_acquire(1, t2, lk::table::SHARED_WRITE, Duration::Transaction));
    REQUIRE(lm.try_acquire(1, kBackup, START, Duration::Explicit));
    REQUIRE(lm.try_acquire(1, kBackup, TRANS_DML, Duration::Statement));
    Outcome x;
    sim.spawn(request(sim, lm, 2, t1, lk::table::EXCLUSIVE, Duration::Statement, kForever, x));
    sim.run_until(seconds(1));
    REQUIRE(lm.is_waiting(2));
    lm.release_duration(1, Duration::Statement);
    sim.run_until(seconds(2));
    CHECK(x.result == LockResult::Granted);
    auto held = lm.held_by(1);
    REQUIRE(held.size() == 2);
    CHECK(held[0].key == t2);
    CHECK(held[0].duration == Duration::Transaction);
    CHECK(held[1].key == kBackup);
    CHECK(held[1].mode == START);
    lm.release_duration(1, Duration::Transaction);
    held = lm.held_by(1);
    REQUIRE(held.size() == 1);
    CHECK(held[0].duration == Duration::Explicit);
    lm.release_duration(1, Duration::Explicit);
    CHECK(lm.held_by(1).empty());
}

TEST_CASE("release_all releases everything and ends a pending wait") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(1, kBackup, FTWRL1, Duration::Explicit));
    REQUIRE(lm.try_acquire(1, table_key(1), lk::table::SHARED_READ, Duration::Transaction));
    REQUIRE(lm.try_acquire(5, kBackup, COMMIT, Duration::Statement));  // an in-flight commit
    Outcome upgrade, dml;
    sim.spawn(request(sim, lm, 2, kBackup, TRANS_DML, Duration::Statement, kForever, dml));
    sim.spawn(upgrade_request(sim, lm, 1, kBackup, FTWRL1, FTWRL2, Duration::Explicit, kForever,
                              upgrade));
    sim.run_until(seconds(1));
    REQUIRE(lm.is_waiting(1));  // FTWRL2 waits for owner 5's commit
    lm.release_all(1);          // KILL CONNECTION
    sim.run();
    CHECK(upgrade.result == LockResult::Killed);
    CHECK(dml.result == LockResult::Granted);
    CHECK(lm.held_by(1).empty());
    CHECK(lm.granted(table_key(1)).empty());
}

TEST_CASE("downgrade wakes the waiters it no longer blocks") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(1, kBackup, BLOCK_DDL, Duration::Explicit));
    Outcome ddl, dml;
    sim.spawn(request(sim, lm, 2, kBackup, DDL, Duration::Statement, kForever, ddl));
    sim.run_until(seconds(1));
    REQUIRE(lm.is_waiting(2));
    lm.downgrade(1, kBackup, BLOCK_DDL, START);  // newer START: BLOCK_DDL, then START
    sim.run_until(seconds(2));
    CHECK(ddl.result == LockResult::Granted);
    CHECK(ddl.at == seconds(1));
    CHECK(lm.held_by(1)[0].mode == START);
    CHECK_THROWS_AS(lm.downgrade(1, kBackup, START, BLOCK_DDL), std::logic_error);  // not weaker
    CHECK_THROWS_AS(lm.downgrade(3, kBackup, BLOCK_DDL, START), std::logic_error);  // holds none
    CHECK_THROWS_AS(lm.downgrade(1, kBackup, FLUSH, START), std::logic_error);  // no FLUSH ticket
    lm.release_duration(2, Duration::Statement);

    // A failed WAIT_DDL step goes back to FLUSH: DDL may run again, MyISAM DML still waits.
    REQUIRE(lm.try_upgrade(1, kBackup, START, WAIT_DDL, Duration::Explicit));
    Outcome ddl2;
    sim.spawn(request(sim, lm, 2, kBackup, DDL, Duration::Statement, kForever, ddl2));
    sim.spawn(request(sim, lm, 3, kBackup, DML, Duration::Statement, kForever, dml));
    sim.run_until(seconds(3));
    REQUIRE(lm.is_waiting(2));
    REQUIRE(lm.is_waiting(3));
    lm.downgrade(1, kBackup, WAIT_DDL, FLUSH);
    sim.run_until(seconds(4));
    CHECK(ddl2.result == LockResult::Granted);
    CHECK(lm.is_waiting(3));
}

TEST_CASE("deadlock on two tables: the DML request loses to the DDL request, either order") {
    for (const bool dml_last : {true, false}) {
        CAPTURE(dml_last);
        Simulation sim;
        LockManager lm(sim);
        const LockKey t1 = table_key(1), t2 = table_key(2);
        REQUIRE(lm.try_acquire(1, t1, lk::table::SHARED_READ, Duration::Transaction));
        REQUIRE(lm.try_acquire(2, t2, lk::table::SHARED_NO_WRITE, Duration::Statement));  // ALTER
        Outcome dml, ddl;
        const Time dml_at = dml_last ? seconds(2) : seconds(1);
        const Time ddl_at = dml_last ? seconds(1) : seconds(2);
        sim.spawn(request_after(sim, lm, dml_at, 1, t2, lk::table::SHARED_WRITE,
                                Duration::Statement, kForever, dml));
        sim.spawn(request_after(sim, lm, ddl_at, 2, t1, lk::table::EXCLUSIVE, Duration::Statement,
                                kForever, ddl));
        sim.run_until(seconds(3));
        CHECK(lm.deadlocks() == 1);
        CHECK(dml.result == LockResult::Deadlock);
        CHECK(dml.at == seconds(2));
        CHECK_FALSE(ddl.result.has_value());
        CHECK(lm.is_waiting(2));
        lm.release_all(1);  // the victim rolls back
        sim.run();
        CHECK(ddl.result == LockResult::Granted);
        CHECK(ddl.at == seconds(3));
        CHECK(lm.deadlocks() == 1);
    }
}

TEST_CASE("deadlock between FTWRL1 and a DML waiter: the FTWRL1 loses, either order") {
    for (const bool ftwrl_last : {true, false}) {
        CAPTURE(ftwrl_last);
        Simulation sim;
        LockManager lm(sim);
        const LockKey t1 = table_key(1);
        REQUIRE(lm.try_acquire(1, t1, lk::table::SHARED_NO_WRITE, Duration::Explicit));
        REQUIRE(lm.try_acquire(2, kBackup, lk::backup::TRANS_DML, Duration::Statement));
        Outcome ftwrl, dml;
        sim.spawn(request_after(sim, lm, ftwrl_last ? seconds(2) : seconds(1), 1, kBackup,
                                lk::backup::FTWRL1, Duration::Explicit, kForever, ftwrl));
        sim.spawn(request_after(sim, lm, ftwrl_last ? seconds(1) : seconds(2), 2, t1,
                                lk::table::SHARED_WRITE, Duration::Statement, kForever, dml));
        sim.run_until(seconds(3));
        CHECK(lm.deadlocks() == 1);
        CHECK(ftwrl.result == LockResult::Deadlock);
        CHECK(ftwrl.at == seconds(2));
        CHECK(lm.is_waiting(2));
        lm.release_all(1);  // FTWRL failed: it releases everything
        sim.run();
        CHECK(dml.result == LockResult::Granted);
        CHECK(dml.at == seconds(3));
    }
}

TEST_CASE("deadlock through a queued request: the FTWRL1 waiter is the victim") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(1, kBackup, TRANS_DML, Duration::Transaction));
    Outcome ftwrl, dml;
    sim.spawn(request(sim, lm, 2, kBackup, FTWRL1, Duration::Explicit, kForever, ftwrl));
    sim.spawn(request_after(sim, lm, seconds(1), 1, kBackup, DML, Duration::Statement, kForever,
                            dml));  // waits for the queued FTWRL1, which waits for owner 1
    sim.run();
    CHECK(lm.deadlocks() == 1);
    CHECK(ftwrl.result == LockResult::Deadlock);
    CHECK(ftwrl.at == seconds(1));
    CHECK(dml.result == LockResult::Granted);
    CHECK(dml.at == seconds(1));
}

TEST_CASE("deadlock with equal weights: the new waiter is the victim") {
    Simulation sim;
    LockManager lm(sim);
    const LockKey t1 = table_key(1), t2 = table_key(2);
    const Mode su = lk::table::SHARED_UPGRADABLE;
    REQUIRE(lm.try_acquire(1, t1, su, Duration::Statement));
    REQUIRE(lm.try_acquire(2, t2, su, Duration::Statement));
    Outcome first, second;
    sim.spawn(request(sim, lm, 1, t2, su, Duration::Statement, kForever, first));
    sim.spawn(request_after(sim, lm, seconds(1), 2, t1, su, Duration::Statement, kForever, second));
    sim.run_until(seconds(2));
    CHECK(second.result == LockResult::Deadlock);
    CHECK(lm.is_waiting(1));
    CHECK(lm.deadlocks() == 1);
}

TEST_CASE("a wait chain without a cycle is no deadlock") {
    Simulation sim;
    LockManager lm(sim);
    const LockKey t1 = table_key(1), t2 = table_key(2), t3 = table_key(3);
    const Mode x = lk::table::EXCLUSIVE;
    REQUIRE(lm.try_acquire(1, t1, x, Duration::Statement));
    REQUIRE(lm.try_acquire(2, t2, x, Duration::Statement));
    REQUIRE(lm.try_acquire(3, t3, x, Duration::Statement));
    Outcome a, b;
    sim.spawn(request(sim, lm, 1, t2, x, Duration::Statement, kForever, a));  // 1 -> 2
    sim.spawn(request(sim, lm, 2, t3, x, Duration::Statement, kForever, b));  // 2 -> 3
    sim.run();
    CHECK(lm.deadlocks() == 0);
    CHECK(lm.waiting_for(1) == t2);
    CHECK(lm.waiting_for(2) == t3);
    CHECK_FALSE(lm.is_waiting(3));
    CHECK_FALSE(lm.waiting_for(3).has_value());
}

TEST_CASE("granted() lists tickets in grant order; held_by() per owner") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    REQUIRE(lm.try_acquire(7, kBackup, TRANS_DML, Duration::Statement));
    REQUIRE(lm.try_acquire(3, kBackup, START, Duration::Explicit));
    REQUIRE(lm.try_acquire(5, kBackup, COMMIT, Duration::Statement));
    REQUIRE(lm.try_acquire(5, table_key(4), lk::table::SHARED_WRITE, Duration::Transaction));
    lm.release(7, kBackup);
    REQUIRE(lm.try_acquire(7, kBackup, DDL, Duration::Statement));
    auto g = lm.granted(kBackup);
    REQUIRE(g.size() == 3);
    CHECK(g[0].owner == 3);
    CHECK(g[1].owner == 5);
    CHECK(g[2].owner == 7);
    CHECK(g[2].mode == DDL);
    REQUIRE(lm.try_upgrade(3, kBackup, START, FLUSH, Duration::Explicit));  // granted again
    g = lm.granted(kBackup);
    CHECK(g.back().owner == 3);
    CHECK(g.back().mode == FLUSH);
    const auto h = lm.held_by(5);
    REQUIRE(h.size() == 2);
    CHECK(h[0].key == kBackup);
    CHECK(h[1].key == table_key(4));
    CHECK(h[1].duration == Duration::Transaction);
    CHECK(lm.granted(table_key(99)).empty());
    CHECK(lm.held_by(42).empty());
}

TEST_CASE("mode tables: names, wait states and MariaDB's deadlock weights") {
    const auto& b = lk::mode_table(Ns::Backup);
    CHECK(b.name == "BACKUP");
    CHECK(b.modes[lk::backup::FTWRL1] == "MDL_BACKUP_FTWRL1");
    CHECK(b.modes[lk::backup::COMMIT] == "MDL_BACKUP_COMMIT");
    CHECK(b.wait_state == "Waiting for backup lock");
    CHECK(lk::mode_table(Ns::Table).modes[lk::table::SHARED_WRITE] == "MDL_SHARED_WRITE");
    CHECK(lk::mode_table(Ns::Table).wait_state == "Waiting for table metadata lock");
    CHECK(lk::mode_table(Ns::Global).modes[lk::scoped::INTENTION_EXCLUSIVE] ==
          "MDL_INTENTION_EXCLUSIVE");
    CHECK(lk::mode_table(Ns::Global).wait_state == "Waiting for global read lock");
    CHECK(lk::mode_table(Ns::Commit).wait_state == "Waiting for commit lock");
    // mdl.cc get_deadlock_weight: BACKUP FTWRL1 0, other BACKUP modes 100; TABLE >= SU 100,
    // else 1; <=10.3 GLOBAL always 100, COMMIT IX/S 1 and X 100.
    const std::vector<int> backup_w = {100, 100, 100, 100, 100, 0,   100,
                                       100, 100, 100, 100, 100, 100, 100};
    const std::vector<int> table_w = {1, 1, 1, 100, 100, 100, 100};
    for (std::size_t m = 0; m < backup_w.size(); ++m) {
        CHECK(b.deadlock_weight[m] == backup_w[m]);
    }
    for (std::size_t m = 0; m < table_w.size(); ++m) {
        CHECK(lk::mode_table(Ns::Table).deadlock_weight[m] == table_w[m]);
    }
    CHECK(lk::mode_table(Ns::Global).deadlock_weight == std::vector<std::uint8_t>{100, 100, 100});
    CHECK(lk::mode_table(Ns::Commit).deadlock_weight == std::vector<std::uint8_t>{1, 1, 100});
    CHECK(lk::mode_table(Ns::TableFlush).deadlock_weight == std::vector<std::uint8_t>{1, 100});
    CHECK(b.modes.size() == b.granted.size());
    CHECK(b.modes.size() == b.waiting.size());
}

TEST_CASE("the simulation may end with waiters parked, in either destruction order") {
    Outcome o1, o2;
    {
        Simulation sim;
        LockManager lm(sim);
        REQUIRE(lm.try_acquire(1, kGlobal, lk::scoped::SHARED, Duration::Explicit));
        sim.spawn(request(sim, lm, 2, kGlobal, lk::scoped::INTENTION_EXCLUSIVE, Duration::Statement,
                          kForever, o1));
        sim.run();
        CHECK(lm.is_waiting(2));
    }  // the manager goes first, then the parked frame
    {
        Simulation* sim = new Simulation;
        LockManager lm(*sim);
        REQUIRE(lm.try_acquire(1, kGlobal, lk::scoped::SHARED, Duration::Explicit));
        sim->spawn(request(*sim, lm, 2, kGlobal, lk::scoped::INTENTION_EXCLUSIVE,
                           Duration::Statement, kForever, o2));
        sim->run();
        delete sim;  // the parked frame goes first: it leaves the queue
        CHECK_FALSE(lm.is_waiting(2));
        CHECK(lm.try_acquire(3, kGlobal, lk::scoped::SHARED, Duration::Explicit));
    }
    CHECK_FALSE(o1.result.has_value());
    CHECK_FALSE(o2.result.has_value());
}

TEST_CASE("acquire adds a ticket beside the owner's others; only upgrade replaces one") {
    Simulation sim;
    LockManager lm(sim);
    using namespace lk::backup;
    // An ALTER TABLE of a MyISAM table holds MDL_BACKUP_DDL and MDL_BACKUP_DML together.
    REQUIRE(lm.try_acquire(1, kBackup, DDL, Duration::Statement));
    REQUIRE(lm.try_acquire(1, kBackup, DML, Duration::Statement));
    auto held = lm.held_by(1);
    REQUIRE(held.size() == 2);
    CHECK(held[0].mode == DDL);
    CHECK(held[1].mode == DML);
    // Both still block: START (BLOCK_DDL first) waits for the DDL, FLUSH is fine, WAIT_FLUSH not.
    CHECK_FALSE(lm.try_acquire(2, kBackup, BLOCK_DDL, Duration::Explicit));
    // Downgrading one ticket leaves the other.
    lm.downgrade(1, kBackup, DDL, ALTER_COPY);
    held = lm.held_by(1);
    REQUIRE(held.size() == 2);
    CHECK((held[0].mode == ALTER_COPY || held[1].mode == ALTER_COPY));
    CHECK((held[0].mode == DML || held[1].mode == DML));
    CHECK(lm.try_acquire(2, kBackup, BLOCK_DDL, Duration::Explicit));  // AC does not block it
    // A session committing inside its own BACKUP STAGE START holds its stage and a commit lock.
    Simulation sim2;
    LockManager lm2(sim2);
    REQUIRE(lm2.try_acquire(3, kBackup, COMMIT, Duration::Statement));
    REQUIRE(lm2.try_acquire(3, kBackup, BLOCK_DDL, Duration::Explicit));
    lm2.downgrade(3, kBackup, BLOCK_DDL, START);
    held = lm2.held_by(3);
    REQUIRE(held.size() == 2);
    CHECK((held[0].mode == COMMIT || held[1].mode == COMMIT));
    CHECK((held[0].mode == START || held[1].mode == START));
}
