// The serial policies: increment, unixtime, dateserial (see serial_policy.h).
#include "core/zone/serial_policy.h"

#include "core/zone/serial_arith.h"

namespace tidal::zone {

namespace {

// YYYYMMDD00 for the UTC day of now.
uint32_t date_serial(std::time_t now) {
    std::tm utc{};
    gmtime_r(&now, &utc);
    const auto year = static_cast<uint32_t>(utc.tm_year + 1900);
    const auto month = static_cast<uint32_t>(utc.tm_mon + 1);
    const auto day = static_cast<uint32_t>(utc.tm_mday);
    return ((year * 100U + month) * 100U + day) * 100U;
}

}  // namespace

uint32_t next_serial(uint32_t old, SerialPolicy policy, std::time_t now) {
    uint32_t wanted = serial_next(old);
    switch (policy) {
        case SerialPolicy::Increment:
            break;
        case SerialPolicy::UnixTime:
            wanted = static_cast<uint32_t>(now);
            break;
        case SerialPolicy::DateSerial:
            wanted = date_serial(now);
            break;
    }
    return serial_gt(wanted, old) ? wanted : serial_next(old);
}

}  // namespace tidal::zone
