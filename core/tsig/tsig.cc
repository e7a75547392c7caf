// TSIG over wire messages: the digest layout of RFC 8945 §4.3, HMAC from OpenSSL.
#include "core/tsig/tsig.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>

#include "core/dns/constants.h"
#include "core/dns/name.h"

namespace tidal::tsig {

namespace {

constexpr uint16_t kClassAny = 255;
constexpr size_t kMaxMac = 64;

uint16_t read16(const uint8_t* p) {
    return uint16_t((p[0] << 8) | p[1]);
}
void put16(uint8_t* p, uint16_t v) {
    p[0] = uint8_t(v >> 8);
    p[1] = uint8_t(v);
}
void put48(uint8_t* p, uint64_t v) {
    for (int i = 5; i >= 0; --i) {
        p[i] = uint8_t(v);
        v >>= 8;
    }
}
void append16(std::string& out, uint16_t v) {
    out.push_back(char(v >> 8));
    out.push_back(char(v));
}
void append48(std::string& out, uint64_t v) {
    uint8_t b[6];
    put48(b, v);
    out.append(reinterpret_cast<const char*>(b), 6);
}

const char* digest_name(Algorithm algorithm) {
    switch (algorithm) {
        case Algorithm::HmacMd5:
            return "MD5";
        case Algorithm::HmacSha1:
            return "SHA1";
        case Algorithm::HmacSha224:
            return "SHA224";
        case Algorithm::HmacSha256:
            return "SHA256";
        case Algorithm::HmacSha384:
            return "SHA384";
        case Algorithm::HmacSha512:
            return "SHA512";
    }
    return "SHA256";
}

// Reads a possibly compressed name at pos into out (lowercased wire). Returns the position
// after the name in the message, or 0 when it is malformed.
size_t read_name(const uint8_t* msg, size_t size, size_t pos, std::string& out) {
    out.clear();
    size_t next = 0;
    for (int jumps = 0; jumps < 64 && pos < size;) {
        const uint8_t len = msg[pos];
        if ((len & 0xC0) == 0xC0) {
            if (pos + 1 >= size) {
                return 0;
            }
            if (next == 0) {
                next = pos + 2;
            }
            pos = (size_t(len & 0x3F) << 8) | msg[pos + 1];
            ++jumps;
            continue;
        }
        if (len > dns::kMaxLabelLength || pos + 1 + len > size) {
            return 0;
        }
        for (size_t i = pos; i <= pos + len; ++i) {
            out.push_back(char(i == pos ? msg[i] : dns::lower_octet(msg[i])));
        }
        if (out.size() > dns::kMaxNameLength) {
            return 0;
        }
        if (len == 0) {
            return next != 0 ? next : pos + 1;
        }
        pos += size_t(len) + 1;
    }
    return 0;
}

// The digest fed piece by piece (RFC 8945 §4.3): an HMAC context keyed with the TSIG secret.
class Hmac {
  public:
    explicit Hmac(const Key& key) {
        mac_ = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        ctx_ = mac_ != nullptr ? EVP_MAC_CTX_new(mac_) : nullptr;
        if (ctx_ != nullptr) {
            OSSL_PARAM params[] = {
                OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
                                                 const_cast<char*>(digest_name(key.algorithm)), 0),
                OSSL_PARAM_construct_end()};
            static const unsigned char kEmpty = 0;
            const auto* secret = key.secret.empty()
                                     ? &kEmpty
                                     : reinterpret_cast<const unsigned char*>(key.secret.data());
            ok_ = EVP_MAC_init(ctx_, secret, key.secret.size(), params) == 1;
        }
    }
    ~Hmac() {
        EVP_MAC_CTX_free(ctx_);
        EVP_MAC_free(mac_);
    }
    Hmac(const Hmac&) = delete;
    Hmac& operator=(const Hmac&) = delete;

    void update(const void* data, size_t size) {
        ok_ = ok_ && EVP_MAC_update(ctx_, static_cast<const unsigned char*>(data), size) == 1;
    }
    void update(std::string_view data) { update(data.data(), data.size()); }
    // A MAC fed with its 2-octet length first, as prior and request MACs are (§4.3.1, §4.3.2).
    void update_mac(std::string_view mac) {
        uint8_t len[2];
        put16(len, uint16_t(mac.size()));
        update(len, 2);
        update(mac);
    }
    // The message without its TSIG: original ID restored, ARCOUNT less the TSIG (§4.3.1).
    void update_message(const uint8_t* msg, size_t unsigned_size, uint16_t original_id,
                        bool had_tsig) {
        uint8_t header[dns::kHeaderSize];
        std::memcpy(header, msg, dns::kHeaderSize);
        put16(header, original_id);
        if (had_tsig) {
            put16(header + 10, uint16_t(read16(msg + 10) - 1));
        }
        update(header, sizeof header);
        update(msg + dns::kHeaderSize, unsigned_size - dns::kHeaderSize);
    }
    std::string final() {
        unsigned char out[kMaxMac];
        size_t size = 0;
        ok_ = ok_ && EVP_MAC_final(ctx_, out, &size, sizeof out) == 1;
        return ok_ ? std::string(reinterpret_cast<char*>(out), size) : std::string();
    }
    bool ok() const { return ok_; }

  private:
    EVP_MAC* mac_ = nullptr;
    EVP_MAC_CTX* ctx_ = nullptr;
    bool ok_ = false;
};

// TSIG variables (§4.3.3), or only the timers for later messages of a stream (§4.3.1).
std::string variables(std::string_view key_name, std::string_view algorithm, uint64_t time,
                      uint16_t fudge, uint16_t error, std::string_view other, bool timers_only) {
    std::string out;
    if (!timers_only) {
        out.append(key_name);
        append16(out, kClassAny);
        out.append(4, '\0');  // TTL
        out.append(algorithm);
    }
    append48(out, time);
    append16(out, fudge);
    if (!timers_only) {
        append16(out, error);
        append16(out, uint16_t(other.size()));
        out.append(other);
    }
    return out;
}

bool macs_equal(std::string_view expected, std::string_view received) {
    // A truncated MAC compares against the leading octets (RFC 8945 §5.2.2.1).
    return !received.empty() && received.size() <= expected.size() &&
           CRYPTO_memcmp(expected.data(), received.data(), received.size()) == 0;
}

// RFC 8945 §5.2.2.1: a MAC shorter than half the hash (and than 10 octets) is unacceptable.
bool mac_length_acceptable(const Key& key, size_t length) {
    return length <= key.mac_size() && length >= std::max<size_t>(10, key.mac_size() / 2);
}

}  // namespace

Found find_tsig(const uint8_t* msg, size_t size, TsigRecord& out) {
    if (size < dns::kHeaderSize) {
        return Found::Malformed;
    }
    const size_t qd = read16(msg + 4);
    const size_t records = size_t(read16(msg + 6)) + read16(msg + 8) + read16(msg + 10);
    size_t pos = dns::kHeaderSize;
    std::string name;
    for (size_t i = 0; i < qd; ++i) {
        pos = read_name(msg, size, pos, name);
        if (pos == 0 || pos + 4 > size) {
            return Found::Malformed;
        }
        pos += 4;
    }
    for (size_t i = 0; i < records; ++i) {
        const size_t start = pos;
        pos = read_name(msg, size, pos, name);
        if (pos == 0 || pos + 10 > size) {
            return Found::Malformed;
        }
        const uint16_t type = read16(msg + pos);
        const size_t rdlen = read16(msg + pos + 8);
        const size_t rdata = pos + 10;
        if (rdata + rdlen > size) {
            return Found::Malformed;
        }
        if (type == dns::rrtype::TSIG) {
            // Only as the very last record (RFC 8945 §5.1), class ANY, TTL 0.
            if (i + 1 != records || read16(msg + pos + 2) != kClassAny) {
                return Found::Malformed;
            }
            out.offset = start;
            out.key_name = name;
            size_t p = read_name(msg, rdata + rdlen, rdata, out.algorithm);
            if (p == 0 || p + 10 > rdata + rdlen) {
                return Found::Malformed;
            }
            out.time_signed = 0;
            for (int k = 0; k < 6; ++k) {
                out.time_signed = (out.time_signed << 8) | msg[p + k];
            }
            out.fudge = read16(msg + p + 6);
            const size_t mac_size = read16(msg + p + 8);
            p += 10;
            if (p + mac_size + 6 > rdata + rdlen) {
                return Found::Malformed;
            }
            out.mac.assign(reinterpret_cast<const char*>(msg + p), mac_size);
            p += mac_size;
            out.original_id = read16(msg + p);
            out.error = read16(msg + p + 2);
            const size_t other_size = read16(msg + p + 4);
            p += 6;
            if (p + other_size != rdata + rdlen) {
                return Found::Malformed;
            }
            out.other.assign(reinterpret_cast<const char*>(msg + p), other_size);
            return rdata + rdlen == size ? Found::Found : Found::Malformed;
        }
        pos = rdata + rdlen;
    }
    return Found::None;
}

uint16_t RequestCheck::error_code() const {
    switch (status) {
        case Status::BadKey:
            return error::BADKEY;
        case Status::BadSig:
            return error::BADSIG;
        case Status::BadTime:
            return error::BADTIME;
        case Status::BadTrunc:
            return error::BADTRUNC;
        default:
            return 0;
    }
}

RequestCheck verify_request(const uint8_t* msg, size_t size, const KeyRing& keys, uint64_t now) {
    RequestCheck check;
    check.unsigned_size = size;
    const Found found = find_tsig(msg, size, check.record);
    if (found == Found::None) {
        return check;
    }
    if (found == Found::Malformed) {
        check.status = RequestCheck::Status::FormErr;
        return check;
    }
    const TsigRecord& rec = check.record;
    check.unsigned_size = rec.offset;
    check.time_signed = rec.time_signed;
    // §5.2.1: an unknown key, or a known key with another algorithm, is BADKEY.
    const Key* key = keys.find(rec.key_name);
    Algorithm algorithm;
    if (key == nullptr || !algorithm_from_wire(rec.algorithm, algorithm) ||
        algorithm != key->algorithm) {
        check.status = RequestCheck::Status::BadKey;
        return check;
    }
    if (!mac_length_acceptable(*key, rec.mac.size())) {
        check.status = rec.mac.size() > key->mac_size() ? RequestCheck::Status::FormErr
                                                        : RequestCheck::Status::BadTrunc;
        return check;
    }
    // §5.2.2: the MAC.
    Hmac hmac(*key);
    hmac.update_message(msg, rec.offset, rec.original_id, true);
    hmac.update(variables(rec.key_name, rec.algorithm, rec.time_signed, rec.fudge, rec.error,
                          rec.other, false));
    if (!macs_equal(hmac.final(), rec.mac)) {
        check.status = RequestCheck::Status::BadSig;
        return check;
    }
    check.key = key;
    check.request_mac = rec.mac;
    // §5.2.3: the time, checked only once the MAC is known good.
    const bool in_window = now + rec.fudge >= rec.time_signed && now <= rec.time_signed + rec.fudge;
    check.status = in_window ? RequestCheck::Status::Valid : RequestCheck::Status::BadTime;
    return check;
}

namespace {

size_t append_tsig_rr(uint8_t* msg, size_t size, size_t capacity, std::string_view key_name,
                      std::string_view algorithm, uint64_t time, uint16_t fudge,
                      std::string_view mac, uint16_t error, std::string_view other) {
    const size_t rdata_size = algorithm.size() + 6 + 2 + 2 + mac.size() + 2 + 2 + 2 + other.size();
    const size_t needed = key_name.size() + 10 + rdata_size;
    if (size + needed > capacity || read16(msg + 10) == 0xFFFF) {
        return 0;
    }
    uint8_t* p = msg + size;
    std::memcpy(p, key_name.data(), key_name.size());
    p += key_name.size();
    put16(p, dns::rrtype::TSIG);
    put16(p + 2, kClassAny);
    std::memset(p + 4, 0, 4);
    put16(p + 8, uint16_t(rdata_size));
    p += 10;
    std::memcpy(p, algorithm.data(), algorithm.size());
    p += algorithm.size();
    put48(p, time);
    put16(p + 6, fudge);
    put16(p + 8, uint16_t(mac.size()));
    p += 10;
    if (!mac.empty()) {
        std::memcpy(p, mac.data(), mac.size());
    }
    p += mac.size();
    put16(p, read16(msg));  // original ID: the message's own
    put16(p + 2, error);
    put16(p + 4, uint16_t(other.size()));
    p += 6;
    if (!other.empty()) {
        std::memcpy(p, other.data(), other.size());
    }
    put16(msg + 10, uint16_t(read16(msg + 10) + 1));
    return size + needed;
}

}  // namespace

size_t sign(uint8_t* msg, size_t size, size_t capacity, const Key& key, std::string_view prior_mac,
            bool timers_only, uint64_t now, std::string* mac_out, uint16_t error,
            std::string_view other) {
    Hmac hmac(key);
    if (!prior_mac.empty() || timers_only) {
        hmac.update_mac(prior_mac);
    }
    hmac.update_message(msg, size, read16(msg), false);
    hmac.update(variables(key.name_wire, key.algorithm_wire(), now, kDefaultFudge, error, other,
                          timers_only));
    const std::string mac = hmac.final();
    if (!hmac.ok()) {
        return 0;
    }
    if (mac_out != nullptr) {
        *mac_out = mac;
    }
    return append_tsig_rr(msg, size, capacity, key.name_wire, key.algorithm_wire(), now,
                          kDefaultFudge, mac, error, other);
}

size_t signature_size(const Key& key) {
    // owner, type/class/ttl/rdlength, algorithm, time+fudge+mac size, MAC, id+error+other len,
    // and 6 octets of other data (BADTIME carries the server time).
    return key.name_wire.size() + 10 + key.algorithm_wire().size() + 10 + key.mac_size() + 6 + 6;
}

size_t error_signature_size(const TsigRecord& request) {
    return request.key_name.size() + 10 + request.algorithm.size() + 10 + 6;
}

size_t append_error_tsig(uint8_t* msg, size_t size, size_t capacity, const TsigRecord& request,
                         uint64_t now, uint16_t error) {
    return append_tsig_rr(msg, size, capacity, request.key_name, request.algorithm, now,
                          kDefaultFudge, {}, error, {});
}

struct StreamVerifier::Hmac : public tsig::Hmac {
    using tsig::Hmac::Hmac;
};

StreamVerifier::StreamVerifier(const Key& key, std::string request_mac)
    : key_(key), prior_mac_(std::move(request_mac)) {}

StreamVerifier::~StreamVerifier() = default;

std::string StreamVerifier::add(const uint8_t* msg, size_t size, uint64_t now) {
    TsigRecord rec;
    const Found found = find_tsig(msg, size, rec);
    if (found == Found::Malformed) {
        return "malformed TSIG record";
    }
    if (!pending_) {
        pending_ = std::make_unique<Hmac>(key_);
        pending_->update_mac(prior_mac_);
    }
    if (found == Found::None) {
        // RFC 8945 §5.3.1: the first message must be signed, then at least every 100th.
        if (first_) {
            return "answer is not signed with key " + key_.name;
        }
        if (++unsigned_run_ > 99) {
            return "more than 99 unsigned messages in a row";
        }
        pending_->update(msg, size);
        last_signed_ = false;
        return {};
    }
    if (rec.key_name != key_.name_wire || rec.algorithm != key_.algorithm_wire()) {
        return "answer is signed with another key";
    }
    if (rec.error != 0) {
        return "server reported TSIG error " + std::to_string(rec.error);
    }
    if (!mac_length_acceptable(key_, rec.mac.size())) {
        return "TSIG MAC has a bad length";
    }
    pending_->update_message(msg, rec.offset, rec.original_id, true);
    pending_->update(
        variables(rec.key_name, rec.algorithm, rec.time_signed, rec.fudge, 0, rec.other, !first_));
    const std::string expected = pending_->final();
    pending_.reset();
    if (!macs_equal(expected, rec.mac)) {
        return "TSIG signature of the answer does not verify (BADSIG)";
    }
    if (!(now + rec.fudge >= rec.time_signed && now <= rec.time_signed + rec.fudge)) {
        return "TSIG time of the answer is outside the fudge window (BADTIME)";
    }
    prior_mac_ = rec.mac;
    first_ = false;
    unsigned_run_ = 0;
    last_signed_ = true;
    return {};
}

}  // namespace tidal::tsig
