// Fuzz target: TSIG (RFC 8945) verification, core/tsig: verify_request on a request, and the
// StreamVerifier on a stream of answer messages, with a fixed key ring; plus sign -> verify round
// trips over the fuzzed messages.
//
// Input: [mode: 1][now: 6, seconds][payload]. Even mode: payload is one request message.
// Odd mode: payload is [request MAC length: 1][request MAC][TCP-framed answer messages].
#include <string>
#include <string_view>
#include <vector>

#include "core/tsig/tsig.h"
#include "fuzz/fuzz_support.h"

namespace {

using tidal::fuzz::check;
namespace tsig = tidal::tsig;

constexpr size_t kHeaderSize = 12;
tsig::KeyRing* ring = nullptr;

// Signs message (copied, with room for the TSIG) as a request, or as an answer in a stream with
// prior_mac; empty when the message cannot be signed (too short, ARCOUNT full).
std::vector<uint8_t> signed_copy(const std::vector<uint8_t>& message, std::string_view prior_mac,
                                 bool timers_only, uint64_t now, std::string* mac) {
    if (message.size() < kHeaderSize) {
        return {};
    }
    std::vector<uint8_t> out(message);
    out.resize(message.size() + tsig::signature_size(tidal::fuzz::fixed_key()));
    const size_t n = tsig::sign(out.data(), message.size(), out.size(), tidal::fuzz::fixed_key(),
                                prior_mac, timers_only, now, mac);
    out.resize(n);
    return out;
}

// True when message ends with a TSIG that starts right where the unsigned message ended (the
// unsigned one had no trailing octets after its records, so the signed one is well formed).
bool tsig_follows(const std::vector<uint8_t>& signed_message, size_t unsigned_size) {
    tsig::TsigRecord record;
    return tsig::find_tsig(signed_message.data(), signed_message.size(), record) ==
               tsig::Found::Found &&
           record.offset == unsigned_size;
}

void fuzz_request(const uint8_t* data, size_t size, uint64_t now) {
    tsig::TsigRecord record;
    const tsig::Found found = tsig::find_tsig(data, size, record);
    const tsig::RequestCheck result = tsig::verify_request(data, size, *ring, now);
    using Status = tsig::RequestCheck::Status;
    switch (found) {
        case tsig::Found::None:
            check(result.status == Status::Unsigned, "no TSIG but not Unsigned");
            check(result.unsigned_size == size, "unsigned size of an unsigned message");
            break;
        case tsig::Found::Malformed:
            check(result.status == Status::FormErr, "malformed TSIG but not FORMERR");
            break;
        case tsig::Found::Found:
            check(result.status != Status::Unsigned, "TSIG found but Unsigned");
            check(record.offset < size && result.unsigned_size == record.offset,
                  "unsigned size is not where the TSIG starts");
            break;
    }
    if (result.status == Status::Valid) {
        check(result.key != nullptr && result.ok(), "Valid without a key");
        check(result.request_mac == record.mac, "request MAC is not the TSIG's MAC");
        check(result.error_code() == 0, "Valid with an error code");
    } else if (result.status != Status::Unsigned) {
        check(!result.ok(), "a failed check that is ok()");
    }

    // Whatever the message, signing it must give a request that verifies.
    if (found != tsig::Found::None) {
        return;
    }
    const std::vector<uint8_t> message(data, data + size);
    std::string mac;
    const std::vector<uint8_t> signed_message = signed_copy(message, {}, false, now, &mac);
    if (signed_message.empty() || !tsig_follows(signed_message, size)) {
        return;
    }
    const tsig::RequestCheck again =
        tsig::verify_request(signed_message.data(), signed_message.size(), *ring, now);
    check(again.status == Status::Valid, "a message we signed does not verify");
    check(again.request_mac == mac, "the verified MAC is not the one we signed with");
}

void fuzz_stream(const uint8_t* data, size_t size, uint64_t now) {
    if (size < 1 || size < 1 + size_t(data[0])) {
        return;
    }
    const std::string request_mac(reinterpret_cast<const char*>(data + 1), data[0]);
    const auto frames = tidal::fuzz::split_frames(data + 1 + data[0], size - 1 - data[0]);

    // The answer stream as given.
    {
        tsig::StreamVerifier verifier(tidal::fuzz::fixed_key(), request_mac);
        size_t accepted = 0;
        for (const auto& frame : frames) {
            if (std::string problem = verifier.add(frame.data(), frame.size(), now);
                !problem.empty()) {
                tidal::fuzz::trace("stream: message " + std::to_string(accepted + 1) + ": " +
                                   problem);
                break;
            }
            ++accepted;
            tsig::TsigRecord record;
            const bool has_tsig =
                tsig::find_tsig(frame.data(), frame.size(), record) == tsig::Found::Found;
            check(verifier.last_signed() == has_tsig, "last_signed() disagrees with the message");
        }
        if (accepted == frames.size()) {
            tidal::fuzz::trace("stream: " + std::to_string(accepted) + " messages accepted" +
                               (verifier.last_signed() ? "" : ", the last one unsigned"));
        }
    }

    // The same messages signed as tidald signs a transfer, every one (RFC 8945 §5.3.1: the
    // first over the request MAC, each next one over the previous MAC, timers only): the
    // verifier must accept them all. (tsig::sign cannot leave messages unsigned in between:
    // the next MAC would have to cover them too, which only the verifier side implements.)
    if (request_mac.empty()) {
        return;  // no signed request: tsig::sign would sign a request, not an answer
    }
    tsig::StreamVerifier verifier(tidal::fuzz::fixed_key(), request_mac);
    std::string prior = request_mac;
    bool first = true;
    for (const auto& frame : frames) {
        tsig::TsigRecord record;
        if (frame.size() < kHeaderSize ||
            tsig::find_tsig(frame.data(), frame.size(), record) != tsig::Found::None) {
            return;  // not a message this check can sign
        }
        std::string mac;
        const std::vector<uint8_t> message = signed_copy(frame, prior, !first, now, &mac);
        if (message.empty() || !tsig_follows(message, frame.size())) {
            return;
        }
        const std::string problem = verifier.add(message.data(), message.size(), now);
        check(problem.empty(), "a stream we signed does not verify: " + problem);
        check(verifier.last_signed(), "a signed message not seen as signed");
        prior = mac;
        first = false;
    }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tidal::fuzz::quiet_logging();
    ring = new tsig::KeyRing;
    ring->add(tidal::fuzz::fixed_key());
    // A second key with another algorithm, for BADKEY and algorithm-mismatch paths.
    auto other = tsig::key_from_spec(std::string("editor:hmac-sha512:") + tidal::fuzz::kKeySecret);
    check(other.ok(), "second key");
    ring->add(other.value());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 7) {
        return 0;
    }
    const uint64_t now = tidal::fuzz::read_be(data + 1, 6);
    if ((data[0] & 1) == 0) {
        fuzz_request(data + 7, size - 7, now);
    } else {
        fuzz_stream(data + 7, size - 7, now);
    }
    return 0;
}
