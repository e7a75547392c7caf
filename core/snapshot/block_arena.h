// Append-only memory in blocks that never move, shared by the snapshots that point into them.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <vector>

namespace tidal::snapshot {

// Snapshot data (names, RRset arrays, rdata) lives here and is addressed by plain pointers. A copy
// shares every block; what is written never changes, and a copy only appends after what its
// original allocated: a snapshot derived from another one adds only what its change needs.
class BlockArena {
  public:
    explicit BlockArena(size_t block_size = size_t(1) << 20) : block_size_(block_size) {}
    // Shares other's blocks and goes on allocating after other's last allocation: snapshots are
    // derived in a line (each from the one published last), and nothing that other or anything
    // derived earlier points at lies past that point, so a commit's few hundred octets do not
    // each start a block of their own. A derived snapshot that is abandoned leaves unused
    // octets behind, which the next one overwrites.
    BlockArena(const BlockArena& other)
        : blocks_(other.blocks_),
          block_size_(other.block_size_),
          bytes_(other.bytes_),
          cursor_(other.cursor_),
          left_(other.left_) {}
    BlockArena& operator=(const BlockArena&) = delete;

    // size bytes aligned to align (a power of two ≤ 16), uninitialised, valid while any arena
    // sharing the block lives.
    uint8_t* allocate(size_t size, size_t align) {
        size_t pad = (align - (reinterpret_cast<uintptr_t>(cursor_) & (align - 1))) & (align - 1);
        if (cursor_ == nullptr || pad + size > left_) {
            const size_t block = size + 16 > block_size_ ? size + 16 : block_size_;
            blocks_.push_back(new_block(block));
            cursor_ = blocks_.back().get();
            left_ = block;
            bytes_ += block;
            pad = (align - (reinterpret_cast<uintptr_t>(cursor_) & (align - 1))) & (align - 1);
        }
        uint8_t* result = cursor_ + pad;
        cursor_ = result + size;
        left_ -= pad + size;
        return result;
    }

    // The size of the blocks allocated from now on (a big one-off allocation gets its own).
    void set_block_size(size_t block_size) { block_size_ = block_size; }
    // Bytes in all blocks, shared ones included.
    size_t bytes() const { return bytes_; }
    size_t block_count() const { return blocks_.size(); }

  private:
    // Blocks of 64 KiB and more are mapped directly, so a snapshot's memory goes back to the
    // system when it is freed (through malloc, glibc's rising mmap threshold would keep a
    // recompiled zone's old blocks in the heap, doubling the resident size after a compile).
    static std::shared_ptr<uint8_t[]> new_block(size_t size) {
        if (size < (size_t(64) << 10)) {
            return std::shared_ptr<uint8_t[]>(new uint8_t[size]);
        }
        void* mapped =
            mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (mapped == MAP_FAILED) {
            throw std::bad_alloc();
        }
        return std::shared_ptr<uint8_t[]>(static_cast<uint8_t*>(mapped),
                                          [size](uint8_t* block) { munmap(block, size); });
    }

    std::vector<std::shared_ptr<uint8_t[]>> blocks_;
    size_t block_size_;
    size_t bytes_ = 0;
    uint8_t* cursor_ = nullptr;  // next free byte of the newest block this arena allocated
    size_t left_ = 0;
};

}  // namespace tidal::snapshot
