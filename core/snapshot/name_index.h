// Open-addressing hash index from lowercased wire names to node numbers.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/snapshot/shared_chunks.h"

namespace tidal::snapshot {

// Immutable once its snapshot is published; lookups allocate nothing and never lock. Names are
// compared through a callback so the index stores only (hash, node) pairs, 8 octets a slot. Slots
// live in shared chunks: a derived snapshot's index copies only the chunks its inserts touch.
// Entries are never removed (a node whose name leaves the zone is marked dead instead).
class NameIndex {
  public:
    static uint32_t hash(std::string_view name) {
        // 64-bit multiply-mix over 8-octet words (names are short; this beats byte-wise FNV).
        uint64_t h = 0x9e3779b97f4a7c15ULL ^ name.size();
        size_t i = 0;
        for (; i + 8 <= name.size(); i += 8) {
            uint64_t w;
            std::memcpy(&w, name.data() + i, 8);
            h = (h ^ w) * 0xff51afd7ed558ccdULL;
            h ^= h >> 32;
        }
        uint64_t tail = 0;
        std::memcpy(&tail, name.data() + i, name.size() - i);
        h = (h ^ tail) * 0xc4ceb9fe1a85ec53ULL;
        h ^= h >> 29;
        return uint32_t(h) | 1u;  // 0 marks an empty slot
    }

    // Sizes the table for count entries at most 50 % load; forgets every entry.
    void reserve(size_t count) {
        size_t capacity = 16;
        while (capacity < count * 2) {
            capacity *= 2;
        }
        slots_.assign(capacity, Slot{});
        mask_ = capacity - 1;
        used_ = 0;
    }

    // Whether one more entry keeps the load at or under 3/4 (probe chains stay short); a derived
    // snapshot that would go past it is compiled afresh instead.
    bool has_room() const { return (used_ + 1) * 4 <= slots_.size() * 3; }

    // Adds name → node; the name must not be in the index yet, and there must be room (see
    // has_room, or grow_if_needed while building).
    void insert(std::string_view name, uint32_t node) { insert_hashed(hash(name), node); }

    // Doubles the table when the next insert would pass 50 % load (while building).
    void grow_if_needed() {
        if ((used_ + 1) * 2 <= slots_.size()) {
            return;
        }
        SharedChunks<Slot, 9> old = std::move(slots_);
        const size_t old_size = old.size();
        reserve(old_size == 0 ? 8 : old_size);
        for (size_t i = 0; i < old_size; ++i) {
            if (old[i].hash != 0) {
                insert_hashed(old[i].hash, old[i].node);
            }
        }
    }

    // Returns the node whose name equals `name` according to name_at(node), or ~0u.
    template <typename NameAt>
    uint32_t find(std::string_view name, NameAt&& name_at) const {
        if (slots_.empty()) {
            return ~uint32_t(0);
        }
        const uint32_t h = hash(name);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            const Slot& slot = slots_[i];
            if (slot.hash == 0) {
                return ~uint32_t(0);
            }
            if (slot.hash == h && name_at(slot.node) == name) {
                return slot.node;
            }
        }
    }

    // Asks the CPU to fetch the slot where the search for hash h starts (see LookupPrefetch).
    void prefetch(uint32_t h) const {
        if (!slots_.empty()) {
            __builtin_prefetch(&slots_[h & mask_]);
        }
    }
    // The node of the first slot with hash h on its probe path, without comparing names (a
    // prefetch hint, not an answer); ~0u when the path ends first or runs long.
    uint32_t candidate(uint32_t h) const {
        if (slots_.empty()) {
            return ~uint32_t(0);
        }
        for (size_t i = h & mask_, probes = 0; probes < 8; i = (i + 1) & mask_, ++probes) {
            const Slot& slot = slots_[i];
            if (slot.hash == h) {
                return slot.node;
            }
            if (slot.hash == 0) {
                break;
            }
        }
        return ~uint32_t(0);
    }

    size_t memory_bytes() const { return slots_.memory_bytes(); }

  private:
    struct Slot {
        uint32_t hash = 0;
        uint32_t node = 0;
    };

    void insert_hashed(uint32_t h, uint32_t node) {
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            if (slots_[i].hash == 0) {
                slots_.mutable_at(i) = Slot{h, node};
                ++used_;
                return;
            }
        }
    }

    SharedChunks<Slot, 9> slots_;
    size_t mask_ = 0;
    size_t used_ = 0;
};

}  // namespace tidal::snapshot
