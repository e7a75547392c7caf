// The IXFR journal tables: one entry per change to an existing zone, with its removed/added RRs.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <vector>

#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::store {

// Appends entry for the zone, then trims the zone's journal to the bounds stored in its zones row
// (see trim_journal_to). Caller holds the write transaction.
Status insert_journal_entry(sqlite3* db, int64_t zone_id, const JournalEntry& entry);

// One journal row without its RRs.
struct JournalHead {
    int64_t id = 0;
    uint32_t serial_from = 0;
    uint32_t serial_to = 0;
    int64_t time = 0;
};

// The rows that lead from serial_from to current_serial, oldest first (empty when they are equal),
// or nullopt when the journal does not connect them. Caller holds a read transaction.
Result<std::optional<std::vector<JournalHead>>> select_journal_chain(sqlite3* db, int64_t zone_id,
                                                                     uint32_t serial_from,
                                                                     uint32_t current_serial);

// The entries from serial_from up to current_serial, oldest first, or nullopt when the chain of
// entries does not connect serial_from to current_serial. Caller holds a read transaction.
Result<std::optional<std::vector<JournalEntry>>> select_journal(sqlite3* db, int64_t zone_id,
                                                                uint32_t serial_from,
                                                                uint32_t current_serial);

// Deletes all but the newest keep entries of the zone; returns how many were deleted.
Result<uint64_t> delete_old_journal_entries(sqlite3* db, int64_t zone_id, uint64_t keep);

// Deletes the oldest entries beyond limits.max_changes, then the oldest while the rest hold more
// than limits.max_size bytes (the newest entry always stays). Returns how many were deleted.
Result<uint64_t> trim_journal_to(sqlite3* db, int64_t zone_id, const JournalLimits& limits);

// Deletes every journal entry of the zone (its history no longer chains to the stored zone, e.g.
// after a transfer whose serial went backwards); returns how many were deleted.
Result<uint64_t> delete_journal(sqlite3* db, int64_t zone_id);

}  // namespace tidal::store
