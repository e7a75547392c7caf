// classify_response / make_slip_response: a bounded reader of the response the server just built.
#include "core/rrl/response_class.h"

#include <algorithm>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::rrl {
namespace {

constexpr size_t kHeader = 12;

uint16_t read16(const uint8_t* p) {
    return uint16_t(p[0] << 8 | p[1]);
}

// Reads the (possibly compressed, RFC 1035 §4.1.4) name at *offset into out, lowercased, and
// moves *offset past it in the message. False when it is malformed or runs past the end.
bool read_name(const uint8_t* message, size_t size, size_t* offset, uint8_t* out,
               size_t* out_size) {
    size_t at = *offset;
    size_t written = 0;
    bool jumped = false;
    // Every jump must go backwards, so the loop ends; the hop bound is belt and braces.
    for (int hops = 0; hops < 128; ++hops) {
        if (at >= size) {
            return false;
        }
        const uint8_t length = message[at];
        if ((length & 0xC0) == 0xC0) {
            if (at + 1 >= size) {
                return false;
            }
            const size_t target = size_t(length & 0x3F) << 8 | message[at + 1];
            if (target >= at) {
                return false;
            }
            if (!jumped) {
                *offset = at + 2;
                jumped = true;
            }
            at = target;
            continue;
        }
        if ((length & 0xC0) != 0 || at + 1 + length > size || written + 1 + length > 255) {
            return false;
        }
        out[written++] = length;
        for (size_t i = 0; i < length; ++i) {
            out[written++] = dns::lower_octet(message[at + 1 + i]);
        }
        at += 1 + length;
        if (length == 0) {
            if (!jumped) {
                *offset = at;
            }
            *out_size = written;
            return true;
        }
    }
    return false;
}

// Moves *offset past one resource record; returns its owner, type in *type.
bool read_rr(const uint8_t* message, size_t size, size_t* offset, uint8_t* owner,
             size_t* owner_size, uint16_t* type) {
    if (!read_name(message, size, offset, owner, owner_size) || *offset + 10 > size) {
        return false;
    }
    *type = read16(message + *offset);
    const size_t rdlength = read16(message + *offset + 8);
    *offset += 10 + rdlength;
    return *offset <= size;
}

// The owner of the first record of type `wanted` in the authority section, which starts after
// the question and the answer section (ancount records). False when there is none.
bool authority_owner(const uint8_t* message, size_t size, size_t offset, uint16_t wanted,
                     ResponseClass& out) {
    const uint16_t ancount = read16(message + 6);
    const uint16_t nscount = read16(message + 8);
    uint8_t owner[255];
    size_t owner_size = 0;
    uint16_t type = 0;
    for (uint32_t i = 0; i < ancount; ++i) {
        if (!read_rr(message, size, &offset, owner, &owner_size, &type)) {
            return false;
        }
    }
    for (uint32_t i = 0; i < nscount; ++i) {
        if (!read_rr(message, size, &offset, out.name, &out.name_size, &type)) {
            out.name_size = 0;
            return false;
        }
        if (type == wanted) {
            return true;
        }
    }
    out.name_size = 0;
    return false;
}

}  // namespace

bool classify_response(const uint8_t* message, size_t size, ResponseClass& out) {
    out.kind = ResponseKind::Error;
    out.qtype = 0;
    out.name_size = 0;
    if (size < kHeader) {
        return false;
    }
    const uint16_t flags = read16(message + 2);
    if ((flags & dns::flag::QR) == 0 || ((flags >> 11) & 0x0F) != dns::opcode::QUERY) {
        return false;
    }
    const uint16_t rcode = flags & 0x0F;
    if (rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN) {
        return true;  // errors count under the client prefix alone
    }
    size_t offset = kHeader;
    uint8_t qname[255];
    size_t qname_size = 0;
    if (read16(message + 4) != 1 || !read_name(message, size, &offset, qname, &qname_size) ||
        offset + 4 > size) {
        return true;
    }
    const uint16_t qtype = read16(message + offset);
    offset += 4;
    if (rcode == dns::rcode::NXDOMAIN) {
        // Counted per zone (the SOA owner): a flood of random names shares one bucket.
        out.kind = ResponseKind::Nxdomain;
        (void)authority_owner(message, size, offset, dns::rrtype::SOA, out);
        return true;
    }
    // A truncated answer (TC, the records did not fit) is still the answer to this qname.
    if (read16(message + 6) > 0 || (flags & dns::flag::TC) != 0) {
        out.kind = ResponseKind::Positive;
        out.qtype = qtype;
        std::copy(qname, qname + qname_size, out.name);
        out.name_size = qname_size;
        return true;
    }
    if ((flags & dns::flag::AA) != 0) {
        out.kind = ResponseKind::Nodata;
        (void)authority_owner(message, size, offset, dns::rrtype::SOA, out);
        return true;
    }
    if (authority_owner(message, size, offset, dns::rrtype::NS, out)) {
        out.kind = ResponseKind::Referral;  // counted per delegation point
    }
    return true;
}

size_t make_slip_response(uint8_t* message, size_t size) {
    if (size < kHeader || read16(message + 4) != 1) {
        return 0;
    }
    size_t offset = kHeader;
    uint8_t qname[255];
    size_t qname_size = 0;
    if (!read_name(message, size, &offset, qname, &qname_size) || offset + 4 > size) {
        return 0;
    }
    message[2] |= uint8_t(dns::flag::TC >> 8);
    for (size_t i = 6; i < kHeader; ++i) {
        message[i] = 0;  // ancount, nscount, arcount
    }
    return offset + 4;
}

}  // namespace tidal::rrl
