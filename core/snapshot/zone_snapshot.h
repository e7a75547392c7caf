// An immutable, compiled, in-memory image of one zone: nodes, RRsets and their wire rdata.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/snapshot/name_index.h"

namespace tidal::snapshot {

constexpr uint32_t kNoNode = ~uint32_t(0);

// One RRset. Its records are `count` entries of [uint16 rdlength][rdata] starting at
// rdata_offset in the snapshot's arena. For NS, MX and SRV, `targets` indexes count node ids
// (kNoNode when the target is not in this zone) for additional-section processing.
struct RRset {
    uint16_t type = 0;
    uint16_t count = 0;
    uint32_t ttl = 0;
    uint32_t rdata_offset = 0;
    uint32_t rdata_size = 0;
    uint32_t targets = kNoNode;
};

// A name in the zone: one that owns records or an empty non-terminal (RFC 4592 §2.2.2).
struct Node {
    uint32_t name_offset = 0;  // lowercased wire name in the arena
    uint16_t name_size = 0;
    uint16_t rrset_count = 0;
    uint32_t rrset_begin = 0;
    uint32_t cut = kNoNode;       // delegation point at or above this node (never the apex)
    uint32_t wildcard = kNoNode;  // the node "*.<this name>", if it exists
};

class ZoneSnapshot {
  public:
    // Builder-only construction; see zone_compiler.h.
    ZoneSnapshot(std::string apex, uint32_t serial, bool loaded);

    const std::string& apex() const { return apex_; }
    uint32_t serial() const { return serial_; }
    // False for a zone configured here whose data is missing or failed to load: SERVFAIL.
    bool loaded() const { return loaded_; }

    // Node lookup by lowercased wire name; nullptr if the name does not exist in the zone.
    const Node* find(std::string_view name) const;
    const Node& node(uint32_t index) const { return nodes_[index]; }
    uint32_t index_of(const Node& node) const { return uint32_t(&node - nodes_.data()); }
    const Node& apex_node() const { return nodes_[0]; }
    std::string_view name_of(const Node& node) const {
        return {arena_.data() + node.name_offset, node.name_size};
    }

    // The node's RRset of the given type, or nullptr.
    const RRset* rrset(const Node& node, uint16_t type) const;
    const RRset* rrsets_begin(const Node& node) const { return rrsets_.data() + node.rrset_begin; }
    const RRset* rrsets_end(const Node& node) const {
        return rrsets_.data() + node.rrset_begin + node.rrset_count;
    }
    const uint8_t* rdata(const RRset& set) const {
        return reinterpret_cast<const uint8_t*>(arena_.data()) + set.rdata_offset;
    }
    uint32_t target(const RRset& set, size_t i) const { return targets_[set.targets + i]; }

    const RRset* soa() const { return soa_; }
    // The SOA EXPIRE field (RFC 1035 §3.3.13), 0 when the zone has no SOA.
    uint32_t soa_expire() const;
    size_t node_count() const { return nodes_.size(); }
    size_t memory_bytes() const;

  private:
    friend class ZoneCompiler;

    std::string apex_;
    uint32_t serial_;
    bool loaded_;
    std::string arena_;
    std::vector<Node> nodes_;  // nodes_[0] is the apex
    std::vector<RRset> rrsets_;
    std::vector<uint32_t> targets_;
    NameIndex index_;
    const RRset* soa_ = nullptr;
};

}  // namespace tidal::snapshot
