// canonical_rdata through ldns, which knows each type's layout and RFC 4034's list.
#include "core/zone/rdata_canonical.h"

#include <ldns/ldns.h>

namespace tidal::zone {

std::string canonical_rdata(uint16_t type, std::string_view rdata) {
    if (rdata.size() > 65535) {
        return std::string(rdata);
    }
    // A whole RR in wire form (root owner, class IN, TTL 0) for ldns to parse.
    std::string wire(1, '\0');
    wire.push_back(char(type >> 8));
    wire.push_back(char(type));
    wire.append("\0\x01\0\0\0\0", 6);
    wire.push_back(char(rdata.size() >> 8));
    wire.push_back(char(rdata.size()));
    wire.append(rdata);
    ldns_rr* rr = nullptr;
    size_t pos = 0;
    if (ldns_wire2rr(&rr, reinterpret_cast<const uint8_t*>(wire.data()), wire.size(), &pos,
                     LDNS_SECTION_ANSWER) != LDNS_STATUS_OK) {
        return std::string(rdata);
    }
    ldns_rr2canonical(rr);
    std::string out(rdata);
    if (ldns_buffer* buffer = ldns_buffer_new(rdata.size() + 16)) {
        if (ldns_rr_rdata2buffer_wire(buffer, rr) == LDNS_STATUS_OK) {
            out.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buffer)),
                       ldns_buffer_position(buffer));
        }
        ldns_buffer_free(buffer);
    }
    ldns_rr_free(rr);
    return out;
}

bool same_rdata(uint16_t type, std::string_view a, std::string_view b) {
    return a == b || canonical_rdata(type, a) == canonical_rdata(type, b);
}

}  // namespace tidal::zone
