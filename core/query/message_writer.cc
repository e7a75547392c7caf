// MessageWriter: header, question echo, RRs with compressed names, OPT; all-or-nothing writes.
#include "core/query/message_writer.h"

#include <cstring>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::query {

namespace {

void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void put32(uint8_t* p, uint32_t v) {
    p[0] = uint8_t(v >> 24);
    p[1] = uint8_t(v >> 16);
    p[2] = uint8_t(v >> 8);
    p[3] = uint8_t(v);
}

}  // namespace

void MessageWriter::begin(uint8_t* buf, size_t limit) {
    buf_ = buf;
    limit_ = limit;
    size_ = dns::kHeaderSize;
    id_ = 0;
    flags_ = 0;
    qdcount_ = 0;
    counts_[0] = counts_[1] = counts_[2] = 0;
    entry_count_ = 0;
    ttl_cap_ = UINT32_MAX;
}

bool MessageWriter::write_question(const uint8_t* question, size_t size, size_t qname_size) {
    if (size_ + size > limit_) {
        return false;
    }
    std::memcpy(buf_ + size_, question, size);
    // Register each label of the question name as a compression target.
    size_t pos = 0;
    while (pos < qname_size && question[pos] != 0 && entry_count_ < kMaxCompressionEntries) {
        entries_[entry_count_++] = uint16_t(size_ + pos);
        pos += size_t(question[pos]) + 1;
    }
    size_ += size;
    qdcount_ = 1;
    return true;
}

bool MessageWriter::equals_at(size_t offset, const uint8_t* name) const {
    for (int hops = 0; hops < 64; ++hops) {
        uint8_t len = buf_[offset];
        while ((len & 0xC0) == 0xC0) {
            offset = (size_t(len & 0x3F) << 8) | buf_[offset + 1];
            len = buf_[offset];
            if (++hops >= 64) {
                return false;
            }
        }
        if (len != *name) {
            return false;
        }
        if (len == 0) {
            return true;
        }
        for (size_t i = 1; i <= len; ++i) {
            if (dns::lower_octet(buf_[offset + i]) != dns::lower_octet(name[i])) {
                return false;
            }
        }
        offset += size_t(len) + 1;
        name += size_t(len) + 1;
    }
    return false;
}

bool MessageWriter::find_suffix(const uint8_t* suffix, uint16_t& offset) const {
    for (size_t i = 0; i < entry_count_; ++i) {
        // Cheap pre-check on the label length before the full comparison.
        if (buf_[entries_[i]] == suffix[0] && equals_at(entries_[i], suffix)) {
            offset = entries_[i];
            return true;
        }
    }
    return false;
}

bool MessageWriter::write_name(const uint8_t* name, bool compress) {
    // Find the longest suffix of name already in the message.
    size_t prefix = 0;  // octets of name written in full
    uint16_t pointer = 0;
    bool found = false;
    if (compress) {
        size_t pos = 0;
        while (name[pos] != 0) {
            if (find_suffix(name + pos, pointer)) {
                found = true;
                break;
            }
            pos += size_t(name[pos]) + 1;
        }
        prefix = pos;
    } else {
        while (name[prefix] != 0) {
            prefix += size_t(name[prefix]) + 1;
        }
    }
    const size_t needed = prefix + (found ? 2 : 1);
    if (size_ + needed > limit_) {
        return false;
    }
    // New labels become targets themselves (only offsets a 14-bit pointer can reach).
    size_t pos = 0;
    while (compress && pos < prefix && entry_count_ < kMaxCompressionEntries &&
           size_ + pos < 0x4000) {
        entries_[entry_count_++] = uint16_t(size_ + pos);
        pos += size_t(name[pos]) + 1;
    }
    std::memcpy(buf_ + size_, name, prefix);
    size_ += prefix;
    if (found) {
        put16(buf_ + size_, uint16_t(0xC000 | pointer));
        size_ += 2;
    } else {
        buf_[size_++] = 0;
    }
    return true;
}

bool MessageWriter::write_rdata(uint16_t type, const uint8_t* rdata, size_t rdlength) {
    // RFC 3597 §4: compression only inside the RR types of RFC 1035. Other rdata is copied.
    size_t leading = 0;  // octets before the first name
    int names = 0;
    switch (type) {
        case dns::rrtype::NS:
        case dns::rrtype::MD:
        case dns::rrtype::MF:
        case dns::rrtype::CNAME:
        case dns::rrtype::MB:
        case dns::rrtype::MG:
        case dns::rrtype::MR:
        case dns::rrtype::PTR:
            names = 1;
            break;
        case dns::rrtype::SOA:
        case dns::rrtype::MINFO:
            names = 2;
            break;
        case dns::rrtype::MX:
            leading = 2;
            names = 1;
            break;
        default:
            break;
    }
    if (names > 0 && leading <= rdlength) {
        const size_t start = size_;
        const Mark before = mark();
        if (size_ + leading > limit_) {
            return false;
        }
        std::memcpy(buf_ + size_, rdata, leading);
        size_ += leading;
        size_t pos = leading;
        bool well_formed = true;
        for (int n = 0; n < names; ++n) {
            const size_t len = dns::name_wire_length(rdata + pos, rdlength - pos);
            if (len == 0) {
                well_formed = false;
                break;
            }
            if (!write_name(rdata + pos, true)) {
                rollback(before);
                return false;
            }
            pos += len;
        }
        if (well_formed) {
            const size_t rest = rdlength - pos;
            if (size_ + rest > limit_) {
                rollback(before);
                return false;
            }
            std::memcpy(buf_ + size_, rdata + pos, rest);
            size_ += rest;
            return true;
        }
        rollback(before);  // not the layout we expected: copy it verbatim below
        size_ = start;
    }
    if (size_ + rdlength > limit_) {
        return false;
    }
    std::memcpy(buf_ + size_, rdata, rdlength);
    size_ += rdlength;
    return true;
}

bool MessageWriter::write_rr(Section section, const uint8_t* owner, uint16_t type, uint16_t rclass,
                             uint32_t ttl, const uint8_t* rdata, size_t rdlength) {
    const Mark before = mark();
    if (!write_name(owner, true) || size_ + 10 > limit_) {
        rollback(before);
        return false;
    }
    uint8_t* fixed = buf_ + size_;
    put16(fixed, type);
    put16(fixed + 2, rclass);
    put32(fixed + 4, ttl < ttl_cap_ ? ttl : ttl_cap_);
    size_ += 10;
    const size_t rdata_start = size_;
    if (!write_rdata(type, rdata, rdlength)) {
        rollback(before);
        return false;
    }
    put16(fixed + 8, uint16_t(size_ - rdata_start));
    ++counts_[int(section)];
    return true;
}

bool MessageWriter::write_opt(uint16_t payload, uint8_t ext_rcode, bool dnssec_ok,
                              std::optional<uint32_t> expire) {
    const size_t options = expire ? kExpireOptionSize : 0;
    if (size_ + kOptSize + options > limit_) {
        return false;
    }
    uint8_t* p = buf_ + size_;
    p[0] = 0;  // root owner
    put16(p + 1, dns::rrtype::OPT);
    put16(p + 3, payload);
    // TTL field: extended rcode, version 0, DO bit (RFC 6891 §6.1.3, RFC 3225 §3).
    put32(p + 5, (uint32_t(ext_rcode) << 24) | (dnssec_ok ? 0x8000u : 0u));
    put16(p + 9, uint16_t(options));
    if (expire) {
        put16(p + 11, dns::edns_option::EXPIRE);
        put16(p + 13, 4);
        put32(p + 15, *expire);
    }
    size_ += kOptSize + options;
    ++counts_[int(Section::Additional)];
    return true;
}

MessageWriter::Mark MessageWriter::mark() const {
    return Mark{size_, {counts_[0], counts_[1], counts_[2]}, entry_count_};
}

void MessageWriter::rollback(const Mark& mark) {
    size_ = mark.size;
    counts_[0] = mark.counts[0];
    counts_[1] = mark.counts[1];
    counts_[2] = mark.counts[2];
    entry_count_ = mark.compression_entries;
}

size_t MessageWriter::finish() {
    put16(buf_, id_);
    put16(buf_ + 2, flags_);
    put16(buf_ + 4, qdcount_);
    put16(buf_ + 6, counts_[0]);
    put16(buf_ + 8, counts_[1]);
    put16(buf_ + 10, counts_[2]);
    return size_;
}

}  // namespace tidal::query
