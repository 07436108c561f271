#pragma once
// Writes a result folder so that it appears whole or not at all: files go into a hidden sibling
// folder (".NAME.partial-PID"), which is renamed into place only after the last file is closed.
// A folder that is never committed is removed by the destructor; a process killed mid-write
// leaves only the hidden ".partial" folder, never one that looks finished, and the next
// ResultFolder for the same destination removes it once that process is gone.
#include <filesystem>
#include <string>
#include <string_view>

namespace lockstage::app {

class ResultFolder {
  public:
    /// Prepares a temporary folder next to `destination`, after removing the staging folders
    /// that processes no longer alive left there (SIGKILL). Throws std::runtime_error if it
    /// cannot.
    explicit ResultFolder(std::filesystem::path destination);
    ResultFolder(const ResultFolder&) = delete;
    ResultFolder& operator=(const ResultFolder&) = delete;
    ~ResultFolder();

    /// Writes one file (relative name) into the folder.
    void write(const std::string& name, std::string_view content);
    /// Moves the folder into place, replacing an earlier result folder of the same name.
    void commit();

    const std::filesystem::path& destination() const { return destination_; }

  private:
    std::filesystem::path destination_;
    std::filesystem::path staging_;
    bool committed_ = false;
};

}  // namespace lockstage::app
