// ZoneSet: zone selection by walking the query name's ancestors (most specific zone first).
#include "core/snapshot/zone_set.h"

#include "core/dns/name.h"

namespace tidal::snapshot {

namespace {
const ZonePolicy kDefaultPolicy{};
}  // namespace

ZoneSet::ZoneSet(std::vector<std::shared_ptr<const ZoneSnapshot>> zones,
                 std::shared_ptr<const ServingContext> context, FreshnessMap freshness_by_apex)
    : zones_(std::move(zones)),
      freshness_(std::move(freshness_by_apex)),
      context_(context ? std::move(context) : std::make_shared<const ServingContext>()) {
    by_apex_.reserve(zones_.size());
    for (const auto& zone : zones_) {
        by_apex_.emplace(zone->apex(), ServedZone{zone.get(), freshness(zone->apex())});
    }
}

const ZoneSnapshot* ZoneSet::find_zone(std::string_view qname) const {
    const ServedZone* served = find_served(qname);
    return served != nullptr ? served->zone : nullptr;
}

uint32_t expire_option_value(const ZoneFreshness& freshness, const ZoneSnapshot& zone,
                             int64_t now_ms) {
    if (freshness.expire_at != 0) {
        return freshness.expire_at > now_ms ? uint32_t((freshness.expire_at - now_ms) / 1000) : 0;
    }
    return zone.soa_expire();
}

const ZoneFreshness& ZoneSet::freshness(std::string_view apex) const {
    static const ZoneFreshness kUnbounded{};
    auto it = freshness_.find(std::string(apex));
    return it == freshness_.end() ? kUnbounded : it->second;
}

const ServedZone* ZoneSet::find_served(std::string_view qname) const {
    if (by_apex_.empty()) {
        return nullptr;
    }
    std::string_view name = qname;
    while (true) {
        auto it = by_apex_.find(name);
        if (it != by_apex_.end()) {
            return &it->second;
        }
        if (name.size() <= 1) {
            return nullptr;
        }
        name = dns::name_parent(name);
    }
}

const ZonePolicy& ZoneSet::policy(std::string_view apex) const {
    auto it = context_->policies.find(std::string(apex));
    return it == context_->policies.end() ? kDefaultPolicy : it->second;
}

std::shared_ptr<const ZoneSnapshot> ZoneSet::zone(std::string_view apex) const {
    for (const auto& zone : zones_) {
        if (zone->apex() == apex) {
            return zone;
        }
    }
    return nullptr;
}

}  // namespace tidal::snapshot
