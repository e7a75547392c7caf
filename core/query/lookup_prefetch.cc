// LookupPrefetch: question name → zone → index slot → node → name, one step per call.
#include "core/query/lookup_prefetch.h"

#include <string_view>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::query {

void LookupPrefetch::start(const snapshot::ZoneSet& zones, const uint8_t* query, size_t length) {
    zone_ = nullptr;
    node_ = snapshot::kNoNode;
    constexpr size_t kHeader = 12;  // RFC 1035 §4.1.1; the question follows
    char lowered[dns::kMaxNameLength];
    size_t at = kHeader;
    size_t out = 0;
    while (true) {
        if (at >= length) {
            return;
        }
        const uint8_t label = query[at];
        if (label > 63 || out + 1 + label > sizeof(lowered) || at + 1 + label > length) {
            return;  // compressed or malformed: the responder will say what is wrong
        }
        lowered[out++] = char(label);
        for (size_t i = 1; i <= label; ++i) {
            lowered[out++] = char(dns::lower_octet(query[at + i]));
        }
        at += 1 + label;
        if (label == 0) {
            break;
        }
    }
    const std::string_view name(lowered, out);
    const snapshot::ServedZone* served = zones.find_served(name);
    if (served == nullptr || served->zone == nullptr || !served->zone->loaded()) {
        return;
    }
    zone_ = served->zone;
    hash_ = snapshot::NameIndex::hash(name);
    zone_->prefetch_slot(hash_);
}

void LookupPrefetch::node() {
    if (zone_ != nullptr) {
        node_ = zone_->prefetch_candidate(hash_);
        zone_->prefetch_node(node_);
    }
}

void LookupPrefetch::name() const {
    if (zone_ != nullptr) {
        zone_->prefetch_name(node_);
    }
}

}  // namespace tidal::query
