// Reads an RFC 1035 master file (with $ORIGIN, $TTL, $INCLUDE, RFC 3597) into checked records.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::zone {

// A zone as read from a master file, ready for ZoneStore::replace_zone.
struct ZoneFile {
    std::string origin;                 // lowercased wire apex
    std::vector<Record> records;        // sorted by (owner, type, rdata), owners lowercased
    std::vector<std::string> warnings;  // "path:line: ..." for each record dropped or fixed
};

// Reads and checks the master file at path. The apex is origin (lowercased wire) when given,
// else the owner of the SOA; names are relative to $ORIGIN, or to origin before the first
// $ORIGIN, or (without either) to the owner of an SOA that comes first.
//
// $INCLUDE file [origin]: file is relative to the including file's directory; $ORIGIN and $TTL
// set in the included file do not outlive it.
//
// Errors ("path:line: reason", the line where the record starts, in the included file for
// included records) leave nothing half-read: a syntax error; class other than IN; a name over
// 255 octets; not exactly one SOA, or an SOA away from the apex; no NS at the apex; a CNAME beside
// other data or a second CNAME at one name (RFC 1034 §3.6.2; RRSIG and NSEC may stand beside a
// CNAME, RFC 4035 §2.5); an $INCLUDE deeper than 16 files or looping.
//
// Warnings: a record outside the zone is dropped (as BIND and Knot do); TTLs that differ within an
// RRset are all set to the first one's (RFC 2181 §5.2; RRSIG sets are exempt, their TTLs follow
// the covered sets). Exact duplicate records are dropped silently. Data below a delegation is
// kept (it is occluded, not wrong).
Result<ZoneFile> read_zone_file(const std::string& path,
                                const std::optional<std::string>& origin = std::nullopt);

// Same for text in memory; source names it in messages and $INCLUDE paths are relative to the
// directory of source.
Result<ZoneFile> read_zone_text(std::string_view text, const std::string& source,
                                const std::optional<std::string>& origin = std::nullopt);

}  // namespace tidal::zone
