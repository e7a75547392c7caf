// Parses an incoming DNS message far enough to answer it: header, question, EDNS OPT.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dns/constants.h"

namespace tidal::query {

enum class ParseStatus {
    Ok,
    Drop,     // not worth an answer: shorter than a header, or a response (QR set)
    FormErr,  // malformed: answer FORMERR (RFC 1035 §4.1.1)
    NotImp,   // no question, and an opcode that does not need one: answer NOTIMP
};

// Everything the responder needs from a query; points into the caller's packet buffer.
struct ParsedQuery {
    uint16_t id = 0;
    uint16_t flags = 0;  // the query's flag word as received
    uint8_t opcode = 0;
    uint16_t qdcount = 0;

    // The question exactly as sent (name in its original case), for the echo.
    const uint8_t* question = nullptr;
    size_t question_size = 0;
    const uint8_t* qname = nullptr;  // inside question
    size_t qname_size = 0;
    uint8_t qname_lower[dns::kMaxNameLength];  // the same name, lowercased (RFC 4343 §3)
    uint16_t qtype = 0;
    uint16_t qclass = 0;

    // EDNS(0), RFC 6891 §6.1.
    bool has_edns = false;
    uint8_t edns_version = 0;
    uint16_t edns_payload = 0;
    bool edns_do = false;
    bool edns_expire = false;  // the EDNS EXPIRE option was sent (RFC 7314 §2)

    // A TSIG record ends the message (RFC 8945): the answer must be signed, or carry the error.
    bool has_tsig = false;
};

// Parses packet[0..size). Allocation-free. On FormErr the header fields are still filled
// (id, flags, opcode) so the error response can echo them; has_edns tells whether a valid OPT
// was seen before the error.
ParseStatus parse_query(const uint8_t* packet, size_t size, ParsedQuery& query);

}  // namespace tidal::query
