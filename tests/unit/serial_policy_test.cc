// serial-policy: increment, unixtime and dateserial never go backwards (RFC 1982).
#include <gtest/gtest.h>

#include "core/zone/serial_policy.h"

namespace tidal::zone {
namespace {

// 2026-11-21 12:00:00 UTC.
constexpr std::time_t kNoon = 1795262400;

TEST(SerialPolicy, IncrementAddsOneAndWraps) {
    EXPECT_EQ(next_serial(41, SerialPolicy::Increment, kNoon), 42U);
    EXPECT_EQ(next_serial(0xFFFFFFFFU, SerialPolicy::Increment, kNoon), 0U);
}

TEST(SerialPolicy, UnixTimeTakesTheClockWhenItIsAhead) {
    EXPECT_EQ(next_serial(1700000000, SerialPolicy::UnixTime, kNoon), static_cast<uint32_t>(kNoon));
}

TEST(SerialPolicy, UnixTimeTwoChangesInOneSecondStillRaiseTheSerial) {
    const uint32_t first = next_serial(100, SerialPolicy::UnixTime, kNoon);
    const uint32_t second = next_serial(first, SerialPolicy::UnixTime, kNoon);
    EXPECT_EQ(second, first + 1);
}

TEST(SerialPolicy, DateSerialStartsTheDayAtZeroZero) {
    EXPECT_EQ(next_serial(2026112005, SerialPolicy::DateSerial, kNoon), 2026112100U);
}

TEST(SerialPolicy, DateSerialCountsChangesWithinTheDay) {
    EXPECT_EQ(next_serial(2026112100, SerialPolicy::DateSerial, kNoon), 2026112101U);
    EXPECT_EQ(next_serial(2026112199, SerialPolicy::DateSerial, kNoon), 2026112200U);
}

TEST(SerialPolicy, ClockBehindTheStoredSerialNeverLowersIt) {
    // A zone imported with a serial from the future: every policy keeps counting up from it.
    const uint32_t future = 3000000000U;
    for (auto policy : {SerialPolicy::UnixTime, SerialPolicy::DateSerial}) {
        EXPECT_EQ(next_serial(future, policy, kNoon), future + 1);
    }
}

}  // namespace
}  // namespace tidal::zone
