// SOA serial number arithmetic (RFC 1982): comparison and increment modulo 2^32.
#pragma once

#include <cstdint>

namespace tidal::zone {

// RFC 1982 §3.2: a is greater than b when it is ahead by 1..2^31-1 modulo 2^32. Serials exactly
// 2^31 apart are not comparable; both serial_gt(a, b) and serial_gt(b, a) are false then.
constexpr bool serial_gt(uint32_t a, uint32_t b) {
    return a != b && static_cast<uint32_t>(a - b) < 0x80000000U;
}

// RFC 1982 §3.1: addition modulo 2^32 (the increment a primary applies for each change).
constexpr uint32_t serial_next(uint32_t serial) {
    return serial + 1U;
}

static_assert(serial_gt(1, 0) && !serial_gt(0, 1) && serial_gt(0, 0xFFFFFFFFU));
static_assert(!serial_gt(0x80000000U, 0) && !serial_gt(0, 0x80000000U));

}  // namespace tidal::zone
