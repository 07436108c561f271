#include "app/experiments/calibrate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <boost/math/distributions/normal.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <map>
#include <regex>
#include <set>
#include <string_view>

#include "app/experiments/numbers.hpp"
#include "app/scenario/scenario_loader.hpp"

namespace lockstage::app {

namespace {

using json = nlohmann::ordered_json;

/// Rounds to `digits` significant digits, so the scenario reads 199.97, not 199.97000000000003.
double sig(double x, int digits = 6) {
    if (x == 0 || !std::isfinite(x)) {
        return x;
    }
    const double scale =
        std::pow(10.0, digits - 1 - static_cast<int>(std::floor(std::log10(std::fabs(x)))));
    return std::round(x * scale) / scale;
}

std::string shown(std::string_view line) {
    std::string s;
    for (const char c : line.substr(0, 60)) {
        s += c == '\t' ? std::string("\\t") : std::string(1, c);  // a tab shown as \t
    }
    if (line.size() > 60) {
        s += "...";
    }
    return fmt::format("\"{}\"", s);
}

[[noreturn]] void bad(const std::filesystem::path& file, std::size_t line, std::string_view what,
                      std::string_view got) {
    throw CalibrateInputError(fmt::format("{}:{}: expected {}, got {}", file.string(),
                                          std::max<std::size_t>(line, 1), what, got));
}

/// A whole input file; one it cannot read is a CalibrateInputError naming it.
std::string read_input(const std::filesystem::path& file) {
    try {
        return read_text_file(file);
    } catch (const ScenarioError& e) {
        throw CalibrateInputError(
            fmt::format("{}: expected a readable file, got: {}", file.string(), e.detail()));
    }
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t end = text.find('\n', at);
        if (end == std::string::npos) {
            if (at < text.size()) {
                out.push_back(text.substr(at));
            }
            break;
        }
        std::string l = text.substr(at, end - at);
        if (!l.empty() && l.back() == '\r') {
            l.pop_back();
        }
        out.push_back(std::move(l));
        at = end + 1;
    }
    return out;
}

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t");
    if (b == std::string_view::npos) {
        return {};
    }
    const auto e = s.find_last_not_of(" \t");
    return std::string(s.substr(b, e - b + 1));
}

std::optional<double> number(std::string_view s) {
    return parse_number(trim(s));
}

// ---------------------------------------------------------------------------------------------
// sysbench

struct SysbenchReport {
    std::filesystem::path file;
    std::string table;
    std::vector<double> tps;  // per-second reports
    double reads = 0, writes = 0, other = 0;
    int threads = 0;
    std::vector<double> p99_per_second;
    double summary_tps = 0;
    std::optional<double> avg_ms, p99_ms, max_ms;
    std::vector<std::pair<double, double>> histogram;  // (ms, count)
    std::size_t lines = 0;
};

SysbenchReport read_sysbench(const SysbenchInput& in) {
    SysbenchReport r;
    r.file = in.file;
    r.table = in.table;
    const auto lines = lines_of(read_input(in.file));
    r.lines = lines.size();
    static const std::regex second(
        R"(^\[ *[0-9.]+s \] thds: ([0-9]+) tps: ([0-9.]+) qps: ([0-9.]+) \(r/w/o: ([0-9.]+)/([0-9.]+)/([0-9.]+)\) lat \(ms,[0-9.]+%\): ([0-9.]+) err/s: [0-9.]+ reconn/s: [0-9.]+\s*$)");
    static const std::regex queue(
        R"(^\[ *[0-9.]+s \] queue length: [0-9]+, concurrency: [0-9]+\s*$)");
    static const std::regex any_second(R"(^\[ *[0-9.]+s \])");
    static const std::regex bucket(R"(^\s*([0-9.]+)\s+\|\**\s+([0-9]+)\s*$)");
    static const std::regex tx(R"(^\s*transactions:\s+[0-9]+\s+\(([0-9.]+) per sec\.\)\s*$)");
    static const std::regex stat(R"(^\s*(avg|max|99th percentile):\s+([0-9.]+)\s*$)");
    bool in_hist = false;
    std::smatch m;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        // A figure of the matched line: a plain number of at most 1e12 (not "." or 400 digits).
        const auto num = [&](std::size_t k) {
            const auto v = number(m[k].str());
            if (!v || *v > 1e12) {
                bad(in.file, i + 1, "numbers of at most 1e12", shown(m[k].str()));
            }
            return *v;
        };
        if (in_hist) {
            if (trim(l).empty()) {
                in_hist = false;
            } else if (std::regex_match(l, m, bucket)) {
                r.histogram.emplace_back(num(1), num(2));
                if (r.histogram.size() > 10000) {
                    bad(in.file, i + 1, "a histogram of at most 10000 rows", "more");
                }
            } else if (l.find("distribution") == std::string::npos) {
                bad(in.file, i + 1, "a histogram row 'VALUE |*** COUNT'", shown(l));
            }
            continue;
        }
        if (l.rfind("Latency histogram", 0) == 0) {
            in_hist = true;
        } else if (std::regex_match(l, m, second)) {
            if (num(1) > 100000) {
                bad(in.file, i + 1, "at most 100000 threads (max_connections' limit)",
                    shown(m[1].str()));
            }
            r.threads = std::max(r.threads, static_cast<int>(num(1)));
            r.tps.push_back(num(2));
            r.reads += num(4);
            r.writes += num(5);
            r.other += num(6);
            r.p99_per_second.push_back(num(7));
        } else if (std::regex_search(l, any_second) && !std::regex_match(l, queue)) {
            bad(in.file, i + 1,
                "a sysbench per-second report '[ 1s ] thds: N tps: X qps: X (r/w/o: R/W/O) lat "
                "(ms,99%): X err/s: X reconn/s: X'",
                shown(l));
        } else if (std::regex_match(l, m, tx)) {
            r.summary_tps = num(1);
        } else if (std::regex_match(l, m, stat)) {
            const double v = num(2);
            (m[1] == "avg" ? r.avg_ms : m[1] == "max" ? r.max_ms : r.p99_ms) = v;
        }
    }
    if (r.tps.empty() && r.summary_tps <= 0) {
        bad(in.file, lines.size(),
            "sysbench's per-second reports ('[ 1s ] thds: ...', from --report-interval=1) or its "
            "summary ('transactions: N (X per sec.)')",
            "neither");
    }
    double hist_n = 0;
    for (const auto& [v, n] : r.histogram) {
        hist_n += n;
    }
    if (!r.histogram.empty() && hist_n <= 0) {
        bad(in.file, lines.size(), "a latency histogram with a positive count", "counts of 0");
    }
    return r;
}

/// The lognormal with this mean whose p-quantile is q: sigma solves
/// ln q = ln m - sigma^2 / 2 + z sigma (the smaller root), capped at z, where q / m peaks.
std::pair<double, double> lognormal_fit(double mean, double q, double p) {
    const double z = boost::math::quantile(boost::math::normal(), p);
    double sigma = 0;
    if (q > mean) {
        const double disc = z * z - 2 * std::log(q / mean);
        sigma = disc > 0 ? z - std::sqrt(disc) : z;
    }
    return {mean, mean * std::sqrt(std::exp(sigma * sigma) - 1)};
}

// ---------------------------------------------------------------------------------------------
// SHOW GLOBAL STATUS

struct Snapshot {
    std::optional<double> time_s;
    std::map<std::string, std::string> values;
    std::map<std::string, std::size_t> line_of;
    std::filesystem::path file;
    std::size_t first_line = 0;
};

std::vector<Snapshot> read_status(const std::vector<std::filesystem::path>& files) {
    std::vector<Snapshot> snaps;
    for (const auto& file : files) {
        const auto lines = lines_of(read_input(file));
        Snapshot cur;
        cur.file = file;
        const auto close = [&] {
            if (!cur.values.empty()) {  // an empty one keeps its '# TIME'
                snaps.push_back(std::move(cur));
                cur = Snapshot{};
                cur.file = file;
            }
        };
        for (std::size_t i = 0; i < lines.size(); ++i) {
            const std::string& l = lines[i];
            if (trim(l).empty()) {
                close();
            } else if (l[0] == '#') {
                close();
                const auto t = number(std::string_view(l).substr(1));
                if (!t) {
                    bad(file, i + 1,
                        "'# ' and the snapshot's time in seconds since the epoch (date +'# %s.%N')",
                        shown(l));
                }
                cur.time_s = t;
            } else if (l == "Variable_name\tValue") {
                close();  // a header starts the next snapshot (after its '# TIME' line, if any)
            } else {
                const auto tab = l.find('\t');
                if (tab == std::string::npos || tab == 0) {
                    bad(file, i + 1,
                        "'Variable_name<TAB>Value' as 'mariadb -B -e \"SHOW GLOBAL STATUS\"' "
                        "prints",
                        shown(l));
                }
                if (cur.values.empty()) {
                    cur.first_line = i + 1;
                }
                const std::string key = l.substr(0, tab);
                cur.values[key] = l.substr(tab + 1);
                cur.line_of[key] = i + 1;
            }
        }
        close();
        if (snaps.empty() || snaps.back().file != file) {
            bad(file, lines.size(), "SHOW GLOBAL STATUS snapshots ('Variable_name<TAB>Value' rows)",
                "none");
        }
    }
    return snaps;
}

struct StatusRates {
    std::filesystem::path first_file, last_file;
    double interval_s = 0;
    std::string interval_from;
    std::size_t snapshots = 0;
    std::map<std::string, double> per_s;  // counter deltas / interval
    std::map<std::string, double> delta;
    double threads_running_mean = 0, threads_running_max = 0;
    double max_used_connections = 0;
};

const std::vector<std::string> kCounters = {
    "Questions",        "Com_select", "Com_insert",          "Com_insert_select",
    "Com_replace",      "Com_update", "Com_update_multi",    "Com_delete",
    "Com_delete_multi", "Com_commit", "Innodb_data_written", "Innodb_os_log_written"};

StatusRates status_rates(const std::vector<std::filesystem::path>& files) {
    const auto snaps = read_status(files);
    const Snapshot& a = snaps.front();
    const Snapshot& b = snaps.back();
    if (snaps.size() < 2) {
        bad(b.file, b.first_line,
            "two or more SHOW GLOBAL STATUS snapshots (separated by a blank line or a '# TIME' "
            "line, or in several files)",
            "1");
    }
    const auto value = [](const Snapshot& s, const std::string& key) -> std::optional<double> {
        const auto it = s.values.find(key);
        if (it == s.values.end()) {
            return std::nullopt;
        }
        const auto v = number(it->second);
        if (!v) {
            bad(s.file, s.line_of.at(key), fmt::format("a number for {}", key), shown(it->second));
        }
        return v;
    };
    StatusRates r;
    r.first_file = a.file;
    r.last_file = b.file;
    r.snapshots = snaps.size();
    if (a.time_s && b.time_s) {
        r.interval_s = *b.time_s - *a.time_s;
        r.interval_from = "their '# TIME' lines";
    } else if (const auto u0 = value(a, "Uptime"), u1 = value(b, "Uptime"); u0 && u1) {
        r.interval_s = *u1 - *u0;
        r.interval_from = "Uptime";
    } else {
        bad(b.file, b.first_line, "a '# TIME' line before each snapshot, or an Uptime row",
            "neither");
    }
    if (r.interval_s <= 0) {
        bad(b.file, b.first_line, "a snapshot taken later than the first",
            fmt::format("an interval of {:g} s", r.interval_s));
    }
    for (const auto& key : kCounters) {
        const auto v0 = value(a, key);
        const auto v1 = value(b, key);
        if (!v0 || !v1) {
            continue;
        }
        if (*v1 < *v0) {
            bad(b.file, b.line_of.at(key),
                fmt::format("{} not to decrease between snapshots (a restart?)", key),
                fmt::format("{:g} after {:g}", *v1, *v0));
        }
        r.delta[key] = *v1 - *v0;
        r.per_s[key] = (*v1 - *v0) / r.interval_s;
    }
    if (!r.per_s.count("Questions") && !r.per_s.count("Com_select")) {
        bad(b.file, b.first_line, "the counters Questions and Com_select in every snapshot",
            "neither");
    }
    double n = 0;
    for (const auto& s : snaps) {
        if (const auto t = value(s, "Threads_running")) {
            r.threads_running_mean += *t;
            r.threads_running_max = std::max(r.threads_running_max, *t);
            n += 1;
        }
    }
    r.threads_running_mean = n > 0 ? r.threads_running_mean / n : 0;
    r.max_used_connections = value(b, "Max_used_connections").value_or(0);
    return r;
}

double rate(const StatusRates& s, std::initializer_list<const char*> keys) {
    double x = 0;
    for (const char* k : keys) {
        if (const auto it = s.per_s.find(k); it != s.per_s.end()) {
            x += it->second;
        }
    }
    return x;
}

// ---------------------------------------------------------------------------------------------
// information_schema.TABLES

struct TableRow {
    std::string schema, name, engine;
    double bytes = 0;
};

struct TablesExport {
    std::filesystem::path file;
    std::vector<TableRow> rows;
    std::size_t skipped = 0;  // views (ENGINE NULL) and engines lockstage does not model
    std::set<std::string> skipped_engines;
};

/// The scenario's spelling of a MariaDB engine, or "" for one lockstage does not model.
std::string engine_of(const std::string& e) {
    static const std::map<std::string, std::string> known = {
        {"innodb", "InnoDB"}, {"myisam", "MyISAM"}, {"aria", "Aria"},
        {"memory", "MEMORY"}, {"csv", "CSV"},       {"archive", "ARCHIVE"}};
    std::string lower(e);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto it = known.find(lower);
    return it == known.end() ? "" : it->second;
}

/// Adds one row of the export (bytes already checked), or counts it as skipped.
void add_table_row(TablesExport& t, const std::string& schema, const std::string& name,
                   const std::string& engine_text, double bytes) {
    const std::string engine = engine_text == "NULL" ? "" : engine_of(engine_text);
    if (engine.empty()) {
        ++t.skipped;
        t.skipped_engines.insert(engine_text);
        return;
    }
    t.rows.push_back(TableRow{schema, name, engine, bytes});
}

/// The JSON form of the export: an array of {TABLE_SCHEMA, TABLE_NAME, ENGINE, BYTES} objects
/// (JSON_ARRAYAGG(JSON_OBJECT(...)) of the same query); errors name the JSON pointer.
TablesExport read_tables_json(const std::filesystem::path& file, const std::string& text) {
    TablesExport t;
    t.file = file;
    nlohmann::ordered_json doc;
    try {
        doc = parse_json_text(text, file.string());
    } catch (const ScenarioError& e) {
        throw CalibrateInputError(fmt::format("{}: {}: expected a JSON array, got {}",
                                              file.string(), e.where(), e.detail()));
    }
    const auto wrong = [&](const std::string& where, std::string_view what, const json& got) {
        throw CalibrateInputError(fmt::format("{}: {}: expected {}, got {}", file.string(), where,
                                              what, got.dump().substr(0, 60)));
    };
    if (!doc.is_array()) {
        wrong("/", "an array of {TABLE_SCHEMA, TABLE_NAME, ENGINE, BYTES} objects", doc);
    }
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const json& row = doc[i];
        const std::string at = fmt::format("/{}", i);
        if (!row.is_object()) {
            wrong(at, "an object {TABLE_SCHEMA, TABLE_NAME, ENGINE, BYTES}", row);
        }
        for (const char* key : {"TABLE_SCHEMA", "TABLE_NAME"}) {
            if (!row.contains(key) || !row[key].is_string()) {
                wrong(at + "/" + key, "a string", row.value(key, json()));
            }
        }
        const json engine = row.value("ENGINE", json());
        if (!engine.is_string() && !engine.is_null()) {
            wrong(at + "/ENGINE", "a string or null", engine);
        }
        const json bytes = row.value("BYTES", json());
        if (!(bytes.is_null() || (bytes.is_number() && bytes.get<double>() >= 0))) {
            wrong(at + "/BYTES", "a size in bytes (DATA_LENGTH+INDEX_LENGTH) >= 0", bytes);
        }
        add_table_row(t, row["TABLE_SCHEMA"].get<std::string>(),
                      row["TABLE_NAME"].get<std::string>(),
                      engine.is_null() ? std::string("NULL") : engine.get<std::string>(),
                      bytes.is_null() ? 0.0 : bytes.get<double>());
    }
    return t;
}

TablesExport read_tables(const std::filesystem::path& file) {
    TablesExport t;
    t.file = file;
    const std::string text = read_input(file);
    if (const auto first = text.find_first_not_of(" \t\r\n");
        first != std::string::npos && (text[first] == '[' || text[first] == '{')) {
        return read_tables_json(file, text);
    }
    const auto lines = lines_of(text);
    const auto split = [](const std::string& l) {
        std::vector<std::string> f;
        std::size_t at = 0;
        while (true) {
            const auto tab = l.find('\t', at);
            f.push_back(l.substr(at, tab == std::string::npos ? std::string::npos : tab - at));
            if (tab == std::string::npos) {
                return f;
            }
            at = tab + 1;
        }
    };
    const std::string header = "TABLE_SCHEMA<TAB>TABLE_NAME<TAB>ENGINE<TAB>BYTES";
    if (lines.empty() || split(lines[0]).size() != 4 || split(lines[0])[0] != "TABLE_SCHEMA" ||
        split(lines[0])[1] != "TABLE_NAME" || split(lines[0])[2] != "ENGINE") {
        bad(file, 1, fmt::format("the header {} (the README's query, run with mariadb -B)", header),
            lines.empty() ? std::string("an empty file") : shown(lines[0]));
    }
    for (std::size_t i = 1; i < lines.size(); ++i) {
        if (trim(lines[i]).empty()) {
            continue;
        }
        const auto f = split(lines[i]);
        if (f.size() != 4) {
            bad(file, i + 1, "4 tab-separated fields (schema, table, engine, bytes)",
                fmt::format("{} in {}", f.size(), shown(lines[i])));
        }
        const auto bytes = f[3] == "NULL" ? std::optional<double>(0) : number(f[3]);
        if (!bytes || *bytes < 0) {
            bad(file, i + 1, "a size in bytes (DATA_LENGTH+INDEX_LENGTH) >= 0", shown(f[3]));
        }
        add_table_row(t, f[0], f[1], f[2], *bytes);
    }
    return t;
}

// ---------------------------------------------------------------------------------------------
// mariadb-backup's log

struct BackupLog {
    std::filesystem::path file;
    double begin_s = 0, end_s = 0;
    std::map<std::string, double> at;  // event -> time (s since the epoch)
    std::map<std::string, std::size_t> line;
    int ibd_files = 0, files = 0;
    std::optional<double> log_copy_interval_ms;
    std::string version;
};

BackupLog read_backup_log(const std::filesystem::path& file) {
    BackupLog b;
    b.file = file;
    const auto lines = lines_of(read_input(file));
    static const std::regex stamped(
        R"(^\[([0-9]+)\] ([0-9]{4})-([0-9]{2})-([0-9]{2}) ([0-9]{2}):([0-9]{2}):([0-9]{2}) (.*)$)");
    static const std::regex prefix(R"(^\[[0-9]+\] )");
    static const std::regex interval(R"(--log-copy-interval[= ]([0-9]+))");
    static const std::regex version(R"(Using server version ([0-9]+\.[0-9]+)[^ ]*)");
    static const std::vector<std::string> events = {
        "BACKUP STAGE START",     "BACKUP STAGE FLUSH",
        "BACKUP STAGE BLOCK_DDL", "BACKUP STAGE BLOCK_COMMIT",
        "BACKUP STAGE END",       "FLUSH TABLES WITH READ LOCK",
        "UNLOCK TABLES",          "completed OK!"};
    bool any = false;
    std::smatch m;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const std::string& l = lines[i];
        if (std::regex_search(l, m, interval)) {
            if (const auto v = number(m[1].str()); v && *v > 0 && *v <= 3600000) {
                b.log_copy_interval_ms = v;  // else the default, as mariadb-backup refuses it
            }
        }
        if (!std::regex_search(l, prefix)) {
            continue;  // a continuation of the previous message
        }
        if (!std::regex_match(l, m, stamped)) {
            bad(file, i + 1, "'[NN] YYYY-MM-DD HH:MM:SS message' (mariadb-backup's log)", shown(l));
        }
        using namespace std::chrono;
        const year_month_day day{year{std::stoi(m[2])},
                                 month{static_cast<unsigned>(std::stoi(m[3]))},
                                 std::chrono::day{static_cast<unsigned>(std::stoi(m[4]))}};
        if (!day.ok() || std::stoi(m[5]) > 23 || std::stoi(m[6]) > 59 || std::stoi(m[7]) > 60) {
            bad(file, i + 1, "a valid date and time", shown(l));
        }
        const double t = static_cast<double>(sys_days(day).time_since_epoch().count()) * 86400 +
                         std::stoi(m[5]) * 3600 + std::stoi(m[6]) * 60 + std::stoi(m[7]);
        if (!any) {
            b.begin_s = t;
            any = true;
        }
        const std::string msg = m[8];
        for (const auto& e : events) {
            if (msg.find(e) != std::string::npos && !b.at.count(e)) {
                b.at[e] = t;
                b.line[e] = i + 1;
            }
        }
        if (msg.find("Copying ") != std::string::npos) {
            ++b.files;
            b.ibd_files += msg.find(".ibd ") != std::string::npos ? 1 : 0;
        }
        if (std::smatch v; std::regex_search(msg, v, version)) {
            b.version = v[1];
        }
    }
    if (!any) {
        bad(file, lines.size(), "mariadb-backup's log lines '[NN] YYYY-MM-DD HH:MM:SS message'",
            "none");
    }
    if (!b.at.count("completed OK!")) {
        bad(file, lines.size(), "the log of a finished backup (its last line 'completed OK!')",
            "no 'completed OK!'");
    }
    b.end_s = b.at["completed OK!"];
    return b;
}

// ---------------------------------------------------------------------------------------------

std::string sanitize(std::string s, std::string_view allowed_extra) {
    for (char& c : s) {
        if (!std::isalnum(static_cast<unsigned char>(c)) &&
            allowed_extra.find(c) == std::string_view::npos) {
            c = '_';
        }
    }
    return s.substr(0, 64);
}

/// "reads R, writes W" templates: SELECT and the write kinds by their share.
json transactions_for(const std::string& table, double reads, double inserts, double updates,
                      double deletes, const json& exec_ms) {
    json out = json::array();
    const auto add = [&](const char* name, std::string sql, double w) {
        if (w > 0) {
            out.push_back(
                {{"name", name},
                 {"weight", sig(w, 4)},
                 {"statements", json::array({{{"sql", std::move(sql)}, {"exec_ms", exec_ms}}})}});
        }
    };
    add("read", "SELECT * FROM " + table, reads);
    add("insert", "INSERT INTO " + table, inserts);
    add("update", "UPDATE " + table, updates);
    add("delete", "DELETE FROM " + table, deletes);
    if (out.empty()) {
        add("update", "UPDATE " + table, 1);
    }
    return out;
}

}  // namespace

SysbenchInput parse_sysbench_argument(const std::string& arg) {
    static const std::regex with_table(R"(^(.+):([A-Za-z0-9_$]{1,64})$)");
    std::smatch m;
    if (std::regex_match(arg, m, with_table)) {
        return SysbenchInput{std::string(m[1]), m[2]};
    }
    return SysbenchInput{arg, ""};
}

Calibration calibrate(const CalibrateInputs& in) {
    Calibration c;
    json sc;
    sc["name"] = in.name;
    std::vector<std::string> used;
    for (const auto& s : in.sysbench) {
        used.push_back(s.file.string() + " (sysbench)");
    }
    for (const auto& s : in.status) {
        used.push_back(s.string() + " (SHOW GLOBAL STATUS)");
    }
    if (in.tables) {
        used.push_back(in.tables->string() + " (information_schema.TABLES)");
    }
    if (in.backup_log) {
        used.push_back(in.backup_log->string() + " (mariadb-backup log)");
    }
    std::string inputs;
    for (const auto& u : used) {
        inputs += (inputs.empty() ? "" : ", ") + u;
    }
    sc["description"] = "Written by lockstage calibrate from " + inputs + ".";
    sc["why"] =
        "Each object's why names the input file and the figure each of its values came from; "
        "keys not written keep lockstage's defaults.";

    // The data shape.
    std::optional<TablesExport> tables;
    json tables_json = json::array();
    json data = json::object();
    std::string largest_innodb;
    if (in.tables) {
        tables = read_tables(*in.tables);
        std::set<std::string> names;
        double gb[3] = {0, 0, 0};  // innodb, myisam-like, aria
        int count[3] = {0, 0, 0};
        double largest = -1;
        for (const auto& row : tables->rows) {
            std::string name = sanitize(row.name.empty() ? std::string("t") : row.name, "_$");
            if (names.count(name)) {
                name = sanitize(row.schema + "_" + row.name, "_$");
            }
            for (int k = 2; names.count(name); ++k) {
                name = sanitize(row.schema + "_" + row.name, "_$").substr(0, 58) +
                       fmt::format("_{}", k);
            }
            names.insert(name);
            if (tables_json.size() < 100000) {
                tables_json.push_back({{"name", name}, {"engine", row.engine}});
            }
            const int k = row.engine == "InnoDB"   ? 0
                          : row.engine == "Aria"   ? 2
                          : row.engine == "MEMORY" ? -1
                                                   : 1;
            if (k >= 0) {
                gb[k] += row.bytes / (1024.0 * 1024 * 1024);
                ++count[k];
            }
            if (row.engine == "InnoDB" && row.bytes > largest) {
                largest = row.bytes;
                largest_innodb = name;
            }
        }
        if (std::max({gb[0], gb[1], gb[2]}) > 1e6) {
            bad(*in.tables, tables->rows.size() + 1, "at most 1e6 GB of one engine",
                fmt::format("{:g} GB", std::max({gb[0], gb[1], gb[2]})));
        }
        data["innodb_gb"] = sig(gb[0]);
        data["innodb_tables"] = count[0];
        data["myisam_gb"] = sig(gb[1]);
        data["myisam_tables"] = count[1];
        data["aria_gb"] = sig(gb[2]);
        data["aria_tables"] = count[2];
        std::string skipped;
        if (tables->skipped) {
            std::string engines;
            for (const auto& e : tables->skipped_engines) {
                engines += (engines.empty() ? "" : ", ") + e;
            }
            skipped = fmt::format("; {} rows of engines lockstage does not model left out ({})",
                                  tables->skipped, engines);
        }
        data["why"] = fmt::format(
            "{}: the sums of DATA_LENGTH+INDEX_LENGTH over its {} rows (1 GB = 2^30 bytes): InnoDB "
            "{} tables, {:.6g} GB; MyISAM, CSV and ARCHIVE {} tables, {:.6g} GB; Aria {} tables, "
            "{:.6g} GB (MEMORY tables are listed under tables but hold no files){}",
            in.tables->string(), tables->rows.size(), count[0], gb[0], count[1], gb[1], count[2],
            gb[2], skipped);
        c.derived.push_back(fmt::format(
            "data: InnoDB {} tables {:.6g} GB, MyISAM-like {} tables {:.6g} GB, Aria {} tables "
            "{:.6g} GB (from {})",
            count[0], gb[0], count[1], gb[1], count[2], gb[2], in.tables->string()));
    } else {
        data["why"] =
            "no TABLES export given: lockstage's default data (1 GB InnoDB in 100 tables)";
    }

    // The status counters.
    std::optional<StatusRates> status;
    if (!in.status.empty()) {
        status = status_rates(in.status);
        const auto& s = *status;
        if (s.per_s.count("Innodb_os_log_written") || s.per_s.count("Innodb_data_written")) {
            const double writes =
                rate(s, {"Com_insert", "Com_insert_select", "Com_replace", "Com_update",
                         "Com_update_multi", "Com_delete", "Com_delete_multi"});
            const bool redo = s.per_s.count("Innodb_os_log_written") > 0;
            const double bytes_s =
                rate(s, {redo ? "Innodb_os_log_written" : "Innodb_data_written"});
            const double written_mb_s = rate(s, {"Innodb_data_written"}) / (1024.0 * 1024);
            if (writes > 0 && bytes_s / writes / 1024.0 <= 1e6) {
                data["redo_kb_per_write"] = sig(bytes_s / writes / 1024.0, 4);
                const std::string w = data.value("why", "");
                data["why"] = w + fmt::format(
                                      "; redo_kb_per_write: {} {:.6g} B/s over {:.6g} writes/s "
                                      "(Com_insert, _update, _delete, _replace) in {} (InnoDB "
                                      "wrote {:.4g} MB/s of data files, Innodb_data_written)",
                                      redo ? "Innodb_os_log_written" : "Innodb_data_written",
                                      bytes_s, writes, s.last_file.string(), written_mb_s);
            }
        }
    }

    // The workload.
    json groups = json::array();
    std::set<std::string> group_names;
    int pools = 0;
    const auto ensure_table = [&](const std::string& name, const std::string& why_missing,
                                  std::string& note) {
        for (const auto& t : tables_json) {
            if (t["name"] == name) {
                return;
            }
        }
        tables_json.push_back({{"name", name}, {"engine", "InnoDB"}});
        note = why_missing;
    };
    const auto unique_group = [&](std::string name) {
        name = sanitize(name.empty() ? std::string("app") : name, "_.-");
        std::string n = name;
        for (int k = 2; group_names.count(n); ++k) {
            n = fmt::format("{}-{}", name, k);
        }
        group_names.insert(n);
        return n;
    };
    // The write kinds: the status counters' shares, else UPDATE.
    double w_ins = 0, w_upd = 1, w_del = 0;
    std::string kinds_why = "sysbench does not say which writes: UPDATE";
    if (status) {
        const double ins = rate(*status, {"Com_insert", "Com_insert_select", "Com_replace"});
        const double upd = rate(*status, {"Com_update", "Com_update_multi"});
        const double del = rate(*status, {"Com_delete", "Com_delete_multi"});
        if (ins + upd + del > 0) {
            w_ins = ins;
            w_upd = upd;
            w_del = del;
            kinds_why = fmt::format(
                "the writes split as the server's: INSERT {:.4g}/s, UPDATE {:.4g}/s, DELETE "
                "{:.4g}/s (Com_insert+Com_insert_select+Com_replace, Com_update+Com_update_multi, "
                "Com_delete+Com_delete_multi in {})",
                ins, upd, del, status->last_file.string());
        }
    }
    for (const auto& input : in.sysbench) {
        const SysbenchReport r = read_sysbench(input);
        const std::string group =
            unique_group(r.file.stem().string().substr(0, r.file.stem().string().find('.')));
        double tps = 0;
        std::string rate_why;
        if (!r.tps.empty()) {
            for (const double x : r.tps) {
                tps += x;
            }
            tps /= static_cast<double>(r.tps.size());
            rate_why = fmt::format("rate_tps {:.6g}: the mean of its {} per-second tps figures",
                                   tps, r.tps.size());
        } else {
            tps = r.summary_tps;
            rate_why = fmt::format("rate_tps {:.6g}: its summary 'transactions: ... ({} per sec.)'",
                                   tps, tps);
        }
        if (tps <= 0 || tps > 1e7) {
            bad(r.file, r.lines, "a transaction rate above 0 and at most 1e7 tps",
                fmt::format("{:g} tps", tps));
        }
        // exec_ms: the histogram itself, else a lognormal through the mean and the p99.
        json exec;
        std::string exec_why;
        if (!r.histogram.empty()) {
            json values = json::array(), weights = json::array();
            double n = 0, sum = 0;
            for (const auto& [v, k] : r.histogram) {
                if (k > 0) {
                    values.push_back(v);
                    weights.push_back(k);
                    n += k;
                    sum += v * k;
                }
            }
            exec = {{"dist", "empirical"}, {"values_ms", values}, {"weights", weights}};
            exec_why = fmt::format(
                "exec_ms: its latency histogram ({} buckets, {:.0f} transactions, mean {:.4g} ms) "
                "as an empirical distribution: sysbench counts a transaction's latency from its "
                "arrival, so it is the whole service time of a statement, commit included "
                "(server.commit_ms 0)",
                values.size(), n, sum / n);
        } else {
            double p99 = r.p99_ms.value_or(0);
            if (!r.p99_ms && !r.p99_per_second.empty()) {
                for (const double x : r.p99_per_second) {
                    p99 += x;
                }
                p99 /= static_cast<double>(r.p99_per_second.size());
            }
            if (r.avg_ms && *r.avg_ms > 0) {
                const auto [mean, sd] = lognormal_fit(*r.avg_ms, p99, 0.99);
                exec = {{"dist", "lognormal"}, {"mean_ms", sig(mean, 4)}, {"sd_ms", sig(sd, 4)}};
                exec_why = fmt::format(
                    "exec_ms: the lognormal with its mean latency ({:.4g} ms, 'avg:') whose 99th "
                    "percentile is its p99 ({:.4g} ms): sd {:.4g} ms (sysbench counts latency "
                    "from arrival, so it is the whole service time, commit included; "
                    "server.commit_ms 0)",
                    mean, p99, sd);
            } else if (p99 > 0) {
                exec = {{"dist", "exponential"}, {"mean_ms", sig(p99 / std::log(100.0), 4)}};
                exec_why = fmt::format(
                    "exec_ms: no mean latency (no summary, no histogram): the exponential whose "
                    "99th percentile is the mean per-second p99 {:.4g} ms (mean = p99 / ln 100)",
                    p99);
            } else {
                bad(r.file, r.lines,
                    "a latency: a histogram (--histogram), 'avg:' or 'lat (ms,99%)'", "none");
            }
        }
        // The table the load writes.
        std::string table = r.table;
        std::string table_note;
        if (table.empty()) {
            table = largest_innodb.empty() ? "t1" : largest_innodb;
            table_note = largest_innodb.empty()
                             ? "; no table given (FILE:TABLE) and no TABLES export: a table t1"
                             : "; no table given (FILE:TABLE): the largest InnoDB table of the "
                               "TABLES export";
        }
        std::string missing;
        ensure_table(table, fmt::format("; {} is not in a TABLES export: InnoDB assumed", table),
                     missing);
        const int threads = std::max(1, r.threads);
        pools += threads;
        double reads = r.reads, writes = r.writes;
        std::string mix_why;
        if (reads + writes > 0) {
            mix_why = fmt::format("the mix: its r/w counts, {:.4g} reads to {:.4g} writes; {}",
                                  reads, writes, kinds_why);
        } else {
            writes = 1;
            mix_why = fmt::format(
                "the mix: sysbench counted no reads or writes (a script's own queries are 'other', "
                "{:.0f}): one write per transaction; {}",
                r.other, kinds_why);
        }
        const double wsum = w_ins + w_upd + w_del;
        json g;
        g["name"] = group;
        g["why"] = fmt::format("{}: {}; pool_size {}: its 'thds:'; {}; {}; the load writes {}{}{}",
                               r.file.string(), rate_why, threads, exec_why, mix_why, table,
                               table_note, missing);
        g["arrivals"] = {{"kind", "open"}, {"rate_tps", sig(tps)}};
        g["pool_size"] = threads;
        g["transactions"] = transactions_for(table, reads, writes * w_ins / wsum,
                                             writes * w_upd / wsum, writes * w_del / wsum, exec);
        groups.push_back(std::move(g));
        c.derived.push_back(
            fmt::format("group {}: {:.6g} tps on {} connections, exec_ms {} (from {})", group,
                        sig(tps), threads, exec["dist"].get<std::string>(), r.file.string()));
    }
    if (in.sysbench.empty() && status) {
        const auto& s = *status;
        const double sel = rate(s, {"Com_select"});
        const double ins = rate(s, {"Com_insert", "Com_insert_select", "Com_replace"});
        const double upd = rate(s, {"Com_update", "Com_update_multi"});
        const double del = rate(s, {"Com_delete", "Com_delete_multi"});
        const double stmts = sel + ins + upd + del;
        if (stmts > 1e7) {
            bad(s.last_file, 1, "at most 1e7 statements/s between the snapshots",
                fmt::format("{:g}/s", stmts));
        }
        if (stmts <= 0) {
            bad(s.last_file, 1,
                "statements between the snapshots (Com_select, Com_insert, Com_update, Com_delete)",
                "none");
        }
        const std::string table = largest_innodb.empty() ? "t1" : largest_innodb;
        std::string missing;
        ensure_table(table, "; t1 InnoDB (no TABLES export)", missing);
        const int pool =
            std::max(16, static_cast<int>(std::ceil(std::min(s.threads_running_max, 1e5))));
        pools += pool;
        json g;
        g["name"] = unique_group("app");
        g["why"] = fmt::format(
            "{} snapshots over {:.6g} s (interval from {}), first in {}, last in {}: rate_tps "
            "{:.6g}: Com_select {:.4g}/s + INSERT {:.4g}/s + UPDATE {:.4g}/s + DELETE {:.4g}/s, "
            "each statement taken as its own autocommit transaction (Questions {:.4g}/s, "
            "Com_commit {:.4g}/s); the mix is their shares; pool_size {}: the peak Threads_running "
            "({:.4g}, mean {:.4g}), at least 16; exec_ms: no latency input (no sysbench report): "
            "lockstage's default, constant 1 ms; the load writes {}{}",
            s.snapshots, s.interval_s, s.interval_from, s.first_file.string(), s.last_file.string(),
            stmts, sel, ins, upd, del, rate(s, {"Questions"}), rate(s, {"Com_commit"}), pool,
            s.threads_running_max, s.threads_running_mean, table, missing);
        g["arrivals"] = {{"kind", "open"}, {"rate_tps", sig(stmts)}};
        g["pool_size"] = pool;
        g["transactions"] = transactions_for(table, sel, ins, upd, del,
                                             json{{"dist", "constant"}, {"value_ms", 1}});
        groups.push_back(std::move(g));
        c.derived.push_back(
            fmt::format("group app: {:.6g} statements/s from SHOW GLOBAL STATUS", sig(stmts)));
    }

    // The server.
    json server;
    server["flavor"] = "mariadb-10.11";
    std::string server_why = "flavor mariadb-10.11: the BACKUP STAGE server";
    if (pools + 10 > 100000) {
        throw CalibrateInputError(fmt::format(
            "{}: expected the groups' threads and 10 more to fit in max_connections (at most "
            "100000), got {} threads",
            in.sysbench.empty() ? in.status.back().string() : in.sysbench.back().file.string(),
            pools));
    }
    const int connections =
        std::max({151, pools + 10,
                  status ? static_cast<int>(std::min(status->max_used_connections, 1e5)) : 0});
    server["max_connections"] = connections;
    server_why += fmt::format(
        "; max_connections {}: the pools' {} connections + 10 for DDL, long queries and the "
        "backup{}, at least MariaDB's default 151",
        connections, pools,
        status ? fmt::format(", or Max_used_connections {:g} in {}", status->max_used_connections,
                             status->last_file.string())
               : "");
    if (!groups.empty() && !in.sysbench.empty()) {
        server["commit_ms"] = {{"dist", "constant"}, {"value_ms", 0}};
        server_why += "; commit_ms 0: sysbench's latency already holds the commit";
    }
    if (status) {
        server_why += fmt::format(
            "; cpu_cores stays 16 (the default): Threads_running averaged {:.4g} (peak {:.4g}) "
            "in {}, SHOW GLOBAL STATUS does not count cores",
            status->threads_running_mean, status->threads_running_max, status->last_file.string());
    }

    // The backup.
    json backup;
    backup["strategy"] = "mariabackup-stages";
    backup["start_at_s"] = 10;
    std::string backup_why = "start_at_s 10: ten seconds of traffic before the backup";
    if (in.backup_log) {
        const BackupLog b = read_backup_log(*in.backup_log);
        const auto t = [&](const std::string& e) -> std::optional<double> {
            const auto it = b.at.find(e);
            return it == b.at.end() ? std::nullopt : std::optional<double>(it->second);
        };
        const auto span = [&](const std::string& a, const std::string& z) -> std::string {
            return t(a) && t(z) ? fmt::format("{:g} s", *t(z) - *t(a)) : std::string("n/a");
        };
        std::string strategy = "mariabackup-stages";
        if (!t("BACKUP STAGE START") && t("FLUSH TABLES WITH READ LOCK")) {
            strategy = "ftwrl";
        } else if (t("BACKUP STAGE START") && t("BACKUP STAGE BLOCK_COMMIT") &&
                   *t("BACKUP STAGE BLOCK_COMMIT") - *t("BACKUP STAGE START") <= 0 &&
                   !t("BACKUP STAGE FLUSH")) {
            strategy = "mariabackup-legacy";
        }
        backup["strategy"] = strategy;
        // MariaDB before 10.4 has no MDL backup namespace: the classic global read lock.
        if (int major = 0, minor = 0;
            std::sscanf(b.version.c_str(), "%d.%d", &major, &minor) == 2 &&
            (major < 10 || (major == 10 && minor < 4))) {
            server["flavor"] = "mariadb-10.3";
            backup["strategy"] = "ftwrl";
            server_why +=
                fmt::format("; flavor mariadb-10.3: the backup log's server {}", b.version);
        }
        backup_why += fmt::format(
            "; strategy {}: {}; the log's stage times (whole seconds): START->FLUSH {}, "
            "FLUSH->BLOCK_DDL {}, BLOCK_DDL->BLOCK_COMMIT {}, BLOCK_COMMIT->END {}, whole backup "
            "{:g} s, {} files copied ({} .ibd)",
            backup["strategy"].get<std::string>(), in.backup_log->string(),
            span("BACKUP STAGE START", "BACKUP STAGE FLUSH"),
            span("BACKUP STAGE FLUSH", "BACKUP STAGE BLOCK_DDL"),
            span("BACKUP STAGE BLOCK_DDL", "BACKUP STAGE BLOCK_COMMIT"),
            span("BACKUP STAGE BLOCK_COMMIT", "BACKUP STAGE END"), b.end_s - b.begin_s, b.files,
            b.ibd_files);
        if (b.log_copy_interval_ms) {
            backup["log_copy_interval_ms"] = *b.log_copy_interval_ms;
            backup_why += fmt::format("; log_copy_interval_ms {:g}: --log-copy-interval in the log",
                                      *b.log_copy_interval_ms);
        } else {
            backup_why +=
                "; log_copy_interval_ms stays 1000: the log names no --log-copy-interval (the "
                "default), and BLOCK_COMMIT->END ends on its check-in";
        }
        const auto copy_s = strategy == "mariabackup-stages"
                                ? (t("BACKUP STAGE START") && t("BACKUP STAGE FLUSH")
                                       ? *t("BACKUP STAGE FLUSH") - *t("BACKUP STAGE START")
                                       : 0.0)
                                : 0.0;
        if (copy_s >= 2 && data.contains("innodb_gb")) {
            const double mb_s = data["innodb_gb"].get<double>() * 1024 / copy_s;
            if (mb_s > 0) {
                backup["throughput_mb_s"] = sig(mb_s, 4);
                backup_why += fmt::format(
                    "; throughput_mb_s {:.4g}: the TABLES export's InnoDB {:.6g} GB over "
                    "START->FLUSH, {:g} s",
                    mb_s, data["innodb_gb"].get<double>(), copy_s);
            }
        } else {
            backup_why += fmt::format(
                "; throughput_mb_s stays 450: START->FLUSH ({:g} s) is under 2 s, too short "
                "for the log's whole-second times to measure a copy speed",
                copy_s);
        }
        c.derived.push_back(fmt::format(
            "backup: {}; START->FLUSH {}, FLUSH->BLOCK_DDL {}, BLOCK_DDL->BLOCK_COMMIT {}, "
            "BLOCK_COMMIT->END {}, total {:g} s (from {})",
            backup["strategy"].get<std::string>(), span("BACKUP STAGE START", "BACKUP STAGE FLUSH"),
            span("BACKUP STAGE FLUSH", "BACKUP STAGE BLOCK_DDL"),
            span("BACKUP STAGE BLOCK_DDL", "BACKUP STAGE BLOCK_COMMIT"),
            span("BACKUP STAGE BLOCK_COMMIT", "BACKUP STAGE END"), b.end_s - b.begin_s,
            in.backup_log->string()));
    } else {
        backup_why +=
            "; strategy mariabackup-stages: no backup log given, mariadb-backup "
            "10.11.8+'s order of work (lockstage compare also runs ftwrl)";
    }
    backup["why"] = backup_why;
    server["why"] = server_why;

    sc["server"] = server;
    sc["tables"] = tables_json;
    sc["data"] = data;
    sc["backup"] = backup;
    if (!groups.empty()) {  // no load input: no workload (the backup alone)
        sc["workload"] = {{"groups", groups}};
    }
    c.scenario = std::move(sc);
    return c;
}

}  // namespace lockstage::app
