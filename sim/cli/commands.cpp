#include "sim/cli/commands.hpp"

#include <fmt/format.h>
#include <fmt/ostream.h>
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "lockstage_version.hpp"
#include "sim/cli/report.hpp"
#include "sim/cli/result_writer.hpp"
#include "sim/cli/scenario_loader.hpp"

namespace lockstage::cli {

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
    Command c{"check", "check SCENARIO.json", po::options_description("Options"), {}};
    c.options.add_options()("help,h", "this help")(
        "scenario", po::value<std::string>()->value_name("SCENARIO.json"),
        "the scenario file to validate");
    c.positional.add("scenario", 1);
    return c;
}

Command run_command() {
    Command c{"run",
              "run SCENARIO.json [--out DIR] [--seed N] [--quiet]",
              po::options_description("Options"),
              {}};
    c.options.add_options()("help,h", "this help")(
        "scenario", po::value<std::string>()->value_name("SCENARIO.json"), "the scenario to run")(
        "out,o", po::value<std::string>()->value_name("DIR"),
        "result folder (default: results/<scenario name>/); replaced whole if it exists")(
        "seed", po::value<std::uint64_t>()->value_name("N"),
        "seed of every random stream, overriding the scenario's \"seed\"")(
        "quiet,q", po::bool_switch(), "print nothing but errors");
    c.positional.add("scenario", 1);
    return c;
}

std::string required_scenario(const po::variables_map& vm) {
    if (!vm.count("scenario")) {
        throw UsageError("missing the scenario file argument");
    }
    return vm["scenario"].as<std::string>();
}

int do_check(const po::variables_map& vm, std::ostream& out) {
    const Scenario s = load_scenario_file(required_scenario(vm));
    fmt::print(out, "{}: ok (scenario {}, {} model, {} s simulated, seed {})\n", s.file, s.name,
               s.model, sim::to_seconds(s.duration), s.seed);
    return kExitOk;
}

int do_run(const po::variables_map& vm, std::ostream& out, std::ostream& err) {
    Scenario s = load_scenario_file(required_scenario(vm));
    if (vm.count("seed")) {
        s.seed = vm["seed"].as<std::uint64_t>();
        s.queue.seed = s.seed;
        s.effective["seed"] = s.seed;
    }
    const bool quiet = vm["quiet"].as<bool>();
    const std::filesystem::path dest = vm.count("out")
                                           ? std::filesystem::path(vm["out"].as<std::string>())
                                           : std::filesystem::path("results") / s.name;
    if (s.queue.rate_tps * s.queue.service.mean() / 1e9 >= s.queue.connections) {
        fmt::print(err,
                   "lockstage: warning: {}: offered load {:.2f} erlangs >= {} connections: the "
                   "queue grows without bound\n",
                   s.file, s.queue.rate_tps * s.queue.service.mean() / 1e9, s.queue.connections);
    }
    if (std::error_code ec;
        std::filesystem::exists(dest, ec) && !std::filesystem::is_directory(dest, ec)) {
        throw UsageError(fmt::format("--out {}: exists and is not a folder", dest.string()));
    }
    ResultFolder folder(dest);  // fails early if the folder cannot be made

    // Progress on stderr, for runs longer than a couple of seconds on a terminal.
    const auto started = std::chrono::steady_clock::now();
    auto last = started;
    const bool show_progress = !quiet && ::isatty(STDERR_FILENO) == 1;
    bool shown = false;
    auto progress = [&](double fraction) {
        const auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::seconds(1) || now - started < std::chrono::seconds(2)) {
            return;
        }
        last = now;
        shown = true;
        fmt::print(err, "\r{}: {:5.1f} % of simulated time", s.name, 100.0 * fraction);
        err.flush();
    };
    const auto result =
        models::run_queue_model(s.queue, show_progress ? std::function<void(double)>(progress)
                                                       : std::function<void(double)>());
    if (shown) {
        fmt::print(err, "\r{:60}\r", "");
    }
    const double wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

    folder.write("summary.json", queue_summary_json(s, result));
    folder.write("timeline.csv", queue_timeline_csv(result));
    folder.write("latency_histogram.csv", queue_histogram_csv(result));
    folder.write("scenario.json", s.effective.dump(2) + "\n");
    folder.commit();

    if (!quiet) {
        out << queue_summary_text(s, result);
        fmt::print(out, "results written to {}/ ({} events in {:.2f} s of wall time)\n",
                   dest.string(), result.events, wall_s);
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
        if (command != "run" && command != "check") {
            throw UsageError(fmt::format("unknown command '{}' (commands: run, check)", command));
        }
        const Command cmd = command == "run" ? run_command() : check_command();
        const po::variables_map vm = parse(cmd, args);
        if (vm.count("help")) {
            print_command_help(out, cmd);
            return kExitOk;
        }
        return cmd.name == "run" ? do_run(vm, out, err) : do_check(vm, out);
    } catch (const UsageError& e) {
        fmt::print(err, "lockstage: {}\nTry 'lockstage --help'.\n", e.what());
        return kExitBadInput;
    } catch (const ScenarioError& e) {
        fmt::print(err, "lockstage: error: {}\n", e.what());
        return kExitBadInput;
    } catch (const std::exception& e) {
        fmt::print(err, "lockstage: failed: {}\n", e.what());
        return kExitFailure;
    }
}

}  // namespace lockstage::cli
