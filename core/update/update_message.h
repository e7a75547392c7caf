// An RFC 2136 UPDATE message parsed into its zone, prerequisite and update sections.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace tidal::update {

// One RR of the prerequisite or update section as sent: class and TTL carry meaning here
// (RFC 2136 §2.4, §2.5), so they are kept as they came. owner: lowercased uncompressed wire;
// rdata: uncompressed wire (names inside keep their case), empty when RDLENGTH was 0.
struct UpdateRR {
    std::string owner;
    uint16_t type = 0;
    uint16_t rclass = 0;
    uint32_t ttl = 0;
    std::string rdata;
};

// The parts of an UPDATE that processing needs.
struct UpdateMessage {
    uint16_t id = 0;
    std::string zone;  // the zone section's name (ZNAME), lowercased wire
    std::vector<UpdateRR> prerequisites;
    std::vector<UpdateRR> updates;
};

// The outcome of parsing: NOERROR with message filled, or the rcode to answer (FORMERR for a
// malformed message or a section that breaks RFC 2136's rules, NOTZONE for an RR outside the
// zone) and why, for the log.
struct ParseResult {
    uint16_t rcode = 0;
    std::string why;
    UpdateMessage message;
};

// Parses an UPDATE (opcode 5) in message[0..size), TSIG and OPT included (ignored here). Checks:
// exactly one zone RR of type SOA and class IN (§3.1.1); the prerequisite rules of §3.2 that do
// not need the zone's data (TTL 0, class ANY/NONE with RDLENGTH 0, class IN otherwise, no meta
// type but ANY, owners inside the zone); the update prescan of §3.4.1.3 (class IN adds with
// rdata and no meta type, class ANY deletes with TTL 0 and RDLENGTH 0, class NONE deletes with
// TTL 0, owners inside the zone). The additional section is not used (§3.4.2.1 allows that).
// Thread-safe; allocates.
ParseResult parse_update(const uint8_t* message, size_t size);

}  // namespace tidal::update
