// Writes a DNS response into a caller-provided buffer, with name compression (RFC 1035 §4.1.4).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace tidal::query {

enum class Section { Answer = 0, Authority = 1, Additional = 2 };

// Reused for every response of one worker: begin() resets it; nothing is allocated afterwards.
// Every write either fits entirely or leaves the message as it was and returns false.
class MessageWriter {
  public:
    // Starts a message in buf; it will never grow past limit octets (limit <= buffer capacity).
    void begin(uint8_t* buf, size_t limit);

    // Takes n octets off the limit (for an OPT RR written last) / gives them back.
    void reserve(size_t n) { limit_ -= n; }
    void release(size_t n) { limit_ += n; }

    // The header is written by finish(); these set its fields.
    void set_id(uint16_t id) { id_ = id; }
    void set_flags(uint16_t flags) { flags_ = flags; }
    uint16_t flags() const { return flags_; }
    void add_flags(uint16_t flags) { flags_ |= flags; }
    void set_rcode(uint8_t rcode) { flags_ = uint16_t((flags_ & ~0x000F) | (rcode & 0x0F)); }

    // Copies the question as it was sent (case preserved); its name becomes a compression target.
    bool write_question(const uint8_t* question, size_t size, size_t qname_size);

    // One RR. owner is an uncompressed wire name in any case. rdata is uncompressed wire rdata;
    // names inside it are compressed for the RFC 1035 types only (RFC 3597 §4).
    bool write_rr(Section section, const uint8_t* owner, uint16_t type, uint16_t rclass,
                  uint32_t ttl, const uint8_t* rdata, size_t rdlength);

    // Every RR written from now on gets a TTL of at most cap: bounded staleness lowers TTLs so
    // no cache keeps an answer past the moment the zone may be stale. begin() lifts the cap.
    void set_ttl_cap(uint32_t cap) { ttl_cap_ = cap; }

    // The EDNS OPT pseudo-RR (RFC 6891 §6.1.2). ext_rcode is the upper 8 bits of a 12-bit rcode.
    // With expire, it carries the EDNS EXPIRE option (RFC 7314 §2): kExpireOptionSize more octets.
    bool write_opt(uint16_t payload, uint8_t ext_rcode, bool dnssec_ok,
                   std::optional<uint32_t> expire = std::nullopt);
    static constexpr size_t kOptSize = 11;
    static constexpr size_t kExpireOptionSize = 8;

    // A position to roll back to, so RRsets are added whole or not at all (RFC 2181 §9).
    struct Mark {
        size_t size;
        uint16_t counts[3];
        size_t compression_entries;
    };
    Mark mark() const;
    void rollback(const Mark& mark);

    uint16_t count(Section section) const { return counts_[int(section)]; }
    size_t size() const { return size_; }

    // Writes the header and returns the message length.
    size_t finish();

  private:
    bool write_name(const uint8_t* name, bool compress);
    bool find_suffix(const uint8_t* suffix, uint16_t& offset) const;
    bool equals_at(size_t offset, const uint8_t* name) const;
    bool write_rdata(uint16_t type, const uint8_t* rdata, size_t rdlength);

    static constexpr size_t kMaxCompressionEntries = 128;

    uint8_t* buf_ = nullptr;
    size_t size_ = 0;
    size_t limit_ = 0;
    uint16_t id_ = 0;
    uint16_t flags_ = 0;
    uint16_t qdcount_ = 0;
    uint16_t counts_[3] = {0, 0, 0};
    uint32_t ttl_cap_ = UINT32_MAX;
    uint16_t entries_[kMaxCompressionEntries];  // packet offsets of labels written in full
    size_t entry_count_ = 0;
};

}  // namespace tidal::query
