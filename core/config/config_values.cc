// Parsers for durations, socket addresses, CIDR prefixes, TSIG algorithm names and base64 secrets.
#include "core/config/config_values.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>

#include <charconv>
#include <limits>
#include <memory>

namespace tidal::config {

namespace {

// Parses a decimal number that must fill the whole text.
bool parse_uint(std::string_view text, uint64_t& out) {
    if (text.empty()) {
        return false;
    }
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && end == text.data() + text.size();
}

// Numeric address of either family into 16 bytes; returns false when text is not one.
bool parse_numeric_address(const std::string& text, bool ipv6, std::array<uint8_t, 16>& bytes) {
    return inet_pton(ipv6 ? AF_INET6 : AF_INET, text.c_str(), bytes.data()) == 1;
}

Error address_error(std::string_view text, std::string_view why) {
    return Error{"invalid address '" + std::string(text) + "': " + std::string(why)};
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
    const auto invalid = [&] {
        return Error{"invalid size '" + std::string(text) +
                     "' (expected a whole number of bytes with an optional unit K, M or G, as in "
                     "512K, 100M, 1G)"};
    };
    if (text.empty()) {
        return invalid();
    }
    unsigned shift = 0;
    std::string_view digits = text;
    switch (text.back()) {
        case 'K':
            shift = 10;
            break;
        case 'M':
            shift = 20;
            break;
        case 'G':
            shift = 30;
            break;
        default:
            if (text.back() < '0' || text.back() > '9') {
                return invalid();
            }
            break;
    }
    if (shift != 0) {
        digits.remove_suffix(1);
    }
    uint64_t count = 0;
    if (!parse_uint(digits, count)) {
        return invalid();
    }
    if (count > (std::numeric_limits<uint64_t>::max() >> shift)) {
        return Error{"size '" + std::string(text) + "' is too large"};
    }
    return count << shift;
}

Result<std::chrono::seconds> parse_duration(std::string_view text) {
    const auto invalid = [&] {
        return Error{"invalid duration '" + std::string(text) +
                     "' (expected a whole number with an optional unit s, m, h or d, as in 30s, "
                     "5m, 1h, 2d)"};
    };
    if (text.empty()) {
        return invalid();
    }
    uint64_t multiplier = 1;
    std::string_view digits = text;
    switch (text.back()) {
        case 's':
            multiplier = 1;
            break;
        case 'm':
            multiplier = 60;
            break;
        case 'h':
            multiplier = 3600;
            break;
        case 'd':
            multiplier = 86400;
            break;
        default:
            if (text.back() < '0' || text.back() > '9') {
                return invalid();
            }
            break;
    }
    if (text.back() < '0' || text.back() > '9') {
        digits.remove_suffix(1);
    }
    uint64_t count = 0;
    if (!parse_uint(digits, count)) {
        return invalid();
    }
    // Keep the value representable in milliseconds as a signed 64-bit count.
    constexpr uint64_t kMaxSeconds = uint64_t(std::numeric_limits<int64_t>::max()) / 1000;
    if (count > kMaxSeconds / multiplier) {
        return Error{"duration '" + std::string(text) + "' is too large"};
    }
    return std::chrono::seconds(int64_t(count * multiplier));
}

Result<std::chrono::microseconds> parse_short_duration(std::string_view text) {
    if (text == "0") {
        return std::chrono::microseconds(0);
    }
    uint64_t count = 0;
    const bool micro = text.ends_with("us");
    if ((!micro && !text.ends_with("ms")) || !parse_uint(text.substr(0, text.size() - 2), count)) {
        return Error{"invalid duration '" + std::string(text) +
                     "' (expected microseconds or milliseconds, as in 50us or 2ms, or 0)"};
    }
    // Refuse what would overflow the conversion to microseconds.
    if (count > uint64_t(std::numeric_limits<int64_t>::max()) / 1000) {
        return Error{"duration '" + std::string(text) + "' is too large"};
    }
    return std::chrono::microseconds(int64_t(micro ? count : count * 1000));
}

Result<ListenAddress> parse_socket_address(std::string_view text, uint16_t default_port) {
    ListenAddress out;
    out.port = default_port;
    std::string_view port_text;
    std::array<uint8_t, 16> bytes{};
    if (!text.empty() && text.front() == '[') {
        const size_t close = text.find(']');
        if (close == std::string_view::npos) {
            return address_error(text, "missing ']' after the IPv6 address");
        }
        out.host = std::string(text.substr(1, close - 1));
        out.ipv6 = true;
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty()) {
            if (rest.front() != ':') {
                return address_error(text, "expected ':PORT' after ']'");
            }
            port_text = rest.substr(1);
            if (port_text.empty()) {
                return address_error(text, "empty port after ':'");
            }
        }
        if (!parse_numeric_address(out.host, true, bytes)) {
            return address_error(text, "'" + out.host + "' is not a numeric IPv6 address");
        }
    } else if (parse_numeric_address(std::string(text), true, bytes)) {
        // A bare IPv6 address: its colons are not a port separator.
        out.host = std::string(text);
        out.ipv6 = true;
    } else {
        const size_t colon = text.find(':');
        out.host = std::string(text.substr(0, colon));
        if (colon != std::string_view::npos) {
            port_text = text.substr(colon + 1);
            if (port_text.empty()) {
                return address_error(text, "empty port after ':'");
            }
        }
        if (!parse_numeric_address(out.host, false, bytes)) {
            return address_error(text, "expected IPv4:PORT or [IPv6]:PORT with a numeric address");
        }
    }
    if (!port_text.empty()) {
        uint64_t port = 0;
        if (!parse_uint(port_text, port) || port == 0 || port > 65535) {
            return address_error(
                text, "port '" + std::string(port_text) + "' is not a number from 1 to 65535");
        }
        out.port = uint16_t(port);
    }
    if (out.port == 0) {
        return address_error(text, "port 0 is not allowed");
    }
    return out;
}

std::string format_socket_address(const ListenAddress& address) {
    if (address.ipv6) {
        return "[" + address.host + "]:" + std::to_string(address.port);
    }
    return address.host + ":" + std::to_string(address.port);
}

Result<AddressPrefix> parse_prefix(std::string_view text) {
    const size_t slash = text.find('/');
    if (slash == std::string_view::npos) {
        return Error{"'" + std::string(text) + "' is not a CIDR prefix (ADDRESS/LENGTH)"};
    }
    const std::string host(text.substr(0, slash));
    AddressPrefix out;
    out.ipv6 = host.find(':') != std::string::npos;
    if (!parse_numeric_address(host, out.ipv6, out.bytes)) {
        return Error{"'" + std::string(text) + "': '" + host + "' is not a numeric IPv" +
                     (out.ipv6 ? "6" : "4") + " address"};
    }
    const unsigned max_length = out.ipv6 ? 128 : 32;
    uint64_t length = 0;
    if (!parse_uint(text.substr(slash + 1), length) || length > max_length) {
        return Error{"'" + std::string(text) + "': prefix length must be a number from 0 to " +
                     std::to_string(max_length)};
    }
    out.length = unsigned(length);
    for (unsigned bit = out.length; bit < max_length; ++bit) {
        if ((out.bytes[bit / 8] >> (7 - bit % 8)) & 1) {
            return Error{"'" + std::string(text) + "': address has bits set past the /" +
                         std::to_string(out.length) + " prefix"};
        }
    }
    return out;
}

bool prefix_contains(const AddressPrefix& prefix, std::span<const uint8_t> address) {
    if (address.size() != (prefix.ipv6 ? 16U : 4U)) {
        return false;
    }
    const unsigned full = prefix.length / 8;
    for (unsigned i = 0; i < full; ++i) {
        if (address[i] != prefix.bytes[i]) {
            return false;
        }
    }
    const unsigned rest = prefix.length % 8;
    if (rest == 0) {
        return true;
    }
    const uint8_t mask = uint8_t(0xFF << (8 - rest));
    return (address[full] & mask) == (prefix.bytes[full] & mask);
}

bool is_tsig_algorithm(std::string_view name) {
    return name == "hmac-md5" || name == "hmac-sha1" || name == "hmac-sha224" ||
           name == "hmac-sha256" || name == "hmac-sha384" || name == "hmac-sha512";
}

Result<std::string> decode_base64(std::string_view text) {
    if (text.empty()) {
        return Error{"empty base64 secret"};
    }
    const std::string copy(text);
    ldns_rdf* raw = nullptr;
    if (ldns_str2rdf_b64(&raw, copy.c_str()) != LDNS_STATUS_OK || raw == nullptr) {
        return Error{"secret is not valid base64"};
    }
    std::unique_ptr<ldns_rdf, decltype(&ldns_rdf_deep_free)> rdf(raw, &ldns_rdf_deep_free);
    std::string bytes(reinterpret_cast<const char*>(ldns_rdf_data(rdf.get())),
                      ldns_rdf_size(rdf.get()));
    if (bytes.empty()) {
        return Error{"secret decodes to no bytes"};
    }
    return bytes;
}

}  // namespace tidal::config
