// An immutable, compiled, in-memory image of one zone: nodes, RRsets and their wire rdata.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/snapshot/block_arena.h"
#include "core/snapshot/name_index.h"
#include "core/snapshot/shared_chunks.h"

namespace tidal::snapshot {

constexpr uint32_t kNoNode = ~uint32_t(0);
// An additional-section target inside the zone with no node of its own when it was resolved: it
// is looked up by name when an answer needs it (a wildcard may match, or the name may appear).
constexpr uint32_t kResolveByName = ~uint32_t(0) - 1;

// One RRset. Its records are `count` entries of [uint16 rdlength][rdata] at `rdata`. For NS, MX,
// SRV, SVCB and HTTPS (has_targets), the count uint32 node ids just before `rdata` name the node
// each record points at for additional-section processing (see ZoneSnapshot::target).
struct RRset {
    uint16_t type = 0;
    uint16_t count = 0;
    uint32_t ttl = 0;
    const uint8_t* rdata = nullptr;
    uint32_t rdata_size = 0;
    bool has_targets = false;
};

// A name in the zone: one that owns records or an empty non-terminal (RFC 4592 §2.2.2). A node
// whose name left the zone through an incremental update stays in the table, dead (never found),
// so node numbers held elsewhere stay valid; a later compile drops it.
struct Node {
    const char* name = nullptr;  // lowercased wire name; the rrset_count RRsets lie just before
    uint8_t name_size = 0;
    uint8_t flags = 0;  // kNodeDead
    uint16_t rrset_count = 0;
    uint32_t cut = kNoNode;       // delegation point at or above this node (never the apex)
    uint32_t wildcard = kNoNode;  // the live node "*.<this name>", if it exists
    uint32_t children = 0;        // live nodes one label below
};
constexpr uint8_t kNodeDead = 1;

class ZoneSnapshot {
  public:
    // Builder-only construction; see zone_compiler.h and zone_patcher.h.
    ZoneSnapshot(std::string apex, uint32_t serial, bool loaded);
    // Builder-only: a copy of base at another serial that shares all of base's data.
    ZoneSnapshot(const ZoneSnapshot& base, uint32_t serial);
    ZoneSnapshot(const ZoneSnapshot&) = delete;
    ZoneSnapshot& operator=(const ZoneSnapshot&) = delete;

    const std::string& apex() const { return apex_; }
    uint32_t serial() const { return serial_; }
    // False for a zone configured here whose data is missing or failed to load: SERVFAIL.
    bool loaded() const { return loaded_; }
    // The store's zones.id this snapshot was read from (0 when not from a store).
    int64_t store_id() const { return store_id_; }

    // Node lookup by lowercased wire name; nullptr if the name does not exist in the zone.
    const Node* find(std::string_view name) const {
        const uint32_t index = find_index(name);
        if (index == kNoNode || (nodes_[index].flags & kNodeDead) != 0) {
            return nullptr;
        }
        return &nodes_[index];
    }
    // The node number of name, dead or alive, or kNoNode.
    uint32_t find_index(std::string_view name) const {
        return index_.find(name, [this](uint32_t i) { return name_of(nodes_[i]); });
    }
    const Node& node(uint32_t index) const { return nodes_[index]; }
    const Node& apex_node() const { return nodes_[0]; }
    std::string_view name_of(const Node& node) const { return {node.name, node.name_size}; }

    // The node's RRset of the given type, or nullptr.
    const RRset* rrset(const Node& node, uint16_t type) const;
    const RRset* rrsets_begin(const Node& node) const {
        return reinterpret_cast<const RRset*>(node.name) - node.rrset_count;
    }
    const RRset* rrsets_end(const Node& node) const {
        return reinterpret_cast<const RRset*>(node.name);
    }
    const uint8_t* rdata(const RRset& set) const { return set.rdata; }
    // The node record i of set points at: a node number, kNoNode (outside the zone) or
    // kResolveByName. Only for sets with has_targets.
    uint32_t target(const RRset& set, size_t i) const {
        return (reinterpret_cast<const uint32_t*>(set.rdata) - set.count)[i];
    }
    // The node that answers for target name (lowercased wire): the name's own live node, else
    // the wildcard of its closest encloser (RFC 4592 §3.3.1); kNoNode when neither exists or the
    // name is outside the zone.
    uint32_t resolve_target(std::string_view name) const;

    // Cache warming for a batch of queries (query/lookup_prefetch.h): each step touches what the
    // next one reads, so the misses of many queries overlap. Never required for correctness.
    void prefetch_slot(uint32_t hash) const { index_.prefetch(hash); }
    uint32_t prefetch_candidate(uint32_t hash) const { return index_.candidate(hash); }
    void prefetch_node(uint32_t index) const {
        if (index < nodes_.size()) {
            __builtin_prefetch(&nodes_[index]);
        }
    }
    void prefetch_name(uint32_t index) const {
        if (index < nodes_.size()) {
            const Node& node = nodes_[index];
            __builtin_prefetch(node.name);
            __builtin_prefetch(rrsets_begin(node));
        }
    }

    const RRset* soa() const { return soa_; }
    // The SOA EXPIRE field (RFC 1035 §3.3.13), 0 when the zone has no SOA.
    uint32_t soa_expire() const;
    // Node numbers in use, dead ones included (iterate 0..node_count() and skip dead nodes).
    size_t node_count() const { return nodes_.size(); }
    size_t memory_bytes() const;
    // Arena bytes in use, and what they were right after the last full compile: incremental
    // updates add blocks and leave replaced data behind until the next compile.
    size_t arena_bytes() const { return arena_.bytes(); }
    size_t compiled_arena_bytes() const { return compiled_arena_bytes_; }

  private:
    friend class ZoneBuilder;

    std::string apex_;
    uint32_t serial_;
    bool loaded_;
    int64_t store_id_ = 0;
    BlockArena arena_;
    SharedChunks<Node, 8> nodes_;  // nodes_[0] is the apex
    NameIndex index_;
    const RRset* soa_ = nullptr;
    size_t compiled_arena_bytes_ = 0;
};

}  // namespace tidal::snapshot
