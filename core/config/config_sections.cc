// Parsers for the log:, server:, keys: and remotes: sections of the configuration file.
#include <charconv>
#include <string>

#include "core/config/config_parser.h"
#include "core/config/config_values.h"
#include "core/dns/name.h"

namespace tidal::config::detail {

namespace {

// udp-batch-wait: a datagram may be held this long at most before it is read, so keep it short.
constexpr std::chrono::microseconds kMaxUdpBatchWait{1000};

// A whole decimal number in [min, max], or nullopt (the caller reports).
std::optional<uint64_t> number_in_range(const std::string& text, uint64_t min, uint64_t max) {
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min ||
        value > max) {
        return std::nullopt;
    }
    return value;
}

// Reports a required key that is absent.
void report_missing(const MapFields& map, std::string_view key, Diagnostics& diag) {
    diag.add(map.mark(),
             "'" + map.path() + "' is missing the required key '" + std::string(key) + "'");
}

// The elements of a list section (keys:, remotes:, zones:), or none after reporting a non-list.
std::vector<YAML::Node> list_entries(const Field& field, Diagnostics& diag) {
    std::vector<YAML::Node> entries;
    if (field.value.IsNull()) {
        return entries;
    }
    if (!field.value.IsSequence()) {
        diag.add(field.mark(), "'" + field.path + "' must be a list, not " +
                                   std::string(describe_node(field.value)));
        return entries;
    }
    for (size_t i = 0; i < field.value.size(); ++i) {
        entries.push_back(field.value[i]);
    }
    return entries;
}

void parse_listen(const Field& field, ServerConfig& out, Diagnostics& diag) {
    out.listen.clear();
    for (const ListItem& item : read_string_list(field, diag)) {
        auto address = parse_socket_address(item.text);
        if (!address.ok()) {
            diag.add(item.mark, "'" + field.path + "': " + address.error().message);
            continue;
        }
        out.listen.push_back(std::move(address.value()));
    }
    const bool empty_list =
        field.value.IsNull() || (field.value.IsSequence() && field.value.size() == 0);
    if (empty_list) {
        diag.add(field.mark(), "'" + field.path + "' must name at least one address");
    }
}

}  // namespace

void parse_log(const Field& field, LogConfig& out, Diagnostics& diag) {
    const MapFields map(field.value, field.path, field.mark(), {"level", "target"}, diag);
    if (const Field* level = map.find("level")) {
        if (auto text = read_scalar(*level, diag)) {
            if (*text == "trace" || *text == "debug" || *text == "info" || *text == "warn" ||
                *text == "error") {
                out.level = *text;
            } else {
                diag.add(level->mark(), "'" + level->path +
                                            "' must be one of trace, debug, info, "
                                            "warn, error; not '" +
                                            *text + "'");
            }
        }
    }
    if (const Field* target = map.find("target")) {
        if (auto text = read_scalar(*target, diag)) {
            if (*text == "auto" || *text == "journald" || *text == "stderr") {
                out.target = *text;
            } else {
                diag.add(target->mark(), "'" + target->path +
                                             "' must be one of auto, journald, stderr; not '" +
                                             *text + "'");
            }
        }
    }
}

void parse_server(const Field& field, ServerConfig& out, Diagnostics& diag) {
    const MapFields map(
        field.value, field.path, field.mark(),
        {"listen", "workers", "udp-max-payload", "udp-batch-wait", "tcp-idle-timeout",
         "tcp-max-connections", "tcp-max-connections-per-client", "tcp-io-timeout", "rate-limit",
         "rate-limit-slip", "rate-limit-table-size", "rate-limit-ipv4-prefix",
         "rate-limit-ipv6-prefix", "rate-limit-exempt"},
        diag);
    parse_server_limits(map, out, diag);
    if (const Field* listen = map.find("listen")) {
        parse_listen(*listen, out, diag);
    }
    if (const Field* workers = map.find("workers")) {
        if (auto text = read_scalar(*workers, diag)) {
            if (*text == "auto") {
                out.workers = 0;
            } else if (auto count = number_in_range(*text, 1, 256)) {
                out.workers = unsigned(*count);
            } else {
                diag.add(workers->mark(), "'" + workers->path +
                                              "' must be 'auto' or a number from 1 to 256, not '" +
                                              *text + "'");
            }
        }
    }
    if (const Field* payload = map.find("udp-max-payload")) {
        if (auto text = read_scalar(*payload, diag)) {
            // 512 is the RFC 1035 §2.3.4 minimum; 4096 the largest EDNS size worth offering.
            if (auto size = number_in_range(*text, 512, 4096)) {
                out.udp_max_payload = uint16_t(*size);
            } else {
                diag.add(payload->mark(), "'" + payload->path +
                                              "' must be a number from 512 to 4096, not '" + *text +
                                              "'");
            }
        }
    }
    if (const Field* wait = map.find("udp-batch-wait")) {
        if (auto text = read_scalar(*wait, diag)) {
            auto duration = parse_short_duration(*text);
            if (!duration.ok()) {
                diag.add(wait->mark(), "'" + wait->path + "': " + duration.error().message);
            } else if (duration.value() > kMaxUdpBatchWait) {
                diag.add(wait->mark(), "'" + wait->path + "' must be at most 1ms, not '" + *text +
                                           "': every datagram of a busy worker may wait this long");
            } else {
                out.udp_batch_wait = duration.value();
            }
        }
    }
    if (const Field* idle = map.find("tcp-idle-timeout")) {
        if (auto text = read_scalar(*idle, diag)) {
            auto duration = parse_duration(*text);
            if (!duration.ok()) {
                diag.add(idle->mark(), "'" + idle->path + "': " + duration.error().message);
            } else if (duration.value().count() == 0) {
                diag.add(idle->mark(), "'" + idle->path + "' must be longer than 0");
            } else {
                out.tcp_idle_timeout = duration.value();
            }
        }
    }
    if (const Field* connections = map.find("tcp-max-connections")) {
        if (auto text = read_scalar(*connections, diag)) {
            if (auto count = number_in_range(*text, 1, 1000000)) {
                out.tcp_max_connections = unsigned(*count);
            } else {
                diag.add(connections->mark(), "'" + connections->path +
                                                  "' must be a number from 1 to 1000000, not '" +
                                                  *text + "'");
            }
        }
    }
}

void parse_keys(const Field& field, std::vector<TsigKey>& out, Diagnostics& diag) {
    const std::vector<YAML::Node> entries = list_entries(field, diag);
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string path = field.path + "[" + std::to_string(i) + "]";
        const MapFields map(entries[i], path, field.mark(), {"name", "algorithm", "secret"}, diag);
        if (!map.is_map()) {
            continue;
        }
        TsigKey key;
        bool complete = true;
        if (const Field* name = map.find("name")) {
            if (auto text = read_scalar(*name, diag)) {
                auto wire = dns::name_from_text(*text);
                if (!wire.ok()) {
                    diag.add(name->mark(), "'" + name->path + "': " + wire.error().message);
                    complete = false;
                } else {
                    key.name = *text;
                    key.name_wire = dns::name_lowered(wire.value());
                }
            } else {
                complete = false;
            }
        } else {
            report_missing(map, "name", diag);
            complete = false;
        }
        if (const Field* algorithm = map.find("algorithm")) {
            if (auto text = read_scalar(*algorithm, diag)) {
                if (is_tsig_algorithm(*text)) {
                    key.algorithm = *text;
                } else {
                    diag.add(algorithm->mark(),
                             "'" + algorithm->path + "': unknown TSIG algorithm '" + *text +
                                 "' (expected hmac-md5, hmac-sha1, hmac-sha224, hmac-sha256, "
                                 "hmac-sha384 or hmac-sha512)");
                }
            }
        } else {
            report_missing(map, "algorithm", diag);
        }
        if (const Field* secret = map.find("secret")) {
            if (auto text = read_scalar(*secret, diag)) {
                auto bytes = decode_base64(*text);
                if (bytes.ok()) {
                    key.secret = *text;
                } else {
                    diag.add(secret->mark(), "'" + secret->path + "': " + bytes.error().message);
                }
            }
        } else {
            report_missing(map, "secret", diag);
        }
        if (!complete) {
            continue;
        }
        for (const TsigKey& earlier : out) {
            if (earlier.name_wire == key.name_wire) {
                diag.add(map.find("name")->mark(),
                         "'" + path + ".name': key '" + key.name + "' is defined twice");
                complete = false;
                break;
            }
        }
        if (complete) {
            out.push_back(std::move(key));
        }
    }
}

void parse_remotes(const Field& field, const std::vector<TsigKey>& keys, std::vector<Remote>& out,
                   Diagnostics& diag) {
    const std::vector<YAML::Node> entries = list_entries(field, diag);
    for (size_t i = 0; i < entries.size(); ++i) {
        const std::string path = field.path + "[" + std::to_string(i) + "]";
        const MapFields map(entries[i], path, field.mark(), {"id", "address", "key"}, diag);
        if (!map.is_map()) {
            continue;
        }
        Remote remote;
        const Field* id = map.find("id");
        std::optional<std::string> id_text = id != nullptr ? read_scalar(*id, diag) : std::nullopt;
        if (id == nullptr) {
            report_missing(map, "id", diag);
        } else if (id_text && id_text->empty()) {
            diag.add(id->mark(), "'" + id->path + "' must not be empty");
            id_text.reset();
        }
        if (const Field* address = map.find("address")) {
            if (auto text = read_scalar(*address, diag)) {
                auto parsed = parse_socket_address(*text);
                if (parsed.ok()) {
                    remote.address = std::move(parsed.value());
                } else {
                    diag.add(address->mark(), "'" + address->path + "': " + parsed.error().message);
                }
            }
        } else {
            report_missing(map, "address", diag);
        }
        if (const Field* key = map.find("key")) {
            if (auto text = read_scalar(*key, diag)) {
                if (const TsigKey* known = find_key_in(keys, *text)) {
                    remote.key = known->name;
                } else {
                    diag.add(key->mark(),
                             "'" + key->path + "': no key named '" + *text + "' in keys:");
                }
            }
        }
        if (!id_text) {
            continue;
        }
        remote.id = *id_text;
        bool duplicate = false;
        for (const Remote& earlier : out) {
            duplicate = duplicate || earlier.id == remote.id;
        }
        if (duplicate) {
            diag.add(id->mark(), "'" + id->path + "': remote '" + remote.id + "' is defined twice");
            continue;
        }
        out.push_back(std::move(remote));
    }
}

}  // namespace tidal::config::detail
