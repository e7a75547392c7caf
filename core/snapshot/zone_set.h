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
#include "core/tsig/tsig_key.h"

namespace tidal::snapshot {

// What the configuration says about one zone, compiled for the data plane.
struct ZonePolicy {
    config::ZoneRole role = config::ZoneRole::Primary;
    acl::AccessList allow_transfer;  // empty: nobody (RFC 5936 §6 leaves the policy to us)
    acl::AccessList allow_notify;    // secondaries: who may NOTIFY (default: the primaries)
};

// The configuration the data plane needs beside the zones: keys, policies, where the store is.
struct ServingContext {
    std::string database;
    std::shared_ptr<const tsig::KeyRing> keys = std::make_shared<const tsig::KeyRing>();
    std::unordered_map<std::string, ZonePolicy> policies;  // by lowercased wire apex
};

// Immutable once built; shared by all workers through ZoneSetPublisher.
class ZoneSet {
  public:
    ZoneSet() = default;
    explicit ZoneSet(std::vector<std::shared_ptr<const ZoneSnapshot>> zones,
                     std::shared_ptr<const ServingContext> context = nullptr);

    // The most specific zone whose apex is qname or an ancestor of it, or nullptr.
    // qname: lowercased wire name.
    const ZoneSnapshot* find_zone(std::string_view qname) const;

    // Exact apex lookup (lowercased wire), or nullptr.
    std::shared_ptr<const ZoneSnapshot> zone(std::string_view apex) const;

    const std::vector<std::shared_ptr<const ZoneSnapshot>>& zones() const { return zones_; }

    // The zone's policy; a zone without a configuration entry gets the default (no transfers).
    const ZonePolicy& policy(std::string_view apex) const;
    const tsig::KeyRing& keys() const { return *context_->keys; }
    const std::string& database() const { return context_->database; }

  private:
    std::vector<std::shared_ptr<const ZoneSnapshot>> zones_;
    std::unordered_map<std::string_view, const ZoneSnapshot*> by_apex_;
    std::shared_ptr<const ServingContext> context_ = std::make_shared<const ServingContext>();
};

}  // namespace tidal::snapshot
