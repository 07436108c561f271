#pragma once
// Writes a result folder so that it appears whole or not at all: files go into a hidden sibling
// folder (".NAME.partial-PID"), which is renamed into place only after the last file is closed.
// A folder that is never committed is removed by the destructor; a process killed mid-write
// leaves only the hidden ".partial" folder, never one that looks finished, and the next
// ResultFolder for the same destination removes it once that process is gone.
//
// Every result folder holds a marker file, kResultMarker. An existing folder is replaced only if
// it holds the marker (lockstage wrote it) or is empty; never the current folder, `/`, $HOME, or
// a folder that holds an input of the command (DestinationError, exit code 2).
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace lockstage::app {

/// The marker file in every result folder lockstage writes.
inline constexpr const char* kResultMarker = ".lockstage-result";
/// Its content.
inline constexpr const char* kResultMarkerText =
    "This folder was written by lockstage: lockstage may replace it whole when told to write "
    "results here again.\n";

/// A result folder lockstage must not write or replace: bad input (exit code 2).
struct DestinationError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// The folder `p` names, with ".", "..", symlinks and a trailing slash resolved: relative to the
/// current folder if it lies below it, else absolute.
std::filesystem::path normalized_folder(const std::filesystem::path& p);

/// Writes `content` to `path` whole or not at all: into a hidden temporary file beside it,
/// flushed to disk (fsync), then renamed over `path`. A failure removes the temporary file and
/// throws std::runtime_error naming the path and the system's reason ("No space left on
/// device"); an earlier file at `path` is then untouched.
void write_file_atomically(const std::filesystem::path& path, std::string_view content);

class ResultFolder {
  public:
    /// Prepares a temporary folder next to `destination` (normalized_folder()), after removing
    /// the staging folders that processes no longer alive left there (SIGKILL). Throws
    /// DestinationError if lockstage must not replace `destination` (see above; `inputs` are the
    /// command's input files and folders), std::runtime_error if it cannot create the folder.
    explicit ResultFolder(const std::filesystem::path& destination,
                          const std::vector<std::filesystem::path>& inputs = {});
    ResultFolder(const ResultFolder&) = delete;
    ResultFolder& operator=(const ResultFolder&) = delete;
    ~ResultFolder();

    /// Writes one file (relative name, "runs/ftwrl/summary.json" makes its subfolders) into the
    /// folder, checked: a write error (a full disk) throws std::runtime_error with the path and
    /// the reason.
    void write(const std::string& name, std::string_view content);
    /// Moves the folder into place, replacing an earlier result folder of the same name.
    void commit();
    /// Removes the staging folder now (before the process ends without running destructors).
    void discard();

    /// The destination, normalized (normalized_folder()).
    const std::filesystem::path& destination() const { return destination_; }

  private:
    std::filesystem::path destination_;
    std::filesystem::path staging_;
    bool committed_ = false;
};

}  // namespace lockstage::app
