// Publishes the current ZoneSet to worker threads: one writer swaps, readers never block on it.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace tidal::snapshot {

class ZoneSet;

// The loader thread calls publish(); workers hold a ZoneSetReader each. A reader checks one
// atomic generation counter per batch of packets and takes the mutex only when it changed, so the
// query path never waits for a snapshot being built, and an old ZoneSet lives until the last
// worker has moved off it.
class ZoneSetPublisher {
  public:
    ZoneSetPublisher();
    void publish(std::shared_ptr<const ZoneSet> zones);
    uint64_t generation() const { return generation_.load(std::memory_order_acquire); }
    std::shared_ptr<const ZoneSet> current() const;

  private:
    mutable std::mutex mutex_;
    std::shared_ptr<const ZoneSet> current_;
    std::atomic<uint64_t> generation_{0};
};

// Per worker thread; not shared.
class ZoneSetReader {
  public:
    explicit ZoneSetReader(const ZoneSetPublisher& publisher) : publisher_(publisher) {}
    // The newest published set; valid until the next call to get() on this reader.
    const ZoneSet& get() {
        const uint64_t gen = publisher_.generation();
        if (gen != generation_ || !cached_) {
            cached_ = publisher_.current();
            generation_ = gen;
        }
        return *cached_;
    }
    // The same set as a shared reference, for work that outlives one packet (zone transfers).
    std::shared_ptr<const ZoneSet> get_shared() {
        get();
        return cached_;
    }

  private:
    const ZoneSetPublisher& publisher_;
    std::shared_ptr<const ZoneSet> cached_;
    uint64_t generation_ = ~uint64_t(0);
};

}  // namespace tidal::snapshot
