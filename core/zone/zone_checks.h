// Zone-level checks on records parsed from master files: apex, SOA, NS, CNAME, TTLs, duplicates.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "core/zone/record.h"
#include "core/zone/zone_file_reader.h"

namespace tidal::zone {

// A record with the place it was read from, for messages.
struct ParsedRecord {
    Record rr;
    uint32_t file = 0;  // index into ParsedZone::files
    uint32_t line = 0;
};

// What the parser produced, in file order.
struct ParsedZone {
    std::vector<std::string> files;  // files[0] is the top file
    std::vector<ParsedRecord> records;
    std::vector<std::string> warnings;
};

// Applies the zone-level rules listed at read_zone_file to parsed and returns the zone. origin
// is the apex when given (lowercased wire); otherwise the SOA's owner is.
Result<ZoneFile> check_zone(ParsedZone parsed, const std::optional<std::string>& origin);

}  // namespace tidal::zone
