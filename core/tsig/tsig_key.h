// TSIG keys (RFC 8945) as the protocol code needs them: wire names, algorithm, raw secret.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/util/result.h"

namespace tidal::tsig {

// The HMAC algorithms of RFC 8945 §6 that Tidal signs and verifies with.
enum class Algorithm { HmacMd5, HmacSha1, HmacSha224, HmacSha256, HmacSha384, HmacSha512 };

struct Key {
    std::string name;       // as configured (for logs)
    std::string name_wire;  // lowercased wire name: the TSIG owner (RFC 8945 §4.2)
    Algorithm algorithm = Algorithm::HmacSha256;
    std::string secret;  // raw octets (decoded from base64). Never logged.

    // The algorithm's name as wire octets, e.g. "\x0bhmac-sha256\0" (RFC 8945 §6; hmac-md5 is
    // "hmac-md5.sig-alg.reg.int.").
    std::string_view algorithm_wire() const;
    // Length of a full MAC for the algorithm, in octets.
    size_t mac_size() const;
};

// Algorithm by its configured spelling ("hmac-sha256") or wire name (lowercased).
Result<Algorithm> algorithm_from_text(std::string_view text);
bool algorithm_from_wire(std::string_view wire_lower, Algorithm& out);

// Keys from the configuration, looked up by wire name. Immutable once built; shared by threads.
class KeyRing {
  public:
    KeyRing() = default;
    static Result<std::shared_ptr<const KeyRing>> from_config(const config::Config& config);

    // The key named name_wire (lowercased wire), or nullptr.
    const Key* find(std::string_view name_wire) const;
    // The key as the configuration names it ("editor" or "editor."), or nullptr.
    const Key* find_configured(std::string_view name) const;
    size_t size() const { return keys_.size(); }
    void add(Key key) { keys_.push_back(std::move(key)); }

  private:
    std::vector<Key> keys_;
};

// Parses "NAME:ALG:SECRET" (or "ALG:NAME:SECRET" as dig -y writes it) as a command-line key.
Result<Key> key_from_spec(std::string_view spec);

}  // namespace tidal::tsig
