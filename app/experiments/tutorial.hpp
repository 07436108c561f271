#pragma once
// `lockstage report tutorial`: the tutorial's benchmark tables (T1-T5; the claims they test are
// in docs/tutorial-claims.md) row by row: the tutorial's figure, the simulated one under real
// MariaDB semantics, and a verdict: reproduced (within 25 %, or inside the stated range),
// reported (a figure without a claim to check), or differs, with the reason from real semantics.
#include <filesystem>
#include <string>
#include <vector>

namespace lockstage::app {

struct TutorialRow {
    std::string table;      ///< "T1" ... "T5"
    std::string item;       ///< what is compared
    std::string tutorial;   ///< the tutorial's figure
    std::string simulated;  ///< lockstage's
    std::string verdict;    ///< "reproduced", "reported" or "differs"
    std::string reason;     ///< why it differs (or how it is reached)
};

/// Runs the scenarios under `scenarios` (tutorial/t1.json, tutorial/t2.json and the shipped
/// scenarios the troubleshooting rows use) and builds the rows.
std::vector<TutorialRow> tutorial_report(const std::filesystem::path& scenarios);

std::string tutorial_markdown(const std::vector<TutorialRow>& rows);
std::string tutorial_json(const std::vector<TutorialRow>& rows);
/// One line a row; a row that differs is followed by a line giving its reason ("why: ...").
std::string tutorial_text(const std::vector<TutorialRow>& rows);

}  // namespace lockstage::app
