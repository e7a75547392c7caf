// Parsers for the scalar value types of the configuration file: durations, socket addresses,
// CIDR prefixes, TSIG algorithms and base64 secrets. Shared with tidalctl (--timeout, --server).
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/util/result.h"

namespace tidal::config {

// "30", "30s", "5m", "1h", "2d": a non-negative whole number with an optional unit (seconds when
// none). Errors quote the text and say which forms are accepted.
Result<std::chrono::seconds> parse_duration(std::string_view text);

// "0", "50us", "2ms": a short wait as a non-negative whole number of microseconds ("us") or
// milliseconds ("ms"); the unit is required unless the number is 0.
Result<std::chrono::microseconds> parse_short_duration(std::string_view text);

// "1000", "64K", "100M", "2G": a non-negative whole number of bytes with an optional binary
// unit (K = 1024). Errors quote the text and say which forms are accepted.
Result<uint64_t> parse_size(std::string_view text);

// "192.0.2.1:53", "[2001:db8::1]:53", or a bare numeric address ("192.0.2.1", "[::1]", "::1")
// meaning default_port. Host names are refused: the file names hosts by address. Port 0 is refused.
Result<ListenAddress> parse_socket_address(std::string_view text, uint16_t default_port = 53);

// The address as the file would write it: "192.0.2.1:53" or "[2001:db8::1]:53".
std::string format_socket_address(const ListenAddress& address);

// An address prefix from an ACL entry ("10.0.0.0/8", "2001:db8::/32").
struct AddressPrefix {
    bool ipv6 = false;
    std::array<uint8_t, 16> bytes{};  // network order; the first 4 for IPv4
    unsigned length = 0;              // prefix length in bits
};

// Parses "ADDRESS/LENGTH". The slash is required, and bits past the length must be zero (as BIND
// insists), so "10.0.0.1/8" is refused as a likely typo.
Result<AddressPrefix> parse_prefix(std::string_view text);

// True when address (4 octets for IPv4, 16 for IPv6, network order) lies inside prefix. An
// address of the other family never matches.
bool prefix_contains(const AddressPrefix& prefix, std::span<const uint8_t> address);

// True for the TSIG algorithms the file accepts (RFC 8945 §6): hmac-md5, hmac-sha1,
// hmac-sha224, hmac-sha256, hmac-sha384, hmac-sha512 (lowercase).
bool is_tsig_algorithm(std::string_view name);

// Decodes a base64 secret (RFC 4648 §4, padding required); an empty or undecodable text is an
// error.
Result<std::string> decode_base64(std::string_view text);

}  // namespace tidal::config
