// RFC 2136 against a zone's stored data: prerequisite checks (§3.2) and update semantics (§3.4.2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/store/zone_store.h"
#include "core/update/update_message.h"
#include "core/util/result.h"

namespace tidal::update {

// An rcode and, when it is not NOERROR, why (for the log).
struct Verdict {
    uint16_t rcode = 0;
    std::string why;
};

// Checks message's prerequisites (already through parse_update) against the zone as reader sees
// it (RFC 2136 §3.2.5): name in use (class ANY, type ANY) else NXDOMAIN; RRset exists (class
// ANY) else NXRRSET; name not in use (class NONE, type ANY) else YXDOMAIN; RRset does not
// exist (class NONE) else YXRRSET; RRset exists with exactly these rdatas (class IN, TTL
// ignored, names in rdata compared without case) else NXRRSET. The first failure wins.
Result<Verdict> check_prerequisites(const UpdateMessage& message, store::ZoneReader& reader);

// The update section's net effect, as one change.
struct UpdatePlan {
    store::ZoneChange change;  // remove/add lists (zone and serial policy left to the caller)
    size_t ignored = 0;        // update RRs RFC 2136 says to ignore silently (logged at debug)
};

// Applies message's update RRs in order to an in-memory copy of the names they touch (RFC 2136
// §3.4.2: each RR sees the result of the ones before it) and returns the difference to the
// stored data:
// - class IN adds an RR; an RR with the same rdata is replaced (its TTL updated); the RRset
//   takes the new TTL (RFC 2181 §5.2). An SOA replaces the zone's SOA only at the apex and when
//   its serial is greater (RFC 1982). A CNAME is ignored where other data exists, and other data
//   (except RRSIG and NSEC, RFC 4035 §2.5) where a CNAME exists; a CNAME replaces a CNAME.
// - class ANY deletes the RRset (type T) or every RRset of the name (type ANY); the apex SOA and
//   NS RRsets are kept (§3.4.2.3).
// - class NONE deletes one RR; the SOA is never deleted and neither is the apex's last NS
//   (§3.4.2.4).
Result<UpdatePlan> plan_update(const UpdateMessage& message, store::ZoneReader& reader);

}  // namespace tidal::update
