// Helpers shared by the fuzz targets (see fuzz_support.h).
#include "fuzz/fuzz_support.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>

namespace tidal::fuzz {

namespace {

// Never destroyed: remove_temp_dirs runs at exit, after function-local statics may be gone.
std::vector<std::string>& temp_dirs() {
    static auto* dirs = new std::vector<std::string>;
    return *dirs;
}

void remove_temp_dirs() {
    for (const std::string& dir : temp_dirs()) {
        std::error_code ignored;
        std::filesystem::remove_all(dir, ignored);
    }
}

}  // namespace

void fail(std::string_view what) {
    std::fprintf(stderr, "INVARIANT BROKEN: %.*s\n", static_cast<int>(what.size()), what.data());
    std::fflush(stderr);
    remove_temp_dirs();  // abort() skips the atexit handler
    std::abort();
}

void trace(std::string_view what) {
    static const bool verbose = [] {
        const char* value = std::getenv("TIDAL_FUZZ_VERBOSE");
        return value != nullptr && std::string_view(value) == "1";
    }();
    if (verbose) {
        std::fprintf(stderr, "%.*s\n", static_cast<int>(what.size()), what.data());
    }
}

void quiet_logging() {
    spdlog::set_level(spdlog::level::off);
}

std::string source_dir() {
    return TIDAL_SOURCE_DIR;
}

std::string make_temp_dir(std::string_view prefix, bool in_memory) {
    const char* tmp = std::getenv("TMPDIR");
    std::string base = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
    if (in_memory && access("/dev/shm", W_OK | X_OK) == 0) {
        base = "/dev/shm";
    }
    std::string pattern = base + "/" + std::string(prefix) + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
        fail("cannot create a temporary directory " + pattern);
    }
    static std::once_flag registered;
    std::call_once(registered, [] { std::atexit(remove_temp_dirs); });
    temp_dirs().push_back(pattern);
    return pattern;
}

const tsig::Key& fixed_key() {
    static const tsig::Key key = [] {
        auto made = tsig::key_from_spec(std::string(kKeyName) + ":hmac-sha256:" + kKeySecret);
        if (!made) {
            fail("fixed key: " + made.error().message);
        }
        return made.value();
    }();
    return key;
}

uint64_t read_be(const uint8_t* data, size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n; ++i) {
        v = (v << 8) | data[i];
    }
    return v;
}

std::vector<std::vector<uint8_t>> split_frames(const uint8_t* data, size_t size) {
    std::vector<std::vector<uint8_t>> frames;
    size_t pos = 0;
    while (pos + 2 <= size) {
        const size_t length = static_cast<size_t>(read_be(data + pos, 2));
        pos += 2;
        const size_t take = std::min(length, size - pos);
        frames.emplace_back(data + pos, data + pos + take);
        pos += take;
    }
    return frames;
}

}  // namespace tidal::fuzz
