// Applies one ZoneChange inside the caller's write transaction: records, SOA serial, journal.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <vector>

#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::store {

// The body of ZoneStore::apply_change for the zone row `zone` (already looked up in this
// transaction); see zone_store.h for the contract. The caller commits on success and rolls back
// on error. Returns the serial now stored.
Result<uint32_t> apply_change_in_transaction(sqlite3* db, const ZoneInfo& zone,
                                             const ZoneChange& change);

// What apply_exact_in_transaction changed.
struct ExactChange {
    Record old_soa;               // the SOA stored before
    uint32_t old_serial = 0;      // its serial
    std::vector<Record> removed;  // RRs deleted, with their stored TTLs; an RR whose TTL changed
                                  // appears here with the old TTL and in added with the new
    std::vector<Record> added;    // RRs inserted or given a new TTL
};

// For a secondary, which keeps its primary's serials: deletes `remove`, inserts `add` (both in
// order; SOA entries are skipped, exact duplicates ignored, an RR stored with another TTL gets
// the new one) and stores new_soa exactly as given (its serial included: no bump) as the zone's
// SOA and zones.serial. Writes no journal entry: the caller decides what to journal. When
// removals_must_exist, an RR of `remove` that is not stored is an Error naming it. The caller
// holds the write transaction and rolls back on error.
Result<ExactChange> apply_exact_in_transaction(sqlite3* db, const ZoneInfo& zone,
                                               const std::vector<Record>& remove,
                                               const std::vector<Record>& add,
                                               const Record& new_soa, bool removals_must_exist);

}  // namespace tidal::store
