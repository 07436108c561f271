#include "models/workload/clients.hpp"

#include <fmt/format.h>

#include <memory>

#include "sim/kernel/random.hpp"
#include "sim/kernel/resource.hpp"

namespace lockstage::models::workload {

using server::Error;
using server::Server;
using sim::Time;

namespace {

/// A weighted choice among n indices.
sim::Distribution index_choice(const std::vector<double>& weights) {
    std::vector<Time> values;
    for (std::size_t i = 0; i < weights.size(); ++i) {
        values.push_back(static_cast<Time>(i));
    }
    return sim::Distribution::empirical(std::move(values), weights);
}

sim::Distribution uniform_choice(std::size_t n) {
    return index_choice(std::vector<double>(n, 1.0));
}

server::Statement simple(server::StmtKind kind) {
    server::Statement s;
    s.kind = kind;
    return s;
}

}  // namespace

struct Workload::Group {
    GroupConfig cfg;
    GroupResult result;
    sim::Resource pool;
    std::vector<Server::SessionId> idle;  ///< free pool connections
    sim::RandomStream arrivals_rng;
    sim::RandomStream mix_rng;
    sim::RandomStream exec_rng;
    sim::RandomStream occasional_rng;
    sim::Distribution pick_transaction;
    Time last_commit = 0;

    Group(sim::Simulation& sim, GroupConfig c, std::uint64_t seed, Time interval)
        : cfg(std::move(c)),
          result(cfg.name, interval),
          pool(sim, cfg.pool_size),
          arrivals_rng(seed, "workload/" + cfg.name + "/arrivals"),
          mix_rng(seed, "workload/" + cfg.name + "/mix"),
          exec_rng(seed, "workload/" + cfg.name + "/exec"),
          occasional_rng(seed, "workload/" + cfg.name + "/occasional"),
          pick_transaction(index_choice([this] {
              std::vector<double> w;
              for (const auto& t : cfg.transactions) {
                  w.push_back(t.weight);
              }
              return w;
          }())) {}

    void committed(Time now) {
        ++result.commits;
        result.commits_per_interval.add(now);
        if (now - last_commit > result.longest_commit_gap) {
            result.longest_commit_gap = now - last_commit;
            result.longest_gap_start = last_commit;
        }
        last_commit = now;
    }
};

namespace {

using Group = Workload::Group;

/// Runs one statement template on a connection; false when the server returned an error.
sim::Task<bool> run_statement(Server& server, Group& g, Server::SessionId conn,
                              const StatementTemplate& t) {
    server::Statement st = t.statement;
    if (!t.tables.empty()) {
        st.tables.front() =
            t.tables[static_cast<std::size_t>(uniform_choice(t.tables.size()).sample(g.mix_rng))];
    }
    const server::StatementResult r = co_await server.execute(conn, st, t.exec.sample(g.exec_rng));
    co_return r.error == Error::None;
}

/// One transaction of the group's mix on connection `conn`: 0 failed, 1 read only, 2 wrote.
sim::Task<int> run_transaction(Server& server, Group& g, Server::SessionId conn,
                               const TransactionTemplate& tx) {
    bool ok = true;
    bool wrote = false;
    if (tx.explicit_transaction) {
        const auto r = co_await server.execute(conn, simple(server::StmtKind::Begin), 0);
        ok = r.error == Error::None;
    }
    for (const auto& st : tx.statements) {
        if (!ok) {
            break;
        }
        ok = co_await run_statement(server, g, conn, st);
        wrote = wrote || st.statement.is_write();
    }
    if (tx.explicit_transaction) {
        const auto end = ok ? server::StmtKind::Commit : server::StmtKind::Rollback;
        const auto r = co_await server.execute(conn, simple(end), 0);
        ok = ok && r.error == Error::None;
    }
    co_return ok ? (wrote ? 2 : 1) : 0;
}

/// One client request: wait for a pooled connection, run a transaction from the mix.
sim::Task<void> serve(Server& server, Group& g) {
    sim::Simulation& sim = server.simulation();
    const Time arrived = sim.now();
    ++g.result.arrived;
    g.result.max_pool_queue = std::max<std::int64_t>(
        g.result.max_pool_queue, static_cast<std::int64_t>(g.pool.queued()) + 1);
    if (!co_await g.pool.acquire(g.cfg.client_timeout)) {
        ++g.result.timeouts;
        g.result.timeouts_per_interval.add(sim.now());
        co_return;
    }
    g.result.pool_wait.record(sim.now() - arrived);
    const Server::SessionId conn = g.idle.back();
    g.idle.pop_back();
    const auto& tx =
        g.cfg.transactions[static_cast<std::size_t>(g.pick_transaction.sample(g.mix_rng))];
    const int outcome = co_await run_transaction(server, g, conn, tx);
    g.idle.push_back(conn);
    g.pool.release();
    const Time now = sim.now();
    if (outcome == 0) {
        ++g.result.failed;
        co_return;
    }
    ++g.result.completed;
    g.result.completed_per_interval.add(now);
    g.result.latency.record(now - arrived);
    if (outcome == 2) {
        g.committed(now);
    }
}

sim::Process open_request(Server& server, Group& g) {
    co_await serve(server, g);
}

sim::Process open_arrivals(Server& server, Group& g, Time duration) {
    sim::Simulation& sim = server.simulation();
    const auto gap = sim::Distribution::exponential(
        std::max<Time>(1, sim::from_units(1.0 / g.cfg.arrivals.rate_tps, sim::kSecond)));
    for (;;) {
        co_await sim.sleep(gap.sample(g.arrivals_rng));
        if (sim.now() >= duration) {
            co_return;
        }
        sim.spawn(open_request(server, g));
    }
}

sim::Process closed_client(Server& server, Group& g, Time duration) {
    sim::Simulation& sim = server.simulation();
    Time last_start = -1;
    for (;;) {
        co_await sim.sleep(g.cfg.arrivals.think.sample(g.arrivals_rng));
        if (sim.now() == last_start) {
            // A request that took no time at all (refused at once) with no think time would
            // repeat forever at one instant: such a client retries a millisecond later.
            co_await sim.sleep(sim::kMillisecond);
        }
        if (sim.now() >= duration) {
            co_return;
        }
        last_start = sim.now();
        co_await serve(server, g);
    }
}

/// DDL or long queries: Poisson arrivals, one connection of their own, run one at a time.
sim::Process occasional(Server& server, Group& g, const Occasional& o, Server::SessionId conn,
                        std::uint64_t& sent, Time duration) {
    sim::Simulation& sim = server.simulation();
    const auto gap = sim::Distribution::exponential(
        std::max<Time>(1, sim::from_units(3600.0 / o.rate_per_h, sim::kSecond)));
    const auto pick = uniform_choice(o.statements.size());
    for (;;) {
        co_await sim.sleep(gap.sample(g.occasional_rng));
        if (sim.now() >= duration) {
            co_return;
        }
        ++sent;
        co_await run_statement(
            server, g, conn, o.statements[static_cast<std::size_t>(pick.sample(g.occasional_rng))]);
    }
}

}  // namespace

Workload::Workload(Server& server, std::uint64_t seed, Time duration, Time interval,
                   std::vector<GroupConfig> groups)
    : server_(server), seed_(seed), duration_(duration), interval_(interval) {
    for (auto& g : groups) {
        groups_.push_back(
            std::make_unique<Group>(server.simulation(), std::move(g), seed, interval));
    }
}

Workload::~Workload() = default;

void Workload::start() {
    sim::Simulation& sim = server_.simulation();
    for (auto& gp : groups_) {
        Group& g = *gp;
        for (int i = 0; i < g.cfg.pool_size; ++i) {
            g.idle.push_back(server_.connect(fmt::format("{}/{}", g.cfg.name, i + 1)));
        }
        if (g.cfg.arrivals.kind == Arrivals::Kind::Open) {
            sim.spawn(open_arrivals(server_, g, duration_));
        } else {
            for (int i = 0; i < g.cfg.arrivals.clients; ++i) {
                sim.spawn(closed_client(server_, g, duration_));
            }
        }
        if (g.cfg.ddl.rate_per_h > 0 && !g.cfg.ddl.statements.empty()) {
            sim.spawn(occasional(server_, g, g.cfg.ddl, server_.connect(g.cfg.name + "/ddl"),
                                 g.result.ddl_sent, duration_));
        }
        if (g.cfg.long_queries.rate_per_h > 0 && !g.cfg.long_queries.statements.empty()) {
            sim.spawn(occasional(server_, g, g.cfg.long_queries,
                                 server_.connect(g.cfg.name + "/long"), g.result.long_queries_sent,
                                 duration_));
        }
    }
}

std::vector<GroupResult> Workload::finish() {
    std::vector<GroupResult> out;
    for (auto& gp : groups_) {
        Group& g = *gp;
        if (duration_ - g.last_commit > g.result.longest_commit_gap) {
            g.result.longest_commit_gap = duration_ - g.last_commit;
            g.result.longest_gap_start = g.last_commit;
        }
        g.result.commits_per_interval.extend_to(duration_);
        g.result.completed_per_interval.extend_to(duration_);
        g.result.timeouts_per_interval.extend_to(duration_);
        out.push_back(g.result);
    }
    return out;
}

}  // namespace lockstage::models::workload
