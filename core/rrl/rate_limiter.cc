// RateLimiter: client prefixes, the seeded bucket hash, token refill, slip and rate-limited logs.
#include "core/rrl/rate_limiter.h"

#include <fmt/format.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <new>
#include <span>
#include <string>
#include <string_view>

#include "core/dns/name.h"
#include "core/util/socket_address.h"
#include "core/zone/rr_text.h"

namespace tidal::rrl {
namespace {

constexpr int32_t kTokenUnit = 1000;  // a token is a thousandth of a response

// A spin lock over a plain word of a calloc'd bucket; held for a few dozen instructions.
class BucketLock {
  public:
    explicit BucketLock(uint32_t& word) : word_(word) {
        while (word_.exchange(1, std::memory_order_acquire) != 0) {
            while (word_.load(std::memory_order_relaxed) != 0) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            }
        }
    }
    ~BucketLock() {
        word_.store(0, std::memory_order_release);
    }
    BucketLock(const BucketLock&) = delete;
    BucketLock& operator=(const BucketLock&) = delete;

  private:
    std::atomic_ref<uint32_t> word_;
};

// The finaliser of MurmurHash3: every input bit affects every output bit.
uint64_t mix(uint64_t h) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    h *= 0xc4ceb93e85ebca53ULL;
    h ^= h >> 33;
    return h;
}

uint64_t hash_bytes(uint64_t seed, const uint8_t* data, size_t size) {
    uint64_t h = mix(seed ^ (size * 0x9E3779B97F4A7C15ULL));
    size_t i = 0;
    for (; i + 8 <= size; i += 8) {
        uint64_t word = 0;
        std::memcpy(&word, data + i, 8);
        h = mix(h ^ word) * 0x9E3779B97F4A7C15ULL;
    }
    uint64_t tail = 0;
    std::memcpy(&tail, data + i, size - i);
    return mix(h ^ tail);
}

// Clears the bits past length.
void mask(uint8_t* address, unsigned length, unsigned bits) {
    for (unsigned i = 0; i < bits / 8; ++i) {
        const unsigned first = i * 8;
        if (first >= length) {
            address[i] = 0;
        } else if (length - first < 8) {
            address[i] &= uint8_t(0xFF << (8 - (length - first)));
        }
    }
}

const char* kind_text(ResponseKind kind) {
    switch (kind) {
        case ResponseKind::Positive:
            return "answers";
        case ResponseKind::Nodata:
            return "NODATA answers";
        case ResponseKind::Nxdomain:
            return "NXDOMAIN answers";
        case ResponseKind::Referral:
            return "referrals";
        case ResponseKind::Error:
            return "error answers";
    }
    return "answers";
}

}  // namespace

RateLimiter::RateLimiter(const RateLimitOptions& options, uint64_t hash_seed)
    : options_(options), seed_(hash_seed) {
    options_.table_size = std::max<size_t>(options_.table_size, 2);
    options_.rate = std::clamp<uint32_t>(options_.rate, 1, 1000000);
    // calloc: zeroed pages come from the kernel as they are first touched, so a big table costs
    // only what is used; a zero bucket is an unused one.
    table_.reset(static_cast<Bucket*>(std::calloc(options_.table_size, sizeof(Bucket))));
    if (!table_) {
        throw std::bad_alloc();
    }
}

bool RateLimiter::exempt(const uint8_t* address, bool ipv6) const {
    const std::span<const uint8_t> bytes(address, ipv6 ? 16 : 4);
    return std::any_of(
        options_.exempt.begin(), options_.exempt.end(),
        [&](const config::AddressPrefix& p) { return config::prefix_contains(p, bytes); });
}

uint64_t RateLimiter::key_of(bool ipv6, const uint8_t* address,
                             const ResponseClass& response) const {
    // family, prefix (16), kind, qtype (2), name: at most 1 + 16 + 1 + 2 + 255 octets.
    std::array<uint8_t, 1 + 16 + 1 + 2 + 255> key;
    size_t n = 0;
    key[n++] = ipv6 ? 6 : 4;
    std::memcpy(key.data() + n, address, 16);
    n += 16;
    key[n++] = uint8_t(response.kind);
    key[n++] = uint8_t(response.qtype >> 8);
    key[n++] = uint8_t(response.qtype & 0xFF);
    std::memcpy(key.data() + n, response.name, response.name_size);
    n += response.name_size;
    const uint64_t h = hash_bytes(seed_, key.data(), n);
    return h == 0 ? 1 : h;
}

void RateLimiter::take_over(Bucket& bucket, uint64_t key, uint64_t now_ms) const {
    // A new bucket starts full: a client's first second is never limited.
    bucket.key = key;
    bucket.stamp_ms = now_ms;
    bucket.tokens = int32_t(options_.rate) * kTokenUnit;
    bucket.limited = 0;
    bucket.logged_s = 0;
}

Verdict RateLimiter::charge(Bucket& bucket, uint64_t now_ms, bool* log) {
    const int32_t capacity = int32_t(options_.rate) * kTokenUnit;
    if (now_ms > bucket.stamp_ms) {
        // A bucket refills to its capacity in one second: cap the elapsed time before
        // multiplying, so a long quiet spell cannot overflow.
        const uint64_t elapsed = std::min<uint64_t>(now_ms - bucket.stamp_ms, 1000);
        const int64_t refilled = int64_t(bucket.tokens) + int64_t(elapsed) * options_.rate;
        bucket.tokens = int32_t(std::min<int64_t>(refilled, capacity));
        bucket.stamp_ms = now_ms;
    }
    if (bucket.tokens >= kTokenUnit) {
        bucket.tokens -= kTokenUnit;
        bucket.limited = 0;
        return Verdict::Send;
    }
    const uint32_t second = uint32_t(now_ms / 1000);
    if (bucket.limited == 0 && bucket.logged_s != second) {
        bucket.logged_s = second;
        *log = true;
    }
    ++bucket.limited;
    // BIND's and Knot's slip: every slip-th limited response goes out truncated.
    if (options_.slip != 0 && bucket.limited % options_.slip == 0) {
        return Verdict::Slip;
    }
    return Verdict::Drop;
}

Verdict RateLimiter::check(const sockaddr* client, const ResponseClass& response, uint64_t now_ms) {
    uint8_t address[16];
    bool ipv6 = false;
    if (!address_octets(client, address, &ipv6)) {
        return Verdict::Send;
    }
    if (!options_.exempt.empty() && exempt(address, ipv6)) {
        return Verdict::Send;
    }
    mask(address, ipv6 ? options_.ipv6_prefix : options_.ipv4_prefix, ipv6 ? 128 : 32);
    const uint64_t key = key_of(ipv6, address, response);
    const size_t size = options_.table_size;
    const size_t first = size_t(key % size);
    size_t second = size_t(mix(key ^ seed_) % size);
    if (second == first) {
        second = (first + 1) % size;
    }

    bool log = false;
    Verdict verdict = Verdict::Send;
    bool found = false;
    uint64_t first_stamp = 0;
    for (size_t index : {first, second}) {
        Bucket& bucket = table_[index];
        BucketLock lock(bucket.lock);
        if (bucket.key == key) {
            verdict = charge(bucket, now_ms, &log);
            found = true;
            break;
        }
        if (index == first) {
            first_stamp = bucket.key == 0 ? 0 : bucket.stamp_ms;
        } else {
            // Neither holds the key: take over the one used longest ago (an unused one first).
            const uint64_t second_stamp = bucket.key == 0 ? 0 : bucket.stamp_ms;
            if (second_stamp <= first_stamp) {
                take_over(bucket, key, now_ms);
                verdict = charge(bucket, now_ms, &log);
                found = true;
            }
        }
    }
    if (!found) {
        Bucket& bucket = table_[first];
        BucketLock lock(bucket.lock);
        if (bucket.key != key) {
            take_over(bucket, key, now_ms);
        }
        verdict = charge(bucket, now_ms, &log);
    }

    if (verdict == Verdict::Send) {
        return verdict;
    }
    limited_.fetch_add(1, std::memory_order_relaxed);
    (verdict == Verdict::Slip ? slipped_ : dropped_).fetch_add(1, std::memory_order_relaxed);
    if (log && take_log_budget(now_ms)) {
        log_limited(ipv6, address, response);
    }
    return verdict;
}

size_t RateLimiter::apply(uint8_t* message, size_t size, const sockaddr* client, uint64_t now_ms) {
    ResponseClass response;
    if (!classify_response(message, size, response)) {
        return size;
    }
    switch (check(client, response, now_ms)) {
        case Verdict::Send:
            return size;
        case Verdict::Slip:
            return make_slip_response(message, size);
        case Verdict::Drop:
            return 0;
    }
    return size;
}

RateLimitCounters RateLimiter::counters() const {
    return {limited_.load(std::memory_order_relaxed), slipped_.load(std::memory_order_relaxed),
            dropped_.load(std::memory_order_relaxed)};
}

bool RateLimiter::take_log_budget(uint64_t now_ms) {
    const uint64_t second = now_ms / 1000;
    uint64_t seen = log_second_.load(std::memory_order_relaxed);
    if (seen != second &&
        log_second_.compare_exchange_strong(seen, second, std::memory_order_relaxed)) {
        log_lines_.store(0, std::memory_order_relaxed);
    }
    return log_lines_.fetch_add(1, std::memory_order_relaxed) < kLogLinesPerSecond;
}

void RateLimiter::log_limited(bool ipv6, const uint8_t* address,
                              const ResponseClass& response) const {
    // Off the hot path (at most kLogLinesPerSecond a second): allocation is fine here.
    std::string prefix;
    if (ipv6) {
        sockaddr_in6 in6{};
        in6.sin6_family = AF_INET6;
        std::memcpy(in6.sin6_addr.s6_addr, address, 16);
        prefix = address_text(reinterpret_cast<const sockaddr*>(&in6));
    } else {
        sockaddr_in in{};
        in.sin_family = AF_INET;
        std::memcpy(&in.sin_addr, address, 4);
        prefix = address_text(reinterpret_cast<const sockaddr*>(&in));
    }
    prefix += "/" + std::to_string(ipv6 ? options_.ipv6_prefix : options_.ipv4_prefix);
    std::string what = kind_text(response.kind);
    if (response.name_size > 0) {
        what += " for " + dns::name_to_text(std::string_view(
                              reinterpret_cast<const char*>(response.name), response.name_size));
        if (response.kind == ResponseKind::Positive) {
            what += " " + zone::rrtype_to_text(response.qtype);
        }
    }
    std::string action = "dropping the excess";
    if (options_.slip == 1) {
        action = "sending the excess truncated (TC)";
    } else if (options_.slip > 1) {
        action = fmt::format("dropping the excess, one in {} sent truncated (TC)", options_.slip);
    }
    spdlog::info("rate limit: UDP {} to {} over {}/s; {}", what, prefix, options_.rate, action);
}

}  // namespace tidal::rrl
