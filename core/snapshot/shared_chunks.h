// A persistent array: copies share fixed-size chunks; a write copies only the chunk it touches.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <vector>

namespace tidal::snapshot {

// Lets a new snapshot be derived from the published one in time proportional to the change: the
// copy shares every chunk (one reference per chunk), and mutable_at() copies a chunk before its
// first write when another snapshot still shares it. Reads are two dependent loads and never
// lock. A chunk is written only by the thread building an unpublished snapshot.
template <typename T, unsigned kChunkBits>
class SharedChunks {
  public:
    static constexpr size_t kChunkSize = size_t(1) << kChunkBits;

    const T& operator[](size_t i) const { return chunks_[i >> kChunkBits]->items[i & kMask]; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }

    // Element i for writing; its chunk is copied first when another array shares it.
    T& mutable_at(size_t i) {
        std::shared_ptr<Chunk>& chunk = chunks_[i >> kChunkBits];
        if (chunk.use_count() != 1) {
            chunk = std::make_shared<Chunk>(*chunk);
        } else {
            // Sole owner: pairs with the release in the other owners' reference drops, so their
            // last reads of the chunk happen before this write.
            std::atomic_thread_fence(std::memory_order_acquire);
        }
        return chunk->items[i & kMask];
    }

    void push_back(const T& value) {
        if ((size_ & kMask) == 0) {
            chunks_.push_back(std::make_shared<Chunk>());
        }
        ++size_;
        mutable_at(size_ - 1) = value;
    }

    // n copies of value, sharing nothing with any other array.
    void assign(size_t n, const T& value) {
        chunks_.clear();
        size_ = 0;
        chunks_.reserve((n + kMask) >> kChunkBits);
        for (size_t i = 0; i < n; i += kChunkSize) {
            auto chunk = std::make_shared<Chunk>();
            chunk->items.fill(value);
            chunks_.push_back(std::move(chunk));
        }
        size_ = n;
    }

    void reserve(size_t n) { chunks_.reserve((n + kMask) >> kChunkBits); }

    // Bytes held by this array's chunks (shared ones included) and its chunk table.
    size_t memory_bytes() const {
        return chunks_.size() * sizeof(Chunk) + chunks_.capacity() * sizeof(chunks_[0]);
    }

  private:
    static constexpr size_t kMask = kChunkSize - 1;
    struct Chunk {
        std::array<T, kChunkSize> items{};
    };
    std::vector<std::shared_ptr<Chunk>> chunks_;
    size_t size_ = 0;
};

}  // namespace tidal::snapshot
