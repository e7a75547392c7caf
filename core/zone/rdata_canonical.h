// RDATA in canonical form (RFC 4034 §6.2): names inside it lowercased, for comparing RRs.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace tidal::zone {

// The rdata of an RR of this type with its embedded domain names lowercased, for the types
// whose names RFC 4034 §6.2 (and RFC 6840 §5.1) say compare without case (NS, CNAME, SOA, MX,
// SRV, ...). Other types, and rdata that does not parse, come back unchanged.
std::string canonical_rdata(uint16_t type, std::string_view rdata);

// Two RDATAs of one type denote the same RR (RFC 4343 §3: names compare case-insensitively).
bool same_rdata(uint16_t type, std::string_view a, std::string_view b);

}  // namespace tidal::zone
