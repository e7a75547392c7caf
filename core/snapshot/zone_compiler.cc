// Compiles store records into a ZoneSnapshot: nodes (with empty non-terminals), cuts, wildcards,
// wire rdata in one arena, and the targets used for additional-section processing.
#include "core/snapshot/zone_compiler.h"

#include <algorithm>
#include <limits>
#include <string>
#include <unordered_map>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::snapshot {

namespace {

// Offset of the domain name inside rdata for the types whose targets get additional records
// (RFC 1034 §4.3.2 step 6 for NS and MX; RFC 2782 for SRV; RFC 9460 §4.1 for SVCB/HTTPS).
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

bool is_wildcard_name(std::string_view name) {
    return name.size() >= 2 && name[0] == 1 && name[1] == '*';
}

}  // namespace

class ZoneCompiler {
  public:
    explicit ZoneCompiler(const store::ZoneContents& contents) : contents_(contents) {}

    Result<std::shared_ptr<const ZoneSnapshot>> compile() {
        const std::string& apex = contents_.info.name;
        snapshot_ = std::make_shared<ZoneSnapshot>(apex, contents_.info.serial, true);
        ensure_node(apex);

        std::vector<const Record*> records;
        records.reserve(contents_.records.size());
        for (const Record& record : contents_.records) {
            // The store keeps only in-zone records; anything else is ignored, never served.
            if (dns::name_is_subdomain(record.owner, apex)) {
                records.push_back(&record);
            }
        }
        auto by_owner_type = [](const Record* a, const Record* b) {
            return std::tie(a->owner, a->type, a->rdata) < std::tie(b->owner, b->type, b->rdata);
        };
        if (!std::is_sorted(records.begin(), records.end(), by_owner_type)) {
            std::sort(records.begin(), records.end(), by_owner_type);
        }

        Status status = add_rrsets(records);
        if (!status) {
            return status.error();
        }
        link_tree();
        resolve_targets();

        ZoneSnapshot& snap = *snapshot_;
        snap.soa_ = snap.rrset(snap.nodes_[0], dns::rrtype::SOA);
        if (snap.soa_ == nullptr || snap.soa_->rdata_size < 2 + 22) {
            return Error{"zone " + dns::name_to_text(apex) + " has no SOA record at its apex"};
        }
        snap.index_.reserve(snap.nodes_.size());
        for (uint32_t i = 0; i < snap.nodes_.size(); ++i) {
            snap.index_.insert(snap.name_of(snap.nodes_[i]), i);
        }
        ids_.clear();
        return std::shared_ptr<const ZoneSnapshot>(std::move(snapshot_));
    }

  private:
    uint32_t ensure_node(std::string_view name) {
        auto it = ids_.find(std::string(name));
        if (it != ids_.end()) {
            return it->second;
        }
        // Ancestors first, so every node's parent exists (empty non-terminals, RFC 4592 §2.2.2).
        uint32_t parent = kNoNode;
        if (name != contents_.info.name) {
            parent = ensure_node(dns::name_parent(name));
        }
        ZoneSnapshot& snap = *snapshot_;
        Node node;
        node.name_offset = uint32_t(snap.arena_.size());
        node.name_size = uint16_t(name.size());
        snap.arena_.append(name);
        const uint32_t index = uint32_t(snap.nodes_.size());
        snap.nodes_.push_back(node);
        parents_.push_back(parent);
        labels_.push_back(uint8_t(dns::name_label_count(name)));
        ids_.emplace(std::string(name), index);
        return index;
    }

    Status add_rrsets(const std::vector<const Record*>& records) {
        ZoneSnapshot& snap = *snapshot_;
        size_t i = 0;
        while (i < records.size()) {
            const std::string& owner = records[i]->owner;
            const uint32_t node_index = ensure_node(owner);
            snap.nodes_[node_index].rrset_begin = uint32_t(snap.rrsets_.size());
            uint16_t rrset_count = 0;
            while (i < records.size() && records[i]->owner == owner) {
                const uint16_t type = records[i]->type;
                RRset set;
                set.type = type;
                set.ttl = std::numeric_limits<uint32_t>::max();
                set.rdata_offset = uint32_t(snap.arena_.size());
                size_t count = 0;
                for (; i < records.size() && records[i]->owner == owner && records[i]->type == type;
                     ++i) {
                    const std::string& rdata = records[i]->rdata;
                    if (rdata.size() > 65535) {
                        return Error{"record " + dns::name_to_text(owner) + " type " +
                                     std::to_string(type) + " has rdata over 65535 octets"};
                    }
                    // RFC 2181 §5.2: one TTL per RRset; the smallest is the safe choice.
                    set.ttl = std::min(set.ttl, records[i]->ttl);
                    snap.arena_.push_back(char(rdata.size() >> 8));
                    snap.arena_.push_back(char(rdata.size() & 0xff));
                    snap.arena_.append(rdata);
                    ++count;
                }
                if (count > 65535) {
                    return Error{"RRset " + dns::name_to_text(owner) + " type " +
                                 std::to_string(type) + " has more than 65535 records"};
                }
                set.count = uint16_t(count);
                set.rdata_size = uint32_t(snap.arena_.size() - set.rdata_offset);
                snap.rrsets_.push_back(set);
                ++rrset_count;
            }
            snap.nodes_[node_index].rrset_count = rrset_count;
        }
        return Status::success();
    }

    // Delegation points and wildcard links. Parents are processed before children.
    void link_tree() {
        ZoneSnapshot& snap = *snapshot_;
        std::vector<uint32_t> order(snap.nodes_.size());
        for (uint32_t i = 0; i < order.size(); ++i) {
            order[i] = i;
        }
        std::stable_sort(order.begin(), order.end(),
                         [this](uint32_t a, uint32_t b) { return labels_[a] < labels_[b]; });
        for (uint32_t i : order) {
            Node& node = snap.nodes_[i];
            const uint32_t parent = parents_[i];
            if (parent == kNoNode) {
                continue;  // the apex is never a cut: its NS RRset is authoritative
            }
            const Node& up = snap.nodes_[parent];
            if (up.cut != kNoNode) {
                node.cut = up.cut;  // at or below an upper cut: occluded (RFC 2181 §6.1)
            } else if (snap.rrset(node, dns::rrtype::NS) != nullptr) {
                node.cut = i;
            }
            if (is_wildcard_name(snap.name_of(node))) {
                snap.nodes_[parent].wildcard = i;
            }
        }
    }

    // The node that answers for name: itself, or the wildcard of its closest encloser.
    uint32_t resolve_name(const std::string& name) const {
        if (!dns::name_is_subdomain(name, contents_.info.name)) {
            return kNoNode;
        }
        auto it = ids_.find(name);
        if (it != ids_.end()) {
            return it->second;
        }
        std::string_view encloser = dns::name_parent(name);
        while (true) {
            auto up = ids_.find(std::string(encloser));
            if (up != ids_.end()) {
                return snapshot_->nodes_[up->second].wildcard;
            }
            encloser = dns::name_parent(encloser);
        }
    }

    void resolve_targets() {
        ZoneSnapshot& snap = *snapshot_;
        for (RRset& set : snap.rrsets_) {
            const int offset = additional_target_offset(set.type);
            if (offset < 0) {
                continue;
            }
            set.targets = uint32_t(snap.targets_.size());
            const uint8_t* p = snap.rdata(set);
            for (uint16_t r = 0; r < set.count; ++r) {
                const size_t len = (size_t(p[0]) << 8) | p[1];
                uint32_t target = kNoNode;
                if (len > size_t(offset)) {
                    const uint8_t* name = p + 2 + offset;
                    const size_t name_len = dns::name_wire_length(name, len - size_t(offset));
                    if (name_len > 0) {
                        target = resolve_name(
                            dns::name_lowered({reinterpret_cast<const char*>(name), name_len}));
                    }
                }
                snap.targets_.push_back(target);
                p += 2 + len;
            }
        }
    }

    const store::ZoneContents& contents_;
    std::shared_ptr<ZoneSnapshot> snapshot_;
    std::unordered_map<std::string, uint32_t> ids_;
    std::vector<uint32_t> parents_;
    std::vector<uint8_t> labels_;
};

Result<std::shared_ptr<const ZoneSnapshot>> compile_zone(const store::ZoneContents& contents) {
    return ZoneCompiler(contents).compile();
}

std::shared_ptr<const ZoneSnapshot> unloaded_zone(std::string apex) {
    return std::make_shared<const ZoneSnapshot>(std::move(apex), 0, false);
}

}  // namespace tidal::snapshot
