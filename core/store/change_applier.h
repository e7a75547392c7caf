// Applies one ZoneChange inside the caller's write transaction: records, SOA serial, journal.
#pragma once

#include <sqlite3.h>

#include <cstdint>

#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::store {

// The body of ZoneStore::apply_change for the zone row `zone` (already looked up in this
// transaction); see zone_store.h for the contract. The caller commits on success and rolls back
// on error. Returns the serial now stored.
Result<uint32_t> apply_change_in_transaction(sqlite3* db, const ZoneInfo& zone,
                                             const ZoneChange& change);

}  // namespace tidal::store
