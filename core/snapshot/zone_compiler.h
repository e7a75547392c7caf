// Compiles a zone's records (from the store) into an immutable ZoneSnapshot.
#pragma once

#include <memory>

#include "core/snapshot/zone_snapshot.h"
#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::snapshot {

// Builds the node tree (with empty non-terminals), delegation points, wildcard links and
// pre-encoded RRsets. Fails if the zone has no SOA at its apex.
Result<std::shared_ptr<const ZoneSnapshot>> compile_zone(const store::ZoneContents& contents);

// A placeholder for a configured zone whose data is missing: every query for it gets SERVFAIL.
std::shared_ptr<const ZoneSnapshot> unloaded_zone(std::string apex);

}  // namespace tidal::snapshot
