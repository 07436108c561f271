#pragma once
// The metadata lock manager: MariaDB's MDL (sql/mdl.cc) for the namespaces of mdl_modes.hpp.
//
// Grant rule (MDL_lock::can_grant_lock). A request of mode r on a key is granted iff
//   (a) no mode in granted[r] is held on that key by ANOTHER owner (the requester's own tickets
//       are ignored), and
//   (b) no mode in waiting[r] is in the bitmap of requests queued on that key. The bitmap has no
//       order: a request queued later counts as much as one queued earlier (a new FTWRL1 blocks
//       DML requests that were already waiting). The request itself is excluded.
// A request that cannot be granted is queued at the back of the key's FIFO. On every release,
// downgrade, upgrade that changes a mode, timeout, kill or deadlock victim on a key, its waiters
// are rescanned front to back (MDL_lock::reschedule_waiters); each grant during the scan is seen
// by the waiters after it. There is no anti-starvation (max_write_lock_count is "never").
//
// Tie-breaks, so a run is reproducible: waiters granted by one scan are woken in queue order, and
// a woken process resumes through the event queue at the current time, in wake order (never
// inside release()). A timeout ends the wait at exactly start + timeout. A request that is
// granted at once (or refused at once: timeout 0, or a deadlock victim on arrival) returns
// without any event.
//
// Own tickets. An owner may hold several tickets on one key (a DDL statement on a MyISAM table
// holds MDL_BACKUP_DDL and MDL_BACKUP_DML; a session committing inside BACKUP STAGE START holds
// its commit lock and its stage). acquire() of a mode by an owner that holds tickets on the key:
//   - if one of them is at least as strong (MDL_context::find_ticket; in BACKUP: the same mode),
//     it is granted at once with no check; with another duration a ticket of the requested mode
//     and duration is added (MariaDB clones the ticket);
//   - otherwise a new ticket is requested, checked by the grant rule ignoring the owner's tickets.
// upgrade(from, to) (MDL_ticket::upgrade_shared_lock: stage to stage, FTWRL1 -> FTWRL2,
// ALTER_COPY -> DDL, SHARED_UPGRADABLE -> EXCLUSIVE) is checked the same way and, once granted,
// changes the mode of the owner's `from` ticket; downgrade(from, to) the other way.
//
// Deadlocks (MDL_context::find_deadlock), checked once, when a request starts to wait: the
// wait-for graph has an edge A -> B when A's pending request is blocked by B (B holds a granted
// ticket in granted[A's mode], or B has a queued request whose mode is in waiting[A's mode]).
// First a cheap test: unless some queued request is blocked by the new waiter (by a ticket it
// holds or by its own queued mode), no edge leads back to it and there is no cycle. Otherwise the
// waiting owners reachable from the new waiter are collected (an owner that is not waiting has
// no outgoing edge), and a boost::adjacency_list of them is searched breadth-first from the new
// waiter for the shortest cycle through it. The victim is the owner on that cycle whose pending
// request has the lowest deadlock weight; ties go to the one nearest the new waiter along the
// cycle, the new waiter first (MariaDB's visitor compares with >= while unwinding back to the
// start). A victim other than the new waiter is woken with Deadlock and its request removed (then
// its key is rescanned) and the search repeats.
//
// Simplifications, on purpose: detection runs only when a wait starts, not when a waiter's set of
// blockers changes later; no search-depth limit (MariaDB declares a deadlock at depth 32) and no
// "deadlock overweight" for repeated victims; kill_wait only ends a wait in progress (it does not
// mark the owner killed for later requests). One deliberate difference: MariaDB does not rescan
// after merging an upgrade (so a waiter that the old mode blocked and the new one does not waits
// for the next release); we rescan. If the run ends with waiters parked, destroying their frames
// (or this manager) in either order is safe and wakes nobody.
#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <unordered_map>
#include <vector>

#include "models/locks/mdl_modes.hpp"
#include "sim/kernel/process.hpp"
#include "sim/kernel/simulation.hpp"
#include "sim/kernel/time.hpp"

namespace lockstage::models::locks {

struct LockKey {
    Ns ns;
    std::uint32_t object = 0;  ///< table id for Table; 0 otherwise
    auto operator<=>(const LockKey&) const = default;
};

enum class Duration : std::uint8_t { Statement, Transaction, Explicit };
enum class LockResult : std::uint8_t { Granted, Timeout, Deadlock, Killed };
using OwnerId = std::uint32_t;  ///< a session

class LockManager {
  public:
    explicit LockManager(sim::Simulation& sim);
    LockManager(const LockManager&) = delete;
    LockManager& operator=(const LockManager&) = delete;
    ~LockManager();

    /// Waits until granted, or until `timeout` (sim::kForever = none; <= 0 = do not wait)
    /// -> Timeout, or chosen as a deadlock victim -> Deadlock, or kill_wait(owner) -> Killed.
    /// On Granted the owner holds the lock for `duration` (see "Own tickets" above for an owner
    /// that already holds the key). An owner has at most one pending request.
    sim::Task<LockResult> acquire(OwnerId owner, LockKey key, Mode mode, Duration duration,
                                  sim::Time timeout);
    /// Like acquire, then the owner's ticket of mode `from` (same key and duration) becomes `to`
    /// (a new ticket if it holds none).
    sim::Task<LockResult> upgrade(OwnerId owner, LockKey key, Mode from, Mode to, Duration duration,
                                  sim::Time timeout);
    /// Immediate attempt only (no wait, no queueing): true if granted.
    bool try_acquire(OwnerId owner, LockKey key, Mode mode, Duration duration);
    /// Immediate upgrade attempt only: true if granted (the `from` ticket then holds `to`).
    bool try_upgrade(OwnerId owner, LockKey key, Mode from, Mode to, Duration duration);

    void release(OwnerId owner, LockKey key);                 ///< all the owner's tickets on key
    void release_duration(OwnerId owner, Duration duration);  ///< newest first, like MariaDB
    /// Disconnect / KILL CONNECTION: ends a pending wait with Killed, releases every ticket.
    void release_all(OwnerId owner);
    /// Sets the owner's `from` ticket on key to the weaker (or equal) mode `to`, e.g. BLOCK_DDL ->
    /// START, WAIT_DDL -> FLUSH, DDL -> ALTER_COPY, then rescans. Throws std::logic_error if the
    /// owner holds no `from` ticket on key or `to` is not weaker.
    void downgrade(OwnerId owner, LockKey key, Mode from, Mode to);
    /// The owner's pending acquire (if any) ends with Killed; its key is rescanned.
    void kill_wait(OwnerId owner);

    // Introspection (tests, traces, METADATA_LOCK_INFO-like).
    struct Held {
        OwnerId owner;
        LockKey key;
        Mode mode;
        Duration duration;
    };
    std::vector<Held> granted(LockKey key) const;  ///< in grant order (upgrade = granted again)
    std::vector<Held> held_by(OwnerId owner) const;
    bool is_waiting(OwnerId owner) const;
    std::optional<LockKey> waiting_for(OwnerId owner) const;
    /// The owners a waiting owner is blocked by (granted conflicting tickets, queued conflicting
    /// requests), in the key's order; empty when it is not waiting. (mariabackup's
    /// --kill-long-queries-timeout kills these.)
    std::vector<OwnerId> blocking(OwnerId owner) const;
    std::uint64_t deadlocks() const { return deadlocks_; }  ///< victims chosen so far

  private:
    struct Waiter;  // a pending request; lives in the acquire coroutine's frame
    static constexpr std::size_t kMaxModes = 16;
    struct Lock {
        LockKey key;
        const ModeTable* table;
        std::vector<std::uint32_t> granted;  // ticket ids, unordered (swap-and-pop)
        std::vector<Waiter*> waiting;        // FIFO
        std::array<std::uint32_t, kMaxModes> granted_count{}, waiting_count{};  // per mode
        std::uint32_t granted_mask = 0, waiting_mask = 0;  // the modes with a count > 0
    };
    struct Ticket {
        OwnerId owner;
        Lock* lock;
        Mode mode;
        Duration duration;
        std::uint64_t seq;  // grant order
        std::uint32_t pos;  // index in Lock::granted
    };
    struct Owner {
        std::vector<std::uint32_t> tickets;  // ticket ids, in acquisition order
        Waiter* waiting = nullptr;
    };
    struct KeyHash {
        std::size_t operator()(const LockKey& k) const noexcept {
            return std::hash<std::uint64_t>{}(
                (std::uint64_t{static_cast<std::uint8_t>(k.ns)} << 32) | k.object);
        }
    };

    Lock& lock_for(LockKey key, Mode mode);
    Owner& owner_for(OwnerId id) { return owners_[id]; }
    sim::Task<LockResult> request(OwnerId owner, LockKey key, Mode mode, Duration duration,
                                  sim::Time timeout, std::optional<Mode> replaces);
    bool grant_now(Owner& o, OwnerId id, Lock& lock, Mode mode, Duration duration,
                   std::optional<Mode> replaces);
    bool can_grant(const Lock& lock, const Owner& o, Mode mode, const Waiter* self) const;
    bool grant(Owner& o, OwnerId id, Lock& lock, Mode mode, Duration duration,
               std::optional<Mode> replaces);
    void set_mode(Ticket& t, Mode mode);
    Lock& remove_ticket(Owner& o, std::uint32_t id);
    void rescan(Lock& lock);
    void enqueue(Waiter& w);
    void dequeue(Waiter& w);
    void end_wait(Waiter& w, LockResult result);
    void resolve_deadlocks(Waiter& w);
    bool may_close_cycle(const Waiter& w) const;
    std::vector<OwnerId> blockers(const Waiter& w) const;
    Waiter* find_victim(Waiter& start) const;

    sim::Simulation& sim_;
    std::unordered_map<LockKey, Lock, KeyHash> locks_;
    std::unordered_map<OwnerId, Owner> owners_;
    std::vector<Ticket> tickets_;  // slab; free ids in free_tickets_
    std::vector<std::uint32_t> free_tickets_;
    std::uint64_t next_seq_ = 0;
    std::uint64_t deadlocks_ = 0;
};

}  // namespace lockstage::models::locks
