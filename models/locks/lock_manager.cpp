#include "models/locks/lock_manager.hpp"

#include <algorithm>
#include <bit>
#include <boost/graph/adjacency_list.hpp>
#include <boost/graph/breadth_first_search.hpp>
#include <boost/graph/visitors.hpp>
#include <limits>
#include <stdexcept>
#include <utility>

namespace lockstage::models::locks {

/// A pending request. It lives in the acquire coroutine's frame; the key's queue and the owner
/// point at it while it is queued. Whoever ends the wait (a grant in rescan, a deadlock victim,
/// kill_wait, the timeout) dequeues it, sets `outcome` and wakes the blocker.
struct LockManager::Waiter {
    LockManager* manager;
    OwnerId owner;
    Owner* owner_state;
    Lock* lock;
    Mode mode;
    Duration duration;
    std::optional<Mode> replaces;  // an upgrade: the mode of the owner's ticket it replaces
    sim::Blocker blocker;
    std::optional<LockResult> outcome;
    bool queued = false;

    Waiter(LockManager* m, OwnerId id, Owner* o, Lock* l, Mode md, Duration d,
           std::optional<Mode> r)
        : manager(m), owner(id), owner_state(o), lock(l), mode(md), duration(d), replaces(r) {}
    Waiter(const Waiter&) = delete;
    Waiter& operator=(const Waiter&) = delete;
    // A frame destroyed while parked (the simulation ends): leave the queue, wake nobody.
    ~Waiter() {
        if (manager != nullptr && queued) {
            manager->dequeue(*this);
        }
    }
};

LockManager::LockManager(sim::Simulation& sim) : sim_(sim) {}

LockManager::~LockManager() {
    for (auto& [id, o] : owners_) {
        if (o.waiting != nullptr) {
            o.waiting->manager = nullptr;  // the frame may outlive us
        }
    }
}

LockManager::Lock& LockManager::lock_for(LockKey key, Mode mode) {
    auto it = locks_.find(key);
    if (it == locks_.end()) {
        const ModeTable& t = mode_table(key.ns);
        if (t.size() > kMaxModes) {
            throw std::logic_error("LockManager: too many modes in a namespace");
        }
        it = locks_.emplace(key, Lock{key, &t, {}, {}, {}, {}, 0, 0}).first;
    }
    if (mode >= it->second.table->size()) {
        throw std::out_of_range("LockManager: mode out of range for its namespace");
    }
    return it->second;
}

// --- Granting ----------------------------------------------------------------------------------

bool LockManager::can_grant(const Lock& lock, const Owner& o, Mode mode, const Waiter* self) const {
    const ModeTable& t = *lock.table;
    std::uint32_t queued = lock.waiting_mask;
    if (self != nullptr && lock.waiting_count[self->mode] == 1) {
        queued &= ~bit(self->mode);
    }
    if ((queued & t.waiting[mode]) != 0) {
        return false;
    }
    std::uint32_t blocking = lock.granted_mask & t.granted[mode];
    // A conflicting mode is held: it blocks unless all its tickets are the requester's own.
    // Only the owner's few tickets are walked, never the key's granted list.
    for (const std::uint32_t id : o.tickets) {
        const Ticket& tk = tickets_[id];
        if (blocking == 0) {
            break;
        }
        if (tk.lock != &lock || (blocking & bit(tk.mode)) == 0) {
            continue;
        }
        const auto own = std::count_if(o.tickets.begin(), o.tickets.end(), [&](std::uint32_t j) {
            return tickets_[j].lock == &lock && tickets_[j].mode == tk.mode;
        });
        if (lock.granted_count[tk.mode] == static_cast<std::uint32_t>(own)) {
            blocking &= ~bit(tk.mode);
        }
    }
    return blocking == 0;
}

void LockManager::set_mode(Ticket& t, Mode mode) {
    Lock& lock = *t.lock;
    if (--lock.granted_count[t.mode] == 0) {
        lock.granted_mask &= ~bit(t.mode);
    }
    ++lock.granted_count[mode];
    lock.granted_mask |= bit(mode);
    t.mode = mode;
    t.seq = next_seq_++;  // MariaDB re-adds an upgraded or downgraded ticket to the granted list
}

/// Gives `mode` to the owner. An upgrade (`replaces`) changes the mode of the owner's ticket of
/// mode `*replaces` and the same duration; otherwise a ticket is added, unless the owner already
/// holds this very mode and duration. Returns true if an existing ticket changed mode (the caller
/// rescans).
bool LockManager::grant(Owner& o, OwnerId id, Lock& lock, Mode mode, Duration duration,
                        std::optional<Mode> replaces) {
    for (const std::uint32_t tid : o.tickets) {
        Ticket& tk = tickets_[tid];
        if (tk.lock != &lock || tk.duration != duration) {
            continue;
        }
        if (replaces && tk.mode == *replaces) {
            if (tk.mode == mode) {
                return false;
            }
            set_mode(tk, mode);
            return true;
        }
        if (!replaces && tk.mode == mode) {
            return false;
        }
    }
    std::uint32_t tid;
    if (free_tickets_.empty()) {
        tid = static_cast<std::uint32_t>(tickets_.size());
        tickets_.emplace_back();
    } else {
        tid = free_tickets_.back();
        free_tickets_.pop_back();
    }
    tickets_[tid] = Ticket{id,       &lock,       mode,
                           duration, next_seq_++, static_cast<std::uint32_t>(lock.granted.size())};
    lock.granted.push_back(tid);
    ++lock.granted_count[mode];
    lock.granted_mask |= bit(mode);
    o.tickets.push_back(tid);
    return false;
}

bool LockManager::grant_now(Owner& o, OwnerId id, Lock& lock, Mode mode, Duration duration,
                            std::optional<Mode> replaces) {
    // MDL_context::find_ticket: a ticket at least as strong satisfies the request (the same
    // duration first; another duration gets a clone). In BACKUP only the same mode does: there a
    // new mode is a stage upgrade, which upgrade_shared_lock always performs.
    const bool backup = lock.key.ns == Ns::Backup;
    bool covered = false;
    for (const std::uint32_t tid : replaces ? std::vector<std::uint32_t>{} : o.tickets) {
        const Ticket& tk = tickets_[tid];
        if (tk.lock == &lock &&
            (backup ? tk.mode == mode : lock.table->stronger_or_equal(tk.mode, mode))) {
            if (tk.duration == duration) {
                return true;
            }
            covered = true;
        }
    }
    if (covered) {
        if (grant(o, id, lock, mode, duration, std::nullopt)) {
            rescan(lock);
        }
        return true;
    }
    if (!can_grant(lock, o, mode, nullptr)) {
        return false;
    }
    if (grant(o, id, lock, mode, duration, replaces)) {
        rescan(lock);
    }
    return true;
}

/// MDL_lock::reschedule_waiters: grants every waiter that can be granted, front to back. A grant
/// that changed the mode of an existing ticket may unblock earlier waiters: scan again then.
void LockManager::rescan(Lock& lock) {
    bool again = true;
    while (again) {
        again = false;
        std::size_t keep = 0;
        for (std::size_t i = 0; i < lock.waiting.size(); ++i) {
            Waiter* w = lock.waiting[i];
            if (!can_grant(lock, *w->owner_state, w->mode, w)) {
                lock.waiting[keep++] = w;
                continue;
            }
            if (--lock.waiting_count[w->mode] == 0) {
                lock.waiting_mask &= ~bit(w->mode);
            }
            w->queued = false;
            w->owner_state->waiting = nullptr;
            again |= grant(*w->owner_state, w->owner, lock, w->mode, w->duration, w->replaces);
            w->outcome = LockResult::Granted;
            sim_.wake(w->blocker);
        }
        lock.waiting.resize(keep);
    }
}

// --- Acquire -----------------------------------------------------------------------------------

sim::Task<LockResult> LockManager::request(OwnerId owner, LockKey key, Mode mode, Duration duration,
                                           sim::Time timeout, std::optional<Mode> replaces) {
    Owner& o = owner_for(owner);
    if (o.waiting != nullptr) {
        throw std::logic_error("LockManager: the owner already has a pending request");
    }
    Lock& lock = lock_for(key, mode);
    if (grant_now(o, owner, lock, mode, duration, replaces)) {
        co_return LockResult::Granted;
    }
    if (timeout <= 0) {
        co_return LockResult::Timeout;  // MariaDB: lock_wait_timeout 0 fails without queueing
    }
    Waiter w(this, owner, &o, &lock, mode, duration, replaces);
    enqueue(w);
    resolve_deadlocks(w);
    if (!w.outcome) {
        const int r = co_await sim_.block(w.blocker, timeout);
        if (r == sim::Blocker::kTimedOut) {
            end_wait(w, LockResult::Timeout);
        }
    }
    co_return *w.outcome;
}

sim::Task<LockResult> LockManager::acquire(OwnerId owner, LockKey key, Mode mode, Duration duration,
                                           sim::Time timeout) {
    return request(owner, key, mode, duration, timeout, std::nullopt);
}

sim::Task<LockResult> LockManager::upgrade(OwnerId owner, LockKey key, Mode from, Mode to,
                                           Duration duration, sim::Time timeout) {
    return request(owner, key, to, duration, timeout, from);
}

bool LockManager::try_upgrade(OwnerId owner, LockKey key, Mode from, Mode to, Duration duration) {
    Lock& lock = lock_for(key, to);
    return grant_now(owner_for(owner), owner, lock, to, duration, from);
}

bool LockManager::try_acquire(OwnerId owner, LockKey key, Mode mode, Duration duration) {
    Lock& lock = lock_for(key, mode);
    return grant_now(owner_for(owner), owner, lock, mode, duration, std::nullopt);
}

void LockManager::enqueue(Waiter& w) {
    Lock& lock = *w.lock;
    lock.waiting.push_back(&w);
    ++lock.waiting_count[w.mode];
    lock.waiting_mask |= bit(w.mode);
    w.queued = true;
    w.owner_state->waiting = &w;
}

void LockManager::dequeue(Waiter& w) {
    Lock& lock = *w.lock;
    lock.waiting.erase(std::find(lock.waiting.begin(), lock.waiting.end(), &w));
    if (--lock.waiting_count[w.mode] == 0) {
        lock.waiting_mask &= ~bit(w.mode);
    }
    w.queued = false;
    w.owner_state->waiting = nullptr;
}

void LockManager::end_wait(Waiter& w, LockResult result) {
    dequeue(w);
    w.outcome = result;
    sim_.wake(w.blocker);  // does nothing if it has not parked yet, or has timed out
    rescan(*w.lock);
}

// --- Release -----------------------------------------------------------------------------------

LockManager::Lock& LockManager::remove_ticket(Owner& o, std::uint32_t id) {
    Ticket& tk = tickets_[id];
    Lock& lock = *tk.lock;
    const std::uint32_t last = lock.granted.back();
    lock.granted[tk.pos] = last;
    tickets_[last].pos = tk.pos;
    lock.granted.pop_back();
    if (--lock.granted_count[tk.mode] == 0) {
        lock.granted_mask &= ~bit(tk.mode);
    }
    o.tickets.erase(std::find(o.tickets.begin(), o.tickets.end(), id));
    free_tickets_.push_back(id);
    return lock;
}

void LockManager::release(OwnerId owner, LockKey key) {
    const auto it = owners_.find(owner);
    if (it == owners_.end()) {
        return;
    }
    Owner& o = it->second;
    for (std::size_t i = o.tickets.size(); i-- > 0;) {
        if (i < o.tickets.size() && tickets_[o.tickets[i]].lock->key == key) {
            rescan(remove_ticket(o, o.tickets[i]));
        }
    }
}

void LockManager::release_duration(OwnerId owner, Duration duration) {
    const auto it = owners_.find(owner);
    if (it == owners_.end()) {
        return;
    }
    Owner& o = it->second;
    for (std::size_t i = o.tickets.size(); i-- > 0;) {
        if (i < o.tickets.size() && tickets_[o.tickets[i]].duration == duration) {
            rescan(remove_ticket(o, o.tickets[i]));
        }
    }
}

void LockManager::release_all(OwnerId owner) {
    const auto it = owners_.find(owner);
    if (it == owners_.end()) {
        return;
    }
    Owner& o = it->second;
    if (o.waiting != nullptr) {
        end_wait(*o.waiting, LockResult::Killed);
    }
    while (!o.tickets.empty()) {
        rescan(remove_ticket(o, o.tickets.back()));
    }
}

void LockManager::downgrade(OwnerId owner, LockKey key, Mode from, Mode to) {
    Owner& o = owner_for(owner);
    Lock& lock = lock_for(key, to);
    if (!lock.table->stronger_or_equal(from, to)) {
        throw std::logic_error("LockManager::downgrade: the new mode is not weaker");
    }
    bool held = false;
    for (const std::uint32_t tid : o.tickets) {
        Ticket& tk = tickets_[tid];
        if (tk.lock == &lock && tk.mode == from) {
            held = true;
            if (from != to) {
                set_mode(tk, to);
            }
        }
    }
    if (!held) {
        throw std::logic_error("LockManager::downgrade: the owner holds no ticket of that mode");
    }
    rescan(lock);
}

void LockManager::kill_wait(OwnerId owner) {
    const auto it = owners_.find(owner);
    if (it != owners_.end() && it->second.waiting != nullptr) {
        end_wait(*it->second.waiting, LockResult::Killed);
    }
}

// --- Deadlocks ---------------------------------------------------------------------------------

void LockManager::resolve_deadlocks(Waiter& w) {
    while (!w.outcome && may_close_cycle(w)) {
        Waiter* victim = find_victim(w);
        if (victim == nullptr) {
            return;
        }
        ++deadlocks_;
        end_wait(*victim, LockResult::Deadlock);  // the new waiter, or another (then search again)
    }
}

/// Whether some queued request may be blocked by w's owner: by a ticket it holds, or by w's own
/// queued mode. If not, no wait-for edge leads back to w. Conservative (own requests count).
bool LockManager::may_close_cycle(const Waiter& w) const {
    const auto blocked_by = [](const Lock& lock, const std::vector<std::uint32_t>& row, Mode m) {
        for (std::uint32_t q = lock.waiting_mask; q != 0; q &= q - 1) {
            if ((row[static_cast<std::size_t>(std::countr_zero(q))] & bit(m)) != 0) {
                return true;
            }
        }
        return false;
    };
    for (const std::uint32_t tid : w.owner_state->tickets) {
        const Ticket& tk = tickets_[tid];
        if (blocked_by(*tk.lock, tk.lock->table->granted, tk.mode)) {
            return true;
        }
    }
    return blocked_by(*w.lock, w.lock->table->waiting, w.mode);
}

/// The owners w's request waits for (with repeats): conflicting granted tickets in grant-list
/// order, then conflicting queued requests in FIFO order.
std::vector<OwnerId> LockManager::blocking(OwnerId owner) const {
    const auto it = owners_.find(owner);
    if (it == owners_.end() || it->second.waiting == nullptr) {
        return {};
    }
    return blockers(*it->second.waiting);
}

std::vector<OwnerId> LockManager::blockers(const Waiter& w) const {
    const Lock& lock = *w.lock;
    const std::uint32_t g = lock.table->granted[w.mode];
    const std::uint32_t q = lock.table->waiting[w.mode];
    std::vector<OwnerId> out;
    if ((lock.granted_mask & g) != 0) {
        for (const std::uint32_t tid : lock.granted) {
            const Ticket& tk = tickets_[tid];
            if (tk.owner != w.owner && (g & bit(tk.mode)) != 0) {
                out.push_back(tk.owner);
            }
        }
    }
    if ((lock.waiting_mask & q) != 0) {
        for (const Waiter* other : lock.waiting) {
            if (other->owner != w.owner && (q & bit(other->mode)) != 0) {
                out.push_back(other->owner);
            }
        }
    }
    return out;
}

namespace {

/// BFS event visitor: remembers the first vertex seen with an edge back to vertex 0 (the new
/// waiter). BFS examines vertices by distance, so that edge closes a shortest cycle.
struct BackToStart {
    using event_filter = boost::on_examine_edge;
    std::size_t* last;
    template <class Edge, class Graph>
    void operator()(Edge e, const Graph& g) const {
        if (boost::target(e, g) == 0 && *last == std::numeric_limits<std::size_t>::max()) {
            *last = boost::source(e, g);
        }
    }
};

}  // namespace

LockManager::Waiter* LockManager::find_victim(Waiter& start) const {
    // Vertices: the waiting owners reachable from `start` (vertex 0). Not-waiting owners have no
    // outgoing edge, so they cannot be on a cycle and are left out.
    std::vector<Waiter*> nodes{&start};
    std::unordered_map<OwnerId, std::size_t> index{{start.owner, 0}};
    std::vector<std::pair<std::size_t, std::size_t>> edges;
    bool back_to_start = false;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        for (const OwnerId b : blockers(*nodes[i])) {
            const auto o = owners_.find(b);
            if (o == owners_.end() || o->second.waiting == nullptr) {
                continue;
            }
            const auto [pos, added] = index.try_emplace(b, nodes.size());
            if (added) {
                nodes.push_back(o->second.waiting);
            }
            edges.emplace_back(i, pos->second);
            back_to_start |= pos->second == 0;
        }
    }
    if (!back_to_start) {
        return nullptr;
    }

    using Graph = boost::adjacency_list<boost::vecS, boost::vecS, boost::directedS>;
    const Graph g(edges.begin(), edges.end(), nodes.size());
    std::vector<std::size_t> pred(nodes.size());
    for (std::size_t v = 0; v < pred.size(); ++v) {
        pred[v] = v;
    }
    std::size_t last = std::numeric_limits<std::size_t>::max();
    boost::breadth_first_search(
        g, 0,
        boost::visitor(boost::make_bfs_visitor(std::make_pair(
            boost::record_predecessors(pred.data(), boost::on_tree_edge{}), BackToStart{&last}))));

    // The cycle start -> ... -> last -> start, listed from the start.
    std::vector<std::size_t> cycle;
    for (std::size_t v = last; v != 0; v = pred[v]) {
        cycle.push_back(v);
    }
    cycle.push_back(0);
    std::reverse(cycle.begin(), cycle.end());
    const auto weight = [&](std::size_t v) {
        return nodes[v]->lock->table->deadlock_weight[nodes[v]->mode];
    };
    std::size_t victim = 0;
    for (const std::size_t v : cycle) {
        if (weight(v) < weight(victim)) {
            victim = v;
        }
    }
    return nodes[victim];
}

// --- Introspection -----------------------------------------------------------------------------

std::vector<LockManager::Held> LockManager::granted(LockKey key) const {
    std::vector<Held> out;
    const auto it = locks_.find(key);
    if (it == locks_.end()) {
        return out;
    }
    std::vector<const Ticket*> ts;
    for (const std::uint32_t tid : it->second.granted) {
        ts.push_back(&tickets_[tid]);
    }
    std::sort(ts.begin(), ts.end(),
              [](const Ticket* a, const Ticket* b) { return a->seq < b->seq; });
    for (const Ticket* t : ts) {
        out.push_back(Held{t->owner, key, t->mode, t->duration});
    }
    return out;
}

std::vector<LockManager::Held> LockManager::held_by(OwnerId owner) const {
    std::vector<Held> out;
    const auto it = owners_.find(owner);
    if (it != owners_.end()) {
        for (const std::uint32_t tid : it->second.tickets) {
            const Ticket& t = tickets_[tid];
            out.push_back(Held{owner, t.lock->key, t.mode, t.duration});
        }
    }
    return out;
}

bool LockManager::is_waiting(OwnerId owner) const {
    const auto it = owners_.find(owner);
    return it != owners_.end() && it->second.waiting != nullptr;
}

std::optional<LockKey> LockManager::waiting_for(OwnerId owner) const {
    const auto it = owners_.find(owner);
    if (it == owners_.end() || it->second.waiting == nullptr) {
        return std::nullopt;
    }
    return it->second.waiting->lock->key;
}

}  // namespace lockstage::models::locks
