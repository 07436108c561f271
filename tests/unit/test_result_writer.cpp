// Result files (app/experiments/result_writer.hpp, sweep_state.hpp): the folder --out names,
// atomic checked writes, the marker, and the fingerprint of a resolved scenario.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "app/experiments/result_writer.hpp"
#include "app/experiments/sweep_state.hpp"

namespace {

namespace app = lockstage::app;
namespace fs = std::filesystem;
using json = nlohmann::ordered_json;

/// A fresh folder under the system's temporary folder, removed at the end of the test.
struct TempDir {
    fs::path path;
    TempDir() {
        std::string tmpl = (fs::temp_directory_path() / "lockstage-unit-XXXXXX").string();
        path = ::mkdtemp(tmpl.data());
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace

TEST_CASE("the fingerprint of a scenario is FNV-1a 64 of its canonical JSON") {
    const json a =
        json::parse(R"({"name": "x", "seed": 1, "server": {"flavor": "mariadb-10.11"}})");
    const json b =
        json::parse(R"({"server": {"flavor": "mariadb-10.11"}, "seed": 1, "name": "x"})");
    const json c =
        json::parse(R"({"name": "x", "seed": 2, "server": {"flavor": "mariadb-10.11"}})");
    // The key order is no change; a value is.
    CHECK(app::scenario_fingerprint(a) == app::scenario_fingerprint(b));
    CHECK(app::scenario_fingerprint(a) != app::scenario_fingerprint(c));
    // The same on every machine and version: FNV-1a 64 of the sorted, compact dump.
    CHECK(app::scenario_fingerprint(json::parse("{}")) == "08f44b07b5901a25");  // fnv1a64("{}")
    CHECK(app::scenario_fingerprint(a).size() == 16);
}

TEST_CASE("normalized_folder resolves a trailing slash, '.', '..' and symlinks") {
    const TempDir t;
    fs::create_directories(t.path / "a" / "b");
    fs::create_directory_symlink(t.path / "a", t.path / "link");
    const fs::path base = fs::canonical(t.path);
    CHECK(app::normalized_folder(t.path / "a/") == base / "a");
    CHECK(app::normalized_folder(t.path / "a" / "b" / "..") == base / "a");
    CHECK(app::normalized_folder(t.path / "." / "a" / ".") == base / "a");
    CHECK(app::normalized_folder(t.path / "link/") == base / "a");
    CHECK(app::normalized_folder(t.path / "new" / "") == base / "new");  // not there yet
}

TEST_CASE("write_file_atomically replaces the file whole or leaves it as it was") {
    const TempDir t;
    const fs::path f = t.path / ".resume.json";
    app::write_file_atomically(f, "first\n");
    CHECK(slurp(f) == "first\n");
    app::write_file_atomically(f, "second\n");
    CHECK(slurp(f) == "second\n");
    // A folder where the file should go: the write fails naming the file, the earlier is kept.
    fs::create_directory(t.path / "in-the-way");
    CHECK_THROWS_WITH_AS(app::write_file_atomically(t.path / "in-the-way", "x"),
                         doctest::Contains("in-the-way: cannot write: Is a directory"),
                         std::runtime_error);
    // No temporary file is left beside it.
    int entries = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(t.path)) {
        ++entries;
    }
    CHECK(entries == 2);
}

TEST_CASE("ResultFolder writes the marker and replaces only folders that hold it") {
    const TempDir t;
    const fs::path dest = t.path / "out";
    {
        app::ResultFolder folder(dest);
        folder.write("a.txt", "a\n");
        folder.commit();
    }
    CHECK(fs::exists(dest / app::kResultMarker));
    {
        app::ResultFolder again(dest / "");  // a trailing slash: the same folder
        again.write("b.txt", "b\n");
        again.commit();
    }
    CHECK(!fs::exists(dest / "a.txt"));
    CHECK(slurp(dest / "b.txt") == "b\n");
    // A folder of the user's: refused, untouched.
    fs::create_directory(t.path / "mine");
    std::ofstream(t.path / "mine" / "notes.txt") << "keep\n";
    CHECK_THROWS_WITH_AS(app::ResultFolder(t.path / "mine"),
                         doctest::Contains("was not written by lockstage"), app::DestinationError);
    CHECK(slurp(t.path / "mine" / "notes.txt") == "keep\n");
    // A folder holding an input: refused even with the marker.
    CHECK_THROWS_WITH_AS(app::ResultFolder(dest, {dest / "b.txt"}),
                         doctest::Contains("holds the input"), app::DestinationError);
    CHECK_THROWS_AS(app::ResultFolder("/"), app::DestinationError);
}
