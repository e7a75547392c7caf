// Keeps the published ZoneSet in step with the SQLite store: compiles zones whose serial changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/config/config.h"
#include "core/snapshot/zone_set.h"
#include "core/snapshot/zone_set_publisher.h"
#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::snapshot {

class ZoneSet;
struct ServingContext;

// Owned and driven by one thread (tidald's main loop), never by a worker. Compiling happens
// here, off the query path; workers see the result only through publisher.publish().
class ZoneSetLoader {
  public:
    ZoneSetLoader(config::Config config, ZoneSetPublisher& publisher);

    // Opens the store and compiles and publishes every zone. Fails when the database cannot be
    // opened; a zone that fails to compile is published as not loaded (answers SERVFAIL).
    Status load_all();

    // Cheap when nothing changed (one PRAGMA data_version). Otherwise recompiles the zones whose
    // serial (or presence) changed and publishes a new set. Returns true if it published.
    Result<bool> refresh();

    // A new configuration (SIGHUP): zones added to or removed from it take effect.
    Status reconfigure(config::Config config);

  private:
    Status rebuild(bool force_all);
    // The next snapshot of a zone whose serial changed, derived from previous and the names its
    // journal says changed (zone_patcher.h); nullptr when it must be compiled whole.
    std::shared_ptr<const ZoneSnapshot> patch(const ZoneSnapshot& previous);
    // No usable database yet: configured zones answer SERVFAIL until one appears.
    void publish_without_data();
    // Keys and per-zone policies from the configuration, for the next published set.
    Status build_context();
    // Each secondary zone's freshness, from the replication states tidal-sync saved.
    Result<FreshnessMap> read_freshness();

    config::Config config_;
    ZoneSetPublisher& publisher_;
    std::unique_ptr<store::ZoneStore> store_;
    uint64_t data_version_ = 0;
    bool awaiting_migration_ = false;  // logged once that another process is migrating
    // When a zone was compiled afresh over an old copy: malloc_trim once the old one is gone.
    std::optional<std::chrono::steady_clock::time_point> trim_heap_at_;
    std::shared_ptr<const ZoneSet> current_;
    std::shared_ptr<const ServingContext> context_;          // from the configuration now
    std::shared_ptr<const ServingContext> current_context_;  // in the published set
};

}  // namespace tidal::snapshot
