// ZoneSnapshot accessors: node lookup through the name index, RRset lookup within a node.
#include "core/snapshot/zone_snapshot.h"

#include "core/dns/name.h"
#include "core/zone/soa_rdata.h"

namespace tidal::snapshot {

ZoneSnapshot::ZoneSnapshot(std::string apex, uint32_t serial, bool loaded)
    : apex_(std::move(apex)), serial_(serial), loaded_(loaded) {}

ZoneSnapshot::ZoneSnapshot(const ZoneSnapshot& base, uint32_t serial)
    : apex_(base.apex_),
      serial_(serial),
      loaded_(true),
      store_id_(base.store_id_),
      arena_(base.arena_),
      nodes_(base.nodes_),
      index_(base.index_),
      compiled_arena_bytes_(base.compiled_arena_bytes_) {}

const RRset* ZoneSnapshot::rrset(const Node& node, uint16_t type) const {
    // Nodes hold a handful of RRsets: a linear scan beats anything cleverer.
    for (const RRset* set = rrsets_begin(node); set != rrsets_end(node); ++set) {
        if (set->type == type) {
            return set;
        }
    }
    return nullptr;
}

uint32_t ZoneSnapshot::resolve_target(std::string_view name) const {
    if (!dns::name_is_subdomain(name, apex_)) {
        return kNoNode;
    }
    if (find(name) != nullptr) {
        return find_index(name);
    }
    // The closest encloser exists (the apex at worst); its wildcard answers, if it has one.
    std::string_view encloser = dns::name_parent(name);
    while (true) {
        if (const Node* up = find(encloser)) {
            return up->wildcard;
        }
        encloser = dns::name_parent(encloser);
    }
}

uint32_t ZoneSnapshot::soa_expire() const {
    if (soa_ == nullptr || soa_->count == 0) {
        return 0;
    }
    const uint8_t* entry = rdata(*soa_);
    const size_t len = (size_t(entry[0]) << 8) | entry[1];
    const std::string_view wire(reinterpret_cast<const char*>(entry + 2), len);
    return zone::soa_field(wire, zone::SoaField::Expire).value_or(0);
}

size_t ZoneSnapshot::memory_bytes() const {
    return sizeof(*this) + arena_.bytes() + nodes_.memory_bytes() + index_.memory_bytes();
}

}  // namespace tidal::snapshot
