// Parser for the traffic-limit keys of the server: section: TCP limits and response rate limiting.
#include <charconv>
#include <string>

#include "core/config/config_parser.h"
#include "core/config/config_values.h"

namespace tidal::config::detail {
namespace {

// Reads key as a whole number in [min, max] into out; reports anything else.
template <typename T>
void read_count(const MapFields& map, std::string_view key, uint64_t min, uint64_t max, T& out,
                Diagnostics& diag) {
    const Field* field = map.find(key);
    if (field == nullptr) {
        return;
    }
    const auto text = read_scalar(*field, diag);
    if (!text) {
        return;
    }
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (text->empty() || ec != std::errc() || end != text->data() + text->size() || value < min ||
        value > max) {
        diag.add(field->mark(), "'" + field->path + "' must be a number from " +
                                    std::to_string(min) + " to " + std::to_string(max) + ", not '" +
                                    *text + "'");
        return;
    }
    out = T(value);
}

// "500ms" or anything parse_duration takes ("2s", "2", "1m").
Result<std::chrono::milliseconds> parse_milliseconds(std::string_view text) {
    if (text.ends_with("ms")) {
        const auto value = parse_short_duration(text);
        if (value && value.value() <= std::chrono::hours(24)) {
            return std::chrono::duration_cast<std::chrono::milliseconds>(value.value());
        }
        return Error{"invalid duration '" + std::string(text) +
                     "' (expected milliseconds as in 500ms, or a whole number with an optional "
                     "unit s, m, h or d)"};
    }
    auto seconds = parse_duration(text);
    if (!seconds) {
        return seconds.error();
    }
    return std::chrono::milliseconds(seconds.value());
}

void read_exempt(const Field& field, ServerConfig& out, Diagnostics& diag) {
    out.rate_limit_exempt.clear();
    for (const ListItem& item : read_string_list(field, diag)) {
        // A bare address is a one-host prefix.
        std::string text = item.text;
        if (text.find('/') == std::string::npos) {
            text += text.find(':') == std::string::npos ? "/32" : "/128";
        }
        auto prefix = parse_prefix(text);
        if (!prefix) {
            diag.add(item.mark, "'" + field.path + "': " + prefix.error().message);
            continue;
        }
        out.rate_limit_exempt.push_back(text);
    }
}

}  // namespace

void parse_server_limits(const MapFields& map, ServerConfig& out, Diagnostics& diag) {
    // 0 turns the per-client cap off; tcp-max-connections still bounds the total.
    read_count(map, "tcp-max-connections-per-client", 0, 1000000,
               out.tcp_max_connections_per_client, diag);
    if (const Field* field = map.find("tcp-io-timeout")) {
        if (auto text = read_scalar(*field, diag)) {
            auto duration = parse_milliseconds(*text);
            if (!duration) {
                diag.add(field->mark(), "'" + field->path + "': " + duration.error().message);
            } else {
                out.tcp_io_timeout = duration.value();  // 0 = no limit, as in Knot
            }
        }
    }
    read_count(map, "rate-limit", 0, 1000000, out.rate_limit, diag);
    // BIND accepts slip 0 to 10; so do we.
    read_count(map, "rate-limit-slip", 0, 10, out.rate_limit_slip, diag);
    // 32 octets a bucket: 16 Mi buckets are 512 MiB, more than any host should give this.
    read_count(map, "rate-limit-table-size", 1024, 16777216, out.rate_limit_table_size, diag);
    read_count(map, "rate-limit-ipv4-prefix", 8, 32, out.rate_limit_ipv4_prefix, diag);
    read_count(map, "rate-limit-ipv6-prefix", 16, 128, out.rate_limit_ipv6_prefix, diag);
    if (const Field* exempt = map.find("rate-limit-exempt")) {
        read_exempt(*exempt, out, diag);
    }
}

}  // namespace tidal::config::detail
