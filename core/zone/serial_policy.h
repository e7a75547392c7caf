// How a primary picks the next SOA serial of a zone: increment, unixtime or dateserial.
#pragma once

#include <cstdint>
#include <ctime>

namespace tidal::zone {

// The `serial-policy` of a zone (INTERFACE.md). Every policy is monotonic under RFC 1982
// arithmetic: when the clock-derived serial would not be greater than the stored one, the
// stored serial + 1 is used, so two changes in one second (or 100 in one day) still raise it.
enum class SerialPolicy { Increment, UnixTime, DateSerial };

// The serial to store after a change to a zone whose serial is `old`, at time `now` (seconds
// since the Unix epoch, UTC).
//   Increment:  old + 1 (RFC 1982 §3.1).
//   UnixTime:   now, or old + 1 when now is not greater (BIND's `serial-update-method unixtime`).
//   DateSerial: YYYYMMDD00 of the UTC day, or old + 1 when that is not greater (RFC 1912 §2.2's
//               YYYYMMDDnn convention; past nn = 99 the serial runs into the next day's numbers,
//               as BIND and Knot do).
uint32_t next_serial(uint32_t old, SerialPolicy policy, std::time_t now);

}  // namespace tidal::zone
