// Query parsing: strict on structure (FORMERR for anything that does not add up), lenient on
// content that does not affect the answer.
#include "core/query/query_parser.h"

#include "core/dns/name.h"

namespace tidal::query {

namespace {

uint16_t read16(const uint8_t* p) {
    return uint16_t((p[0] << 8) | p[1]);
}
uint32_t read32(const uint8_t* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// Skips a possibly compressed name in a record; returns the position after it or 0 on error.
size_t skip_name(const uint8_t* packet, size_t size, size_t pos) {
    size_t total = 0;
    while (pos < size) {
        const uint8_t len = packet[pos];
        if (len == 0) {
            return pos + 1;
        }
        if ((len & 0xC0) == 0xC0) {
            // A pointer ends the name here; it must point backwards (RFC 1035 §4.1.4).
            if (pos + 1 >= size) {
                return 0;
            }
            const size_t target = (size_t(len & 0x3F) << 8) | packet[pos + 1];
            return target < pos ? pos + 2 : 0;
        }
        if (len > dns::kMaxLabelLength) {
            return 0;
        }
        total += len + 1;
        if (total >= dns::kMaxNameLength) {
            return 0;
        }
        pos += size_t(len) + 1;
    }
    return 0;
}

// Validates the EDNS options inside OPT rdata (each {code, length, data} must fit exactly) and
// notes the ones the responder acts on.
bool scan_options(const uint8_t* rdata, size_t rdlen, ParsedQuery& query) {
    size_t pos = 0;
    while (pos < rdlen) {
        if (pos + 4 > rdlen) {
            return false;
        }
        const uint16_t code = read16(rdata + pos);
        const size_t len = read16(rdata + pos + 2);
        if (code == dns::edns_option::EXPIRE) {
            query.edns_expire = true;  // RFC 7314 §2: empty in a query, but any length is asked
        }
        pos += 4 + len;
    }
    return pos == rdlen;
}

}  // namespace

ParseStatus parse_query(const uint8_t* packet, size_t size, ParsedQuery& query) {
    if (size < dns::kHeaderSize) {
        return ParseStatus::Drop;
    }
    query.id = read16(packet);
    query.flags = read16(packet + 2);
    query.opcode = uint8_t((query.flags >> 11) & 0x0F);
    query.has_edns = false;
    query.edns_expire = false;
    query.has_tsig = false;
    query.question = nullptr;
    query.question_size = 0;
    if (query.flags & dns::flag::QR) {
        return ParseStatus::Drop;  // never answer a response: no reflection loops
    }
    query.qdcount = read16(packet + 4);
    const uint16_t ancount = read16(packet + 6);
    const uint16_t nscount = read16(packet + 8);
    const uint16_t arcount = read16(packet + 10);

    if (query.qdcount != 1) {
        // QUERY, NOTIFY and UPDATE all need exactly one question (RFC 1035 §4.1.2, RFC 1996 §3.7,
        // RFC 2136 §2.3); for any other opcode the missing question is not the problem.
        const bool needs_question = query.opcode == dns::opcode::QUERY ||
                                    query.opcode == dns::opcode::NOTIFY ||
                                    query.opcode == dns::opcode::UPDATE;
        return needs_question ? ParseStatus::FormErr : ParseStatus::NotImp;
    }

    // Question: an uncompressed name (nothing earlier to point to), type, class.
    size_t pos = dns::kHeaderSize;
    const size_t name_size = dns::name_wire_length(packet + pos, size - pos);
    if (name_size == 0 || pos + name_size + 4 > size) {
        return ParseStatus::FormErr;
    }
    query.qname = packet + pos;
    query.qname_size = name_size;
    for (size_t i = 0; i < name_size; ++i) {
        query.qname_lower[i] = packet[pos + i];
    }
    {
        size_t p = 0;
        while (query.qname_lower[p] != 0) {
            const size_t len = query.qname_lower[p];
            for (size_t i = p + 1; i <= p + len; ++i) {
                query.qname_lower[i] = dns::lower_octet(query.qname_lower[i]);
            }
            p += len + 1;
        }
    }
    query.qtype = read16(packet + pos + name_size);
    query.qclass = read16(packet + pos + name_size + 2);
    query.question = packet + pos;
    query.question_size = name_size + 4;
    pos += name_size + 4;

    // Answer and authority records are skipped (a query has none of use to us); additional
    // records are scanned for the OPT pseudo-RR.
    const size_t records = size_t(ancount) + nscount + arcount;
    for (size_t i = 0; i < records; ++i) {
        const size_t owner_start = pos;
        pos = skip_name(packet, size, pos);
        if (pos == 0 || pos + 10 > size) {
            return ParseStatus::FormErr;
        }
        const uint16_t type = read16(packet + pos);
        const uint16_t rclass = read16(packet + pos + 2);
        const uint32_t ttl = read32(packet + pos + 4);
        const size_t rdlen = read16(packet + pos + 8);
        pos += 10;
        if (pos + rdlen > size) {
            return ParseStatus::FormErr;
        }
        if (type == dns::rrtype::OPT) {
            // RFC 6891 §6.1.1: one OPT, in the additional section, owned by the root.
            const bool in_additional = i >= size_t(ancount) + nscount;
            if (!in_additional || query.has_edns || packet[owner_start] != 0 ||
                !scan_options(packet + pos, rdlen, query)) {
                return ParseStatus::FormErr;
            }
            query.has_edns = true;
            query.edns_payload = rclass;
            query.edns_version = uint8_t((ttl >> 16) & 0xFF);
            query.edns_do = (ttl & 0x8000) != 0;
        }
        if (type == dns::rrtype::TSIG) {
            // RFC 8945 §5.1: only as the very last record.
            if (i + 1 != records) {
                return ParseStatus::FormErr;
            }
            query.has_tsig = true;
        }
        pos += rdlen;
    }
    if (pos != size) {
        return ParseStatus::FormErr;  // trailing octets after the last counted record
    }
    return ParseStatus::Ok;
}

}  // namespace tidal::query
