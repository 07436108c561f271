#pragma once
// A loaded, validated scenario: typed, in simulation units (nanoseconds), defaults applied.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "models/backup/backup.hpp"
#include "models/queue/queue_model.hpp"
#include "models/server/script.hpp"
#include "models/server/server.hpp"
#include "models/topology/galera.hpp"
#include "models/topology/replica.hpp"
#include "models/workload/clients.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::app {

struct Scenario {
    std::string file;  ///< where it was read from, for messages
    /// The --set overrides applied to the file, as given ("/backup/strategy=ftwrl").
    std::vector<std::string> overrides;
    std::string name;
    std::string description;
    std::uint64_t seed = 1;
    sim::Time duration = 0;
    /// Set when duration_s was left out (a backup scenario): the run lasts until the backup ends
    /// plus this (output.drain_after_backup_s); `duration` is then the loader's estimate, which
    /// with_run_length() (app/experiments/mariadb_run.hpp) replaces by the real end.
    std::optional<sim::Time> drain_after_backup;
    sim::Time warmup = 0;
    sim::Time timeline_interval = sim::kSecond;
    sim::Time queue_sample_interval = sim::millis(10);  ///< output.queue_sample_ms
    std::string model;                                  ///< "mariadb" or "queue"
    models::queue::QueueModelConfig queue;              ///< model "queue"
    // model "mariadb"
    models::server::ServerConfig server;
    std::vector<models::server::TableDef> tables;
    std::vector<models::server::UserDef> users;
    std::vector<models::server::ScriptedSession> sessions;
    std::vector<models::workload::GroupConfig> groups;
    models::backup::DataConfig data;
    std::optional<models::backup::BackupConfig> backup;
    std::optional<models::topology::ReplicaConfig> replica;  ///< topology "replica"
    std::optional<models::topology::GaleraConfig> galera;    ///< topology "galera"
    nlohmann::ordered_json effective;  ///< the document with every default filled in
    /// The run's event budget (0: none): not in the file; the command sets it (--max-events).
    std::uint64_t max_events = 0;
};

}  // namespace lockstage::app
