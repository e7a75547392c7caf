// The zone rules every edit must keep (CNAME alone, apex SOA and NS, names in the zone, TTLs,
// rdata), and deciding an EditScript against the stored records: prerequisites, then edits.
// Pure functions: the store runs them inside the write transaction (zone_store_checked.cc), so
// no other writer slips in between the check and the write.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/store/zone_store.h"
#include "core/util/result.h"
#include "core/zone/edit_script.h"
#include "core/zone/record.h"

namespace tidal::zone {

// RFC 2181 §8: a TTL is an unsigned number from 0 to 2^31-1.
constexpr uint32_t kMaxTtl = 0x7FFFFFFF;

// The owner names (lowercased wire, sorted, each once) whose stored RRs check_change needs:
// every owner in change.remove and change.add.
std::vector<std::string> names_touched(const store::ZoneChange& change);
// Same for decide_edits: every owner of the script's prerequisites and edits.
std::vector<std::string> names_touched(const EditScript& script);

// Checks change (change.zone is the lowercased wire apex) against current, the RRs stored at
// names_touched(change) (any other RRs are ignored). Returns the first problem found, naming the
// record and the rule; the change must then not be written:
//  - an RR of remove or add outside the zone or not of class IN;
//  - an added RR whose rdata does not decode for its type, or with a TTL above 2^31-1
//    (RFC 2181 §8);
//  - an added SOA not at the apex, or more than one SOA added;
//  - the apex SOA removed without an SOA added to replace it;
//  - when the change touches the apex: no NS left there, or a CNAME there (RFC 1034 §3.6.2:
//    the apex has SOA and NS, which a CNAME may not stand beside);
//  - at a name the change touches: a CNAME beside other data or two CNAMEs (RFC 1034 §3.6.2;
//    RRSIG and NSEC may stand beside a CNAME, RFC 4035 §2.5).
// Follows apply_change's semantics: an SOA in add replaces the stored one; an RR already
// stored gets the new TTL. Problems already stored at names the change does not touch are not
// its business.
Status check_change(const store::ZoneChange& change, const std::vector<Record>& current);

// The result of decide_edits: the change to write, or why nothing may be written.
struct EditDecision {
    std::optional<Rejection> rejection;
    store::ZoneChange change;  // zone, remove, add (serial_policy left at its default)
};

// Decides script against current (the RRs stored at names_touched(script)), as RFC 2136 §3.2
// to §3.4 order it: every prerequisite against the zone as stored (rcodes NXDOMAIN, YXDOMAIN,
// NXRRSET, YXRRSET; NOTZONE for a name outside the zone), then the edits in order, each on the
// result of the ones before (a `del` with must_match that finds nothing is NoMatch), then
// check_change on the resulting change (Invalid, rcode REFUSED). Messages start with the
// "FILE:LINE: " of the edit or prerequisite concerned (for a rule broken by the result, the
// last edit at the name). A script that alters nothing yields an empty change.
EditDecision decide_edits(const EditScript& script, const std::vector<Record>& current);

}  // namespace tidal::zone
