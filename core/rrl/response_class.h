// What a UDP response is, for response rate limiting: its kind and the name it is counted under.
#pragma once

#include <cstddef>
#include <cstdint>

namespace tidal::rrl {

// The answer classes BIND and Knot rate-limit separately, so that one kind of flood does not
// use up the budget of another kind of answer to the same clients.
enum class ResponseKind : uint8_t {
    Positive,  // NOERROR with answers (or truncated, TC=1): counted per qname and qtype
    Nodata,    // NOERROR, authoritative, no answer: counted per zone (the SOA owner)
    Nxdomain,  // counted per zone, so a random-subdomain flood shares one bucket
    Referral,  // not authoritative, NS in authority: counted per delegation point
    Error,     // any other rcode (REFUSED, SERVFAIL, FORMERR, ...): counted per client prefix
};

// The class of one response. name is lowercased wire form (empty for Error).
struct ResponseClass {
    ResponseKind kind = ResponseKind::Error;
    uint16_t qtype = 0;  // only Positive answers are told apart by type
    size_t name_size = 0;
    uint8_t name[255];
};

// Classifies the response message[0..size). Returns false for messages rate limiting leaves
// alone: answers to opcodes other than QUERY (NOTIFY answers go to the primaries, UPDATE
// answers to editors) and anything too short to be a response. Reads only; never fails on
// malformed sections (what cannot be read counts under the client prefix alone).
bool classify_response(const uint8_t* message, size_t size, ResponseClass& out);

// Turns the response in message[0..size) into the "slipped" form in place (RFC 1035 §4.1.1
// TC bit): header and question only, TC=1, every section count zero, so a real client retries
// over TCP while a spoofed victim gets no more octets than the query had. Returns the new size,
// or 0 when the message has no readable question (then it is dropped instead).
size_t make_slip_response(uint8_t* message, size_t size);

}  // namespace tidal::rrl
