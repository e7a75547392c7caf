// TSIG (RFC 8945): finding, verifying and adding transaction signatures on wire messages.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/tsig/tsig_key.h"

namespace tidal::tsig {

constexpr uint16_t kDefaultFudge = 300;  // seconds, RFC 8945 §10 recommends 300

// TSIG error codes (RFC 8945 §3, RFC 2845 §2.3).
namespace error {
constexpr uint16_t BADSIG = 16;
constexpr uint16_t BADKEY = 17;
constexpr uint16_t BADTIME = 18;
constexpr uint16_t BADTRUNC = 22;
}  // namespace error

// A TSIG record found at the end of a message (RFC 8945 §4.2).
struct TsigRecord {
    size_t offset = 0;      // where the TSIG RR starts: the message without it is [0, offset)
    std::string key_name;   // lowercased wire
    std::string algorithm;  // lowercased wire
    uint64_t time_signed = 0;
    uint16_t fudge = 0;
    std::string mac;
    uint16_t original_id = 0;
    uint16_t error = 0;
    std::string other;
};

enum class Found { None, Found, Malformed };

// Looks for a TSIG RR. It must be the last record of the additional section (RFC 8945 §5.1);
// anywhere else, or unparsable, the message is Malformed.
Found find_tsig(const uint8_t* message, size_t size, TsigRecord& out);

// The outcome of checking a signed request (RFC 8945 §5.2).
struct RequestCheck {
    enum class Status { Unsigned, Valid, FormErr, BadKey, BadSig, BadTime, BadTrunc };
    Status status = Status::Unsigned;
    const Key* key = nullptr;  // the key used (Valid, BadTime)
    std::string request_mac;   // to sign the answer with (RFC 8945 §4.3.2)
    size_t unsigned_size = 0;  // length of the message without its TSIG
    uint64_t time_signed = 0;
    TsigRecord record;

    bool ok() const { return status == Status::Unsigned || status == Status::Valid; }
    // The TSIG error code to put in the (unsigned, except BADTIME) answer.
    uint16_t error_code() const;
};

RequestCheck verify_request(const uint8_t* message, size_t size, const KeyRing& keys, uint64_t now);

// Appends a TSIG RR to message[0..size) within capacity, signing it with key.
// - a request: prior_mac empty, timers_only false;
// - the first answer to a signed request: prior_mac = the request's MAC;
// - a later message of a stream: prior_mac = the previous message's MAC, timers_only true
//   (RFC 8945 §5.3.1).
// error/other: for error answers (BADTIME carries the server time in other, §5.2.3).
// Returns the new size (0 if it does not fit) and the MAC in *mac_out when given.
size_t sign(uint8_t* message, size_t size, size_t capacity, const Key& key,
            std::string_view prior_mac, bool timers_only, uint64_t now,
            std::string* mac_out = nullptr, uint16_t error = 0, std::string_view other = {});

// Octets a TSIG RR signed with key takes (to reserve room before writing a message).
size_t signature_size(const Key& key);
// Octets of the unsigned error TSIG answering request.
size_t error_signature_size(const TsigRecord& request);

// Adds an unsigned TSIG RR carrying only an error (BADKEY, BADSIG: RFC 8945 §5.2.1-2), with
// the request's key name and algorithm and an empty MAC. Returns the new size or 0.
size_t append_error_tsig(uint8_t* message, size_t size, size_t capacity, const TsigRecord& request,
                         uint64_t now, uint16_t error);

// Verifies the messages of a signed answer stream as a client (an AXFR/IXFR answer, or a
// single answer): the first message against the request MAC, the next against the previous
// MAC; unsigned messages in between are covered by the next signed one (RFC 8945 §5.3.1).
class StreamVerifier {
  public:
    StreamVerifier(const Key& key, std::string request_mac);
    ~StreamVerifier();
    StreamVerifier(const StreamVerifier&) = delete;
    StreamVerifier& operator=(const StreamVerifier&) = delete;

    // Checks one message; returns an error message for a bad one, empty when fine. A message
    // without TSIG is accepted pending (at most 99 in a row) and must not be the last one.
    std::string add(const uint8_t* message, size_t size, uint64_t now);
    // True when the last message added was signed (a stream must end signed).
    bool last_signed() const { return last_signed_; }

  private:
    struct Hmac;
    const Key& key_;
    std::string prior_mac_;
    std::unique_ptr<Hmac> pending_;  // digest of unsigned messages since the last signed one
    int unsigned_run_ = 0;
    bool first_ = true;
    bool last_signed_ = false;
};

}  // namespace tidal::tsig
