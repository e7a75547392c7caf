// One resource record as the store, zone files and snapshots exchange it.
#pragma once

#include <cstdint>
#include <string>
#include <tuple>

namespace tidal {

// owner: lowercased uncompressed wire name (absolute). rdata: uncompressed wire rdata exactly as
// it goes on the wire (names inside rdata keep their case). rclass is always IN for served zones.
struct Record {
    std::string owner;
    uint16_t type = 0;
    uint16_t rclass = 1;
    uint32_t ttl = 0;
    std::string rdata;

    // Identity of an RR ignores the TTL (RFC 2181 §5: TTL is a property of the RRset).
    friend bool same_rr(const Record& a, const Record& b) {
        return a.type == b.type && a.rclass == b.rclass && a.owner == b.owner && a.rdata == b.rdata;
    }
    friend bool operator<(const Record& a, const Record& b) {
        return std::tie(a.owner, a.type, a.rdata) < std::tie(b.owner, b.type, b.rdata);
    }
    friend bool operator==(const Record& a, const Record& b) = default;
};

}  // namespace tidal
