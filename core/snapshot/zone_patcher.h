// Derives a zone's next snapshot from the published one and the names that changed.
#pragma once

#include <memory>
#include <optional>

#include "core/snapshot/zone_snapshot.h"
#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::snapshot {

// The snapshot of delta's version, built from base (the published snapshot of the same stored
// zone at an older serial) and the changed names in delta, in time proportional to the change:
// it shares every part of base it does not touch. nullopt when the zone should be compiled
// afresh instead: a delegation point appears or goes above names that exist, the name index has
// no room, replaced data has piled up past the compiled size, or a changed RRset breaks a limit
// (the full compile then reports it).
std::optional<std::shared_ptr<const ZoneSnapshot>> patch_zone(const ZoneSnapshot& base,
                                                              const store::ZoneDelta& delta);

}  // namespace tidal::snapshot
