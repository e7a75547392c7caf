// Domain names in uncompressed wire format (RFC 1035 §3.1): comparisons, hierarchy, text
// conversion.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace tidal::dns {

// Names are held as uncompressed wire octets in a std::string ("\3www\7example\3com\0").
// Names used as keys (store owners, snapshot nodes, zone apexes) are lowercased: DNS compares
// names case-insensitively (RFC 4343 §3); query names keep their case for the echo.

constexpr char kRootName[] = {'\0'};
inline std::string_view root_name() {
    return {kRootName, 1};
}

// ASCII-only lowercasing, as RFC 4343 §3 prescribes for name comparison.
inline uint8_t lower_octet(uint8_t c) {
    return (c >= 'A' && c <= 'Z') ? uint8_t(c + 32) : c;
}

// Copies the length octets of the well-formed wire name at data (length from name_wire_length)
// into out, lowercased, and returns them: allocation-free, for the query path. Length octets
// (at most 63) pass lower_octet unchanged.
inline std::string_view lower_name_into(const uint8_t* data, size_t length, uint8_t* out) {
    for (size_t i = 0; i < length; ++i) {
        out[i] = lower_octet(data[i]);
    }
    return {reinterpret_cast<const char*>(out), length};
}

// Lowercases every label octet of a well-formed wire name in place.
void name_to_lower(std::string& wire);
std::string name_lowered(std::string_view wire);

// Length in octets of the well-formed uncompressed name starting at data, or 0 if the octets do
// not hold one (bad label length, compression pointer, over 255 octets, runs past size).
size_t name_wire_length(const uint8_t* data, size_t size);

// Number of labels, not counting the root ("\0" has 0).
size_t name_label_count(std::string_view wire);

// The name with its first label removed; the root's parent is the root.
std::string_view name_parent(std::string_view wire);

// Case-insensitive equality of two well-formed wire names.
bool name_equal(std::string_view a, std::string_view b);

// True when name equals ancestor or lies below it (case-insensitive, label-aligned).
bool name_is_subdomain(std::string_view name, std::string_view ancestor);

// Presentation format -> wire. Relative names are completed with origin (a wire name); "@" is the
// origin. Escapes (\. \DDD) are honoured. Errors name the offending text.
Result<std::string> name_from_text(std::string_view text, std::string_view origin = root_name());

// Wire -> absolute presentation format with a trailing dot, escaping as RFC 1035 §5.1 does.
std::string name_to_text(std::string_view wire);

}  // namespace tidal::dns
