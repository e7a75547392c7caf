// A served zone set as tidald builds it, for the fuzz targets: zone files imported into a SQLite
// store in a temp dir, a configuration, and ZoneSetLoader compiling the snapshots.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/snapshot/zone_set.h"

namespace tidal::fuzz {

struct ServedZones {
    std::string database;  // the store's path
    config::Config config;
    std::shared_ptr<const snapshot::ZoneSet> zones;
};

// Imports each of zone_files (names in zones/ of the source tree, e.g. "example.test.zone") into
// a new store at dir/tidal.db as a primary zone, then applies two small changes to example.test.
// (when it is among them) so that its journal can answer IXFR, then loads the set with
// ZoneSetLoader from this configuration:
// - key kKeyName (fuzz_support.h); remotes "primary" 127.0.0.1:53 with that key and
//   "loopback" 127.0.0.1:53 without;
// - every imported zone primary, allow-transfer [key, 127.0.0.0/8]; allow-update [key,
//   127.0.0.0/8] for example.test., [key] alone for the others (unsigned UPDATEs from loopback
//   are refused there);
// - with_secondary: also "secondary.test." (no data: answers SERVFAIL), allow-notify [primary,
//   loopback], so NOTIFY has a zone to act on.
// The store is closed on return (the set keeps no connection). Any failure aborts: the targets
// cannot run without it.
ServedZones build_served_zones(const std::string& dir, const std::vector<std::string>& zone_files,
                               bool with_secondary);

}  // namespace tidal::fuzz
