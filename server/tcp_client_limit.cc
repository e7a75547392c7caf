// TcpClientLimit: a hashed table of atomic per-address connection counts.
#include "server/tcp_client_limit.h"

#include "core/util/socket_address.h"

namespace tidal::server {

TcpClientLimit::TcpClientLimit(unsigned max_per_client, uint64_t hash_seed)
    : max_(max_per_client), seed_(hash_seed), counts_(new std::atomic<uint32_t>[kSlots]) {
    for (size_t i = 0; i < kSlots; ++i) {
        counts_[i].store(0, std::memory_order_relaxed);
    }
}

uint32_t TcpClientLimit::acquire(const sockaddr* client) {
    uint8_t address[16];
    bool ipv6 = false;
    if (!address_octets(client, address, &ipv6)) {
        return kNoSlot;
    }
    // Seeded FNV-1a over the address, finished with a multiply-shift: cheap, and an outsider
    // who does not know the seed cannot choose addresses that share a slot with a victim.
    uint64_t h = 0xcbf29ce484222325ULL ^ seed_;
    for (size_t i = 0; i < (ipv6 ? 16u : 4u); ++i) {
        h = (h ^ address[i]) * 0x100000001b3ULL;
    }
    h = (h ^ (h >> 29)) * 0xbf58476d1ce4e5b9ULL;
    const uint32_t slot = uint32_t((h >> 32) % kSlots);
    // Count first, then check: two workers racing for the last place cannot both get it.
    if (counts_[slot].fetch_add(1, std::memory_order_relaxed) >= max_) {
        counts_[slot].fetch_sub(1, std::memory_order_relaxed);
        return kNoSlot;
    }
    return slot;
}

void TcpClientLimit::release(uint32_t slot) {
    if (slot != kNoSlot) {
        counts_[slot].fetch_sub(1, std::memory_order_relaxed);
    }
}

}  // namespace tidal::server
