// The host's SQLite zone store: schema, migrations, reads for snapshots, and the one write path.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/zone/edit_script.h"
#include "core/zone/record.h"
#include "core/zone/serial_policy.h"

struct sqlite3;

namespace tidal::store {

// A zone as the store knows it. name: lowercased wire apex. serial: the SOA serial now stored.
struct ZoneInfo {
    int64_t id = 0;
    std::string name;
    uint32_t serial = 0;
};

// A zone and all its records, read inside one read transaction (a consistent cut).
struct ZoneContents {
    ZoneInfo info;
    std::vector<Record> records;  // sorted by (owner, type, rdata), byte order of the wire forms
};

// What a zone's journal says changed since a serial, with the current RRs at every name it
// touched, read in one read transaction (for tidald's incremental snapshot update).
struct ZoneDelta {
    ZoneInfo info;                    // the zone row as the transaction found it
    std::vector<std::string> owners;  // each name added to or removed from since, sorted, unique
    std::vector<Record> records;      // every RR now stored at those names, by (owner, type, rdata)
};

// One atomic change to one zone: RRs removed (TTL ignored) and RRs added. The SOA serial bump is
// done by the store (see apply_change); callers do not put the SOA in here unless they replace it.
struct ZoneChange {
    std::string zone;  // lowercased wire apex
    std::vector<Record> remove;
    std::vector<Record> add;
    // How the serial is bumped (the zone's `serial-policy`); an SOA in `add` with a greater
    // serial still wins.
    zone::SerialPolicy serial_policy = zone::SerialPolicy::Increment;
};

// One committed change as the journal keeps it, ready to be sent as one IXFR difference sequence
// (RFC 1995 §4): removed[0] is the SOA before the change, added[0] the SOA after it; the other
// RRs removed and added follow in the order they were applied, with the TTLs they had.
struct JournalEntry {
    uint32_t serial_from = 0;
    uint32_t serial_to = 0;
    int64_t time = 0;  // seconds since the Unix epoch, when the change was committed
    std::vector<Record> removed;
    std::vector<Record> added;
};

// How much IXFR history a zone keeps (configuration: journal-max-changes, journal-max-size).
struct JournalLimits {
    uint64_t max_changes = 1000;
    uint64_t max_size = uint64_t(64) << 20;  // bytes
};

// What a secondary last asked this primary for (recorded by tidal-sync when tidald reports a
// transfer it served), for `tidalctl status`. time: milliseconds since the Unix epoch.
struct TransferPeer {
    std::string zone;                      // lowercased wire apex
    std::string peer;                      // the secondary's address ("192.0.2.2" or "2001:db8::2")
    std::string key;                       // TSIG key name it signed with, or empty
    std::string kind;                      // "IXFR" or "AXFR"
    std::optional<uint32_t> serial_asked;  // the serial it had (IXFR), none for AXFR
    uint32_t serial_sent = 0;              // the serial it was sent
    int64_t time = 0;

    friend bool operator==(const TransferPeer&, const TransferPeer&) = default;
};

// Replication state of one secondary zone, kept by tidal-sync so a restart resumes where it was,
// and read by tidald (expired zones answer SERVFAIL; TTLs are bounded by staleness). Times are
// milliseconds since the Unix epoch; 0 means never / not set.
struct SyncState {
    std::string zone;          // lowercased wire apex
    int64_t last_check = 0;    // last SOA check (or transfer) that reached a primary
    int64_t last_success = 0;  // last time the zone was confirmed current: an SOA check showing
                               // no newer serial, or a transfer applied
    int64_t last_attempt = 0;  // last SOA check or transfer attempted, whatever its outcome
    int64_t refresh_at = 0;    // next SOA check due (SOA REFRESH after a success)
    int64_t retry_at = 0;      // next attempt after a failure (SOA RETRY)
    int64_t expire_at = 0;     // when the zone expires without a success (SOA EXPIRE)
    bool expired = false;      // expire_at passed without a success: not served (SERVFAIL)
    std::optional<uint32_t> primary_serial;  // the serial the primary last reported
    std::string primary_used;                // the remote (id or address) last used
    std::string last_error;                  // why the last attempt failed; empty after a success

    friend bool operator==(const SyncState&, const SyncState&) = default;
};

// Read access to one zone's stored records for ZoneStore::update_zone's decide callback. It reads
// inside the update's write transaction, so what it returns is exactly what the change will be
// applied to. Valid only during the callback.
class ZoneReader {
  public:
    virtual ~ZoneReader() = default;
    // The zone row (id, apex, serial) as the transaction found it.
    virtual const ZoneInfo& zone() const = 0;
    // Every RR stored at owner (lowercased wire), in (type, rdata) order; empty when none.
    virtual Result<std::vector<Record>> records_at(std::string_view owner) = 0;
};

// What ZoneStore::update_zone did.
struct UpdateOutcome {
    bool zone_found = false;     // false: the zone is not stored here; decide was not called
    bool applied = false;        // a change was committed (the serial went up)
    uint32_t serial_before = 0;  // the serial when the transaction began
    uint32_t serial_after = 0;   // the serial now stored (serial_before when nothing changed)
};

// update_zone's callback: the change to commit, or nullopt to write nothing (e.g. a failed
// RFC 2136 prerequisite). An Error aborts the transaction and is returned by update_zone.
using UpdateDecider = std::function<Result<std::optional<ZoneChange>>(ZoneReader& reader)>;

// What ZoneStore::apply_checked_change and ZoneStore::apply_edits did.
struct CheckedOutcome {
    UpdateOutcome update;                      // zone_found, applied, serial_before, serial_after
    std::optional<zone::Rejection> rejection;  // a rule or prerequisite failed: nothing written
};

// Thread-compatible: one ZoneStore per thread. Several processes may open the same file (WAL):
// writers wait for each other (busy timeout 5 s), readers never wait for writers.
class ZoneStore {
  public:
    enum class Mode { ReadOnly, ReadWrite };

    // Opens the database. ReadWrite creates the file (and its parent directory) if missing,
    // migrates the schema, sets WAL mode and synchronous=FULL (a committed change survives a
    // power loss). ReadOnly (SQLITE_OPEN_READONLY) needs an existing, up-to-date file and works
    // while another process writes. Foreign keys on, busy timeout 5 s in both modes. A file that
    // is corrupt, not a Tidal store or of a newer schema gives an Error naming the file.
    static Result<std::unique_ptr<ZoneStore>> open(const std::string& path, Mode mode);
    ~ZoneStore();
    ZoneStore(const ZoneStore&) = delete;
    ZoneStore& operator=(const ZoneStore&) = delete;

    // Every zone, ordered by wire name.
    Result<std::vector<ZoneInfo>> list_zones();
    // The zone with this apex (any case), or nullopt.
    Result<std::optional<ZoneInfo>> find_zone(std::string_view apex);
    // The zone's SOA record (one indexed read; for NOTIFY, RFC 1996 §3.7). Error if no zone.
    Result<Record> soa(std::string_view apex);
    // Number of RRs stored for the zone (an index scan: for tools, not for hot paths).
    Result<uint64_t> count_records(std::string_view apex);

    // The zone's records and serial in one read transaction. Error if the zone does not exist.
    Result<ZoneContents> read_zone(std::string_view apex);

    // Replaces the zone's whole contents (creating the zone if needed) with records, storing only
    // the difference; records must hold exactly one SOA at the apex, all owners inside the zone,
    // class IN. A new zone keeps the SOA's serial and gets no journal entry. For an existing zone
    // the difference (TTL changes included) goes through apply_change: when nothing differs,
    // nothing is written and the stored serial is returned; when the content differs and the
    // given serial is not greater (RFC 1982) than the stored one, stored + 1 is used (and a
    // warning logged), so the serial never goes backwards. One transaction. Returns the serial.
    Result<uint32_t> replace_zone(std::string_view apex, const std::vector<Record>& records);

    // Like replace_zone for a zone that must not exist yet (Error if it does).
    Result<uint32_t> create_zone(std::string_view apex, const std::vector<Record>& records);

    // THE write path, one BEGIN IMMEDIATE transaction: checks the zone exists and every RR lies in
    // it, deletes the `remove` RRs (absent ones ignored; an SOA there is ignored: the SOA is only
    // ever replaced), inserts the `add` RRs (exact duplicates ignored; an RR already stored with
    // another TTL gets the new TTL), bumps the SOA serial (RFC 1982: old + 1 mod 2^32, or the
    // serial of an SOA in `add` if that one is greater), stores the new SOA and zones.serial, and
    // writes a journal entry. A change that alters nothing writes nothing and returns the stored
    // serial. On any error nothing is written. Returns the serial now stored.
    Result<uint32_t> apply_change(const ZoneChange& change);

    // A read-decide-write edit in ONE write transaction (BEGIN IMMEDIATE): concurrent editors
    // from any process serialise on SQLite's write lock, so what decide read is still true when
    // its change commits (RFC 2136 §3.2 prerequisites as compare-and-set). decide runs once,
    // inside the transaction, with read access to the zone; its change (when not nullopt) goes
    // through the one write path (apply_change_in_transaction: serial bump and journal entry).
    // A change that alters nothing writes nothing (applied false). On any Error nothing is
    // written. ReadWrite only. Defined in zone_store_update.cc.
    Result<UpdateOutcome> update_zone(std::string_view apex, const UpdateDecider& decide);

    // apply_change with zone::check_change (core/zone/change_checks.h) run in the same write
    // transaction on the RRs stored at the names the change touches, so no other writer slips
    // in between the check and the write. A broken rule gives a rejection and writes nothing;
    // a missing zone gives update.zone_found false. Defined in zone_store_checked.cc.
    Result<CheckedOutcome> apply_checked_change(const ZoneChange& change);

    // Decides script with zone::decide_edits (prerequisites, then the edits in order, then the
    // rules of check_change) on the RRs stored at the names it touches, and applies the result,
    // all in ONE write transaction: one serial bump following policy, or nothing written (a
    // rejection says why). Defined in zone_store_checked.cc.
    Result<CheckedOutcome> apply_edits(const zone::EditScript& script, zone::SerialPolicy policy);

    // Deletes the zone, its records and its journal. Error if it does not exist.
    Status delete_zone(std::string_view apex);

    // The journal entries that lead from serial_from to the zone's current serial, oldest first;
    // nullopt when the journal does not reach back to serial_from (the caller then sends AXFR,
    // RFC 1995 §4). An empty vector when serial_from is the current serial.
    Result<std::optional<std::vector<JournalEntry>>> read_journal(std::string_view apex,
                                                                  uint32_t serial_from);

    // The names changed between serial_from and the current serial, and what is stored at them
    // now, in one read transaction; nullopt when the journal does not chain from serial_from, or
    // when more than max_owners names changed (re-reading the zone is then cheaper). Error if the
    // zone does not exist. Defined in zone_store_delta.cc.
    Result<std::optional<ZoneDelta>> read_zone_delta(std::string_view apex, uint32_t serial_from,
                                                     size_t max_owners);

    // Drops all but the newest keep journal entries of the zone. Returns how many were dropped.
    Result<uint64_t> trim_journal(std::string_view apex, uint64_t keep);

    // How this connection's later commits reach the disk (SQLite's synchronous setting in WAL
    // mode). Full, the default: every commit is synced before it becomes visible, so it
    // survives a power loss. Normal: commits are synced at the next checkpoint; a power loss
    // (not a crash of the process) may undo the newest ones, never half of one.
    enum class CommitSync { Full, Normal };
    Status set_commit_sync(CommitSync sync);

    // Copies the WAL into the database file as far as no reader still needs it (a passive
    // checkpoint: waits for nobody). For the background checkpoint of defer_checkpoints
    // (commit_signal.h). ReadWrite only.
    Status checkpoint();

    // Stores the zone's journal bounds (from the configuration) and trims the journal to them at
    // once; every later journal write trims to them in its own transaction. Writes nothing when
    // they are already stored. Error if the zone does not exist.
    Status set_journal_limits(std::string_view apex, const JournalLimits& limits);
    // The zone's stored journal bounds, entry count and size in bytes.
    struct JournalUsage {
        JournalLimits limits;
        uint64_t changes = 0;
        uint64_t bytes = 0;
        std::optional<uint32_t> oldest_serial;  // the serial the journal reaches back to
    };
    Result<JournalUsage> journal_usage(std::string_view apex);

    // Records what a secondary was sent (one row per zone and peer, replaced). ReadWrite only.
    Status save_transfer_peer(const TransferPeer& peer);
    // Every recorded peer of the zone, ordered by peer.
    Result<std::vector<TransferPeer>> transfer_peers(std::string_view apex);

    // --- Secondary side (tidal-sync): the primary's serials are stored exactly, never bumped. ---

    // Stores a zone received by AXFR (RFC 5936), or by IXFR answered AXFR-style, in one
    // transaction. records: the whole zone, exactly one SOA at the apex, owners lowercased wire
    // inside the zone, class IN (duplicates allowed; the first TTL of an RR wins; pass an rvalue
    // to save a copy of a large zone: the records are sorted in place). A missing zone
    // is created without a journal entry. An existing zone gets only the difference written, and
    // its serial becomes exactly the SOA's: when that serial is greater (RFC 1982) the journal
    // gets one entry with the real difference (old SOA + RRs removed, new SOA + RRs added), so
    // this host serves IXFR to its own secondaries; when it is equal with other contents, older,
    // or not comparable, a warning is logged and the zone's journal is cleared (history no
    // longer chains). Identical contents write nothing. On error nothing changes. Returns the
    // serial now stored. state, when given, is saved as the zone's replication state in the same
    // transaction (save_sync_state), so a transfer costs one commit.
    Result<uint32_t> apply_axfr(std::string_view apex, std::vector<Record> records,
                                const SyncState* state = nullptr);

    // Applies IXFR differences (RFC 1995 §4), oldest first, all in ONE transaction. Each
    // difference: removed[0] the old SOA, added[0] the new SOA (no other SOA), serial_from and
    // serial_to equal to those SOAs' serials, serial_from equal to the serial stored at that
    // point, serial_to greater (RFC 1982), every removed RR present (TTL ignored). Added RRs are
    // inserted (an RR already stored gets the new TTL). Each difference is journaled as received
    // (time = now). Any failure (zone missing, history mismatch, an RR to remove not stored, a
    // record outside the zone) rolls everything back and returns an Error saying which
    // difference and RR: the caller then falls back to AXFR. An empty list changes nothing.
    // Returns the serial now stored. state: as for apply_axfr.
    Result<uint32_t> apply_ixfr(std::string_view apex, const std::vector<JournalEntry>& differences,
                                const SyncState* state = nullptr);

    // The zone's replication state, or nullopt when none was saved. One indexed read; works on
    // a ReadOnly store.
    Result<std::optional<SyncState>> sync_state(std::string_view apex);
    // Every saved replication state, ordered by zone wire name (for tidald's loader: one query).
    Result<std::vector<SyncState>> sync_states();
    // Inserts or replaces the state of state.zone (lowercased before storing). ReadWrite only.
    Status save_sync_state(const SyncState& state);
    // Forgets the zone's state (nothing to forget is not an error). ReadWrite only.
    Status delete_sync_state(std::string_view apex);

    // Everything that is wrong with the file: SQLite's integrity_check and foreign_key_check,
    // then Tidal's invariants (one SOA per zone, at the apex, with the zone's serial; a journal
    // that chains to the current serial). Empty when the database is sound. One read transaction.
    Result<std::vector<std::string>> check();

    // SQLite's PRAGMA data_version: changes when another connection committed. Cheap to poll.
    Result<uint64_t> data_version();

  private:
    ZoneStore(sqlite3* db, Mode mode);
    Status require_writable(std::string_view operation) const;
    Result<uint32_t> write_zone(std::string_view apex, const std::vector<Record>& records,
                                bool must_be_new);

    sqlite3* db_;
    Mode mode_;
};

}  // namespace tidal::store
