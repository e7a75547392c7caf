// AnswerBuilder: CNAME chains, wildcards, delegations, negative answers and additional data.
#include "core/query/answer_builder.h"

#include <algorithm>
#include <string_view>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/snapshot/zone_builder.h"
#include "core/snapshot/zone_lookup.h"

namespace tidal::query {

namespace {

using snapshot::kNoNode;
using snapshot::LookupResult;
using snapshot::Node;
using snapshot::RRset;

uint32_t read32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

size_t rdata_length(const uint8_t* entry) {
    return (size_t(entry[0]) << 8) | entry[1];
}

std::string_view wire_view(const uint8_t* name) {
    return {reinterpret_cast<const char*>(name), dns::name_wire_length(name, dns::kMaxNameLength)};
}

bool wants_additional(uint16_t type) {
    return type == dns::rrtype::NS || type == dns::rrtype::MX || type == dns::rrtype::SRV ||
           type == dns::rrtype::SVCB || type == dns::rrtype::HTTPS;
}

}  // namespace

bool AnswerBuilder::put_rrset(Section section, const uint8_t* owner, const RRset& set) {
    return put_rrset(section, owner, set, set.ttl);
}

bool AnswerBuilder::put_rrset(Section section, const uint8_t* owner, const RRset& set,
                              uint32_t ttl) {
    const MessageWriter::Mark before = writer_.mark();
    const uint8_t* entry = zone_.rdata(set);
    for (uint16_t i = 0; i < set.count; ++i) {
        const size_t len = rdata_length(entry);
        if (!writer_.write_rr(section, owner, set.type, dns::rrclass::IN, ttl, entry + 2, len)) {
            writer_.rollback(before);  // whole RRsets only (RFC 2181 §9)
            return false;
        }
        entry += 2 + len;
    }
    if (written_count_ < std::size(written_) && section != Section::Additional) {
        written_[written_count_++] = Written{&set, false};
    }
    return true;
}

bool AnswerBuilder::put_negative_soa() {
    // RFC 2308 §3 and §5: the SOA goes in the authority section with a TTL of
    // min(SOA TTL, SOA MINIMUM), the negative caching time.
    const RRset& soa = *zone_.soa();
    const uint8_t* entry = zone_.rdata(soa);
    const size_t len = rdata_length(entry);
    const uint32_t minimum = read32(entry + 2 + len - 4);
    const auto* apex = reinterpret_cast<const uint8_t*>(zone_.apex().data());
    return put_rrset(Section::Authority, apex, soa, std::min(soa.ttl, minimum));
}

bool AnswerBuilder::put_referral(const Node& cut) {
    const RRset* ns = zone_.rrset(cut, dns::rrtype::NS);
    if (ns == nullptr) {
        return true;
    }
    const auto* owner = reinterpret_cast<const uint8_t*>(zone_.name_of(cut).data());
    if (!put_rrset(Section::Authority, owner, *ns)) {
        return false;
    }
    written_[written_count_ - 1].referral = true;
    referral_cut_ = cut.cut;  // a delegation point is its own cut
    return true;
}

uint32_t AnswerBuilder::resolve_by_name(const uint8_t* name, size_t max_length) const {
    const size_t length = dns::name_wire_length(name, max_length);
    uint8_t lowered[dns::kMaxNameLength];
    if (length == 0 || length > sizeof(lowered)) {
        return kNoNode;
    }
    return zone_.resolve_target(dns::lower_name_into(name, length, lowered));
}

bool AnswerBuilder::put_glue(const RRset& set, bool mandatory_pass, bool referral_state,
                             bool& truncate) {
    const uint8_t* entry = zone_.rdata(set);
    const size_t offset = size_t(snapshot::additional_target_offset(set.type));
    for (uint16_t i = 0; i < set.count; ++i) {
        const size_t len = rdata_length(entry);
        const uint8_t* target_name = entry + 2 + offset;
        uint32_t target = zone_.target(set, i);
        entry += 2 + len;
        if (target == kNoNode) {
            continue;
        }
        if (target == snapshot::kResolveByName ||
            (zone_.node(target).flags & snapshot::kNodeDead) != 0) {
            // Not a name of its own when the RRset was compiled, or gone since: a wildcard may
            // answer for it now, or the name may have appeared (rare; a few hash lookups).
            target = resolve_by_name(target_name, len - offset);
            if (target == kNoNode) {
                continue;
            }
        }
        const Node& node = zone_.node(target);
        // Glue is mandatory for a referral when the name server lies inside the delegated zone
        // (RFC 9471 §3): then it must fit or the answer is truncated. Sibling glue is optional.
        const bool in_bailiwick = set.type == dns::rrtype::NS && referral_state &&
                                  node.cut != kNoNode && node.cut == referral_cut_;
        if (in_bailiwick != mandatory_pass) {
            continue;
        }
        if (std::find(glued_, glued_ + glued_count_, &node) != glued_ + glued_count_) {
            continue;  // each name's addresses once (RFC 2181 §5.1)
        }
        if (glued_count_ < std::size(glued_)) {
            glued_[glued_count_++] = &node;
        }
        for (uint16_t type : {dns::rrtype::A, dns::rrtype::AAAA}) {
            const RRset* address = zone_.rrset(node, type);
            if (address != nullptr && !put_rrset(Section::Additional, target_name, *address)) {
                truncate = mandatory_pass && referral_state;
                return false;
            }
        }
    }
    return true;
}

bool AnswerBuilder::put_additional(bool referral_state) {
    // RFC 1034 §4.3.2 step 6: addresses of the names in NS, MX (and SRV, SVCB, HTTPS) records
    // already in the answer, taken from this zone. Mandatory glue first, then the rest; the
    // first RRset that does not fit ends the section.
    const size_t count = written_count_;
    for (size_t w = 0; w < count; ++w) {
        const RRset& set = *written_[w].set;
        if (!wants_additional(set.type) || !set.has_targets) {
            continue;
        }
        bool truncate = false;
        if (!put_glue(set, true, referral_state, truncate) ||
            !put_glue(set, false, referral_state, truncate)) {
            return !truncate;
        }
    }
    return true;
}

ZoneAnswer AnswerBuilder::answer(const uint8_t* qname, const uint8_t* qname_lower, uint16_t qtype) {
    ZoneAnswer result;
    const uint8_t* owner = qname;  // the name being answered, as it will be written
    std::string_view name(reinterpret_cast<const char*>(qname_lower),
                          dns::name_wire_length(qname_lower, dns::kMaxNameLength));
    uint8_t lowered[dns::kMaxNameLength];
    const Node* visited_wildcards[kMaxCnameChain + 1];
    const RRset* chain_sets[kMaxCnameChain];
    const uint8_t* chain_owners[kMaxCnameChain];
    size_t wildcard_count = 0;
    bool referral = false;

    for (size_t chain = 0;; ++chain) {
        const LookupResult found = snapshot::lookup(zone_, name, qtype == dns::rrtype::DS);
        if (found.kind == LookupResult::Kind::Delegation) {
            // A referral is not authoritative; but a CNAME chain that leads into a delegation
            // keeps the AA the first step earned (RFC 1034 §4.3.2 step 3c, as Knot does).
            if (chain == 0) {
                result.authoritative = false;
            }
            referral = true;
            if (!put_referral(*found.node)) {
                result.truncated = true;
                return result;
            }
            break;
        }
        if (found.kind == LookupResult::Kind::NxDomain) {
            // RFC 6604 §3: the rcode describes the last name of a CNAME chain.
            result.rcode = dns::rcode::NXDOMAIN;
            if (!put_negative_soa()) {
                result.truncated = true;
            }
            return result;
        }

        const Node& node = *found.node;
        const RRset* cname = zone_.rrset(node, dns::rrtype::CNAME);
        const bool follow = cname != nullptr && qtype != dns::rrtype::CNAME &&
                            qtype != dns::rrtype::ANY && qtype != dns::rrtype::RRSIG &&
                            qtype != dns::rrtype::NSEC;
        if (follow) {
            if (chain >= size_t(kMaxCnameChain)) {
                break;
            }
            // The same CNAME RR already in the answer (same owner, same RRset, possibly
            // synthesised from a wildcard) means a loop: the chain so far is the answer.
            bool seen = false;
            for (size_t c = 0; c < chain; ++c) {
                seen = seen || (chain_sets[c] == cname &&
                                dns::name_equal(wire_view(chain_owners[c]), wire_view(owner)));
            }
            if (seen) {
                break;
            }
            if (!put_rrset(Section::Answer, owner, *cname)) {
                result.truncated = true;
                return result;
            }
            chain_sets[chain] = cname;
            chain_owners[chain] = owner;
            if (found.kind == LookupResult::Kind::Wildcard) {
                if (std::find(visited_wildcards, visited_wildcards + wildcard_count, &node) !=
                    visited_wildcards + wildcard_count) {
                    break;  // the same wildcard twice: a loop through synthesised names
                }
                visited_wildcards[wildcard_count++] = &node;
            }
            // Continue with the canonical name (RFC 1034 §4.3.2 step 3a) while it is in zone.
            const uint8_t* target = zone_.rdata(*cname) + 2;
            const size_t target_size = dns::name_wire_length(target, rdata_length(target - 2));
            if (target_size == 0) {
                break;
            }
            name = dns::lower_name_into(target, target_size, lowered);
            owner = target;
            if (!dns::name_is_subdomain(name, zone_.apex())) {
                break;  // the chain leaves the zone; the resolver takes it from here
            }
            continue;
        }

        // RFC 8482 §4.1: ANY gets one RRset of the node, not all of them.
        const RRset* set = qtype == dns::rrtype::ANY
                               ? (node.rrset_count > 0 ? zone_.rrsets_begin(node) : nullptr)
                               : zone_.rrset(node, qtype);
        if (set == nullptr) {
            if (!put_negative_soa()) {  // NODATA (RFC 2308 §2.2)
                result.truncated = true;
            }
            return result;
        }
        if (!put_rrset(Section::Answer, owner, *set)) {
            result.truncated = true;
            return result;
        }
        break;
    }
    if (!put_additional(referral)) {
        result.truncated = true;
    }
    return result;
}

}  // namespace tidal::query
