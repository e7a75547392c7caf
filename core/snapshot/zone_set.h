// The set of zones a server answers for, as immutable compiled snapshots, with zone selection.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/snapshot/zone_snapshot.h"

namespace tidal::snapshot {

// Immutable once built; shared by all workers through ZoneSetPublisher.
class ZoneSet {
  public:
    ZoneSet() = default;
    explicit ZoneSet(std::vector<std::shared_ptr<const ZoneSnapshot>> zones);

    // The most specific zone whose apex is qname or an ancestor of it, or nullptr.
    // qname: lowercased wire name.
    const ZoneSnapshot* find_zone(std::string_view qname) const;

    // Exact apex lookup (lowercased wire), or nullptr.
    std::shared_ptr<const ZoneSnapshot> zone(std::string_view apex) const;

    const std::vector<std::shared_ptr<const ZoneSnapshot>>& zones() const { return zones_; }

  private:
    std::vector<std::shared_ptr<const ZoneSnapshot>> zones_;
    std::unordered_map<std::string_view, const ZoneSnapshot*> by_apex_;
};

}  // namespace tidal::snapshot
