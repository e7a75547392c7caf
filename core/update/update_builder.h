// RFC 2136 UPDATE messages as a client sends them: built from an EditScript (the same edits
// tidalctl applies locally), TSIG-signed, and the server's answer read and verified.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/tsig/tsig_key.h"
#include "core/util/result.h"
#include "core/zone/edit_script.h"

namespace tidal::update {

// An UPDATE as sent, with what its answer is checked against.
struct UpdateRequest {
    std::vector<uint8_t> wire;  // the message (no TCP length prefix)
    uint16_t id = 0;
    std::string zone;  // lowercased wire apex
    std::string mac;   // the request's TSIG MAC, empty when unsigned
};

// Builds one UPDATE (opcode 5) for script.zone with a random ID: the zone section (zone SOA IN,
// RFC 2136 §2.3), the prerequisites (§2.4: yxdomain ANY ANY, nxdomain ANY NONE, yxrrset TYPE
// ANY or TYPE IN with rdata, nxrrset TYPE NONE) and the edits (§2.5: add IN with TTL, delete RR
// NONE, delete RRset TYPE ANY, delete name ANY ANY), names uncompressed. So that a remote `del`
// fails as the local one does when there is nothing to delete, each must_match delete whose
// name no earlier edit touches adds a prerequisite: yxdomain NAME (delete name) or yxrrset NAME
// TYPE (delete RRset or RR; for an RR this checks the RRset only). Signed with key when given
// (RFC 8945 §5.1). Error when the message would not fit in 65535 octets.
Result<UpdateRequest> build_update(const zone::EditScript& script, const tsig::Key* key,
                                   uint64_t now);

// The server's answer to an UPDATE.
struct UpdateAnswer {
    uint16_t rcode = 0;             // header rcode, extended by OPT when present (RFC 6891 §6.1.3)
    uint16_t tsig_error = 0;        // the error field of the answer's TSIG, 0 when none
    bool verified = false;          // the answer's TSIG verified with the request's key and MAC
    std::string signature_problem;  // why it did not (empty when verified or no key was used)
    std::string extended_error;     // RFC 8914 extended DNS error: "code: text", if sent
};

// Reads an answer to request: Error unless it has a header with the request's ID, QR set and
// opcode UPDATE. With key, checks its TSIG (RFC 8945 §5.3: signed with the same key over the
// request MAC, time within fudge); an answer that does not verify is not an Error but says why
// in signature_problem (an unsigned BADKEY/BADSIG answer is expected from a server that
// rejected the key). now: seconds since the Unix epoch.
Result<UpdateAnswer> read_update_answer(const uint8_t* message, size_t size,
                                        const UpdateRequest& request, const tsig::Key* key,
                                        uint64_t now);

// What an rcode means for an UPDATE (RFC 2136 §2.2), for messages: "prerequisite failed: an
// RRset that must exist does not, or differs" for NXRRSET, "not allowed: ..." for REFUSED, ...
std::string update_rcode_meaning(uint16_t rcode);

}  // namespace tidal::update
