#include "app/experiments/result_writer.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
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

namespace {

/// Whether `inner` is `outer` or lies below it (both normalized the same way).
bool within(const fs::path& inner, const fs::path& outer) {
    const auto [o, i] = std::mismatch(outer.begin(), outer.end(), inner.begin(), inner.end());
    return o == outer.end();
}

fs::path absolute_normal(const fs::path& p) {
    std::error_code ec;
    fs::path out = fs::weakly_canonical(fs::absolute(p), ec);
    if (ec) {
        out = fs::absolute(p).lexically_normal();
    }
    while (out.has_relative_path() && out.filename().empty()) {  // a trailing slash
        out = out.parent_path();
    }
    return out;
}

[[noreturn]] void cannot_write(const fs::path& path, int error) {
    throw std::runtime_error(
        fmt::format("{}: cannot write: {}", path.string(), std::strerror(error)));
}

/// Writes the file, flushes it to disk and closes it, checking every step; a failure names
/// `shown` (the file the user knows of).
void write_checked(const fs::path& path, std::string_view content, const fs::path& shown) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        cannot_write(shown, errno);
    }
    const auto fail = [&](int error) {
        ::close(fd);
        cannot_write(shown, error);
    };
    for (std::size_t at = 0; at < content.size();) {
        const ssize_t n = ::write(fd, content.data() + at, content.size() - at);
        if (n < 0 && errno != EINTR) {
            fail(errno);
        }
        at += n > 0 ? static_cast<std::size_t>(n) : 0;
    }
    if (::fsync(fd) != 0 && errno != EINVAL) {  // EINVAL: a file that cannot be synced
        fail(errno);
    }
    if (::close(fd) != 0) {
        cannot_write(shown, errno);
    }
}

/// A result folder written before the marker existed: nothing in it but files lockstage writes
/// (every name below is one a command writes), so rerunning `bash setup.sh` after an upgrade
/// replaces its own results/default-compare/ instead of refusing it.
bool earlier_result(const fs::path& dir) {
    static const std::set<std::string> kResultFiles = {
        "compare.csv",           "compare.json", "fits.csv",        "galera_queue.csv",
        "latency_histogram.csv", "points.csv",   "queue_depth.csv", "replica_lag.csv",
        "report.html",           "runs.csv",     "scenario.json",   "shard.json",
        "summary.json",          "sweep.json",   "timeline.csv",    "trace.csv",
        "tutorial.json",         "tutorial.md"};
    std::error_code ec;
    bool any = false;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_regular_file(ec) || !kResultFiles.contains(it->path().filename().string())) {
            return false;
        }
        any = true;
    }
    return any && !ec;
}

/// Why lockstage must not replace `dest` (normalized), or "" if it may.
std::string unsafe_destination(const fs::path& dest, const std::vector<fs::path>& inputs) {
    const fs::path abs = absolute_normal(dest);
    if (abs == abs.root_path()) {
        return "is the root folder";
    }
    if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
        if (abs == absolute_normal(home)) {
            return "is your home folder";
        }
    }
    const fs::path cwd = absolute_normal(fs::current_path());
    if (within(cwd, abs)) {
        return abs == cwd ? "is the current folder" : "holds the current folder";
    }
    for (const auto& input : inputs) {
        if (within(absolute_normal(input), abs)) {
            return fmt::format("holds the input {}", input.string());
        }
    }
    std::error_code ec;
    if (!fs::exists(abs, ec)) {
        return "";
    }
    if (!fs::is_directory(abs, ec)) {
        return "exists and is not a folder";
    }
    if (fs::exists(abs / kResultMarker, ec) || fs::is_empty(abs, ec) || earlier_result(abs)) {
        return "";
    }
    return fmt::format("exists and was not written by lockstage (it holds no {})", kResultMarker);
}
}  // namespace

fs::path normalized_folder(const fs::path& p) {
    const fs::path abs = absolute_normal(p);
    const fs::path cwd = absolute_normal(fs::current_path());
    return within(abs, cwd) && abs != cwd ? abs.lexically_relative(cwd) : abs;
}

void write_file_atomically(const fs::path& path, std::string_view content) {
    const std::string name = path.filename().string();
    const fs::path tmp =
        path.parent_path() /
        fmt::format("{}{}.tmp-{}", name.starts_with('.') ? "" : ".", name, ::getpid());
    try {
        write_checked(tmp, content, path);
    } catch (...) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        throw;
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int error = errno;
        std::error_code ignored;
        fs::remove(tmp, ignored);
        cannot_write(path, error);
    }
}

ResultFolder::ResultFolder(const fs::path& destination, const std::vector<fs::path>& inputs)
    : destination_(normalized_folder(destination)) {
    if (const std::string why = unsafe_destination(destination_, inputs); !why.empty()) {
        throw DestinationError(fmt::format("{} {}; choose another --out{}", destination_.string(),
                                           why,
                                           why.rfind("exists", 0) == 0 ? " or remove it" : ""));
    }
    std::error_code ec;
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
        discard();
    }
}

void ResultFolder::discard() {
    std::error_code ec;
    fs::remove_all(staging_, ec);
}

void ResultFolder::write(const std::string& name, std::string_view content) {
    const fs::path path = staging_ / name;
    if (const fs::path dir = path.parent_path(); dir != staging_) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (ec) {
            throw std::runtime_error(
                fmt::format("{}: cannot create: {}", dir.string(), ec.message()));
        }
    }
    write_checked(path, content, path);
}

void ResultFolder::commit() {
    write(kResultMarker, kResultMarkerText);
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
