// Shared by the fuzz targets: invariant checks that abort, quiet logging, temp dirs, a fixed key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/tsig/tsig_key.h"

namespace tidal::fuzz {

// A fixed point in time for signatures in seeds and targets (2023-11-14T22:13:20Z): inputs
// signed at it verify forever, since the targets pass it as "now".
constexpr uint64_t kFixedNow = 1700000000;

// Name and secret of the key every target's key ring holds (and make_seeds.py signs with).
constexpr char kKeyName[] = "transfer";
constexpr char kKeySecret[] = "ZnV6ei10c2lnLWtleS1mb3ItdGlkYWwtMzItb2N0ZXRzIQ==";

// An invariant broken: prints what and aborts, so libFuzzer saves the input as a crash.
[[noreturn]] void fail(std::string_view what);

// Checks cond; on failure, fail(what).
inline void check(bool cond, std::string_view what) {
    if (!cond) {
        fail(what);
    }
}

// With TIDAL_FUZZ_VERBOSE=1 in the environment, prints what to stderr (what a target decided
// about an input, to check by hand that seeds get where they should); else nothing.
void trace(std::string_view what);

// Call first in LLVMFuzzerInitialize: logging off (the code under test logs every rejected
// input, which would drown libFuzzer's output and slow it down).
void quiet_logging();

// The repository root (compiled in), for zones/ and other test data.
std::string source_dir();

// A fresh directory under $TMPDIR (or /tmp; with in_memory, /dev/shm when it is writable: for
// SQLite files rewritten on every input), removed with its contents at exit.
std::string make_temp_dir(std::string_view prefix, bool in_memory = false);

// The key kKeyName (hmac-sha256, kKeySecret).
const tsig::Key& fixed_key();

// Reads a big-endian integer of n octets (n <= 8) at data[0..n).
uint64_t read_be(const uint8_t* data, size_t n);

// Splits data into DNS-over-TCP messages (RFC 1035 §4.2.2: a 2-octet length, then the message).
// A final frame that claims more octets than remain is cut to what remains, so every input
// yields messages.
std::vector<std::vector<uint8_t>> split_frames(const uint8_t* data, size_t size);

}  // namespace tidal::fuzz
