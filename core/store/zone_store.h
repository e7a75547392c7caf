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

// A zone as the store knows it. name: lowercased wire apex.
struct ZoneInfo {
    int64_t id = 0;
    std::string name;
    uint32_t serial = 0;
};

// A zone and all its records, read inside one read transaction (a consistent cut).
struct ZoneContents {
    ZoneInfo info;
    std::vector<Record> records;  // sorted by (owner, type, rdata)
};

// One atomic change to one zone: RRs removed (TTL ignored) and RRs added. The SOA serial bump is
// done by the store (see apply_change); callers do not put the SOA in here unless they replace it.
struct ZoneChange {
    std::string zone;  // lowercased wire apex
    std::vector<Record> remove;
    std::vector<Record> add;
};

// Thread-compatible: one ZoneStore per thread. Several processes may open the same file (WAL).
class ZoneStore {
public:
    enum class Mode { ReadOnly, ReadWrite };

    // Opens (and for ReadWrite creates and migrates) the database. WAL mode, foreign keys on.
    static Result<std::unique_ptr<ZoneStore>> open(const std::string& path, Mode mode);
    ~ZoneStore();
    ZoneStore(const ZoneStore&) = delete;
    ZoneStore& operator=(const ZoneStore&) = delete;

    Result<std::vector<ZoneInfo>> list_zones();
    Result<std::optional<ZoneInfo>> find_zone(std::string_view apex);

    // The zone's records and serial in one read transaction.
    Result<ZoneContents> read_zone(std::string_view apex);

    // Replaces the zone's whole contents (creating the zone if needed) with records, storing only
    // the difference; records must hold exactly one SOA at the apex. One transaction.
    // Returns the serial now stored.
    Result<uint32_t> replace_zone(std::string_view apex, const std::vector<Record>& records);

    // THE write path: applies change and bumps the SOA serial in one transaction. Every other
    // write function is built on it. Returns the new serial.
    Result<uint32_t> apply_change(const ZoneChange& change);

    Status delete_zone(std::string_view apex);

    // SQLite's PRAGMA data_version: changes when another connection committed. Cheap to poll.
    Result<uint64_t> data_version();

private:
    explicit ZoneStore(sqlite3* db);
    sqlite3* db_;
};

}  // namespace tidal::store
