// ZoneBuilder: nodes, RRsets, liveness, wildcard links and additional targets in a snapshot.
#include "core/snapshot/zone_builder.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <string>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::snapshot {

namespace {

bool is_wildcard_name(std::string_view name) {
    return name.size() >= 2 && name[0] == 1 && name[1] == '*';
}

}  // namespace

int additional_target_offset(uint16_t type) {
    switch (type) {
        case dns::rrtype::NS:
            return 0;
        case dns::rrtype::MX:
        case dns::rrtype::SVCB:
        case dns::rrtype::HTTPS:
            return 2;
        case dns::rrtype::SRV:
            return 6;
        default:
            return -1;
    }
}

ZoneBuilder::ZoneBuilder(std::string apex, uint32_t serial, int64_t store_id)
    : snapshot_(std::make_shared<ZoneSnapshot>(std::move(apex), serial, true)), patching_(false) {
    snapshot_->store_id_ = store_id;
}

ZoneBuilder::ZoneBuilder(const ZoneSnapshot& base, uint32_t serial)
    : snapshot_(std::make_shared<ZoneSnapshot>(base, serial)), patching_(true) {
    // Changes append to the last block; when it is full, the next one serves many commits.
    snapshot_->arena_.set_block_size(size_t(64) << 10);
}

char* ZoneBuilder::place(std::string_view name, size_t rrset_count) {
    // [RRset × count][name]: the RRsets are found just before the name
    // (ZoneSnapshot::rrsets_begin).
    uint8_t* space =
        snapshot_->arena_.allocate(rrset_count * sizeof(RRset) + name.size(), alignof(RRset));
    char* name_at = reinterpret_cast<char*>(space + rrset_count * sizeof(RRset));
    std::memcpy(name_at, name.data(), name.size());
    return name_at;
}

uint32_t ZoneBuilder::parent_of(uint32_t node) const {
    if (node == 0) {
        return kNoNode;
    }
    const ZoneSnapshot& snap = *snapshot_;
    return snap.find_index(dns::name_parent(snap.name_of(snap.node(node))));
}

uint32_t ZoneBuilder::create_node(std::string_view name, size_t rrset_count, char*& name_out) {
    ZoneSnapshot& snap = *snapshot_;
    uint32_t parent = kNoNode;
    if (name != snap.apex_) {
        parent = ensure_node(dns::name_parent(name));
        if (parent == kNoNode) {
            return kNoNode;
        }
    }
    if (patching_ ? !snap.index_.has_room() : false) {
        return kNoNode;
    }
    snap.index_.grow_if_needed();
    Node node;
    name_out = place(name, rrset_count);
    node.name = name_out;
    node.name_size = uint8_t(name.size());
    node.rrset_count = uint16_t(rrset_count);
    const uint32_t index = uint32_t(snap.nodes_.size());
    if (parent != kNoNode) {
        Node& up = mutable_node(parent);
        ++up.children;
        // Below a delegation point everything is occluded (RFC 2181 §6.1); a node's own NS makes
        // it a cut later, when its RRsets are known.
        node.cut = up.cut;
        if (is_wildcard_name(name)) {
            up.wildcard = index;
        }
    }
    snap.nodes_.push_back(node);
    snap.index_.insert(name, index);
    if (!patching_) {
        parents_.push_back(parent);
    }
    return index;
}

uint32_t ZoneBuilder::ensure_node(std::string_view name) {
    ZoneSnapshot& snap = *snapshot_;
    const uint32_t existing = snap.find_index(name);
    if (existing == kNoNode) {
        char* ignored = nullptr;
        return create_node(name, 0, ignored);
    }
    if ((snap.node(existing).flags & kNodeDead) == 0) {
        return existing;
    }
    // Revive: it comes back as an empty non-terminal under a live parent.
    const uint32_t parent = ensure_node(dns::name_parent(name));
    if (parent == kNoNode) {
        return kNoNode;
    }
    Node& up = mutable_node(parent);
    ++up.children;
    if (is_wildcard_name(name)) {
        up.wildcard = existing;
    }
    const uint32_t cut = up.cut;
    Node& node = mutable_node(existing);
    node.flags = 0;
    node.cut = cut;
    node.wildcard = kNoNode;
    node.children = 0;
    return existing;
}

Result<uint32_t> ZoneBuilder::set_records(std::string_view name,
                                          std::span<const Record* const> records) {
    ZoneSnapshot& snap = *snapshot_;
    size_t rrset_count = 0;
    for (size_t i = 0; i < records.size(); ++i) {
        if (i == 0 || records[i]->type != records[i - 1]->type) {
            ++rrset_count;
        }
    }
    if (rrset_count > std::numeric_limits<uint16_t>::max()) {
        return Error{"name " + dns::name_to_text(name) + " has more than 65535 RRsets"};
    }
    char* name_at = nullptr;
    uint32_t index = snap.find_index(name);
    if (index == kNoNode) {
        index = create_node(name, rrset_count, name_at);
        if (index == kNoNode) {
            return index;
        }
    } else {
        if (ensure_node(name) == kNoNode) {
            return uint32_t(kNoNode);
        }
        name_at = place(name, rrset_count);
        Node& node = mutable_node(index);
        node.name = name_at;
        node.rrset_count = uint16_t(rrset_count);
    }
    RRset* sets = reinterpret_cast<RRset*>(name_at) - rrset_count;
    size_t i = 0;
    for (size_t s = 0; s < rrset_count; ++s) {
        const uint16_t type = records[i]->type;
        size_t end = i;
        size_t bytes = 0;
        uint32_t ttl = std::numeric_limits<uint32_t>::max();
        for (; end < records.size() && records[end]->type == type; ++end) {
            if (records[end]->rdata.size() > 65535) {
                return Error{"record " + dns::name_to_text(name) + " type " + std::to_string(type) +
                             " has rdata over 65535 octets"};
            }
            bytes += 2 + records[end]->rdata.size();
            // RFC 2181 §5.2: one TTL per RRset; the smallest is the safe choice.
            ttl = std::min(ttl, records[end]->ttl);
        }
        const size_t count = end - i;
        if (count > 65535) {
            return Error{"RRset " + dns::name_to_text(name) + " type " + std::to_string(type) +
                         " has more than 65535 records"};
        }
        const bool has_targets = additional_target_offset(type) >= 0;
        const size_t target_bytes = has_targets ? count * sizeof(uint32_t) : 0;
        uint8_t* space = snap.arena_.allocate(target_bytes + bytes, alignof(uint32_t));
        if (has_targets) {
            std::fill_n(reinterpret_cast<uint32_t*>(space), count, kNoNode);
        }
        uint8_t* out = space + target_bytes;
        for (size_t r = i; r < end; ++r) {
            const std::string& rdata = records[r]->rdata;
            *out++ = uint8_t(rdata.size() >> 8);
            *out++ = uint8_t(rdata.size() & 0xff);
            std::memcpy(out, rdata.data(), rdata.size());
            out += rdata.size();
        }
        RRset set;
        set.type = type;
        set.count = uint16_t(count);
        set.ttl = ttl;
        set.rdata = space + target_bytes;
        set.rdata_size = uint32_t(bytes);
        set.has_targets = has_targets;
        new (&sets[s]) RRset(set);
        i = end;
    }
    return index;
}

uint32_t ZoneBuilder::cut_for(uint32_t index, uint32_t parent) const {
    if (parent == kNoNode) {
        return kNoNode;  // the apex is never a cut: its NS RRset is authoritative
    }
    const ZoneSnapshot& snap = *snapshot_;
    const uint32_t above = snap.node(parent).cut;
    if (above != kNoNode) {
        return above;  // at or below an upper cut: occluded (RFC 2181 §6.1)
    }
    return snap.rrset(snap.node(index), dns::rrtype::NS) != nullptr ? index : kNoNode;
}

void ZoneBuilder::link_cuts() {
    const size_t count = snapshot_->nodes_.size();
    for (uint32_t i = 1; i < count; ++i) {
        const uint32_t cut = cut_for(i, parents_[i]);
        if (snapshot_->node(i).cut != cut) {
            mutable_node(i).cut = cut;
        }
    }
}

bool ZoneBuilder::relink_cut(uint32_t index) {
    const Node& node = snapshot_->node(index);
    const uint32_t cut = cut_for(index, parent_of(index));
    if (node.cut == cut) {
        return true;
    }
    if (node.children != 0) {
        return false;
    }
    mutable_node(index).cut = cut;
    return true;
}

void ZoneBuilder::remove_if_empty(uint32_t index) {
    ZoneSnapshot& snap = *snapshot_;
    while (index != 0 && index != kNoNode) {
        const Node& node = snap.node(index);
        if ((node.flags & kNodeDead) != 0 || node.rrset_count != 0 || node.children != 0) {
            return;
        }
        const uint32_t parent = parent_of(index);
        Node& dead = mutable_node(index);
        dead.flags |= kNodeDead;
        dead.cut = kNoNode;
        dead.wildcard = kNoNode;
        Node& up = mutable_node(parent);
        --up.children;
        if (up.wildcard == index) {
            up.wildcard = kNoNode;
        }
        index = parent;
    }
}

void ZoneBuilder::resolve_targets(uint32_t index) {
    ZoneSnapshot& snap = *snapshot_;
    const Node& node = snap.node(index);
    uint8_t lowered[dns::kMaxNameLength];
    for (const RRset* set = snap.rrsets_begin(node); set != snap.rrsets_end(node); ++set) {
        if (!set->has_targets) {
            continue;
        }
        const size_t offset = size_t(additional_target_offset(set->type));
        auto* targets =
            const_cast<uint32_t*>(reinterpret_cast<const uint32_t*>(set->rdata)) - set->count;
        const uint8_t* p = set->rdata;
        for (uint16_t r = 0; r < set->count; ++r) {
            const size_t len = (size_t(p[0]) << 8) | p[1];
            uint32_t target = kNoNode;
            if (len > offset) {
                const uint8_t* name = p + 2 + offset;
                const size_t name_len = dns::name_wire_length(name, len - offset);
                if (name_len > 0 && name_len <= sizeof(lowered)) {
                    const std::string_view target_name =
                        dns::lower_name_into(name, name_len, lowered);
                    if (dns::name_is_subdomain(target_name, snap.apex_)) {
                        // Only a name's own node is remembered; anything else (a wildcard, a
                        // name not there yet) is looked up when an answer needs it.
                        const Node* exact = snap.find(target_name);
                        target = exact != nullptr ? snap.find_index(target_name) : kResolveByName;
                    }
                }
            }
            targets[r] = target;
            p += 2 + len;
        }
    }
}

Result<std::shared_ptr<const ZoneSnapshot>> ZoneBuilder::finish() {
    ZoneSnapshot& snap = *snapshot_;
    snap.soa_ = snap.nodes_.empty() ? nullptr : snap.rrset(snap.nodes_[0], dns::rrtype::SOA);
    if (snap.soa_ == nullptr || snap.soa_->rdata_size < 2 + 22) {
        return Error{"zone " + dns::name_to_text(snap.apex_) + " has no SOA record at its apex"};
    }
    if (!patching_) {
        snap.compiled_arena_bytes_ = snap.arena_.bytes();
    }
    return std::shared_ptr<const ZoneSnapshot>(std::move(snapshot_));
}

}  // namespace tidal::snapshot
