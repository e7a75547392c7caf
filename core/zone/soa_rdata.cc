// SOA rdata field access: skips the two uncompressed names, then reads 32-bit big-endian fields.
#include "core/zone/soa_rdata.h"

#include "core/dns/name.h"

namespace tidal::zone {

namespace {

// Offset of the first 32-bit field (SERIAL), or nullopt when the rdata is malformed.
std::optional<size_t> numbers_offset(std::string_view rdata) {
    const auto* data = reinterpret_cast<const uint8_t*>(rdata.data());
    const size_t mname = dns::name_wire_length(data, rdata.size());
    if (mname == 0) {
        return std::nullopt;
    }
    const size_t rname = dns::name_wire_length(data + mname, rdata.size() - mname);
    if (rname == 0 || mname + rname + 20 != rdata.size()) {
        return std::nullopt;
    }
    return mname + rname;
}

}  // namespace

std::optional<uint32_t> soa_field(std::string_view rdata, SoaField field) {
    const auto offset = numbers_offset(rdata);
    if (!offset) {
        return std::nullopt;
    }
    const size_t at = *offset + 4 * static_cast<size_t>(field);
    uint32_t value = 0;
    for (size_t i = 0; i < 4; ++i) {
        value = (value << 8) | static_cast<uint8_t>(rdata[at + i]);
    }
    return value;
}

bool set_soa_field(std::string& rdata, SoaField field, uint32_t value) {
    const auto offset = numbers_offset(rdata);
    if (!offset) {
        return false;
    }
    const size_t at = *offset + 4 * static_cast<size_t>(field);
    for (size_t i = 0; i < 4; ++i) {
        rdata[at + i] = static_cast<char>((value >> (8 * (3 - i))) & 0xFF);
    }
    return true;
}

}  // namespace tidal::zone
