// Field access in SOA rdata wire format (RFC 1035 §3.3.13): MNAME RNAME SERIAL REFRESH RETRY
// EXPIRE MINIMUM.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tidal::zone {

// The SOA's 32-bit fields, in rdata order.
enum class SoaField { Serial = 0, Refresh = 1, Retry = 2, Expire = 3, Minimum = 4 };

// The field's value, or nullopt when rdata is not well-formed SOA rdata.
std::optional<uint32_t> soa_field(std::string_view rdata, SoaField field);
inline std::optional<uint32_t> soa_serial(std::string_view rdata) {
    return soa_field(rdata, SoaField::Serial);
}

// Sets the field in place; false (rdata unchanged) when rdata is not well-formed SOA rdata.
bool set_soa_field(std::string& rdata, SoaField field, uint32_t value);
inline bool set_soa_serial(std::string& rdata, uint32_t serial) {
    return set_soa_field(rdata, SoaField::Serial, serial);
}

}  // namespace tidal::zone
