// Presentation format <-> wire for names, types, TTLs and rdata, through ldns (RFC 1035 §5,
// RFC 3597 for unknown types).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::zone {

// A domain name in presentation format -> wire (case kept). "@" is the origin; a relative name is
// completed with origin. Errors (reason only, no location): bad escapes, labels over 63 octets,
// names over 255 octets, a relative name or "@" when origin is nullopt.
Result<std::string> name_from_presentation(std::string_view text,
                                           const std::optional<std::string>& origin);

// A type mnemonic ("A", "HTTPS") or RFC 3597 "TYPEnnn" -> number. Errors for unknown mnemonics,
// and for TYPE0 and the meta/query types that cannot be stored (OPT, TSIG, TKEY, IXFR, AXFR,
// MAILA, MAILB, ANY).
Result<uint16_t> rrtype_from_text(std::string_view text);
// The mnemonic ldns knows, else "TYPEnnn".
std::string rrtype_to_text(uint16_t type);

// A class mnemonic (IN, CH, CS, HS, NONE, ANY) or "CLASSnnn" -> number; nullopt if text is none.
std::optional<uint16_t> rrclass_from_text(std::string_view text);

// A TTL: decimal seconds or BIND-style units ("1h30m", "2d"; s m h d w); nullopt unless text
// starts with a digit. Error when it is malformed or above 2^31-1 (RFC 2181 §8).
std::optional<Result<uint32_t>> ttl_from_text(std::string_view text);

// The rdata of an RR of this type in presentation format -> uncompressed wire. Relative names are
// completed with origin (an error when origin is nullopt); RFC 3597 "\# len hex" is accepted for
// every type and checked against the type's format. Errors give the reason only.
Result<std::string> rdata_from_text(uint16_t type, std::string_view text,
                                    const std::optional<std::string>& origin);

// A wire name in presentation format, absolute, escaping every character that is special in
// a master file (RFC 1035 §5.1: . ; ( ) \ " and @ $ too) and non-printable octets as \DDD.
std::string name_to_presentation(std::string_view wire);

// One RR in presentation format with absolute names: "owner ttl IN TYPE rdata" (no newline).
// Unknown types, and rdata ldns cannot decode, are written in RFC 3597 form.
std::string record_to_text(const Record& rr);

// Only the rdata part of record_to_text.
std::string rdata_to_text(uint16_t type, std::string_view rdata);

}  // namespace tidal::zone
