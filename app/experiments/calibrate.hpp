#pragma once
// `lockstage calibrate`: a scenario of a DBA's own server from what they already have: sysbench
// per-second reports (or its --histogram latency block), SHOW GLOBAL STATUS snapshots, an
// information_schema.TABLES export and a mariadb-backup log. Every value written carries a `why`
// naming the file and the figure it came from. Only app/ opens files.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lockstage::app {

/// A malformed input file: the message is "FILE:LINE: expected ..., got ..." (exit code 2).
struct CalibrateInputError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// One sysbench report: the file and, if given as FILE:TABLE, the table its load writes.
struct SysbenchInput {
    std::filesystem::path file;
    std::string table;  // empty: the largest InnoDB table of the TABLES export
};

struct CalibrateInputs {
    std::vector<SysbenchInput> sysbench;
    std::vector<std::filesystem::path> status;  // snapshots, in order, over one or more files
    std::optional<std::filesystem::path> tables;
    std::optional<std::filesystem::path> backup_log;
    std::string name = "calibrated";
};

/// "FILE" or "FILE:TABLE" (the part after the last ':' is a table name of letters, digits, '_'
/// and '$').
SysbenchInput parse_sysbench_argument(const std::string& arg);

struct Calibration {
    nlohmann::ordered_json scenario;
    std::vector<std::string> derived;  // one line per derived figure, for the terminal
};

/// Reads the inputs and writes the scenario (not yet validated: the caller loads it).
/// Throws CalibrateInputError for a malformed file, ScenarioError for one it cannot read.
Calibration calibrate(const CalibrateInputs& in);

}  // namespace lockstage::app
