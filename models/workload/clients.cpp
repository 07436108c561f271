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

/// A request in progress, linked into its group's list so the end of the run can count it.
struct InFlight {
    Time arrived = 0;
    InFlight* prev = nullptr;
    InFlight* next = nullptr;
};

struct Workload::Group {
    GroupConfig cfg;
    GroupResult result;
    sim::Resource pool;
    std::vector<Server::SessionId> idle;  ///< free pool connections
    sim::RandomStream arrivals_rng;
    sim::RandomStream mix_rng;
    sim::RandomStream exec_rng;
    sim::RandomStream occasional_rng;
    sim::RandomStream retry_rng;
    sim::Distribution pick_transaction;
    Watch watch;           ///< this group's commit gaps and write-blocked time
    Watch* all = nullptr;  ///< all groups'
    const sim::Interval* const* window = nullptr;  ///< the backup's window, if any
    /// [transaction][statement][table choice]: a write there goes to a non-backup-safe engine
    /// (filled by Workload::start; one entry for the table the SQL names when there is no choice).
    std::vector<std::vector<std::vector<char>>> nontransactional;
    InFlight in_flight;  ///< the list's head: requests in progress

    Group(sim::Simulation& sim, GroupConfig c, std::uint64_t seed, Time interval)
        : cfg(std::move(c)),
          result(cfg.name, interval),
          pool(sim, cfg.pool_size),
          arrivals_rng(seed, "workload/" + cfg.name + "/arrivals"),
          mix_rng(seed, "workload/" + cfg.name + "/mix"),
          exec_rng(seed, "workload/" + cfg.name + "/exec"),
          occasional_rng(seed, "workload/" + cfg.name + "/occasional"),
          retry_rng(seed, "workload/" + cfg.name + "/retry"),
          pick_transaction(index_choice([this] {
              std::vector<double> w;
              for (const auto& t : cfg.transactions) {
                  w.push_back(t.weight);
              }
              return w;
          }())) {
        in_flight.prev = in_flight.next = &in_flight;
    }

    const sim::Interval* backup_window() const { return window != nullptr ? *window : nullptr; }

    void began(InFlight& r) {
        r.prev = in_flight.prev;
        r.next = &in_flight;
        in_flight.prev->next = &r;
        in_flight.prev = &r;
    }

    /// A request that arrived at `arrived` ended now (completed, failed, gave up), or is still in
    /// progress at the end of the run (`now` = the end).
    void ended(InFlight& r, Time now) {
        r.prev->next = r.next;
        r.next->prev = r.prev;
        const Time took = now - r.arrived;
        result.latency.record(took);
        if (const sim::Interval* w = backup_window(); w != nullptr && w->overlaps(r.arrived, now)) {
            result.latency_backup.record(took);
        }
        watch.blocked.request_ended(r.arrived, now);
        all->blocked.request_ended(r.arrived, now);
    }

    void completed(Time now) {
        ++result.completed;
        result.completed_per_interval.add(now);
        if (const sim::Interval* w = backup_window(); w != nullptr && w->contains(now)) {
            const auto i = static_cast<std::size_t>((now - w->begin) /
                                                    result.completed_per_interval.interval());
            if (i >= result.backup_completions.size()) {
                result.backup_completions.resize(i + 1, 0.0);
            }
            result.backup_completions[i] += 1;
        }
    }

    void committed(Time now) {
        ++result.commits;
        result.commits_per_interval.add(now);
        watch.committed(now);
        all->committed(now);
    }
};

void Workload::Watch::committed(Time now) {
    blocked.committed(now);
    if (now - last_commit > longest_gap) {
        longest_gap = now - last_commit;
        longest_gap_start = last_commit;
    }
    last_commit = now;
}

void Workload::Watch::finish(Time end) {
    if (end - last_commit > longest_gap) {
        longest_gap = end - last_commit;
        longest_gap_start = last_commit;
    }
    blocked.finish(end);
}

void GroupResult::merge(const GroupResult& o) {
    arrived += o.arrived;
    completed += o.completed;
    failed += o.failed;
    timeouts += o.timeouts;
    unfinished += o.unfinished;
    commits += o.commits;
    statement_timeouts += o.statement_timeouts;
    retries += o.retries;
    latency.merge(o.latency);
    latency_backup.merge(o.latency_backup);
    pool_wait.merge(o.pool_wait);
    commits_per_interval.merge(o.commits_per_interval);
    completed_per_interval.merge(o.completed_per_interval);
    timeouts_per_interval.merge(o.timeouts_per_interval);
    if (o.backup_completions.size() > backup_completions.size()) {
        backup_completions.resize(o.backup_completions.size(), 0.0);
    }
    for (std::size_t i = 0; i < o.backup_completions.size(); ++i) {
        backup_completions[i] += o.backup_completions[i];
    }
    ddl_sent += o.ddl_sent;
    long_queries_sent += o.long_queries_sent;
    max_pool_queue = std::max(max_pool_queue, o.max_pool_queue);
    for (std::size_t i = 0; i < class_latency.size(); ++i) {
        class_latency[i].merge(o.class_latency[i]);
        class_latency_backup[i].merge(o.class_latency_backup[i]);
    }
    blocked.merge(o.blocked);
    for (const auto& [name, n] : o.errors) {
        errors[name] += n;
    }
}

namespace {

using Group = Workload::Group;

/// Runs one statement template on a connection.
/// With `flags` (per table choice: non-backup-safe), sets `nontrans` when it writes to one.
sim::Task<server::StatementResult> run_statement(Server& server, Group& g, Server::SessionId conn,
                                                 const StatementTemplate& t,
                                                 const std::vector<char>* flags, bool& nontrans) {
    server::Statement st = t.statement;
    std::size_t pick = 0;
    if (!t.tables.empty()) {
        pick = static_cast<std::size_t>(uniform_choice(t.tables.size()).sample(g.mix_rng));
        st.tables.front() = t.tables[pick];
    }
    if (st.is_write() && flags != nullptr && pick < flags->size() && (*flags)[pick] != 0) {
        nontrans = true;
    }
    co_return co_await server.execute(conn, st, t.exec.sample(g.exec_rng));
}

/// How a transaction ended.
struct TxOutcome {
    Error error = Error::None;
    bool wrote = false;
    bool nontransactional = false;  ///< wrote to a non-backup-safe table
    Time backup_wait = 0;
};

/// Counts a statement ended by max_statement_time.
void count_timeout(Group& g, const server::StatementResult& r) {
    if (r.error == Error::StatementTimeout) {
        ++g.result.statement_timeouts;
    }
}

/// One transaction of the group's mix on connection `conn`.
sim::Task<TxOutcome> run_transaction(Server& server, Group& g, Server::SessionId conn,
                                     std::size_t index) {
    const TransactionTemplate& tx = g.cfg.transactions[index];
    const auto& flags = g.nontransactional[index];
    TxOutcome out;
    if (tx.explicit_transaction) {
        const auto r = co_await server.execute(conn, simple(server::StmtKind::Begin), 0);
        count_timeout(g, r);
        out.error = r.error;
        out.backup_wait += r.backup_wait;
    }
    for (std::size_t i = 0; i < tx.statements.size(); ++i) {
        if (out.error != Error::None) {
            break;
        }
        const auto& st = tx.statements[i];
        const auto r = co_await run_statement(server, g, conn, st, &flags[i], out.nontransactional);
        count_timeout(g, r);
        out.error = r.error;
        out.backup_wait += r.backup_wait;
        out.wrote = out.wrote || st.statement.is_write();
    }
    if (tx.explicit_transaction) {
        const bool ok = out.error == Error::None;
        const auto end = ok ? server::StmtKind::Commit : server::StmtKind::Rollback;
        const auto r = co_await server.execute(conn, simple(end), 0);
        count_timeout(g, r);
        out.backup_wait += r.backup_wait;
        if (ok) {
            out.error = r.error;
        }
    }
    co_return out;
}

/// One client request: wait for a pooled connection, run a transaction from the mix; after a
/// retryable failure (Workload::retryable, or no connection within client_timeout), pause for
/// the backoff and do it all again, up to retries.max times. Its latency runs from its arrival
/// to the end of its last attempt.
sim::Task<void> serve(Server& server, Group& g) {
    sim::Simulation& sim = server.simulation();
    InFlight request{sim.now()};
    g.began(request);
    ++g.result.arrived;
    std::optional<std::size_t> tx;  // a retry runs the same transaction again
    TxOutcome outcome;
    Time backup_wait = 0;
    for (int attempt = 0;; ++attempt) {
        const bool may_retry = attempt < g.cfg.retries.max;
        const Time asked = sim.now();
        g.result.max_pool_queue = std::max<std::int64_t>(
            g.result.max_pool_queue, static_cast<std::int64_t>(g.pool.queued()) + 1);
        const bool connected = co_await g.pool.acquire(g.cfg.client_timeout);
        if (connected) {
            g.result.pool_wait.record(sim.now() - asked);
            const Server::SessionId conn = g.idle.back();
            g.idle.pop_back();
            if (!tx) {
                tx = static_cast<std::size_t>(g.pick_transaction.sample(g.mix_rng));
            }
            outcome = co_await run_transaction(server, g, conn, *tx);
            g.idle.push_back(conn);
            g.pool.release();
            backup_wait += outcome.backup_wait;
        }
        if (!may_retry || (connected && !Workload::retryable(outcome.error))) {
            if (connected) {
                break;
            }
            ++g.result.timeouts;
            g.result.timeouts_per_interval.add(sim.now());
            g.ended(request, sim.now());
            co_return;
        }
        ++g.result.retries;
        co_await sim.sleep(g.cfg.retries.backoff.sample(g.retry_rng));
    }
    const Time now = sim.now();
    g.result.blocked.record(backup_wait);
    g.ended(request, now);
    if (outcome.error != Error::None) {
        ++g.result.failed;
        ++g.result.errors[std::string(server::error_name(outcome.error))];
        co_return;
    }
    g.completed(now);
    const TxClass c = !outcome.wrote             ? TxClass::Read
                      : outcome.nontransactional ? TxClass::MyisamWrite
                                                 : TxClass::InnodbWrite;
    const auto ci = static_cast<std::size_t>(c);
    g.result.class_latency[ci].record(now - request.arrived);
    if (const sim::Interval* w = g.backup_window();
        w != nullptr && w->overlaps(request.arrived, now)) {
        g.result.class_latency_backup[ci].record(now - request.arrived);
    }
    if (outcome.wrote) {
        g.committed(now);
    }
}

sim::Process open_request(Server& server, Group& g) {
    co_await serve(server, g);
}

sim::Process open_arrivals(Server& server, Group& g, Time duration) {
    sim::Simulation& sim = server.simulation();
    if (const sim::RateProfile& profile = g.cfg.arrivals.profile; !profile.empty()) {
        // A non-homogeneous Poisson process, drawn exactly (RateProfile::next).
        for (;;) {
            const auto at = profile.next(sim.now(), g.arrivals_rng);
            if (!at || *at >= duration) {
                co_return;
            }
            co_await sim.sleep(*at - sim.now());
            sim.spawn(open_request(server, g));
        }
    }
    const auto gap = sim::Distribution::exponential(
        std::max<Time>(1, sim::from_units_saturating(1.0 / g.cfg.arrivals.rate_tps, sim::kSecond)));
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
/// With `ddl`, the statements count as the group's DDL class (latency, blocked time, errors).
sim::Process occasional(Server& server, Group& g, const Occasional& o, Server::SessionId conn,
                        std::uint64_t& sent, Time duration, bool ddl) {
    sim::Simulation& sim = server.simulation();
    const auto gap = sim::Distribution::exponential(
        std::max<Time>(1, sim::from_units_saturating(3600.0 / o.rate_per_h, sim::kSecond)));
    const auto pick = uniform_choice(o.statements.size());
    for (;;) {
        co_await sim.sleep(gap.sample(g.occasional_rng));
        if (sim.now() >= duration) {
            co_return;
        }
        ++sent;
        const auto& t = o.statements[static_cast<std::size_t>(pick.sample(g.occasional_rng))];
        bool nontrans = false;
        const server::StatementResult r =
            co_await run_statement(server, g, conn, t, nullptr, nontrans);
        count_timeout(g, r);
        if (!ddl) {
            continue;
        }
        g.result.blocked.record(r.backup_wait);
        if (r.error != Error::None) {
            ++g.result.errors[std::string(server::error_name(r.error))];
            continue;
        }
        const auto i = static_cast<std::size_t>(TxClass::Ddl);
        g.result.class_latency[i].record(r.finished - r.sent);
        if (const sim::Interval* w = g.backup_window();
            w != nullptr && w->overlaps(r.sent, r.finished)) {
            g.result.class_latency_backup[i].record(r.finished - r.sent);
        }
    }
}

}  // namespace

Workload::Workload(Server& server, std::uint64_t seed, Time duration, Time interval,
                   std::vector<GroupConfig> groups)
    : server_(server), duration_(duration), interval_(interval) {
    for (auto& g : groups) {
        groups_.push_back(
            std::make_unique<Group>(server.simulation(), std::move(g), seed, interval));
    }
}

Workload::~Workload() {
    server_.remove_hooks(this);
}

namespace {

std::vector<char> nontransactional(const Server& server, const StatementTemplate& t) {
    std::vector<char> out;
    if (!t.tables.empty()) {
        for (const auto& name : t.tables) {
            out.push_back(server.table_backup_safe(name) ? 0 : 1);
        }
    } else if (!t.statement.tables.empty()) {
        out.push_back(server.table_backup_safe(t.statement.tables.front()) ? 0 : 1);
    }
    return out;
}

}  // namespace

Server::SessionId Workload::connect(Group& g, std::string name) {
    const Server::SessionId id = server_.connect(std::move(name));
    if (g.cfg.max_statement_time) {
        server_.set_max_statement_time(id, *g.cfg.max_statement_time);
    }
    if (group_of_.size() <= id) {
        group_of_.resize(id + 1, nullptr);
    }
    group_of_[id] = &g;
    return id;
}

void Workload::wait_began(Server::SessionId session, server::StmtKind kind, Time at) {
    if (session >= group_of_.size() || group_of_[session] == nullptr || !is_write_wait(kind)) {
        return;
    }
    group_of_[session]->watch.blocked.wait_began(at);
    all_.blocked.wait_began(at);
}

void Workload::wait_ended(Server::SessionId session, server::StmtKind kind, Time at) {
    if (session >= group_of_.size() || group_of_[session] == nullptr || !is_write_wait(kind)) {
        return;
    }
    group_of_[session]->watch.blocked.wait_ended(at);
    all_.blocked.wait_ended(at);
}

void Workload::start() {
    sim::Simulation& sim = server_.simulation();
    server_.add_hooks(this);
    for (auto& gp : groups_) {
        Group& g = *gp;
        g.window = &window_;
        g.all = &all_;
        g.nontransactional.clear();
        for (const auto& tx : g.cfg.transactions) {
            auto& flags = g.nontransactional.emplace_back();
            for (const auto& t : tx.statements) {
                flags.push_back(nontransactional(server_, t));
            }
        }
        for (int i = 0; i < g.cfg.pool_size; ++i) {
            g.idle.push_back(connect(g, fmt::format("{}/{}", g.cfg.name, i + 1)));
        }
        if (g.cfg.arrivals.kind == Arrivals::Kind::Open) {
            sim.spawn(open_arrivals(server_, g, duration_));
        } else {
            for (int i = 0; i < g.cfg.arrivals.clients; ++i) {
                sim.spawn(closed_client(server_, g, duration_));
            }
        }
        if (g.cfg.ddl.rate_per_h > 0 && !g.cfg.ddl.statements.empty()) {
            sim.spawn(occasional(server_, g, g.cfg.ddl, connect(g, g.cfg.name + "/ddl"),
                                 g.result.ddl_sent, duration_, true));
        }
        if (g.cfg.long_queries.rate_per_h > 0 && !g.cfg.long_queries.statements.empty()) {
            sim.spawn(occasional(server_, g, g.cfg.long_queries, connect(g, g.cfg.name + "/long"),
                                 g.result.long_queries_sent, duration_, false));
        }
    }
}

WorkloadResult Workload::finish() {
    WorkloadResult out{{}, GroupResult("all", interval_)};
    for (auto& gp : groups_) {
        Group& g = *gp;
        g.watch.finish(duration_);
    }
    all_.finish(duration_);
    for (auto& gp : groups_) {
        Group& g = *gp;
        // Requests still in progress: counted with their time so far.
        while (g.in_flight.next != &g.in_flight) {
            ++g.result.unfinished;
            g.ended(*g.in_flight.next, duration_);
        }
        GroupResult& r = g.result;
        r.longest_commit_gap = g.watch.longest_gap;
        r.longest_gap_start = g.watch.longest_gap_start;
        r.write_blocked = g.watch.blocked.longest();
        r.write_blocked_start = g.watch.blocked.longest_start();
        r.latency_blocked = g.watch.blocked.latency();
        r.commits_per_interval.extend_to(duration_);
        r.completed_per_interval.extend_to(duration_);
        r.timeouts_per_interval.extend_to(duration_);
        out.groups.push_back(r);
        out.all.merge(r);
    }
    out.all.commits_per_interval.extend_to(duration_);
    out.all.completed_per_interval.extend_to(duration_);
    out.all.timeouts_per_interval.extend_to(duration_);
    out.all.longest_commit_gap = all_.longest_gap;
    out.all.longest_gap_start = all_.longest_gap_start;
    out.all.write_blocked = all_.blocked.longest();
    out.all.write_blocked_start = all_.blocked.longest_start();
    out.all.latency_blocked = all_.blocked.latency();
    return out;
}

}  // namespace lockstage::models::workload
