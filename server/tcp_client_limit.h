// tcp-max-connections-per-client: live TCP connections counted per client address, all workers.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace tidal::server {

// One per process, shared by every worker (SO_REUSEPORT spreads a client's connections over
// them). Counts live in a fixed table of atomic counters indexed by a seeded hash of the full
// client address: no lock and no allocation per connection. Two addresses that hash alike
// share a counter, which can only make the cap stricter for them (65536 slots make that rare).
// Any thread.
class TcpClientLimit {
  public:
    static constexpr uint32_t kNoSlot = UINT32_MAX;

    // max_per_client: the cap (> 0).
    TcpClientLimit(unsigned max_per_client, uint64_t hash_seed);
    TcpClientLimit(const TcpClientLimit&) = delete;
    TcpClientLimit& operator=(const TcpClientLimit&) = delete;

    // Counts a new connection from client. Returns the slot to hand back to release() when it
    // closes, or kNoSlot when the client already has max_per_client connections (nothing is
    // counted then) or the address is not IP.
    uint32_t acquire(const sockaddr* client);
    // Uncounts a connection acquire() counted; kNoSlot is ignored.
    void release(uint32_t slot);

    unsigned max_per_client() const { return max_; }

  private:
    static constexpr size_t kSlots = 65536;

    unsigned max_;
    uint64_t seed_;
    std::unique_ptr<std::atomic<uint32_t>[]> counts_;
};

}  // namespace tidal::server
