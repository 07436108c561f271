#pragma once
// Which locks each statement takes, per flavour, as data: one LockPlan per flavour lists, in
// order, the lock steps of a read, of a write to a backup-safe table and to any other table, of
// a commit, of DDL, of FLUSH TABLES WITH READ LOCK, and what UNLOCK TABLES gives back. The
// server (server.cpp) walks these lists; what a mode conflicts with stays in the lock manager's
// matrices (models/locks/mdl_modes.cpp). Where each row comes from is written next to it in
// lock_plan.cpp, so a flavour's lock behaviour reads in one table.
//
// Statements that exist on one flavour only (BACKUP STAGE, LOCK INSTANCE FOR BACKUP, LOCK TABLES
// FOR BACKUP) are not here: flavor_has() refuses them elsewhere, and server.cpp takes their one
// lock where it runs them.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <stdexcept>

#include "models/locks/lock_manager.hpp"
#include "models/locks/mdl_modes.hpp"
#include "models/server/flavor.hpp"

namespace lockstage::models::server {

/// How long a step's lock is held.
enum class Hold : std::uint8_t {
    Statement,  ///< until the statement ends
    Table,      ///< a table lock: until the transaction ends inside one, else the statement
    Explicit,   ///< until given back (UNLOCK TABLES, the session gone)
    Momentary,  ///< waited for, then given back at once (<= 10.3's table flush)
};

/// When a step applies (always, but for one DDL step).
enum class When : std::uint8_t {
    Always,
    AlterOfNonBackupSafe,  ///< ALTER TABLE of a table whose engine is not backup-safe
};

/// One lock request. A key in the Table namespace stands for the statement's table.
struct LockStep {
    locks::LockKey key{locks::Ns::Backup, 0};
    locks::Mode mode = 0;
    Hold hold = Hold::Statement;
    When when = When::Always;
    /// An upgrade of the session's ticket of this mode on the key (FTWRL1 -> FTWRL2).
    std::optional<locks::Mode> from = std::nullopt;
    /// A lost deadlock is retried rather than returned as ER_LOCK_DEADLOCK.
    bool retry_if_deadlock_victim = false;
};

/// A short list kept inline (no allocation, usable in a constexpr table).
template <class T, std::size_t N>
class InlineList {
  public:
    constexpr InlineList() = default;
    constexpr InlineList(std::initializer_list<T> items) {
        if (items.size() > N) {
            throw std::length_error("InlineList: too many items");
        }
        for (const T& item : items) {
            items_[size_++] = item;
        }
    }
    constexpr const T* begin() const { return items_.data(); }
    constexpr const T* end() const { return items_.data() + size_; }
    constexpr std::size_t size() const { return size_; }
    constexpr bool empty() const { return size_ == 0; }
    constexpr const T& operator[](std::size_t i) const { return items_[i]; }

  private:
    std::array<T, N> items_{};
    std::size_t size_ = 0;
};

using LockSteps = InlineList<LockStep, 4>;

/// ALTER TABLE's copy phase: the key's `held` ticket goes down to `during_copy` while the copy
/// runs, and back up to `held` (waiting if need be) for the final rename.
struct CopyPhase {
    locks::LockKey key;
    locks::Mode held;
    locks::Mode during_copy;
};

/// DDL: `before_tables`, then the table locks (ALTER TABLE: SHARED_UPGRADABLE, other DDL:
/// EXCLUSIVE, on every table it names, whatever the flavour), then `backed_off`, then
/// `after_tables`; then it runs (ALTER: the phases of its algorithm, server.cpp alter_phases).
struct DdlPlan {
    LockSteps before_tables;
    /// Tried at once once the table locks are held; if refused, the table locks are given back,
    /// this one is waited for and given back, and the table locks are taken again (MDEV-17772).
    std::optional<LockStep> backed_off = std::nullopt;
    LockSteps after_tables;
    std::optional<CopyPhase> alter_copy = std::nullopt;
};

/// LOCK TABLES (docs/lock-tables.md#which-locks-lock-tables-takes). If it write-locks a table:
/// `before_tables`, the table locks of its WRITE tables (MDL_SHARED_NO_READ_WRITE), then
/// `backed_off` (tried at once, else the table locks are given back while it waits, as for
/// DDL). Then, per table in statement order: READ takes MDL_SHARED_READ_ONLY, WRITE of a table
/// that is not backup-safe takes `write_other` (once). Every lock is held until UNLOCK TABLES.
struct LockTablesPlan {
    LockSteps before_tables;
    std::optional<LockStep> backed_off = std::nullopt;
    LockSteps write_other;
};

struct LockPlan {
    Flavor flavor;
    LockSteps dml_read;               ///< SELECT ... FROM t
    LockSteps dml_write_backup_safe;  ///< INSERT/UPDATE/DELETE of an InnoDB (or Aria) table
    LockSteps dml_write_other;        ///< ... of a MyISAM, MEMORY, CSV or ARCHIVE table
    LockSteps commit;                 ///< the commit of a read-write transaction
    DdlPlan ddl;
    LockTablesPlan lock_tables;
    /// FLUSH TABLES WITH READ LOCK, step by step; a step that fails gives back the locks the
    /// earlier steps hold, latest first.
    LockSteps ftwrl;
    /// What UNLOCK TABLES (of a session holding FTWRL) releases, in this order.
    InlineList<locks::LockKey, 2> unlock_ftwrl;
};

const LockPlan& lock_plan(Flavor f);

}  // namespace lockstage::models::server
