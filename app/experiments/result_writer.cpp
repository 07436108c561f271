#include "app/experiments/result_writer.hpp"

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include <fstream>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <vector>

namespace lockstage::app {

namespace fs = std::filesystem;

namespace {
fs::path sibling(const fs::path& dest, std::string_view tag) {
    return dest.parent_path() / fmt::format(".{}.{}-{}", dest.filename().string(), tag, ::getpid());
}

/// The PID in "<prefix>PID", if the name is that.
std::optional<pid_t> pid_after(std::string_view name, std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix || name.size() == prefix.size()) {
        return std::nullopt;
    }
    const std::string_view digits = name.substr(prefix.size());
    pid_t pid = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
    if (ec != std::errc() || end != digits.data() + digits.size() || pid <= 0) {
        return std::nullopt;
    }
    return pid;
}

bool alive(pid_t pid) {
    return ::kill(pid, 0) == 0 || errno == EPERM;
}

/// What a process killed with SIGKILL leaves next to `dest`: its ".NAME.partial-PID" staging
/// folder, and, if it died between the two renames of commit(), the previous result folder as
/// ".NAME.old-PID" with no NAME. Those of processes no longer alive are removed; a previous
/// folder is put back in place first.
void clean_stale_siblings(const fs::path& dest) {
    const fs::path parent = dest.parent_path().empty() ? fs::path(".") : dest.parent_path();
    const std::string name = dest.filename().string();
    const std::string partial = fmt::format(".{}.partial-", name);
    const std::string old = fmt::format(".{}.old-", name);
    std::error_code ec;
    std::vector<fs::path> stale_old;
    for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string entry = it->path().filename().string();
        if (const auto pid = pid_after(entry, partial); pid && *pid != ::getpid() && !alive(*pid)) {
            std::error_code ignored;
            fs::remove_all(it->path(), ignored);
        } else if (const auto opid = pid_after(entry, old);
                   opid && *opid != ::getpid() && !alive(*opid)) {
            stale_old.push_back(it->path());
        }
    }
    for (const auto& p : stale_old) {
        std::error_code ignored;
        if (!fs::exists(dest, ignored)) {
            fs::rename(p, dest, ignored);
        }
        fs::remove_all(p, ignored);  // nothing left if it was put back
    }
}
}  // namespace

ResultFolder::ResultFolder(fs::path destination) : destination_(std::move(destination)) {
    if (destination_.filename().empty()) {
        destination_ = destination_.parent_path();
    }
    std::error_code ec;
    if (fs::exists(destination_, ec) && !fs::is_directory(destination_, ec)) {
        throw std::runtime_error(
            fmt::format("{}: exists and is not a folder", destination_.string()));
    }
    if (!destination_.parent_path().empty()) {
        fs::create_directories(destination_.parent_path(), ec);
        if (ec) {
            throw std::runtime_error(fmt::format(
                "{}: cannot create: {}", destination_.parent_path().string(), ec.message()));
        }
    }
    clean_stale_siblings(destination_);
    staging_ = sibling(destination_, "partial");
    fs::remove_all(staging_, ec);
    if (!fs::create_directory(staging_, ec) || ec) {
        throw std::runtime_error(
            fmt::format("{}: cannot create: {}", staging_.string(), ec.message()));
    }
}

ResultFolder::~ResultFolder() {
    if (!committed_) {
        std::error_code ec;
        fs::remove_all(staging_, ec);
    }
}

void ResultFolder::write(const std::string& name, std::string_view content) {
    const fs::path file = staging_ / name;
    std::ofstream out(file, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.close();
    if (!out) {
        throw std::runtime_error(fmt::format("{}: cannot write", file.string()));
    }
}

void ResultFolder::commit() {
    std::error_code ec;
    const fs::path old = sibling(destination_, "old");
    const bool replacing = fs::exists(destination_, ec);
    if (replacing) {
        fs::remove_all(old, ec);
        fs::rename(destination_, old, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("{}: cannot replace: {}", destination_.string(), ec.message()));
        }
    }
    fs::rename(staging_, destination_, ec);
    if (ec) {
        throw std::runtime_error(
            fmt::format("{}: cannot create: {}", destination_.string(), ec.message()));
    }
    committed_ = true;
    if (replacing) {
        fs::remove_all(old, ec);
    }
}

}  // namespace lockstage::app
