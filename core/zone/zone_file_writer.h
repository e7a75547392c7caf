// Writes a zone as an RFC 1035 master file: SOA first, absolute names, RFC 3597 for unknown types.
#pragma once

#include <ostream>
#include <string_view>
#include <vector>

#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::zone {

// Writes records of the zone origin (wire) to out: a comment line naming the zone, the SOA, then
// the other records in DNSSEC canonical name order (RFC 4034 §6.1), then by type and rdata, one
// per line with absolute names, in the presentation format of ldns; types ldns does not know in
// RFC 3597 form. read_zone_file gives the same records back. Error when the stream fails.
Status write_zone_file(std::string_view origin, const std::vector<Record>& records,
                       std::ostream& out);

// RFC 4034 §6.1 canonical order of two wire names: by labels from the root, each compared as
// lowercased octet strings.
bool canonical_name_less(std::string_view a, std::string_view b);

}  // namespace tidal::zone
