// Writes nodes and RRsets into a ZoneSnapshot: the shared step of a full compile and of an
// incremental patch.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/snapshot/zone_snapshot.h"
#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::snapshot {

// Owns a snapshot under construction: either new and empty, or a copy of a published one that
// shares all its data (chunks and arena blocks are copied only where this builder writes). Node
// numbers are stable: a node is never moved, only marked dead, and a parent always has a smaller
// number than its children.
class ZoneBuilder {
  public:
    // A new, empty snapshot of the zone at apex (lowercased wire).
    ZoneBuilder(std::string apex, uint32_t serial, int64_t store_id);
    // A copy of base to be changed into the version at serial.
    ZoneBuilder(const ZoneSnapshot& base, uint32_t serial);

    ZoneSnapshot& snapshot() { return *snapshot_; }

    // The live node of name, created (or revived) with every missing ancestor as an empty
    // non-terminal (RFC 4592 §2.2.2). name must lie at or below the apex. kNoNode when the name
    // index has no room left (only when patching: compile the zone afresh then).
    uint32_t ensure_node(std::string_view name);

    // Makes records (all owned by name, sorted by type then rdata) the node's whole content,
    // creating the node when needed; an empty span leaves the node without RRsets (see
    // remove_if_empty). The node's old RRsets stay in the arena, unused. Error for an RRset over
    // the wire limits; kNoNode as for ensure_node.
    Result<uint32_t> set_records(std::string_view name, std::span<const Record* const> records);

    // Marks the node dead when it owns no RRsets and has no live children, then its ancestors
    // that became empty non-terminals with nothing below them. Never the apex.
    void remove_if_empty(uint32_t node);

    // A fresh compile, once every node is in: sets each node's delegation point from the NS
    // RRsets on its path, parents first.
    void link_cuts();
    // Patching: recomputes the node's delegation point from its parent's and its own NS RRset.
    // False when it changed while live nodes lie below (their points would change too: compile
    // the zone afresh then).
    bool relink_cut(uint32_t node);

    // The node's parent (kNoNode for the apex), by name.
    uint32_t parent_of(uint32_t node) const;

    // Resolves the additional-section targets of the node's RRsets against the current nodes.
    void resolve_targets(uint32_t node);

    // Checks the apex SOA and hands the snapshot over. The builder is empty afterwards.
    Result<std::shared_ptr<const ZoneSnapshot>> finish();

  private:
    Node& mutable_node(uint32_t index) { return snapshot_->nodes_.mutable_at(index); }
    // Arena space for count RRsets followed by the name; returns the name's address.
    char* place(std::string_view name, size_t rrset_count);
    uint32_t create_node(std::string_view name, size_t rrset_count, char*& name_out);

    // The cut a node gets from its parent and its own NS RRset.
    uint32_t cut_for(uint32_t node, uint32_t parent) const;

    std::shared_ptr<ZoneSnapshot> snapshot_;
    bool patching_;
    std::vector<uint32_t> parents_;  // fresh compile only: each node's parent
};

// Offset of the domain name inside rdata for the types whose targets get additional records
// (RFC 1034 §4.3.2 step 6 for NS and MX; RFC 2782 for SRV; RFC 9460 §4.1 for SVCB/HTTPS), or -1.
int additional_target_offset(uint16_t type);

}  // namespace tidal::snapshot
