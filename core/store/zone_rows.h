// Row-level reads and writes of the zones and records tables, for use inside a transaction.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/store/zone_store.h"
#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::store {

// The message for a zone that is not stored: "zone example.com. not found".
std::string zone_not_found(std::string_view apex);

// The zones row of apex (lowercased before the lookup), or nullopt.
Result<std::optional<ZoneInfo>> select_zone(sqlite3* db, std::string_view apex);

// The zones row of apex; an Error saying "zone ... not found" (after prefix, when given) when
// there is none.
Result<ZoneInfo> select_existing_zone(sqlite3* db, std::string_view apex,
                                      std::string_view prefix = {});

// All RRs of the zone in (owner, type, rdata) order.
Result<std::vector<Record>> select_records(sqlite3* db, int64_t zone_id);

// The zone's SOA record (there is exactly one, at the apex); Error if it is missing.
Result<Record> select_soa(sqlite3* db, const ZoneInfo& zone);

// Inserts a zones row and every record (exact duplicates ignored). Returns the new zone id.
Result<int64_t> insert_zone(sqlite3* db, std::string_view apex, uint32_t serial,
                            const std::vector<Record>& records);

// Sets zones.serial and zones.updated.
Status update_zone_serial(sqlite3* db, int64_t zone_id, uint32_t serial);

// Checks what every writer must ensure about RRs put into the zone apex: well-formed lowercased
// wire owners inside the zone, class IN, and an SOA only at the apex. operation names the caller.
Status check_records_for_zone(std::string_view apex, const std::vector<Record>& records,
                              std::string_view operation);

}  // namespace tidal::store
