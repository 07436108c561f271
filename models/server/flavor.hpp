#pragma once
// Server flavours: which backup statements exist, which privilege they need, and whether the
// server uses the classic global read lock (MariaDB <= 10.3, MySQL) or MariaDB's MDL backup
// namespace (10.4+). One table, so a flavour's knowledge stands in one place.
#include <optional>
#include <string_view>

#include "models/server/sql.hpp"

namespace lockstage::models::server {

enum class Flavor { MariaDB103, MariaDB1011, MySQL80, Percona80 };

struct FlavorTraits {
    Flavor flavor;
    std::string_view name;              ///< as scenario files write it: "mariadb-10.11"
    bool classic_global_read_lock;      ///< FTWRL = GLOBAL S + table flush + COMMIT S
    bool backup_stage;                  ///< BACKUP STAGE (MariaDB 10.4.1+)
    bool lock_instance;                 ///< LOCK INSTANCE FOR BACKUP (MySQL 8.0, Percona 8.0)
    bool lock_tables_for_backup;        ///< LOCK TABLES FOR BACKUP (Percona)
    std::string_view backup_privilege;  ///< for LOCK INSTANCE / LOCK TABLES FOR BACKUP
};

const FlavorTraits& traits(Flavor f);
std::optional<Flavor> flavor_from_name(std::string_view name);
/// "mariadb-10.3, mariadb-10.11, mysql-8.0, percona-8.0"
std::string_view flavor_names();

/// Whether the flavour knows the statement at all (else ER_PARSE_ERROR).
bool flavor_has(const FlavorTraits& t, StmtKind kind);
/// The privilege a statement needs on this flavour, or "" when none.
std::string_view required_privilege(const FlavorTraits& t, StmtKind kind);

}  // namespace lockstage::models::server
