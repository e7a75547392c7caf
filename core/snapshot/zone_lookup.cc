// Zone lookup: exact match, else closest encloser; delegations take precedence over both.
#include "core/snapshot/zone_lookup.h"

#include "core/dns/name.h"

namespace tidal::snapshot {

LookupResult lookup(const ZoneSnapshot& zone, std::string_view name, bool parent_side) {
    using Kind = LookupResult::Kind;
    if (const Node* exact = zone.find(name)) {
        if (exact->cut != kNoNode) {
            const Node& cut = zone.node(exact->cut);
            if (!(parent_side && &cut == exact)) {
                return {Kind::Delegation, &cut};
            }
        }
        return {Kind::Found, exact};
    }
    // The closest encloser: the deepest existing ancestor. Empty non-terminals are nodes, so
    // they stop the walk and block the wildcard above them (RFC 4592 §2.2.2).
    std::string_view ancestor = dns::name_parent(name);
    const Node* encloser = zone.find(ancestor);
    while (encloser == nullptr) {
        if (ancestor.size() <= zone.apex().size()) {
            encloser = &zone.apex_node();  // name outside the zone: callers never do this
            break;
        }
        ancestor = dns::name_parent(ancestor);
        encloser = zone.find(ancestor);
    }
    if (encloser->cut != kNoNode) {
        return {Kind::Delegation, &zone.node(encloser->cut)};
    }
    if (encloser->wildcard != kNoNode) {
        const Node& wildcard = zone.node(encloser->wildcard);
        if (wildcard.cut != kNoNode) {
            return {Kind::Delegation, &zone.node(wildcard.cut)};
        }
        return {Kind::Wildcard, &wildcard};
    }
    return {Kind::NxDomain, encloser};
}

}  // namespace tidal::snapshot
