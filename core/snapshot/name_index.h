// Open-addressing hash index from lowercased wire names to node numbers, built once per snapshot.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace tidal::snapshot {

// Immutable after build(); lookups allocate nothing and never lock. Names are compared through a
// callback so the index stores only (hash, node) pairs, 8 octets a slot.
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

    // Sizes the table for count entries at most 50 % load.
    void reserve(size_t count) {
        size_t capacity = 16;
        while (capacity < count * 2) {
            capacity *= 2;
        }
        slots_.assign(capacity, Slot{});
        mask_ = capacity - 1;
    }

    void insert(std::string_view name, uint32_t node) {
        const uint32_t h = hash(name);
        for (size_t i = h & mask_;; i = (i + 1) & mask_) {
            if (slots_[i].hash == 0) {
                slots_[i] = Slot{h, node};
                return;
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

    size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

  private:
    struct Slot {
        uint32_t hash = 0;
        uint32_t node = 0;
    };
    std::vector<Slot> slots_;
    size_t mask_ = 0;
};

}  // namespace tidal::snapshot
