// libFuzzer target: the SQL statement parser (models/server/sql.hpp) on arbitrary text. It must
// return a statement or a message for any input, and never throw, crash or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "models/server/sql.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace server = lockstage::models::server;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = server::parse_sql(text);
    if (const auto* st = std::get_if<server::Statement>(&parsed)) {
        // Everything a statement carries is readable, and its kind has a name.
        std::size_t n = server::kind_name(st->kind).size() + st->target.size();
        for (const auto& t : st->tables) {
            n += t.size();
        }
        if (st->kind == server::StmtKind::BackupStage) {
            n += server::stage_name(st->stage).size();
        }
        if (n == 0) {
            __builtin_trap();  // every kind has a name
        }
    } else if (std::get<std::string>(parsed).empty()) {
        __builtin_trap();  // a refusal always says why
    }
    return 0;
}
