#include "sim/cli/result_writer.hpp"

#include <fmt/format.h>
#include <unistd.h>

#include <fstream>
#include <stdexcept>
#include <system_error>

namespace lockstage::cli {

namespace fs = std::filesystem;

namespace {
fs::path sibling(const fs::path& dest, std::string_view tag) {
    return dest.parent_path() / fmt::format(".{}.{}-{}", dest.filename().string(), tag, ::getpid());
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

}  // namespace lockstage::cli
