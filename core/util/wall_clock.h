// Wall-clock milliseconds since the Unix epoch, cheap enough for the query path.
#pragma once

#include <cstdint>
#include <ctime>

namespace tidal {

// From the coarse realtime clock (a vDSO read, no system call, a few ms of resolution): what
// freshness deadlines (store::SyncState times) are compared with.
inline int64_t wall_clock_ms() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

}  // namespace tidal
