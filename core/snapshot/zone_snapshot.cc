// ZoneSnapshot accessors: node lookup through the name index, RRset lookup within a node.
#include "core/snapshot/zone_snapshot.h"

#include "core/zone/soa_rdata.h"

namespace tidal::snapshot {

ZoneSnapshot::ZoneSnapshot(std::string apex, uint32_t serial, bool loaded)
    : apex_(std::move(apex)), serial_(serial), loaded_(loaded) {}

const Node* ZoneSnapshot::find(std::string_view name) const {
    const uint32_t index = index_.find(name, [this](uint32_t i) { return name_of(nodes_[i]); });
    return index == kNoNode ? nullptr : &nodes_[index];
}

const RRset* ZoneSnapshot::rrset(const Node& node, uint16_t type) const {
    // Nodes hold a handful of RRsets: a linear scan beats anything cleverer.
    for (const RRset* set = rrsets_begin(node); set != rrsets_end(node); ++set) {
        if (set->type == type) {
            return set;
        }
    }
    return nullptr;
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
    return sizeof(*this) + arena_.capacity() + nodes_.capacity() * sizeof(Node) +
           rrsets_.capacity() * sizeof(RRset) + targets_.capacity() * sizeof(uint32_t) +
           index_.memory_bytes();
}

}  // namespace tidal::snapshot
