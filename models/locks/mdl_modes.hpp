#pragma once
// The metadata-lock namespaces and their mode tables, as data: one ModeTable per namespace holds
// the mode names, the two incompatibility matrices (as bitmaps, like MariaDB's mdl.cc), the
// PROCESSLIST state shown while waiting, and the deadlock weight of each requested mode. The lock
// manager reads nothing else; where each table comes from is written next to it in
// mdl_modes.cpp.
#include <cstdint>
#include <string_view>
#include <vector>

namespace lockstage::models::locks {

/// Backup: the 10.4+ BACKUP namespace (FTWRL and BACKUP STAGE). Table: per-table MDL.
/// Global and Commit: <=10.3's GLOBAL and COMMIT scoped locks (FTWRL before 10.4).
/// TableFlush: <=10.3's close_cached_tables (a simplification, see mdl_modes.cpp).
/// InstanceBackup: MySQL 8.0's BACKUP_LOCK (LOCK INSTANCE FOR BACKUP). TablesBackup: Percona's
/// BACKUP_TABLES (LOCK TABLES FOR BACKUP). Both are scoped locks: the backup holds S, the
/// statements they block take IX. Row: InnoDB record locks on a hot row (not an MDL: the server
/// keeps them in a lock manager of their own, so the MDL deadlock search never sees them).
enum class Ns : std::uint8_t {
    Backup,
    Table,
    Global,
    Commit,
    TableFlush,
    InstanceBackup,
    TablesBackup,
    Row
};
inline constexpr int kNamespaceCount = 8;

using Mode = std::uint8_t;

struct ModeTable {
    std::string_view name;                ///< "BACKUP", "TABLE", ...
    std::string_view wait_state;          ///< PROCESSLIST state while waiting in this namespace
    std::vector<std::string_view> modes;  ///< "MDL_BACKUP_START", ... in enum order
    /// Bit m of granted[r]: a request of mode r waits while ANOTHER owner holds mode m.
    std::vector<std::uint32_t> granted;
    /// Bit m of waiting[r]: a request of mode r waits while a request of mode m is queued.
    std::vector<std::uint32_t> waiting;
    /// Per requested mode; the lowest weight on a wait-for cycle is the deadlock victim.
    std::vector<std::uint8_t> deadlock_weight;

    std::size_t size() const { return modes.size(); }
    /// MariaDB's MDL_ticket::has_stronger_or_equal_type: a held `held` blocks every request
    /// that a held `mode` blocks.
    bool stronger_or_equal(Mode held, Mode mode) const {
        return (granted[mode] & ~granted[held]) == 0;
    }
};

const ModeTable& mode_table(Ns ns);

constexpr std::uint32_t bit(Mode m) {
    return std::uint32_t{1} << m;
}

/// MariaDB's deadlock weights (mdl.h, enum_deadlock_weight).
inline constexpr std::uint8_t kWeightFtwrl1 = 0;
inline constexpr std::uint8_t kWeightDml = 1;
inline constexpr std::uint8_t kWeightDdl = 100;

// clang-format off
namespace backup { enum : Mode { START, FLUSH, WAIT_FLUSH, WAIT_DDL, WAIT_COMMIT, FTWRL1, FTWRL2,
                                 DML, TRANS_DML, SYS_DML, DDL, BLOCK_DDL, ALTER_COPY, COMMIT,
                                 kCount }; }
namespace table  { enum : Mode { SHARED_HIGH_PRIO, SHARED_READ, SHARED_WRITE, SHARED_UPGRADABLE,
                                 SHARED_READ_ONLY, SHARED_NO_WRITE, SHARED_NO_READ_WRITE,
                                 EXCLUSIVE, kCount }; }
namespace scoped { enum : Mode { INTENTION_EXCLUSIVE, SHARED, EXCLUSIVE, kCount }; }  // Global, Commit, *Backup
namespace flush  { enum : Mode { OPEN, FLUSH, kCount }; }  // TableFlush
namespace row    { enum : Mode { SHARED, EXCLUSIVE, kCount }; }  // Row (InnoDB LOCK_S, LOCK_X)
// clang-format on

}  // namespace lockstage::models::locks
