// Response rate limiting (RRL) for UDP answers: token buckets per client prefix and answer class.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "core/config/config_values.h"
#include "core/rrl/response_class.h"

namespace tidal::rrl {

// server: rate-limit* in the configuration (docs/configuration.md).
struct RateLimitOptions {
    uint32_t rate = 0;           // responses per second per bucket (also the burst); must be > 0
    uint32_t slip = 2;           // every slip-th limited response goes out truncated; 0 = none
    size_t table_size = 393241;  // buckets, allocated once
    unsigned ipv4_prefix = 24;   // client addresses are grouped by these prefixes
    unsigned ipv6_prefix = 56;
    std::vector<config::AddressPrefix> exempt;  // clients never limited
};

// What to do with one response.
enum class Verdict : uint8_t { Send, Slip, Drop };

// Totals since start, for logs.
struct RateLimitCounters {
    uint64_t limited = 0;  // responses over the rate: slipped + dropped
    uint64_t slipped = 0;
    uint64_t dropped = 0;
};

// One table shared by every worker thread, so the configured rate holds per bucket however
// SO_REUSEPORT spreads a client's packets over the workers. A bucket is keyed by the client's
// prefix and the response class (response_class.h), as in BIND and Knot; it holds `rate`
// tokens, refilled continuously at `rate` per second. A response takes one token; without one
// it is limited: slipped (sent truncated, TC=1, so a real client retries over TCP) or dropped.
//
// Memory is fixed at construction (table_size buckets of 32 octets); check() allocates
// nothing and holds one bucket's spin lock only while it updates that bucket. The table is a
// hash table with two candidate buckets per key; when both hold other keys the one used
// longest ago is taken over (a collision can only make limiting more lenient, never crash).
// All methods may be called from any thread.
class RateLimiter {
  public:
    // hash_seed keys the bucket hash so that outsiders cannot aim collisions at a bucket.
    RateLimiter(const RateLimitOptions& options, uint64_t hash_seed);
    RateLimiter(const RateLimiter&) = delete;
    RateLimiter& operator=(const RateLimiter&) = delete;

    // Whether client (sockaddr_in or sockaddr_in6) may be sent a response of this class at
    // now_ms (a monotonic clock in milliseconds; threads may differ by a few ms).
    Verdict check(const sockaddr* client, const ResponseClass& response, uint64_t now_ms);

    // The UDP hook: classifies the finished response message[0..size), checks it and returns
    // the size to send: size (unchanged), the size of the slipped form (rewritten in place, see
    // make_slip_response) or 0 to drop it.
    size_t apply(uint8_t* message, size_t size, const sockaddr* client, uint64_t now_ms);

    RateLimitCounters counters() const;

    // At most this many log lines about newly limited buckets per second, over all threads.
    static constexpr uint32_t kLogLinesPerSecond = 10;

  private:
    struct Bucket {
        uint64_t key;       // 0: unused
        uint64_t stamp_ms;  // when tokens were last refilled
        int32_t tokens;     // in thousandths of a response
        uint32_t limited;   // limited responses in a row (drives slip); 0 = not limited
        uint32_t logged_s;  // second of the last log line about this bucket
        uint32_t lock;      // spin lock, used through std::atomic_ref
    };
    struct FreeTable {
        void operator()(Bucket* table) const { std::free(table); }
    };

    bool exempt(const uint8_t* address, bool ipv6) const;
    // Gives bucket (locked by the caller) to key, full.
    void take_over(Bucket& bucket, uint64_t key, uint64_t now_ms) const;
    uint64_t key_of(bool ipv6, const uint8_t* address, const ResponseClass& response) const;
    // Refills and charges the bucket (locked by the caller); sets *log when this response
    // starts a limited episode worth a log line.
    Verdict charge(Bucket& bucket, uint64_t now_ms, bool* log);
    bool take_log_budget(uint64_t now_ms);
    void log_limited(bool ipv6, const uint8_t* address, const ResponseClass& response) const;

    RateLimitOptions options_;
    uint64_t seed_;
    std::unique_ptr<Bucket[], FreeTable> table_;
    std::atomic<uint64_t> limited_{0};
    std::atomic<uint64_t> slipped_{0};
    std::atomic<uint64_t> dropped_{0};
    std::atomic<uint64_t> log_second_{0};
    std::atomic<uint32_t> log_lines_{0};
};

}  // namespace tidal::rrl
