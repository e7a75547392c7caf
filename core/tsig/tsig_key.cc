// TSIG key material: algorithm names and sizes, and the key ring built from the configuration.
#include "core/tsig/tsig_key.h"

#include "core/config/config_values.h"
#include "core/dns/name.h"

namespace tidal::tsig {

namespace {

struct AlgorithmInfo {
    Algorithm algorithm;
    std::string_view text;
    std::string_view wire;
    size_t mac_size;
};

using namespace std::string_view_literals;

const AlgorithmInfo kAlgorithms[] = {
    {Algorithm::HmacMd5, "hmac-md5", "\x08hmac-md5\x07sig-alg\x03reg\x03int\x00"sv, 16},
    {Algorithm::HmacSha1, "hmac-sha1", "\x09hmac-sha1\x00"sv, 20},
    {Algorithm::HmacSha224, "hmac-sha224", "\x0bhmac-sha224\x00"sv, 28},
    {Algorithm::HmacSha256, "hmac-sha256", "\x0bhmac-sha256\x00"sv, 32},
    {Algorithm::HmacSha384, "hmac-sha384", "\x0bhmac-sha384\x00"sv, 48},
    {Algorithm::HmacSha512, "hmac-sha512", "\x0bhmac-sha512\x00"sv, 64},
};

const AlgorithmInfo& info(Algorithm algorithm) {
    for (const auto& entry : kAlgorithms) {
        if (entry.algorithm == algorithm) {
            return entry;
        }
    }
    return kAlgorithms[3];
}

}  // namespace

std::string_view Key::algorithm_wire() const {
    return info(algorithm).wire;
}
size_t Key::mac_size() const {
    return info(algorithm).mac_size;
}

Result<Algorithm> algorithm_from_text(std::string_view text) {
    std::string lower(text);
    for (auto& c : lower) {
        c = char(dns::lower_octet(uint8_t(c)));
    }
    if (!lower.empty() && lower.back() == '.') {
        lower.pop_back();
    }
    if (lower == "hmac-md5.sig-alg.reg.int") {
        lower = "hmac-md5";
    }
    for (const auto& entry : kAlgorithms) {
        if (entry.text == lower) {
            return entry.algorithm;
        }
    }
    return Error{"unknown TSIG algorithm '" + std::string(text) + "'"};
}

bool algorithm_from_wire(std::string_view wire_lower, Algorithm& out) {
    for (const auto& entry : kAlgorithms) {
        if (entry.wire == wire_lower) {
            out = entry.algorithm;
            return true;
        }
    }
    return false;
}

Result<std::shared_ptr<const KeyRing>> KeyRing::from_config(const config::Config& config) {
    auto ring = std::make_shared<KeyRing>();
    for (const config::TsigKey& configured : config.keys) {
        Key key;
        key.name = configured.name;
        key.name_wire = configured.name_wire;
        auto algorithm = algorithm_from_text(configured.algorithm);
        if (!algorithm) {
            return Error{"key " + configured.name + ": " + algorithm.error().message};
        }
        key.algorithm = algorithm.value();
        auto secret = config::decode_base64(configured.secret);
        if (!secret) {
            return Error{"key " + configured.name + ": " + secret.error().message};
        }
        key.secret = std::move(secret.value());
        ring->add(std::move(key));
    }
    return std::shared_ptr<const KeyRing>(std::move(ring));
}

const Key* KeyRing::find(std::string_view name_wire) const {
    for (const Key& key : keys_) {
        if (key.name_wire == name_wire) {
            return &key;
        }
    }
    return nullptr;
}

const Key* KeyRing::find_configured(std::string_view name) const {
    auto wire = dns::name_from_text(name);
    if (!wire) {
        return nullptr;
    }
    return find(dns::name_lowered(wire.value()));
}

Result<Key> key_from_spec(std::string_view spec) {
    const size_t first = spec.find(':');
    const size_t second = first == std::string_view::npos ? first : spec.find(':', first + 1);
    if (second == std::string_view::npos) {
        return Error{"key '" + std::string(spec.substr(0, first)) +
                     "...' must be NAME:ALGORITHM:SECRET"};
    }
    std::string_view name = spec.substr(0, first);
    std::string_view algorithm_text = spec.substr(first + 1, second - first - 1);
    const std::string_view secret_text = spec.substr(second + 1);
    if (!algorithm_from_text(algorithm_text) && algorithm_from_text(name)) {
        std::swap(name, algorithm_text);  // dig -y ALG:NAME:SECRET order
    }
    auto algorithm = algorithm_from_text(algorithm_text);
    if (!algorithm) {
        return algorithm.error();
    }
    auto wire = dns::name_from_text(name);
    if (!wire) {
        return Error{"key name: " + wire.error().message};
    }
    auto secret = config::decode_base64(secret_text);
    if (!secret) {
        return Error{"key " + std::string(name) + ": secret is not valid base64"};
    }
    Key key;
    key.name = std::string(name);
    key.name_wire = dns::name_lowered(wire.value());
    key.algorithm = algorithm.value();
    key.secret = std::move(secret.value());
    return key;
}

}  // namespace tidal::tsig
