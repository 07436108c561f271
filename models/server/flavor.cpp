#include "models/server/flavor.hpp"

#include <array>

namespace lockstage::models::server {

namespace {
constexpr std::array<FlavorTraits, 4> kFlavors{{
    {Flavor::MariaDB103, "mariadb-10.3", true, false, false, false, ""},
    {Flavor::MariaDB1011, "mariadb-10.11", false, true, false, false, ""},
    {Flavor::MySQL80, "mysql-8.0", true, false, true, false, "BACKUP_ADMIN"},
    {Flavor::Percona80, "percona-8.0", true, false, true, true, "BACKUP_ADMIN"},
}};
}  // namespace

const FlavorTraits& traits(Flavor f) {
    return kFlavors[static_cast<std::size_t>(f)];
}

std::optional<Flavor> flavor_from_name(std::string_view name) {
    for (const auto& t : kFlavors) {
        if (t.name == name) {
            return t.flavor;
        }
    }
    return std::nullopt;
}

std::string_view flavor_names() {
    return "mariadb-10.3, mariadb-10.11, mysql-8.0, percona-8.0";
}

bool flavor_has(const FlavorTraits& t, StmtKind kind) {
    switch (kind) {
        case StmtKind::BackupStage:
            return t.backup_stage;
        case StmtKind::LockInstanceForBackup:
        case StmtKind::UnlockInstance:
            return t.lock_instance;
        case StmtKind::LockTablesForBackup:
            return t.lock_tables_for_backup;
        default:
            return true;
    }
}

std::string_view required_privilege(const FlavorTraits& t, StmtKind kind) {
    switch (kind) {
        case StmtKind::FlushTablesWithReadLock:
            return "RELOAD";
        case StmtKind::BackupStage:
            return "RELOAD";
        case StmtKind::LockInstanceForBackup:
        case StmtKind::LockTablesForBackup:
            return t.backup_privilege;
        default:
            return "";
    }
}

}  // namespace lockstage::models::server
