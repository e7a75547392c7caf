// The host's SQLite zone store: schema, migrations, reads for snapshots, and the one write path.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/zone/record.h"

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

// One atomic change to one zone: RRs removed (TTL ignored) and RRs added. The SOA serial bump is
// done by the store (see apply_change); callers do not put the SOA in here unless they replace it.
struct ZoneChange {
    std::string zone;  // lowercased wire apex
    std::vector<Record> remove;
    std::vector<Record> add;
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

    // Deletes the zone, its records and its journal. Error if it does not exist.
    Status delete_zone(std::string_view apex);

    // The journal entries that lead from serial_from to the zone's current serial, oldest first;
    // nullopt when the journal does not reach back to serial_from (the caller then sends AXFR,
    // RFC 1995 §4). An empty vector when serial_from is the current serial.
    Result<std::optional<std::vector<JournalEntry>>> read_journal(std::string_view apex,
                                                                  uint32_t serial_from);

    // Drops all but the newest keep journal entries of the zone. Returns how many were dropped.
    Result<uint64_t> trim_journal(std::string_view apex, uint64_t keep);

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
