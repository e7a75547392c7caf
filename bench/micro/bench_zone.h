// A synthetic zone and wire queries for the microbenchmarks, shaped like bench/gen_zone.py's.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/snapshot/zone_set.h"
#include "core/snapshot/zone_snapshot.h"
#include "core/store/zone_store.h"

namespace tidal::bench {

// The origin of the benchmark zone.
inline constexpr const char* kOrigin = "bench.test.";

// Name counts of the benchmark zone, as bench/gen_zone.py lays it out: 90 % hosts (A, and
// AAAA on every second one), 5 % CNAMEs to hosts, 2 % delegations with glue, 1 % wildcards.
struct ZoneLayout {
    explicit ZoneLayout(uint32_t names);
    uint32_t hosts, cnames, delegations, wildcards;
};

// The zone's records (sorted, ready for compile_zone), read from generated master-file text.
// Aborts the benchmark program when the text does not read: it is ours, so that is a bug.
store::ZoneContents make_zone_contents(const ZoneLayout& layout, uint32_t serial = 1);

// The compiled zone of `names` names, built once per size and kept for the program's lifetime.
const snapshot::ZoneSet& zone_set(uint32_t names);
std::shared_ptr<const snapshot::ZoneSnapshot> zone_snapshot(uint32_t names);

// A query message in wire format for name (presentation, absolute) and type, without RD;
// with an EDNS(0) OPT record advertising 1232 octets when edns is set.
std::vector<uint8_t> make_query(const std::string& name, uint16_t type, bool edns);

// The lowercased wire form of an absolute presentation name.
std::string wire_name(const std::string& name);

// Query names of one kind of the mix, `count` of them chosen deterministically (fixed seed),
// absolute presentation names: "positive" (hosts), "nxdomain", "nodata" (hosts, to be asked
// MX), "wildcard", "cname", "referral".
std::vector<std::string> query_names(const ZoneLayout& layout, const std::string& kind,
                                     size_t count);

}  // namespace tidal::bench
