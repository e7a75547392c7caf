// Finding a name in a zone the way RFC 1034 §4.3.2 and RFC 4592 §3.3 prescribe.
#pragma once

#include <string_view>

#include "core/snapshot/zone_snapshot.h"

namespace tidal::snapshot {

struct LookupResult {
    enum class Kind {
        Found,       // node is the name itself (possibly an empty non-terminal)
        Wildcard,    // node is the wildcard that matches the name (RFC 4592 §3.3.1)
        Delegation,  // node is the delegation point the name is at or below (a referral)
        NxDomain,    // the name does not exist; node is its closest encloser
    };
    Kind kind;
    const Node* node;
};

// name: lowercased wire name at or below the zone apex. parent_side: the question is for DS,
// which lives on the parent side of a cut (RFC 4035 §3.1.4.1), so a cut at the name itself
// answers authoritatively instead of referring. Allocation-free.
LookupResult lookup(const ZoneSnapshot& zone, std::string_view name, bool parent_side);

}  // namespace tidal::snapshot
