// The set of zones a server answers for, as immutable compiled snapshots, with zone selection.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/acl/access_list.h"
#include "core/config/config.h"
#include "core/snapshot/zone_snapshot.h"
#include "core/store/reader_pool.h"
#include "core/tsig/tsig_key.h"

namespace tidal::snapshot {

// What the configuration says about one zone, compiled for the data plane.
struct ZonePolicy {
    config::ZoneRole role = config::ZoneRole::Primary;
    acl::AccessList allow_transfer;  // empty: nobody (RFC 5936 §6 leaves the policy to us)
    acl::AccessList allow_notify;    // secondaries: who may NOTIFY (default: the primaries)
    acl::AccessList allow_update;    // primaries: who may UPDATE (RFC 2136 §3.3); empty: nobody
    config::SerialPolicy serial_policy = config::SerialPolicy::Increment;  // for UPDATEs
    std::vector<config::Remote> primaries;  // secondaries: where UPDATEs are forwarded, in order
};

// The configuration the data plane needs beside the zones: keys, policies, where the store is.
struct ServingContext {
    std::string database;
    // Read connections to database for the thread pool (IXFR journals); shared, thread-safe.
    std::shared_ptr<store::ReaderPool> readers;
    std::shared_ptr<const tsig::KeyRing> keys = std::make_shared<const tsig::KeyRing>();
    std::unordered_map<std::string, ZonePolicy> policies;  // by lowercased wire apex
};

// How far this host's copy of a zone may be trusted, from tidal-sync's replication state
// (store::SyncState) and the zone's configuration. Times are milliseconds since the Unix epoch.
// Primaries, and secondaries without max-staleness, have no stale_at; only secondaries expire.
struct ZoneFreshness {
    int64_t stale_at = 0;      // last confirmed current + max-staleness; 0: no bound
    int64_t expire_at = 0;     // SOA EXPIRE (RFC 1035 §3.3.13, RFC 7314) deadline; 0: never
    bool expired = false;      // tidal-sync gave the copy up (expired, or never transferred)
    bool serve_stale = false;  // stale-policy: serve (short TTLs, RFC 8767) instead of refuse

    bool bounded() const { return stale_at != 0 || expire_at != 0 || expired; }
    // RFC 1035 §3.3.13: past EXPIRE (or given up by tidal-sync) the copy is not authoritative:
    // queries and transfers get SERVFAIL.
    bool expired_at(int64_t now_ms) const {
        return expired || (expire_at != 0 && now_ms >= expire_at);
    }
    friend bool operator==(const ZoneFreshness&, const ZoneFreshness&) = default;
};

// A zone as the data plane finds it: its snapshot and its freshness.
struct ServedZone {
    const ZoneSnapshot* zone = nullptr;
    ZoneFreshness freshness;
};

// The EDNS EXPIRE value this host gives for the zone (RFC 7314 §3): a secondary the seconds left
// before its copy expires, a primary (or a copy with no known deadline) the SOA EXPIRE field.
uint32_t expire_option_value(const ZoneFreshness& freshness, const ZoneSnapshot& zone,
                             int64_t now_ms);

using FreshnessMap = std::unordered_map<std::string, ZoneFreshness>;  // by lowercased wire apex

// Immutable once built; shared by all workers through ZoneSetPublisher.
class ZoneSet {
  public:
    ZoneSet() = default;
    explicit ZoneSet(std::vector<std::shared_ptr<const ZoneSnapshot>> zones,
                     std::shared_ptr<const ServingContext> context = nullptr,
                     FreshnessMap freshness = {});

    // The most specific zone whose apex is qname or an ancestor of it, or nullptr.
    // qname: lowercased wire name.
    const ZoneSnapshot* find_zone(std::string_view qname) const;
    // The same zone with its freshness (the query path's one lookup), or nullptr.
    const ServedZone* find_served(std::string_view qname) const;

    // The freshness of the zone at apex (unbounded when none was given).
    const ZoneFreshness& freshness(std::string_view apex) const;
    const FreshnessMap& freshness_map() const { return freshness_; }

    // Exact apex lookup (lowercased wire), or nullptr.
    std::shared_ptr<const ZoneSnapshot> zone(std::string_view apex) const;

    const std::vector<std::shared_ptr<const ZoneSnapshot>>& zones() const { return zones_; }

    // The zone's policy; a zone without a configuration entry gets the default (no transfers).
    const ZonePolicy& policy(std::string_view apex) const;
    const tsig::KeyRing& keys() const { return *context_->keys; }
    const std::string& database() const { return context_->database; }
    // The context's reader pool; nullptr for a set built without one (tests).
    store::ReaderPool* readers() const { return context_->readers.get(); }

  private:
    std::vector<std::shared_ptr<const ZoneSnapshot>> zones_;
    std::unordered_map<std::string_view, ServedZone> by_apex_;
    FreshnessMap freshness_;
    std::shared_ptr<const ServingContext> context_ = std::make_shared<const ServingContext>();
};

}  // namespace tidal::snapshot
