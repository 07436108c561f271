#include "app/scenario/scenario_loader.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <optional>
#include <set>
#include <span>
#include <vector>

#include "app/scenario/embedded_schema.hpp"
#include "app/scenario/json_reader.hpp"
#include "app/scenario/schema_validator.hpp"

namespace lockstage::app {

using json = nlohmann::ordered_json;

ScenarioError::ScenarioError(std::string file, std::string where, std::string what)
    : std::runtime_error(fmt::format("{}: {}: {}", file, where.empty() ? "/" : where, what)),
      file_(std::move(file)),
      where_(std::move(where)),
      detail_(std::move(what)) {}

namespace {

constexpr std::size_t kMaxTimelineRows = 10'000'000;
/// The longest run: duration_s's bound in the schema (a year).
constexpr sim::Time kLongestRun = 31'536'000 * sim::kSecond;

const SchemaValidator& scenario_validator() {
    static const SchemaValidator validator(json::parse(embedded_scenario_schema()));
    return validator;
}

// A scenario's JSON, with the schema's maxItems checked while it is read: an array too long is
// refused at its first item too many, before the rest of the file is built.
json parse_scenario(std::string_view text, const std::string& file) {
    return read_json(text, file, [](const std::vector<std::string>& tokens) {
        return scenario_validator().max_items(tokens);
    });
}

/// Reads typed values out of a document that already passed the schema.
class Reader {
  public:
    Reader(const std::string& file, std::filesystem::path folder)
        : file_(file), folder_(std::move(folder)) {}

    [[noreturn]] void fail(const std::string& pointer, const std::string& what) const {
        throw ScenarioError(file_, pointer, what);
    }

    /// A duration in `unit`, at least 1 ns unless zero is allowed.
    sim::Time time(const json& v, const std::string& pointer, sim::Time unit,
                   bool allow_zero) const {
        const double x = v.get<double>();
        if (!(x * static_cast<double>(unit) < 9.2e18)) {  // at_s has no bound in the schema
            fail(pointer, fmt::format("expected a duration below 292 years (9.2e9 s), got {}", x));
        }
        const sim::Time t = sim::from_units(x, unit);
        if (t == 0 && !(allow_zero && x == 0.0)) {
            fail(pointer, fmt::format("expected a duration of at least 1 ns, got {}", v.dump()));
        }
        return t;
    }

    sim::Distribution distribution(const json& d, const std::string& p) const {
        const auto kind = d.at("dist").get<std::string>();
        if (kind == "constant") {
            return sim::Distribution::constant(
                time(d.at("value_ms"), p + "/value_ms", sim::kMillisecond, true));
        }
        if (kind == "uniform") {
            const auto lo = time(d.at("min_ms"), p + "/min_ms", sim::kMillisecond, true);
            const auto hi = time(d.at("max_ms"), p + "/max_ms", sim::kMillisecond, true);
            if (hi < lo) {
                fail(p + "/max_ms", fmt::format("expected a number >= min_ms ({}), got {}",
                                                d.at("min_ms").dump(), d.at("max_ms").dump()));
            }
            return sim::Distribution::uniform(lo, hi);
        }
        if (kind == "exponential") {
            return sim::Distribution::exponential(
                time(d.at("mean_ms"), p + "/mean_ms", sim::kMillisecond, false));
        }
        if (kind == "lognormal") {
            return sim::Distribution::lognormal(
                time(d.at("mean_ms"), p + "/mean_ms", sim::kMillisecond, false),
                time(d.at("sd_ms"), p + "/sd_ms", sim::kMillisecond, true));
        }
        // empirical
        const auto& values = d.at("values_ms");
        const auto& weights = d.at("weights");
        if (weights.size() != values.size()) {
            fail(p + "/weights",
                 fmt::format("expected {} weights, one per value in values_ms, got {}",
                             values.size(), weights.size()));
        }
        std::vector<sim::Time> vs;
        std::vector<double> ws;
        double total = 0.0;
        for (std::size_t i = 0; i < values.size(); ++i) {
            vs.push_back(
                time(values[i], fmt::format("{}/values_ms/{}", p, i), sim::kMillisecond, true));
            ws.push_back(weights[i].get<double>());
            total += ws.back();
        }
        if (!(total > 0.0)) {
            fail(p + "/weights", "expected weights with a positive sum, got all zeros");
        }
        return sim::Distribution::empirical(std::move(vs), std::move(ws));
    }

    const std::string& file() const { return file_; }
    /// The folder files the scenario names (a profile's CSV) are relative to.
    const std::filesystem::path& folder() const { return folder_; }

  private:
    const std::string& file_;
    std::filesystem::path folder_;
};

}  // namespace

namespace {

/// A scripted statement the server's flavour does not know (its real server would answer
/// ER_PARSE_ERROR): the message lists the backup locks the flavour does know.
std::string unknown_to_flavor(const std::string& sql, models::server::Flavor flavor) {
    namespace ms = models::server;
    const auto& t = ms::traits(flavor);
    std::string known;
    for (const ms::StmtKind kind :
         {ms::StmtKind::FlushTablesWithReadLock, ms::StmtKind::BackupStage,
          ms::StmtKind::LockInstanceForBackup, ms::StmtKind::LockTablesForBackup}) {
        if (ms::flavor_has(t, kind)) {
            known += fmt::format("{}{}", known.empty() ? "" : ", ", ms::kind_name(kind));
        }
    }
    return fmt::format(
        "\"{}\" is not known to server.flavor {} (its backup locks: {}); set "
        "\"allow_parse_error\": true to send it anyway and get ER_PARSE_ERROR",
        sql, t.name, known);
}

/// Edit distance (Levenshtein) of two names, ignoring case.
std::size_t edit_distance(std::string_view a, std::string_view b) {
    const auto lower = [](char c) { return std::tolower(static_cast<unsigned char>(c)); };
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min(
                {row[j] + 1, row[j - 1] + 1, diag + (lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

/// Tables' engines are named in any case (innodb, InnoDB): each is stored with its canonical
/// spelling, in the effective scenario too; an unknown one is refused with the nearest name.
void canonical_engines(const Reader& r, json& doc) {
    if (!doc.contains("tables")) {
        return;
    }
    std::vector<std::string> names;
    std::string_view list = models::server::engine_names();  // "InnoDB, MyISAM, ..."
    for (std::size_t at = 0; at != std::string_view::npos;) {
        const std::size_t comma = list.find(", ", at);
        names.emplace_back(list.substr(at, comma == std::string_view::npos ? comma : comma - at));
        at = comma == std::string_view::npos ? comma : comma + 2;
    }
    auto& tables = doc["tables"];
    for (std::size_t i = 0; i < tables.size(); ++i) {
        auto& engine = tables[i]["engine"];
        const auto given = engine.get<std::string>();
        const std::string* best = nullptr;
        std::size_t best_d = 0;
        for (const auto& n : names) {
            const std::size_t d = edit_distance(given, n);
            if (best == nullptr || d < best_d) {
                best = &n;
                best_d = d;
            }
        }
        if (best_d == 0) {
            engine = *best;
            continue;
        }
        const bool near = best_d <= std::max<std::size_t>(2, best->size() / 3);
        r.fail(fmt::format("/tables/{}/engine", i),
               fmt::format("unknown engine \"{}\"{}; expected one of {} (in any case)",
                           given.substr(0, 64),
                           near ? fmt::format(" (did you mean \"{}\"?)", *best) : "", list));
    }
}

/// Keys of one model that the other model's scenario must not carry (their schema defaults are
/// filled in regardless, so this is checked on the document as written).
void check_model_keys(const Reader& r, const json& raw, const std::string& model) {
    const bool queue = model == "queue";
    const std::pair<const char*, const char*> server_keys[] = {
        {"connections", "queue"},      {"max_in_system", "queue"},
        {"flavor", "mariadb"},         {"lock_wait_timeout_s", "mariadb"},
        {"commit_ms", "mariadb"},      {"cpu_cores", "mariadb"},
        {"cpu_share", "mariadb"},      {"fsync_ms", "mariadb"},
        {"max_connections", "mariadb"}};
    if (raw.contains("server")) {
        for (const auto& [key, owner] : server_keys) {
            if (raw["server"].contains(key) && (std::string_view(owner) == "queue") != queue) {
                r.fail(std::string("/server/") + key,
                       fmt::format("applies to the {} model only, and this scenario uses the {} "
                                   "model",
                                   owner, model));
            }
        }
    }
    const char* mariadb_keys[] = {"tables", "users",    "sessions",    "data",
                                  "backup", "topology", "replication", "galera"};
    for (const char* key : mariadb_keys) {
        if (queue && raw.contains(key)) {
            r.fail(std::string("/") + key,
                   "applies to the mariadb model only, and this scenario uses the queue model");
        }
    }
    const json& workload = raw.contains("workload") ? raw["workload"] : json::object();
    if (queue) {
        for (const char* key : {"rate_tps", "service"}) {
            if (!workload.contains(key)) {
                r.fail(raw.contains("workload") ? "/workload" : "",
                       fmt::format("missing required key \"{}\" (the queue model needs {})",
                                   raw.contains("workload") ? key : "workload",
                                   "its arrival rate and service time"));
            }
        }
        if (workload.contains("groups")) {
            r.fail("/workload/groups",
                   "applies to the mariadb model only, and this scenario uses "
                   "the queue model");
        }
    } else {
        for (const char* key : {"rate_tps", "service"}) {
            if (workload.contains(key)) {
                r.fail(std::string("/workload/") + key,
                       "applies to the queue model only; the mariadb model's traffic is "
                       "/workload/groups");
            }
        }
    }
}

/// A statement template of the workload: its SQL must parse, name a defined table, and be of
/// one of the `allowed` kinds.
models::workload::StatementTemplate load_template(
    const Reader& r, const json& t, const std::string& p, const std::set<std::string>& tables,
    const std::vector<models::server::StmtKind>& allowed, const char* what) {
    namespace ms = models::server;
    models::workload::StatementTemplate out;
    out.sql = t.at("sql").get<std::string>();
    auto parsed = ms::parse_sql(out.sql);
    if (auto* err = std::get_if<std::string>(&parsed)) {
        r.fail(p + "/sql", *err);
    }
    out.statement = std::get<ms::Statement>(parsed);
    if (std::find(allowed.begin(), allowed.end(), out.statement.kind) == allowed.end()) {
        r.fail(p + "/sql", fmt::format("expected {}, got \"{}\"", what, out.sql));
    }
    if (out.statement.tables.empty()) {
        r.fail(p + "/sql",
               fmt::format("expected a statement that names a table, got \"{}\"", out.sql));
    }
    for (std::size_t k = 0; k < out.statement.tables.size(); ++k) {
        const bool creates = out.statement.kind == ms::StmtKind::CreateTable ||
                             (out.statement.kind == ms::StmtKind::RenameTable && k == 1);
        if (!creates && !tables.count(out.statement.tables[k])) {
            r.fail(p + "/sql", fmt::format("table \"{}\" is not defined under /tables",
                                           out.statement.tables[k]));
        }
    }
    for (std::size_t k = 0; k < t.at("tables").size(); ++k) {
        const auto name = t["tables"][k].get<std::string>();
        if (!tables.count(name)) {
            r.fail(fmt::format("{}/tables/{}", p, k),
                   fmt::format("table \"{}\" is not defined under /tables", name));
        }
        out.tables.push_back(name);
    }
    out.exec = r.distribution(t.at("exec_ms"), p + "/exec_ms");
    return out;
}

/// Rows of a rate profile's CSV file (t_s,rate_tps), at most this many.
constexpr std::size_t kMaxProfileRows = 1'000'000;

/// A number that is the whole of `text`, or nullopt.
std::optional<double> parse_number(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
        text.remove_prefix(1);
    }
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    double x = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() ||
        !std::isfinite(x)) {
        return std::nullopt;
    }
    return x;
}

/// An open group's arrivals/profile (`a` is the arrivals object, `p` its pointer): a daily
/// profile of 24 hourly rates, or a CSV file of steps read here (models/ opens no file). Either
/// way piecewise constant: sim::RateProfile.
sim::RateProfile load_profile(const Reader& r, const json& a, const std::string& p) {
    const auto& prof = a.at("profile");
    if (prof.contains("rate_tps_by_hour")) {
        const auto rates = prof.at("rate_tps_by_hour").get<std::vector<double>>();
        const double start_h = prof.at("start_hour").get<double>();
        return sim::RateProfile::daily(rates, sim::from_units(start_h, sim::kHour));
    }
    const std::string at = p + "/profile/csv";
    const std::filesystem::path csv = r.folder() / prof.at("csv").get<std::string>();
    std::string text;
    try {
        text = read_text_file(csv);
    } catch (const ScenarioError& e) {
        r.fail(at, fmt::format("{}: {}", csv.string(), e.detail()));
    }
    std::vector<sim::RateProfile::Step> steps;
    std::istringstream in(text);
    std::string line;
    std::size_t n = 0;
    const auto bad = [&](const std::string& what) {
        r.fail(at, fmt::format("{}:{}: {}", csv.string(), n, what));
    };
    while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (n == 1) {
            if (line != "t_s,rate_tps") {
                bad(fmt::format("expected the header t_s,rate_tps, got \"{}\"",
                                line.substr(0, 40)));
            }
            continue;
        }
        if (line.empty()) {
            continue;
        }
        const auto comma = line.find(',');
        const auto t =
            comma == std::string::npos ? std::nullopt : parse_number(line.substr(0, comma));
        const auto rate =
            comma == std::string::npos ? std::nullopt : parse_number(line.substr(comma + 1));
        if (!t || !rate) {
            bad(fmt::format("expected two numbers t_s,rate_tps, got \"{}\"", line.substr(0, 40)));
        }
        if (steps.size() >= kMaxProfileRows) {
            bad(fmt::format("expected at most {} rows", kMaxProfileRows));
        }
        if (!(*t >= 0 && *t < 9.2e9)) {
            bad(fmt::format("expected t_s in [0, 9.2e9), got {}", *t));
        }
        const sim::Time when = sim::from_units(*t, sim::kSecond);
        if (steps.empty() && when != 0) {
            bad(fmt::format("expected the first row at t_s 0, got {}", *t));
        }
        if (!steps.empty() && when <= steps.back().at) {
            bad(fmt::format("expected t_s after the previous row's, got {}", *t));
        }
        if (!(*rate >= 0 && *rate <= 1e7)) {
            bad(fmt::format("expected rate_tps in [0, 1e7], got {}", *rate));
        }
        steps.push_back({when, *rate});
    }
    if (steps.empty()) {
        r.fail(at, fmt::format("{}: expected a header t_s,rate_tps and at least one row",
                               csv.string()));
    }
    return sim::RateProfile(std::move(steps), 0);
}

std::vector<models::workload::GroupConfig> load_groups(const Reader& r, const json& doc,
                                                       const std::set<std::string>& tables) {
    namespace ms = models::server;
    namespace mw = models::workload;
    using K = ms::StmtKind;
    std::vector<mw::GroupConfig> out;
    if (!doc.contains("workload") || !doc["workload"].contains("groups")) {
        return out;
    }
    const auto& groups = doc["workload"]["groups"];
    std::set<std::string> names;
    for (std::size_t i = 0; i < groups.size(); ++i) {
        const auto& g = groups[i];
        const std::string p = fmt::format("/workload/groups/{}", i);
        mw::GroupConfig c;
        c.name = g.at("name").get<std::string>();
        if (!names.insert(c.name).second) {
            r.fail(p + "/name", fmt::format("duplicate group name \"{}\"", c.name));
        }
        const auto& a = g.at("arrivals");
        if (a.at("kind") == "open") {
            c.arrivals.kind = mw::Arrivals::Kind::Open;
            if (a.contains("rate_tps") == a.contains("profile")) {
                r.fail(p + "/arrivals", "expected exactly one of rate_tps and profile");
            }
            if (a.contains("profile")) {
                c.arrivals.profile = load_profile(r, a, p + "/arrivals");
                c.arrivals.rate_tps = c.arrivals.profile.max_rate();
            } else {
                c.arrivals.rate_tps = a.at("rate_tps").get<double>();
            }
        } else {
            c.arrivals.kind = mw::Arrivals::Kind::Closed;
            c.arrivals.clients = a.at("clients").get<int>();
            c.arrivals.think = r.distribution(a.at("think_ms"), p + "/arrivals/think_ms");
        }
        c.pool_size = g.at("pool_size").get<int>();
        c.client_timeout =
            r.time(g.at("client_timeout_s"), p + "/client_timeout_s", sim::kSecond, false);
        double total_weight = 0.0;
        for (std::size_t j = 0; j < g.at("transactions").size(); ++j) {
            const auto& t = g["transactions"][j];
            const std::string tp = fmt::format("{}/transactions/{}", p, j);
            mw::TransactionTemplate tx;
            tx.name = t.at("name").get<std::string>();
            tx.weight = t.at("weight").get<double>();
            tx.explicit_transaction = t.at("explicit").get<bool>();
            total_weight += tx.weight;
            for (std::size_t k = 0; k < t.at("statements").size(); ++k) {
                tx.statements.push_back(
                    load_template(r, t["statements"][k], fmt::format("{}/statements/{}", tp, k),
                                  tables, {K::Select, K::Insert, K::Update, K::Delete},
                                  "SELECT, INSERT, UPDATE or DELETE"));
            }
            c.transactions.push_back(std::move(tx));
        }
        if (!(total_weight > 0.0)) {
            r.fail(p + "/transactions",
                   "expected transaction weights with a positive sum, got all zeros");
        }
        struct OccasionalKeys {
            const char* rate;
            const char* list;
            mw::Occasional* target;
        };
        const OccasionalKeys occasional[] = {
            {"ddl_rate_per_h", "ddl", &c.ddl},
            {"long_query_rate_per_h", "long_queries", &c.long_queries}};
        for (const auto& [rate_key, list_key, target] : occasional) {
            target->rate_per_h = g.at(rate_key).get<double>();
            const bool ddl = std::string_view(list_key) == "ddl";
            const auto& list = g.at(list_key);
            for (std::size_t k = 0; k < list.size(); ++k) {
                target->statements.push_back(load_template(
                    r, list[k], fmt::format("{}/{}/{}", p, list_key, k), tables,
                    ddl ? std::vector<K>{K::AlterTable, K::CreateTable, K::DropTable,
                                         K::TruncateTable, K::RenameTable}
                        : std::vector<K>{K::Select, K::Insert, K::Update, K::Delete},
                    ddl ? "a DDL statement (ALTER, CREATE, DROP, TRUNCATE or RENAME TABLE)"
                        : "SELECT, INSERT, UPDATE or DELETE"));
            }
            if (target->rate_per_h > 0 && target->statements.empty()) {
                r.fail(fmt::format("{}/{}", p, list_key),
                       fmt::format("expected at least 1 statement, since {} is {}", rate_key,
                                   g.at(rate_key).dump()));
            }
        }
        out.push_back(std::move(c));
    }
    return out;
}

void load_backup(const Reader& r, const json& doc, Scenario& s,
                 const std::set<std::string>& user_names,
                 const std::set<std::string>& session_names) {
    namespace mb = models::backup;
    const auto& d = doc.at("data");
    s.data.innodb_mb = d.at("innodb_gb").get<double>() * 1024;
    s.data.innodb_tables = d.at("innodb_tables").get<int>();
    s.data.myisam_mb = d.at("myisam_gb").get<double>() * 1024;
    s.data.myisam_tables = d.at("myisam_tables").get<int>();
    s.data.aria_mb = d.at("aria_gb").get<double>() * 1024;
    s.data.aria_tables = d.at("aria_tables").get<int>();
    s.data.binlog = d.at("binlog").get<bool>();
    s.data.disk_mb_s = d.at("disk_mb_s").get<double>();
    s.data.redo_kb_per_write = d.at("redo_kb_per_write").get<double>();
    if (!doc.contains("backup")) {
        return;
    }
    const auto& b = doc["backup"];
    mb::BackupConfig c;
    c.strategy = *mb::strategy_from_name(b.at("strategy").get<std::string>());
    const std::span<const models::server::Flavor> flavors = mb::flavors_for(c.strategy);
    if (!flavors.empty() &&
        std::find(flavors.begin(), flavors.end(), s.server.flavor) == flavors.end()) {
        std::vector<std::string> names;
        for (const auto f : flavors) {
            names.emplace_back(models::server::traits(f).name);
        }
        r.fail("/backup/strategy",
               fmt::format("{} needs server.flavor {}, and this scenario's server is {}",
                           b.at("strategy").get<std::string>(), fmt::join(names, " or "),
                           models::server::traits(s.server.flavor).name));
    }
    c.start_at = r.time(b.at("start_at_s"), "/backup/start_at_s", sim::kSecond, true);
    if (c.start_at >= s.duration) {
        r.fail("/backup/start_at_s",
               fmt::format("expected a time before duration_s ({}), got {}",
                           doc.value("duration_s", json()).dump(), b.at("start_at_s").dump()));
    }
    c.throughput_mb_s = b.at("throughput_mb_s").get<double>();
    c.per_table = r.time(b.at("per_table_ms"), "/backup/per_table_ms", sim::kMillisecond, true);
    c.log_copy_interval = r.time(b.at("log_copy_interval_ms"), "/backup/log_copy_interval_ms",
                                 sim::kMillisecond, false);
    c.lock_wait_timeout =
        r.time(b.at("lock_wait_timeout_s"), "/backup/lock_wait_timeout_s", sim::kSecond, false);
    if (b.at("ftwrl_wait_timeout_s").get<double>() > 0) {
        c.ftwrl_wait_timeout =
            r.time(b["ftwrl_wait_timeout_s"], "/backup/ftwrl_wait_timeout_s", sim::kSecond, false);
    }
    c.ftwrl_wait_threshold = r.time(b.at("ftwrl_wait_threshold_s"),
                                    "/backup/ftwrl_wait_threshold_s", sim::kSecond, true);
    if (b.at("kill_long_queries_timeout_s").get<double>() > 0) {
        c.kill_long_queries_timeout =
            r.time(b["kill_long_queries_timeout_s"], "/backup/kill_long_queries_timeout_s",
                   sim::kSecond, false);
    }
    if (b.contains("kill_at_s")) {
        c.kill_at = r.time(b["kill_at_s"], "/backup/kill_at_s", sim::kSecond, true);
        if (*c.kill_at < c.start_at) {  // a kill before the start would kill nothing
            r.fail("/backup/kill_at_s",
                   fmt::format("expected a time at or after /backup/start_at_s ({} s), got {}",
                               b.at("start_at_s").dump(), b["kill_at_s"].dump()));
        }
    }
    if (b.contains("user")) {
        c.user = b["user"].get<std::string>();
        if (!user_names.count(c.user)) {
            r.fail("/backup/user",
                   fmt::format("expected a user defined under /users, got \"{}\"", c.user));
        }
    }
    if (session_names.count("backup")) {
        r.fail("/backup",
               "a scripted session is already named \"backup\"; the backup actor's session takes "
               "that name");
    }
    c.ftwrl_wait_query_type =
        *mb::query_type_from_name(b.at("ftwrl_wait_query_type").get<std::string>());
    c.kill_long_query_type =
        *mb::query_type_from_name(b.at("kill_long_query_type").get<std::string>());
    c.ftwrl_on_missing_privilege = b.at("on_missing_privilege").get<std::string>() == "ftwrl";
    c.safe_slave_backup = b.at("safe_slave_backup").get<bool>();
    c.io_contention = b.at("io_contention").get<bool>();
    if (c.safe_slave_backup && doc.at("topology") != "replica") {
        r.fail("/backup/safe_slave_backup",
               fmt::format("applies to a replica, and this scenario's topology is {}",
                           doc.at("topology").get<std::string>()));
    }
    s.backup = c;
}

void load_mariadb(const Reader& r, const json& doc, Scenario& s) {
    namespace ms = models::server;
    const auto& server = doc.at("server");
    s.server.flavor = *ms::flavor_from_name(server.at("flavor").get<std::string>());
    s.server.seed = s.seed;
    // Whole seconds from 1 (the schema's integers): MariaDB's variables are integers, and a
    // timeout of nanoseconds made retrying clients spin
    // (docs/mdl-backup-namespace.md#timeouts-and-limits).
    s.server.default_lock_wait_timeout = r.time(server.at("lock_wait_timeout_s"),
                                                "/server/lock_wait_timeout_s", sim::kSecond, false);
    s.server.commit = r.distribution(server.at("commit_ms"), "/server/commit_ms");
    s.server.innodb_lock_wait_timeout =
        r.time(server.at("innodb_lock_wait_timeout_s"), "/server/innodb_lock_wait_timeout_s",
               sim::kSecond, false);
    s.server.cpu_cores = server.at("cpu_cores").get<int>();
    s.server.cpu_share = server.at("cpu_share").get<double>();
    if (server.contains("fsync_ms")) {
        s.server.fsync = r.distribution(server.at("fsync_ms"), "/server/fsync_ms");
    }
    s.server.max_connections = server.at("max_connections").get<int>();

    std::set<std::string> table_names;
    for (std::size_t i = 0; i < doc.at("tables").size(); ++i) {
        const auto& t = doc["tables"][i];
        const auto name = t.at("name").get<std::string>();
        if (!table_names.insert(name).second) {
            r.fail(fmt::format("/tables/{}/name", i),
                   fmt::format("duplicate table name \"{}\"", name));
        }
        ms::TableDef def{name, *ms::engine_from_name(t.at("engine").get<std::string>())};
        if (t.contains("transactional")) {
            if (def.engine != ms::Engine::Aria) {
                r.fail(fmt::format("/tables/{}/transactional", i),
                       fmt::format("TRANSACTIONAL is an Aria table option, and this table's "
                                   "engine is {}",
                                   t.at("engine").get<std::string>()));
            }
            def.transactional = t["transactional"].get<bool>();
        }
        s.tables.push_back(std::move(def));
    }
    std::set<std::string> user_names;
    for (std::size_t i = 0; i < doc.at("users").size(); ++i) {
        const auto& u = doc["users"][i];
        ms::UserDef def{u.at("name").get<std::string>(), {}};
        if (!user_names.insert(def.name).second) {
            r.fail(fmt::format("/users/{}/name", i),
                   fmt::format("duplicate user name \"{}\"", def.name));
        }
        for (const auto& p : u.at("privileges")) {
            def.privileges.insert(p.get<std::string>());
        }
        s.users.push_back(std::move(def));
    }
    std::set<std::string> session_names;
    for (const auto& sess : doc.at("sessions")) {
        session_names.insert(sess.at("name").get<std::string>());
    }
    if (session_names.size() != doc.at("sessions").size()) {
        std::set<std::string> seen;
        for (std::size_t i = 0; i < doc["sessions"].size(); ++i) {
            const auto name = doc["sessions"][i].at("name").get<std::string>();
            if (!seen.insert(name).second) {
                r.fail(fmt::format("/sessions/{}/name", i),
                       fmt::format("duplicate session name \"{}\"", name));
            }
        }
    }
    for (std::size_t i = 0; i < doc.at("sessions").size(); ++i) {
        const auto& sess = doc["sessions"][i];
        const std::string p = fmt::format("/sessions/{}", i);
        ms::ScriptedSession script{sess.at("name").get<std::string>(), "", {}};
        if (sess.contains("user")) {
            script.user = sess["user"].get<std::string>();
            if (!user_names.count(script.user)) {
                r.fail(p + "/user", fmt::format("expected a user defined under /users, got \"{}\"",
                                                script.user));
            }
        }
        const auto& statements = sess.at("statements");
        for (std::size_t j = 0; j < statements.size(); ++j) {
            const auto& st = statements[j];
            const std::string sp = fmt::format("{}/statements/{}", p, j);
            ms::ScriptedStatement step;
            step.sql = st.at("sql").get<std::string>();
            step.at = r.time(st.at("at_s"), sp + "/at_s", sim::kSecond, true);
            step.exec = r.time(st.at("exec_ms"), sp + "/exec_ms", sim::kMillisecond, true);
            if (step.at >= s.duration) {
                r.fail(sp + "/at_s",
                       fmt::format("expected a time before duration_s ({}), got {}",
                                   doc.value("duration_s", json()).dump(), st.at("at_s").dump()));
            }
            auto parsed = ms::parse_sql(step.sql);
            if (auto* err = std::get_if<std::string>(&parsed)) {
                r.fail(sp + "/sql", *err);
            }
            step.statement = std::get<ms::Statement>(parsed);
            if (!ms::flavor_has(ms::traits(s.server.flavor), step.statement.kind) &&
                !st.at("allow_parse_error").get<bool>()) {
                r.fail(sp + "/sql", unknown_to_flavor(step.sql, s.server.flavor));
            }
            const auto& named = step.statement.tables;
            for (std::size_t k = 0; k < named.size(); ++k) {
                const bool creates = step.statement.kind == ms::StmtKind::CreateTable ||
                                     (step.statement.kind == ms::StmtKind::RenameTable && k == 1);
                if (!creates && !table_names.count(named[k])) {
                    r.fail(sp + "/sql",
                           fmt::format("table \"{}\" is not defined under /tables", named[k]));
                }
            }
            if (st.contains("row_lock")) {
                step.statement.row = st["row_lock"].get<std::string>();
                const auto& stmt = step.statement;
                const bool locking = stmt.is_write() || (stmt.kind == ms::StmtKind::Select &&
                                                         stmt.select_lock != ms::SelectLock::None);
                if (!locking) {
                    r.fail(sp + "/row_lock",
                           "a row lock needs INSERT, UPDATE, DELETE, SELECT ... FOR UPDATE or "
                           "SELECT ... LOCK IN SHARE MODE");
                }
                const auto table = std::find_if(s.tables.begin(), s.tables.end(), [&](auto& t) {
                    return t.name == stmt.tables.front();
                });
                if (table == s.tables.end() || !ms::row_locking(table->engine)) {
                    r.fail(sp + "/row_lock", fmt::format("row locks are InnoDB's, and table "
                                                         "\"{}\" is not an InnoDB table",
                                                         stmt.tables.front()));
                }
            }
            if (step.statement.kind == ms::StmtKind::Kill &&
                !session_names.count(step.statement.target)) {
                r.fail(sp + "/sql",
                       fmt::format("KILL names no session: \"{}\"", step.statement.target));
            }
            script.statements.push_back(std::move(step));
        }
        s.sessions.push_back(std::move(script));
    }
    s.groups = load_groups(r, doc, table_names);
    const std::string topology = doc.at("topology").get<std::string>();
    const bool replica = topology == "replica";
    if (replica != doc.contains("replication")) {
        r.fail(replica ? "" : "/replication",
               replica ? "missing required key \"replication\" (topology is replica)"
                       : fmt::format("applies to topology replica, and this scenario's topology "
                                     "is {}",
                                     topology));
    }
    const bool galera = topology == "galera";
    if (galera != doc.contains("galera")) {
        r.fail(galera ? "" : "/galera",
               galera ? "missing required key \"galera\" (topology is galera)"
                      : fmt::format("applies to topology galera, and this scenario's topology is "
                                    "{}",
                                    topology));
    }
    if (galera) {
        const auto& g = doc["galera"];
        models::topology::GaleraConfig gc;
        gc.cluster_rate_tps = g.at("cluster_rate_tps").get<double>();
        gc.apply = r.distribution(g.at("apply_ms"), "/galera/apply_ms");
        gc.fc_limit = g.at("fc_limit").get<int>();
        gc.desync = g.at("desync").get<bool>();
        gc.bf_abort_mariabackup = g.at("bf_abort_mariabackup").get<bool>();
        gc.queue_sample_interval = s.timeline_interval;
        s.galera = gc;
    }
    if (replica) {
        const auto& rp = doc["replication"];
        models::topology::ReplicaConfig rc;
        rc.primary_rate_tps = rp.at("primary_rate_tps").get<double>();
        rc.parallel_threads = rp.at("parallel_threads").get<int>();
        const bool primary = rp.at("backed_up").get<std::string>() == "primary";
        rc.backed_up =
            primary ? models::topology::BackedUp::Primary : models::topology::BackedUp::Replica;
        if (primary && rp.contains("table")) {
            r.fail("/replication/table",
                   "not allowed with backed_up \"primary\" (the primary's own commits are "
                   "replicated)");
        } else if (primary && rc.parallel_threads > 0) {
            r.fail("/replication/parallel_threads",
                   "not allowed with backed_up \"primary\" (the replica is not modelled as a "
                   "server)");
        } else if (!primary && !rp.contains("table")) {
            r.fail("/replication", "missing required key \"table\" (backed_up is replica)");
        } else if (!primary) {
            rc.table = rp.at("table").get<std::string>();
            if (!table_names.count(rc.table)) {
                r.fail("/replication/table",
                       fmt::format("table \"{}\" is not defined under /tables", rc.table));
            }
        }
        rc.apply = r.distribution(rp.at("apply_ms"), "/replication/apply_ms");
        rc.lag_sample_interval = s.timeline_interval;
        s.replica = rc;
    }
    load_backup(r, doc, s, user_names, session_names);
    std::size_t connections = s.sessions.size() + (s.backup ? 1 : 0);
    if (s.replica && s.replica->backed_up == models::topology::BackedUp::Replica) {
        connections += static_cast<std::size_t>(std::max(1, s.replica->parallel_threads));
    }
    for (const auto& g : s.groups) {
        connections += static_cast<std::size_t>(g.pool_size) + (g.ddl.rate_per_h > 0 ? 1 : 0) +
                       (g.long_queries.rate_per_h > 0 ? 1 : 0);
    }
    if (connections > static_cast<std::size_t>(s.server.max_connections)) {
        r.fail("/server/max_connections",
               fmt::format("expected room for {} connections (scripted sessions, pools, DDL and "
                           "long-query connections), got {}",
                           connections, s.server.max_connections));
    }
}

}  // namespace

nlohmann::ordered_json parse_json_text(std::string_view text, const std::string& file) {
    return read_json(text, file);
}

nlohmann::ordered_json parse_scenario_text(std::string_view text, const std::string& file) {
    return parse_scenario(text, file);
}

Scenario load_scenario_text(std::string_view text, const std::string& file) {
    return load_scenario_json(parse_scenario(text, file), file);
}

Scenario load_scenario_json(nlohmann::ordered_json doc, const std::string& file,
                            const std::optional<std::filesystem::path>& folder) {
    const json raw = doc;
    if (auto err = scenario_validator().validate_and_fill(doc)) {
        throw ScenarioError(file, err->pointer, err->message);
    }
    const Reader r(file, folder ? *folder : std::filesystem::path(file).parent_path());
    Scenario s;
    s.file = file;
    s.name = doc.at("name").get<std::string>();
    s.description = doc.at("description").get<std::string>();
    s.seed = doc.at("seed").get<std::uint64_t>();
    s.model = doc.at("server").at("model").get<std::string>();
    // Without duration_s the run lasts until the backup ends plus output.drain_after_backup_s:
    // the loader sets duration to its estimate (start_at_s + copy_estimate + drain), checked
    // below once the backup is read; with_run_length() (app/experiments) finds the real end.
    const bool until_backup = !doc.contains("duration_s");
    if (until_backup && (s.model != "mariadb" || !doc.contains("backup"))) {
        r.fail("/",
               "missing required key \"duration_s\" (it may be left out only with a backup, "
               "which the run then lasts until)");
    }
    s.duration = until_backup ? kLongestRun
                              : r.time(doc.at("duration_s"), "/duration_s", sim::kSecond, false);
    s.warmup = r.time(doc.at("warmup_s"), "/warmup_s", sim::kSecond, true);
    const auto& output = doc.at("output");
    s.timeline_interval = r.time(output.at("timeline_interval_s"), "/output/timeline_interval_s",
                                 sim::kSecond, false);
    const auto check_duration = [&] {
        const std::string duration_text = until_backup
                                              ? "the backup's end + drain, about " +
                                                    fmt::format("{:g}", sim::to_seconds(s.duration))
                                              : doc.at("duration_s").dump();
        if (s.warmup >= s.duration) {
            r.fail("/warmup_s", fmt::format("expected less than duration_s ({}), got {}",
                                            duration_text, doc.at("warmup_s").dump()));
        }
        if (static_cast<std::uint64_t>(s.duration / s.timeline_interval) >= kMaxTimelineRows) {
            r.fail("/output/timeline_interval_s",
                   fmt::format("expected an interval giving at most {} timeline rows over "
                               "duration_s, got {}",
                               kMaxTimelineRows, output.at("timeline_interval_s").dump()));
        }
    };
    if (!until_backup) {
        check_duration();
    }
    s.queue_sample_interval =
        r.time(output.at("queue_sample_ms"), "/output/queue_sample_ms", sim::kMillisecond, false);
    check_model_keys(r, raw, s.model);
    if (s.model == "mariadb") {
        canonical_engines(r, doc);
        load_mariadb(r, doc, s);
        if (until_backup) {
            s.drain_after_backup = r.time(output.at("drain_after_backup_s"),
                                          "/output/drain_after_backup_s", sim::kSecond, true);
            s.duration =
                std::min(kLongestRun,
                         sim::add_saturating(
                             sim::add_saturating(s.backup->start_at,
                                                 models::backup::copy_estimate(*s.backup, s.data)),
                             *s.drain_after_backup));
            check_duration();
        }
    } else {
        const auto& server = doc.at("server");
        const auto& workload = doc.at("workload");
        auto& q = s.queue;
        q.seed = s.seed;
        q.duration = s.duration;
        q.warmup = s.warmup;
        q.timeline_interval = s.timeline_interval;
        q.connections = server.at("connections").get<int>();
        if (server.contains("max_in_system")) {
            q.capacity = server.at("max_in_system").get<int>();
            if (q.capacity < q.connections) {
                r.fail("/server/max_in_system",
                       fmt::format("expected at least server.connections ({}), got {}",
                                   q.connections, q.capacity));
            }
        }
        q.rate_tps = workload.at("rate_tps").get<double>();
        q.service = r.distribution(workload.at("service"), "/workload/service");
    }
    // The effective scenario shows what was run: the other model's defaults are dropped.
    if (s.model == "queue") {
        for (const char* key : {"flavor", "lock_wait_timeout_s", "commit_ms", "cpu_cores",
                                "cpu_share", "fsync_ms", "max_connections"}) {
            doc["server"].erase(key);
        }
        for (const char* key : {"tables", "users", "sessions", "data", "backup", "topology",
                                "replication", "galera"}) {
            doc.erase(key);
        }
    } else {
        doc["server"].erase("connections");
    }
    s.effective = std::move(doc);
    return s;
}

std::string read_text_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ScenarioError(path.string(), "", "cannot open the file for reading");
    }
    // Refused before reading if its size is known, else read in blocks up to the bound (a pipe).
    const auto too_big = [&] {
        return ScenarioError(
            path.string(), "",
            fmt::format("expected a file of at most {} MiB, got more", kMaxInputBytes >> 20));
    };
    std::error_code ec;
    if (std::filesystem::is_regular_file(path, ec) &&
        std::filesystem::file_size(path, ec) > kMaxInputBytes && !ec) {
        throw too_big();
    }
    std::string text;
    std::vector<char> block(1 << 16);
    while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
        text.append(block.data(), static_cast<std::size_t>(in.gcount()));
        if (text.size() > kMaxInputBytes) {
            throw too_big();
        }
    }
    if (in.bad()) {
        throw ScenarioError(path.string(), "", "cannot read the file");
    }
    return text;
}

Scenario load_scenario_file(const std::filesystem::path& path) {
    return load_scenario_text(read_text_file(path), path.string());
}

}  // namespace lockstage::app
