#include "app/cli/commands.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/program_options.hpp>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "app/experiments/calibrate.hpp"
#include "app/experiments/compare.hpp"
#include "app/experiments/html_report.hpp"
#include "app/experiments/mariadb_run.hpp"
#include "app/experiments/metrics.hpp"
#include "app/experiments/plan.hpp"
#include "app/experiments/report.hpp"
#include "app/experiments/result_writer.hpp"
#include "app/experiments/run_files.hpp"
#include "app/experiments/sweep.hpp"
#include "app/experiments/sweep_state.hpp"
#include "app/experiments/tutorial.hpp"
#include "app/scenario/event_estimate.hpp"
#include "app/scenario/overrides.hpp"
#include "app/scenario/scenario_loader.hpp"
#include "lockstage_version.hpp"
#include "sim/kernel/simulation.hpp"

namespace lockstage::app {

namespace po = boost::program_options;

namespace {

constexpr const char* kUsage =
    "lockstage {} - shows what a MariaDB backup will do to production traffic, by simulation.\n"
    "\n"
    "Usage: lockstage <command> [options]\n"
    "\n"
    "Commands:\n"
    "  run SCENARIO.json     simulate one scenario; print a summary, write results to a folder\n"
    "  check SCENARIO.json   validate a scenario file without running it\n"
    "  compare SCENARIO.json run a scenario once per backup strategy, side by side\n"
    "  report tutorial       the tutorial's tables T1-T5, each row with its verdict\n"
    "  sweep SWEEP.json      run a scenario over a grid of parameters and strategies, in parallel\n"
    "  merge SHARD_DIR...    join the shards of a sweep run with --shard I/N\n"
    "  plan SCENARIO.json    rank backup start times, strategies and tool options by impact\n"
    "  metrics               every metric lockstage reports: name, unit, window, definition\n"
    "  calibrate             write a scenario of your server from its sysbench, SHOW GLOBAL\n"
    "                        STATUS, information_schema.TABLES and mariadb-backup exports\n"
    "\n"
    "Options:\n"
    "  -h [ --help ]         this help; 'lockstage <command> --help' shows a command's options\n"
    "  --version             print the version\n"
    "\n"
    "Exit codes: 0 success, 1 failure while running or writing results, 2 bad input\n"
    "(a scenario that does not load, an unknown option).\n";

/// A bad command line: reported with a pointer to --help, exit code 2.
struct UsageError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct Command {
    std::string name;
    std::string synopsis;
    po::options_description options;
    po::positional_options_description positional;
};

constexpr const char* kMaxEventsHelp =
    "the most kernel events one run may execute (also 2e10): a run that needs more stops with "
    "exit code 1 and writes nothing. Without it, a run estimated above 1e10 events is refused "
    "before it starts, and one that executes more than the larger of 1e10 and 10x its estimate "
    "is stopped; with it, runs estimated up to N are allowed";

constexpr const char* kSetHelp =
    "set the value at a JSON pointer before the scenario is checked (repeatable): VALUE is JSON, "
    "or else a bare word taken as a string; as JSON Patch \"add\" (an array index inserts, \"-\" "
    "appends)";

/// The --set overrides, parsed (a malformed one is a usage error). `strategies_from`, for a
/// command that runs several strategies itself (compare, sweep), says where they are chosen: a
/// --set of /backup/strategy would be overwritten there, so it is refused rather than ignored.
std::vector<Override> set_option(const po::variables_map& vm,
                                 const char* strategies_from = nullptr) {
    if (!vm.count("set")) {
        return {};
    }
    std::vector<Override> overrides;
    try {
        overrides = parse_overrides(vm["set"].as<std::vector<std::string>>());
    } catch (const OverrideSyntaxError& e) {
        throw UsageError(e.what());
    }
    for (const auto& o : overrides) {
        if (strategies_from != nullptr && o.pointer.to_string() == "/backup/strategy") {
            throw UsageError(
                fmt::format("--set {}: this command runs each strategy of {}; "
                            "choose them there",
                            o.text, strategies_from));
        }
    }
    return overrides;
}

/// The most runs `sweep --jobs` starts at once.
constexpr unsigned kMaxJobs = 1024;

/// A whole number written in decimal digits only (no sign, no exponent, no spaces), that fits in
/// 64 bits: "-1" must not wrap to 2^64 - 1 as the stream and lexical_cast readers make it.
std::optional<std::uint64_t> parse_whole(std::string_view text) {
    if (text.empty() || text.size() > 20) {
        return std::nullopt;
    }
    std::uint64_t n = 0;
    for (const char c : text) {
        if (c < '0' || c > '9' || __builtin_mul_overflow(n, 10u, &n) ||
            __builtin_add_overflow(n, static_cast<unsigned>(c - '0'), &n)) {
            return std::nullopt;
        }
    }
    return n;
}

/// A whole-number option, if given: from `lo` to `hi`, else a usage error that says so.
std::optional<std::uint64_t> whole_option(const po::variables_map& vm, const std::string& name,
                                          std::uint64_t lo, std::uint64_t hi) {
    if (!vm.count(name)) {
        return std::nullopt;
    }
    const std::string text = vm[name].as<std::string>();
    const auto n = parse_whole(text);
    if (!n || *n < lo || *n > hi) {
        throw UsageError(fmt::format("--{} {}: expected a whole number from {} to {}", name,
                                     text.empty() ? "\"\"" : text, lo, hi));
    }
    return n;
}

/// --seed, if given: 0 to 2^64 - 1.
std::optional<std::uint64_t> seed_option(const po::variables_map& vm) {
    return whole_option(vm, "seed", 0, std::numeric_limits<std::uint64_t>::max());
}

/// --max-events, if given (a bad value is a usage error).
std::optional<std::uint64_t> max_events_option(const po::variables_map& vm) {
    if (!vm.count("max-events")) {
        return std::nullopt;
    }
    const std::string text = vm["max-events"].as<std::string>();
    const auto n = parse_event_count(text);
    if (!n) {
        throw UsageError(fmt::format(
            "--max-events {}: expected a whole number of events >= 1 (e.g. 20000000000 or 2e10)",
            text));
    }
    return n;
}

constexpr const char* kPercentilesHelp =
    "latency percentiles the printed table shows in place of p99, each above 0 and below 100, "
    "up to 8 (e.g. 50,99,99.9); the written files keep the metric table's columns";

/// --percentiles, if given (a bad value is a usage error); empty if not.
std::vector<double> percentiles_option(const po::variables_map& vm) {
    if (!vm.count("percentiles")) {
        return {};
    }
    const std::string text = vm["percentiles"].as<std::string>();
    const auto p = parse_percentiles(text);
    if (!p) {
        throw UsageError(
            fmt::format("--percentiles {}: expected 1 to {} comma-separated numbers "
                        "above 0 and below 100, none twice (e.g. 50,99,99.9)",
                        text.empty() ? "\"\"" : text, kMaxPercentiles));
    }
    return *p;
}

/// Estimates the run, refuses it if it is too large, sets its budget; with --max-events below
/// the estimate, warns that the run will likely be stopped.
void budget_run(Scenario& s, const po::variables_map& vm, std::ostream& err) {
    const auto flag = max_events_option(vm);
    const EventEstimate e = apply_event_budget(s, s.file, flag);
    if (flag && e.total > static_cast<double>(*flag) && !vm["quiet"].as<bool>()) {
        fmt::print(err,
                   "lockstage: warning: {}: estimated at {} kernel events, above --max-events {}: "
                   "the run will likely be stopped\n",
                   s.file, events_text(e.total), *flag);
    }
}

po::variables_map parse(const Command& cmd, const std::vector<std::string>& args) {
    po::variables_map vm;
    try {
        po::store(po::command_line_parser(args)
                      .options(cmd.options)
                      .positional(cmd.positional)
                      .style(po::command_line_style::default_style &
                             ~po::command_line_style::allow_guessing)
                      .run(),
                  vm);
        po::notify(vm);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    return vm;
}

void print_command_help(std::ostream& out, const Command& cmd) {
    fmt::print(out, "Usage: lockstage {}\n\n", cmd.synopsis);
    out << cmd.options << "\n";
}

Command check_command() {
    Command c{"check",
              "check SCENARIO.json [--set POINTER=VALUE]...",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "scenario", po::value<std::string>()->value_name("SCENARIO.json"),
        "the scenario file to validate")(
        "set", po::value<std::vector<std::string>>()->value_name("POINTER=VALUE"), kSetHelp);
    c.positional.add("scenario", 1);
    return c;
}

Command run_command() {
    Command c{"run",
              "run SCENARIO.json [--set POINTER=VALUE]... [--out DIR] [--seed N] [--max-events N] "
              "[--percentiles P,...] "
              "[--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "scenario", po::value<std::string>()->value_name("SCENARIO.json"), "the scenario to run")(
        "set", po::value<std::vector<std::string>>()->value_name("POINTER=VALUE"), kSetHelp)(
        "out,o", po::value<std::string>()->value_name("DIR"),
        "result folder (default: results/<scenario name>/); replaced whole if lockstage wrote it")(
        "seed", po::value<std::string>()->value_name("N"),
        "seed of every random stream, overriding the scenario's \"seed\" (0 to 2^64 - 1)")(
        "max-events", po::value<std::string>()->value_name("N"), kMaxEventsHelp)(
        "percentiles", po::value<std::string>()->value_name("P,..."), kPercentilesHelp)(
        "quiet,q", po::bool_switch(), "print nothing but errors");
    c.positional.add("scenario", 1);
    return c;
}

Command compare_command() {
    Command c{"compare",
              "compare SCENARIO.json [--strategies A,B,...] [--set POINTER=VALUE]... [--out DIR] "
              "[--seed N] [--max-events N] [--percentiles P,...] [--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "scenario", po::value<std::string>()->value_name("SCENARIO.json"),
        "a mariadb-model scenario with a backup")(
        "set", po::value<std::vector<std::string>>()->value_name("POINTER=VALUE"), kSetHelp)(
        "strategies",
        po::value<std::string>()->value_name("A,B,...")->default_value("ftwrl,mariabackup-stages"),
        "backup strategies to compare: mariabackup-stages, mariabackup-legacy, ftwrl, no-lock, "
        "mysql-lock-instance, percona-backup-locks")(
        "out,o", po::value<std::string>()->value_name("DIR"),
        "result folder (default: results/<scenario name>-compare/); replaced whole if lockstage "
        "wrote it")("seed", po::value<std::string>()->value_name("N"),
                    "seed of every random stream, overriding the scenario's \"seed\" (0 to 2^64 - "
                    "1)")("max-events", po::value<std::string>()->value_name("N"),
                          "as for run: the most kernel events each strategy's run may execute")(
        "percentiles", po::value<std::string>()->value_name("P,..."),
        "as for run, in place of backup_p99_ms")("quiet,q", po::bool_switch(),
                                                 "print nothing but errors");
    c.positional.add("scenario", 1);
    return c;
}

Command sweep_command() {
    Command c{"sweep",
              "sweep SWEEP.json [--set POINTER=VALUE]... [--jobs N] [--shard I/N] [--out DIR] "
              "[--max-events N] [--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "sweep", po::value<std::string>()->value_name("SWEEP.json"), "the sweep file")(
        "set", po::value<std::vector<std::string>>()->value_name("POINTER=VALUE"),
        "as for run, on the base scenario before each point's axis values")(
        "jobs,j", po::value<std::string>()->value_name("N"),
        "runs in parallel, 1 to 1024 (default: the number of cores); the results do not depend "
        "on it")("shard", po::value<std::string>()->value_name("I/N"),
                 "run only shard I of N (every N-th run); join the shards with 'lockstage merge'")(
        "out,o", po::value<std::string>()->value_name("DIR"),
        "result folder (default: results/<sweep name>-sweep/); replaced whole if lockstage wrote "
        "it")("max-events", po::value<std::string>()->value_name("N"),
              "as for run, per run: every point is estimated before anything runs")(
        "quiet,q", po::bool_switch(), "print nothing but errors and failed expectations");
    c.positional.add("sweep", 1);
    return c;
}

Command plan_command() {
    Command c{"plan",
              "plan SCENARIO.json [--group NAME] [--objective p99|write-blocked] [--start-times "
              "auto|HH:MM,...] [--strategies A,B,...] [--replications N] [--confidence 0.95] "
              "[--top K] [--set POINTER=VALUE]... [--jobs N] [--out DIR] [--seed N] [--max-events "
              "N] [--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "scenario", po::value<std::string>()->value_name("SCENARIO.json"),
        "a mariadb-model scenario with a backup and client groups")(
        "group", po::value<std::string>()->value_name("NAME"),
        "the client group to spare (default: the first)")(
        "objective",
        po::value<std::string>()->value_name("p99|write-blocked")->default_value("write-blocked"),
        "what to minimise for the group: write_blocked_s or backup_p99_ms")(
        "start-times",
        po::value<std::string>()->value_name("auto|HH:MM,...")->default_value("auto"),
        "times of day to start the backup; auto: the 3 quietest hours of the daily profile "
        "(rate_tps_by_hour) and the scenario's own start (only that without a profile)")(
        "strategies",
        po::value<std::string>()->value_name("A,B,...")->default_value("ftwrl,mariabackup-stages"),
        "backup strategies to try, as for compare")(
        "replications", po::value<std::string>()->value_name("N")->default_value("5"),
        "runs per candidate, seeds seed, seed + 1, ... (2 to 1000: an interval needs 2)")(
        "confidence", po::value<std::string>()->value_name("C")->default_value("0.95"),
        "the confidence intervals' level, between 0 and 1")(
        "top", po::value<std::string>()->value_name("K")->default_value("10"),
        "candidates printed (the files have all)")(
        "set", po::value<std::vector<std::string>>()->value_name("POINTER=VALUE"), kSetHelp)(
        "jobs,j", po::value<std::string>()->value_name("N"),
        "runs in parallel, 1 to 1024 (default: the number of cores); the results do not depend "
        "on it")("out,o", po::value<std::string>()->value_name("DIR"),
                 "result folder (default: results/<scenario name>-plan/); replaced whole if "
                 "lockstage wrote it")(
        "seed", po::value<std::string>()->value_name("N"),
        "seed of the first replication, overriding the scenario's \"seed\" (0 to 2^64 - 1)")(
        "max-events", po::value<std::string>()->value_name("N"),
        "as for run, per run: every candidate is estimated before anything runs")(
        "quiet,q", po::bool_switch(), "print nothing but errors");
    c.positional.add("scenario", 1);
    return c;
}

Command merge_command() {
    Command c{"merge",
              "merge SHARD_DIR... [--out DIR] [--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "dirs", po::value<std::vector<std::string>>()->value_name("SHARD_DIR"),
        "folders written by 'lockstage sweep --shard I/N'")(
        "out,o", po::value<std::string>()->value_name("DIR"),
        "result folder (default: results/<sweep name>-sweep/), the same files an unsharded sweep "
        "writes")("quiet,q", po::bool_switch(), "print nothing but errors and failed expectations");
    c.positional.add("dirs", -1);
    return c;
}

Command metrics_command() {
    Command c{"metrics", "metrics", po::options_description("Options"), {}};
    c.options.add_options()("help,h", "this help");
    return c;
}

Command report_command() {
    Command c{"report",
              "report tutorial [--scenarios DIR] [--out DIR] [--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "which", po::value<std::string>()->value_name("tutorial"), "the report: tutorial")(
        "scenarios", po::value<std::string>()->value_name("DIR")->default_value("scenarios"),
        "the scenarios folder (with tutorial/t1.json, tutorial/t2.json ...)")(
        "out,o", po::value<std::string>()->value_name("DIR"),
        "result folder (default: results/tutorial-report/); replaced whole if lockstage wrote it")(
        "quiet,q", po::bool_switch(), "print nothing but errors");
    c.positional.add("which", 1);
    return c;
}

Command calibrate_command() {
    Command c{"calibrate",
              "calibrate [--sysbench FILE[:TABLE]]... [--status FILE]... [--tables FILE] "
              "[--backup-log FILE] [--name NAME] [--out FILE.json [--force]]",
              po::options_description("Options (at least one input)"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "sysbench", po::value<std::vector<std::string>>()->value_name("FILE[:TABLE]"),
        "sysbench output with --report-interval=1 (and --histogram): one client group each, "
        "writing TABLE")("status", po::value<std::vector<std::string>>()->value_name("FILE"),
                         "SHOW GLOBAL STATUS snapshots (mariadb -B), two or more")(
        "tables", po::value<std::string>()->value_name("FILE"),
        "information_schema.TABLES export: TSV with the header TABLE_SCHEMA, TABLE_NAME, ENGINE, "
        "BYTES, or a JSON array of such objects")("backup-log",
                                                  po::value<std::string>()->value_name("FILE"),
                                                  "mariadb-backup's log (stderr)")(
        "name", po::value<std::string>()->value_name("NAME")->default_value("calibrated"),
        "the scenario's name")("out,o", po::value<std::string>()->value_name("FILE.json"),
                               "write the scenario there (default: print it)")(
        "force", po::bool_switch(), "replace FILE.json if it exists");
    return c;
}

/// Where a command writes: --out, or results/<default_name>; a file in the way is bad input.
std::filesystem::path result_folder_path(const po::variables_map& vm,
                                         const std::string& default_name) {
    if (vm.count("out") && vm["out"].as<std::string>().empty()) {
        throw UsageError("--out \"\": expected a folder");
    }
    const std::filesystem::path dest = vm.count("out")
                                           ? std::filesystem::path(vm["out"].as<std::string>())
                                           : std::filesystem::path("results") / default_name;
    if (std::error_code ec;
        std::filesystem::exists(dest, ec) && !std::filesystem::is_directory(dest, ec)) {
        throw UsageError(fmt::format("--out {}: exists and is not a folder", dest.string()));
    }
    return dest;
}

std::string required_scenario(const po::variables_map& vm) {
    if (!vm.count("scenario")) {
        throw UsageError("missing the scenario file argument");
    }
    return vm["scenario"].as<std::string>();
}

int do_check(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    const auto overrides = set_option(vm);
    const Scenario s = load_scenario_file(required_scenario(vm), overrides);
    if (s.model == "mariadb" && s.backup && !s.drain_after_backup) {
        // The copy alone, at the configured throughput, without any lock wait.
        const sim::Time copy = models::backup::copy_estimate(*s.backup, s.data);
        const sim::Time end = sim::add_saturating(s.backup->start_at, copy);
        if (end > s.duration) {
            fmt::print(err,
                       "lockstage: warning: {}: the backup cannot finish within duration_s ({:g} "
                       "s): its copy alone takes {:.4g} s at throughput_mb_s {:g} (data sizes and "
                       "per_table_ms), ending at {:.4g} s at the earliest; leave duration_s out "
                       "to run until the backup ends\n",
                       s.file, sim::to_seconds(s.duration), sim::to_seconds(copy),
                       s.backup->throughput_mb_s, sim::to_seconds(end));
        }
    }
    const EventEstimate e = estimate_events(s);
    check_event_estimate(e, s.file, std::nullopt);  // refused as `run` without --max-events is
    const std::string estimate = fmt::format("; about {} kernel events", events_text(e.total));
    if (s.model == "queue") {
        fmt::print(out, "{}: ok (scenario {}, queue model, {} s simulated, seed {}){}\n", s.file,
                   s.name, sim::to_seconds(s.duration), s.seed, estimate);
    } else {
        std::size_t statements = 0;
        for (const auto& session : s.sessions) {
            statements += session.statements.size();
        }
        fmt::print(out,
                   "{}: ok (scenario {}, {} server, {} sessions, {} statements, {} s simulated, "
                   "seed {}){}\n",
                   s.file, s.name, models::server::traits(s.server.flavor).name, s.sessions.size(),
                   statements,
                   s.drain_after_backup ? fmt::format("until the backup ends + {:g} s, about {:g}",
                                                      sim::to_seconds(*s.drain_after_backup),
                                                      sim::to_seconds(s.duration))
                                        : fmt::format("{}", sim::to_seconds(s.duration)),
                   s.seed, estimate);
    }
    return kExitOk;
}

/// Progress on stderr, for runs longer than a couple of seconds on a terminal.
class Progress {
  public:
    Progress(std::string name, bool enabled, std::ostream& err)
        : name_(std::move(name)), enabled_(enabled), err_(err) {}
    ~Progress() {
        if (shown_) {
            fmt::print(err_, "\r{:60}\r", "");
        }
    }
    std::function<void(double)> callback() {
        if (!enabled_) {
            return {};
        }
        return [this](double fraction) {
            const auto now = std::chrono::steady_clock::now();
            if (now - last_ < std::chrono::seconds(1) || now - started_ < std::chrono::seconds(2)) {
                return;
            }
            last_ = now;
            shown_ = true;
            fmt::print(err_, "\r{}: {:5.1f} % of simulated time", name_, 100.0 * fraction);
            err_.flush();
        };
    }
    double elapsed_s() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    }

  private:
    std::string name_;
    bool enabled_;
    std::ostream& err_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_ = started_;
    bool shown_ = false;
};

/// The queue model: summary, timeline and latency histograms.
void run_queue(const Scenario& s, ResultFolder& folder, Progress& progress, bool quiet,
               std::ostream& out, std::ostream& err) {
    if (s.queue.capacity == 0 &&
        s.queue.rate_tps * s.queue.service.mean() / 1e9 >= s.queue.connections) {
        fmt::print(err,
                   "lockstage: warning: {}: offered load {:.2f} erlangs >= {} connections: the "
                   "queue grows without bound\n",
                   s.file, s.queue.rate_tps * s.queue.service.mean() / 1e9, s.queue.connections);
    }
    const auto result = models::queue::run_queue_model(s.queue, progress.callback());
    folder.write("summary.json", queue_summary_json(s, result));
    folder.write("timeline.csv", queue_timeline_csv(result));
    folder.write("latency_histogram.csv", queue_histogram_csv(result));
    folder.write("report.html", queue_html(s, result));
    folder.write("scenario.json", s.effective.dump(2) + "\n");
    folder.commit();
    if (!quiet) {
        out << queue_summary_text(s, result);
        fmt::print(out, "results written to {}/ ({} events in {:.2f} s of wall time)\n",
                   folder.destination().string(), result.events, progress.elapsed_s());
    }
}

/// The mariadb model with scripted sessions: the trace of every statement.
void run_mariadb(const Scenario& given, ResultFolder& folder, Progress& progress, bool quiet,
                 const std::vector<double>& percentiles, std::ostream& out) {
    const Scenario s = with_run_length(given);  // duration_s left out: until the backup's end
    const MariadbRun run = simulate_mariadb(s, progress.callback());
    write_mariadb_run(folder, "", s, run);
    folder.commit();
    if (!quiet) {
        out << mariadb_summary_text(s, run, percentiles);
        fmt::print(out, "results written to {}/ ({} events in {:.2f} s of wall time)\n",
                   folder.destination().string(), run.events, progress.elapsed_s());
    }
}

/// --strategies A,B,...: known strategy names, each once.
std::vector<std::string> strategies_option(const po::variables_map& vm) {
    std::vector<std::string> strategies;
    const std::string list = vm["strategies"].as<std::string>();
    for (std::size_t from = 0; from <= list.size();) {
        const std::size_t comma = std::min(list.find(',', from), list.size());
        const std::string name = list.substr(from, comma - from);
        if (!models::backup::strategy_from_name(name)) {
            throw UsageError(fmt::format(
                "--strategies: unknown strategy '{}' (known: mariabackup-stages, "
                "mariabackup-legacy, ftwrl, no-lock, mysql-lock-instance, percona-backup-locks)",
                name));
        }
        if (std::find(strategies.begin(), strategies.end(), name) != strategies.end()) {
            throw UsageError(fmt::format("--strategies: '{}' given twice", name));
        }
        strategies.push_back(name);
        from = comma + 1;
    }
    return strategies;
}

int do_run(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    const auto seed = seed_option(vm);
    const auto overrides = set_option(vm);
    const std::string file = required_scenario(vm);
    Scenario s = load_scenario_file(file, overrides);
    if (seed) {
        s.seed = *seed;
        s.queue.seed = s.seed;
        s.server.seed = s.seed;
        s.effective["seed"] = s.seed;
    }
    const bool quiet = vm["quiet"].as<bool>();
    const std::vector<double> percentiles = percentiles_option(vm);
    if (!percentiles.empty() && s.model == "queue") {
        throw UsageError("--percentiles: the queue model's table shows p50, p99 and p99.9 always");
    }
    budget_run(s, vm, err);
    const std::filesystem::path dest = result_folder_path(vm, s.name);
    ResultFolder folder(dest, {file});  // fails early if the folder cannot be made
    Progress progress(s.name, !quiet && ::isatty(STDERR_FILENO) == 1, err);
    try {
        if (s.model == "queue") {
            run_queue(s, folder, progress, quiet, out, err);
        } else {
            run_mariadb(s, folder, progress, quiet, percentiles, out);
        }
    } catch (const sim::EventLimitExceeded& e) {
        throw std::runtime_error(budget_spent_message(e, s.file, s, vm.count("max-events") > 0));
    }
    return kExitOk;
}

int do_compare(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    const auto seed = seed_option(vm);
    const auto overrides = set_option(vm, "--strategies (default ftwrl,mariabackup-stages)");
    const std::string file = required_scenario(vm);
    Scenario s = load_scenario_file(file, overrides);
    if (seed) {
        s.seed = *seed;
        s.server.seed = s.seed;
        s.effective["seed"] = s.seed;
    }
    if (s.model != "mariadb" || !s.backup) {
        throw ScenarioError(s.file, "/backup",
                            "compare varies the backup strategy: the scenario needs a \"backup\"");
    }
    const std::vector<std::string> strategies = strategies_option(vm);
    const std::vector<double> percentiles = percentiles_option(vm);
    budget_run(s, vm, err);
    ResultFolder folder(result_folder_path(vm, s.name + "-compare"), {file});
    const std::filesystem::path& dest = folder.destination();
    const auto started = std::chrono::steady_clock::now();
    std::vector<CompareRow> rows;
    try {
        // Each strategy's run is also a run result folder of its own, runs/<strategy>/.
        rows = compare_strategies(s, strategies, [&](const Scenario& run_s, const MariadbRun& run) {
            write_mariadb_run(
                folder,
                fmt::format("runs/{}/", models::backup::strategy_name(run_s.backup->strategy)),
                run_s, run);
        });
    } catch (const sim::EventLimitExceeded& e) {
        throw std::runtime_error(budget_spent_message(e, s.file, s, vm.count("max-events") > 0));
    }
    folder.write("compare.json", compare_json(s, rows));
    folder.write("compare.csv", compare_csv(rows));
    std::vector<CompareColumn> columns;
    for (const auto& r : rows) {
        columns.push_back({&r.charts, &r.values});
    }
    folder.write("report.html", compare_html(s, columns));
    folder.write("scenario.json", s.effective.dump(2) + "\n");
    folder.commit();
    if (!vm["quiet"].as<bool>()) {
        out << compare_text(s, rows, percentiles);
        fmt::print(
            out, "results written to {}/ ({:.2f} s of wall time)\n", dest.string(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    return kExitOk;
}

int write_sweep(const SweepSpec& spec, const SweepOutcome& result, ResultFolder& folder, bool quiet,
                unsigned jobs, std::chrono::steady_clock::time_point started, std::ostream& out,
                std::ostream& err);

int do_merge(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    if (!vm.count("dirs")) {
        throw UsageError("missing the shard folders");
    }
    const auto dirs = vm["dirs"].as<std::vector<std::string>>();
    std::optional<SweepSpec> spec;
    std::optional<SweepState> first;
    SweepValues values;
    std::vector<std::filesystem::path> inputs(dirs.begin(), dirs.end());
    for (const auto& d : dirs) {
        const auto file = (std::filesystem::path(d) / "shard.json").string();
        const SweepState shard = read_sweep_state(file, SweepStateKind::Shard);
        if (!spec) {
            if (std::error_code ec; !std::filesystem::is_regular_file(shard.sweep_file, ec)) {
                throw ScenarioError(file, "/sweep_file",
                                    fmt::format("expected the sweep file these runs are of, but {} "
                                                "is not a file (moved or removed since the shard "
                                                "ran?)",
                                                shard.sweep_file));
            }
            spec = load_sweep(shard.sweep_file, recorded_overrides(shard.sweep, file, "/sweep"));
            inputs.emplace_back(spec->file);
            inputs.emplace_back(spec->base_file);
            first = shard;
        }
        if (shard.sweep != first->sweep || shard.shards != first->shards) {
            throw ScenarioError(
                file, "/sweep",
                fmt::format("a shard of another sweep (or another split) than {}", first->file));
        }
        check_sweep_state(shard, *spec, values);
    }
    std::size_t missing = 0;
    for (const auto& v : values) {
        missing += v.empty() ? 1 : 0;
    }
    if (missing > 0) {
        throw UsageError(fmt::format("merge: {} of {} runs are in none of the shard folders given",
                                     missing, values.size()));
    }
    ResultFolder folder(result_folder_path(vm, spec->name + "-sweep"), inputs);
    return write_sweep(*spec, summarize_sweep(*spec, values), folder, vm["quiet"].as<bool>(),
                       static_cast<unsigned>(dirs.size()), std::chrono::steady_clock::now(), out,
                       err);
}

/// --shard I/N, if given: whole numbers with 1 <= I <= N.
std::optional<std::pair<std::uint64_t, std::uint64_t>> shard_option(const po::variables_map& vm) {
    if (!vm.count("shard")) {
        return std::nullopt;
    }
    const std::string text = vm["shard"].as<std::string>();
    const std::size_t slash = text.find('/');
    const auto i = parse_whole(std::string_view(text).substr(0, slash));
    const auto n = slash == std::string::npos
                       ? std::nullopt
                       : parse_whole(std::string_view(text).substr(slash + 1));
    if (!i || !n || *i < 1 || *i > *n || *n > kMaxSweepRuns) {
        throw UsageError(
            fmt::format("--shard {}: expected I/N with 1 <= I <= N <= {}, whole numbers",
                        text.empty() ? "\"\"" : text, kMaxSweepRuns));
    }
    return std::pair{*i, *n};
}

/// SIGINT and SIGTERM heard during a sweep: 1 per SIGINT, 2 for a SIGTERM (stop at once).
std::atomic<int> g_signals{0};
static_assert(std::atomic<int>::is_always_lock_free);
extern "C" void on_interrupt(int sig) {
    g_signals.fetch_add(sig == SIGTERM ? 2 : 1);
}

/// How many runs of the sweep have their values (the others did not finish).
std::size_t finished_runs(const SweepValues& values) {
    return static_cast<std::size_t>(
        std::count_if(values.begin(), values.end(), [](const auto& v) { return !v.empty(); }));
}

/// The finished runs of an interrupted sweep, kept in `resume` for the same command to go on
/// from; exit code 130.
int keep_interrupted(const SweepSpec& spec, const SweepValues& values,
                     const std::filesystem::path& resume, std::ostream& err) {
    const std::size_t kept = finished_runs(values);
    write_file_atomically(
        resume, sweep_state_json(spec, SweepStateKind::Resume, 1, 1, values).dump(1) + "\n");
    fmt::print(err,
               "lockstage: sweep interrupted: {} of {} runs kept in {}; run the same command again "
               "to finish\n",
               kept, values.size(), resume.string());
    err.flush();
    return 130;
}

/// Progress of a sweep or plan on stderr: a counter on a terminal, a line per 10 % otherwise.
std::function<void(std::size_t, std::size_t)> runs_progress(std::string label, bool quiet, bool tty,
                                                            std::ostream& err) {
    auto shown = std::make_shared<std::size_t>(0);
    return [=, &err](std::size_t done, std::size_t total) {
        if (quiet) {
            return;
        }
        if (tty) {
            fmt::print(err, "\r{}: {}/{} runs", label, done, total);
            if (done == total) {
                fmt::print(err, "\n");
            }
        } else if (done * 10 / total > *shown * 10 / total || done == total) {
            if (done != *shown) {
                fmt::print(err, "{}: {}/{} runs\n", label, done, total);
            }
        }
        *shown = done;
        err.flush();
    };
}

int do_sweep(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    if (!vm.count("sweep")) {
        throw UsageError("missing the sweep file argument");
    }
    const auto jobs = static_cast<unsigned>(
        whole_option(vm, "jobs", 1, kMaxJobs)
            .value_or(std::clamp(std::thread::hardware_concurrency(), 1u, kMaxJobs)));
    const auto shard = shard_option(vm);
    const auto max_events = max_events_option(vm);
    SweepSpec spec =
        load_sweep(vm["sweep"].as<std::string>(), set_option(vm, "the sweep file's /strategies"));
    spec.max_events = max_events;
    check_event_estimate(spec.largest_estimate, spec.largest_estimate_at, spec.max_events);
    ResultFolder folder(result_folder_path(vm, spec.name + "-sweep"), {spec.file, spec.base_file});
    const std::filesystem::path& dest = folder.destination();
    const bool quiet = vm["quiet"].as<bool>();
    const bool tty = ::isatty(STDERR_FILENO) == 1;
    const auto progress = runs_progress("sweep " + spec.name, quiet, tty, err);
    const auto started = std::chrono::steady_clock::now();
    if (shard) {
        const auto [i, n] = *shard;
        const SweepValues values = run_sweep_values(spec, jobs, progress, i - 1, n);
        const auto shard = sweep_state_json(spec, SweepStateKind::Shard, i, n, values);
        folder.write("shard.json", shard.dump(1) + "\n");
        folder.commit();
        if (!quiet) {
            fmt::print(out,
                       "sweep {}: shard {}/{} written to {}/; join shards with lockstage merge\n",
                       spec.name, i, n, dest.string());
        }
        return kExitOk;
    }
    // An interrupted sweep (SIGINT, SIGTERM) keeps its finished runs beside the result folder;
    // the same command then runs only the missing ones.
    const std::filesystem::path resume =
        dest.parent_path() / fmt::format(".{}.sweep-resume.json", dest.filename().string());
    SweepValues before;
    if (std::error_code ec; std::filesystem::exists(resume, ec)) {
        check_sweep_state(read_sweep_state(resume, SweepStateKind::Resume), spec, before);
        if (!quiet) {
            fmt::print(err, "sweep {}: resuming, {} runs kept from an interrupted run\n", spec.name,
                       finished_runs(before));
        }
    }
    // The first Ctrl-C starts no new run and waits for the running ones; the second (or a
    // SIGTERM) keeps the finished runs and ends the process at once.
    SweepStop stop;
    stop.signals = &g_signals;
    stop.waiting = [&](std::size_t running) {
        fmt::print(err,
                   "{}lockstage: interrupted: starting no new run; waiting for the {} running "
                   "run{} to finish (press Ctrl-C again to stop now, keeping the finished runs)\n",
                   tty ? "\n" : "", running, running == 1 ? "" : "s");
        err.flush();
    };
    stop.abandon = [&](const SweepValues& finished) {
        int code = 130;
        try {
            keep_interrupted(spec, finished, resume, err);
        } catch (const std::exception& e) {
            fmt::print(err, "lockstage: failed: {}\n", e.what());
            code = kExitFailure;
        }
        folder.discard();
        out.flush();
        err.flush();
        std::_Exit(code);  // the running runs are abandoned
    };
    g_signals = 0;
    const auto old_int = std::signal(SIGINT, on_interrupt);
    const auto old_term = std::signal(SIGTERM, on_interrupt);
    SweepValues values = run_sweep_values(spec, jobs, progress, 0, 1, std::move(before), &stop);
    std::signal(SIGINT, old_int);
    std::signal(SIGTERM, old_term);
    std::size_t missing = 0;
    for (const auto& v : values) {
        missing += v.empty() ? 1 : 0;
    }
    if (missing > 0) {  // interrupted
        return keep_interrupted(spec, values, resume, err);
    }
    const SweepOutcome result = summarize_sweep(spec, values);
    std::error_code ec;
    std::filesystem::remove(resume, ec);
    return write_sweep(spec, result, folder, quiet, jobs, started, out, err);
}

int write_sweep(const SweepSpec& spec, const SweepOutcome& result, ResultFolder& folder, bool quiet,
                unsigned jobs, std::chrono::steady_clock::time_point started, std::ostream& out,
                std::ostream& err) {
    const std::filesystem::path dest = folder.destination();
    folder.write("runs.csv", result.runs_csv);
    folder.write("points.csv", result.points_csv);
    folder.write("fits.csv", result.fits_csv);
    folder.write("sweep.json", spec.effective.dump(2) + "\n");
    folder.commit();
    if (!quiet) {
        fmt::print(
            out, "sweep {}: {} runs on {} jobs in {:.2f} s; results written to {}/\n", spec.name,
            result.runs, jobs,
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
            dest.string());
    }
    if (!quiet) {
        for (const auto& line : result.fit_lines) {
            fmt::print(out, "  fit: {}\n", line);
        }
    }
    for (const auto& v : result.violations) {
        fmt::print(err, "lockstage: expectation failed at {}\n", v);
    }
    if (!result.violations.empty()) {
        return kExitFailure;
    }
    if (!quiet && !spec.expect.empty()) {
        fmt::print(out, "all {} expectations hold at every point\n", spec.expect.size());
    }
    return kExitOk;
}

int do_calibrate(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    const auto list = [&](const char* key) {
        return vm.count(key) ? vm[key].as<std::vector<std::string>>() : std::vector<std::string>{};
    };
    CalibrateInputs in;
    for (const auto& a : list("sysbench")) {
        in.sysbench.push_back(parse_sysbench_argument(a));
    }
    for (const auto& a : list("status")) {
        in.status.emplace_back(a);
    }
    if (vm.count("tables")) {
        in.tables = vm["tables"].as<std::string>();
    }
    if (vm.count("backup-log")) {
        in.backup_log = vm["backup-log"].as<std::string>();
    }
    in.name = vm["name"].as<std::string>();
    if (in.sysbench.empty() && in.status.empty() && !in.tables && !in.backup_log) {
        throw UsageError(
            "calibrate: expected at least one of --sysbench, --status, --tables, --backup-log");
    }
    if (in.name.empty() || in.name.size() > 100 ||
        !std::all_of(in.name.begin(), in.name.end(),
                     [](char ch) {
                         return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' ||
                                ch == '_' || ch == '-';
                     }) ||
        !std::isalnum(static_cast<unsigned char>(in.name[0]))) {
        throw UsageError(
            fmt::format("--name {}: expected 1 to 100 letters, digits, '.', '_' or "
                        "'-', starting with a letter or digit",
                        in.name.empty() ? "\"\"" : in.name));
    }
    const std::string dest = vm.count("out") ? vm["out"].as<std::string>() : "";
    if (vm.count("out") && (dest.empty() || std::filesystem::is_directory(dest))) {
        throw UsageError(
            fmt::format("--out {}: expected a file name", dest.empty() ? "\"\"" : dest));
    }
    if (const auto parent = std::filesystem::path(dest).parent_path();
        !dest.empty() && !parent.empty() && !std::filesystem::is_directory(parent)) {
        throw UsageError(
            fmt::format("--out {}: expected a file in an existing folder; {} is not one", dest,
                        parent.string()));
    }
    if (!dest.empty() && std::filesystem::exists(dest) && !vm["force"].as<bool>()) {
        throw UsageError(fmt::format("--out {}: exists; give --force to replace it", dest));
    }
    Calibration c;
    try {
        c = calibrate(in);
    } catch (const CalibrateInputError& e) {
        fmt::print(err, "lockstage: error: {}\n", e.what());
        return kExitBadInput;
    }
    const std::string text = c.scenario.dump(2) + "\n";
    try {
        load_scenario_text(text, dest.empty() ? in.name + ".json" : dest);
    } catch (const ScenarioError& e) {
        throw std::runtime_error(
            fmt::format("the calibrated scenario does not load (a bug): {}", e.what()));
    }
    if (dest.empty()) {
        out << text;
        return kExitOk;
    }
    write_file_atomically(dest, text);
    for (const auto& line : c.derived) {
        fmt::print(out, "{}\n", line);
    }
    fmt::print(out, "scenario {} written to {} (each value's source in its \"why\")\n", in.name,
               dest);
    return kExitOk;
}

int do_plan(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    PlanOptions o;
    const std::string file = required_scenario(vm);
    o.group = vm.count("group") ? vm["group"].as<std::string>() : "";
    o.objective = vm["objective"].as<std::string>();
    o.start_times = vm["start-times"].as<std::string>();
    o.strategies = strategies_option(vm);
    o.replications = static_cast<int>(*whole_option(vm, "replications", 2, 1000));
    o.confidence = vm["confidence"].as<std::string>();
    o.seed = seed_option(vm);
    o.max_events = max_events_option(vm);
    o.overrides = set_option(vm, "--strategies (default ftwrl,mariabackup-stages)");
    const auto top = *whole_option(vm, "top", 1, 1'000'000);
    const auto jobs = static_cast<unsigned>(
        whole_option(vm, "jobs", 1, kMaxJobs)
            .value_or(std::clamp(std::thread::hardware_concurrency(), 1u, kMaxJobs)));
    Plan plan;
    try {
        plan = make_plan(file, o);
    } catch (const PlanOptionError& e) {
        throw UsageError(e.what());
    }
    check_event_estimate(plan.largest_estimate, plan.largest_estimate_at, o.max_events);
    ResultFolder folder(result_folder_path(vm, plan.name + "-plan"), {plan.file});
    const bool quiet = vm["quiet"].as<bool>();
    const auto started = std::chrono::steady_clock::now();
    const auto values = run_plan(
        plan, jobs, runs_progress("plan " + plan.name, quiet, ::isatty(STDERR_FILENO) == 1, err));
    const auto rows = rank_plan(plan, values);
    folder.write("plan.json", plan_json(plan, rows));
    folder.write("plan.csv", plan_csv(plan, rows));
    folder.commit();
    if (!quiet) {
        out << plan_text(plan, rows, top);
        fmt::print(
            out, "results written to {}/ ({:.2f} s of wall time on {} jobs)\n",
            folder.destination().string(),
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count(),
            jobs);
    }
    return kExitOk;
}

int do_report(const po::variables_map& vm, std::ostream& out) {
    if (!vm.count("which") || vm["which"].as<std::string>() != "tutorial") {
        throw UsageError("report: expected 'tutorial' (the only report so far)");
    }
    ResultFolder folder(result_folder_path(vm, "tutorial-report"),
                        {vm["scenarios"].as<std::string>()});
    const std::filesystem::path& dest = folder.destination();
    const auto rows = tutorial_report(vm["scenarios"].as<std::string>());
    folder.write("tutorial.md", tutorial_markdown(rows));
    folder.write("tutorial.json", tutorial_json(rows));
    folder.commit();
    if (!vm["quiet"].as<bool>()) {
        out << "The tutorial's tables under real MariaDB semantics (verdict: reproduced within "
               "25 %, or differs, with the reason below the row)\n";
        out << tutorial_text(rows);
        fmt::print(out, "results written to {}/\n", dest.string());
    }
    return kExitOk;
}

}  // namespace

int run_cli(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    try {
        if (args.empty()) {
            fmt::print(err, kUsage, LOCKSTAGE_VERSION);
            return kExitBadInput;
        }
        const std::string command = args.front();
        args.erase(args.begin());
        if (command == "-h" || command == "--help" || command == "help") {
            fmt::print(out, kUsage, LOCKSTAGE_VERSION);
            return kExitOk;
        }
        if (command == "--version") {
            fmt::print(out, "lockstage {}\n", LOCKSTAGE_VERSION);
            return kExitOk;
        }
        if (command != "run" && command != "check" && command != "compare" && command != "report" &&
            command != "sweep" && command != "merge" && command != "metrics" &&
            command != "calibrate" && command != "plan") {
            throw UsageError(
                fmt::format("unknown command '{}' (commands: run, check, compare, sweep, merge, "
                            "plan, report, metrics, calibrate)",
                            command));
        }
        const Command cmd = command == "run"         ? run_command()
                            : command == "compare"   ? compare_command()
                            : command == "report"    ? report_command()
                            : command == "sweep"     ? sweep_command()
                            : command == "merge"     ? merge_command()
                            : command == "metrics"   ? metrics_command()
                            : command == "calibrate" ? calibrate_command()
                            : command == "plan"      ? plan_command()
                                                     : check_command();
        const po::variables_map vm = parse(cmd, args);
        if (vm.count("help")) {
            print_command_help(out, cmd);
            return kExitOk;
        }
        if (cmd.name == "compare") {
            return do_compare(vm, out, err);
        }
        if (cmd.name == "report") {
            return do_report(vm, out);
        }
        if (cmd.name == "sweep") {
            return do_sweep(vm, out, err);
        }
        if (cmd.name == "metrics") {
            out << metric_table_markdown();
            return kExitOk;
        }
        if (cmd.name == "merge") {
            return do_merge(vm, out, err);
        }
        if (cmd.name == "calibrate") {
            return do_calibrate(vm, out, err);
        }
        if (cmd.name == "plan") {
            return do_plan(vm, out, err);
        }
        return cmd.name == "run" ? do_run(vm, out, err) : do_check(vm, out, err);
    } catch (const UsageError& e) {
        fmt::print(err, "lockstage: {}\nTry 'lockstage --help'.\n", e.what());
        return kExitBadInput;
    } catch (const ScenarioError& e) {
        fmt::print(err, "lockstage: error: {}\n", e.what());
        return kExitBadInput;
    } catch (const DestinationError& e) {
        fmt::print(err, "lockstage: error: {}\n", e.what());
        return kExitBadInput;
    } catch (const std::exception& e) {
        fmt::print(err, "lockstage: failed: {}\n", e.what());
        return kExitFailure;
    }
}

}  // namespace lockstage::app
