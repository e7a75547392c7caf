// The section parsers behind parse_config: each fills its part of Config and reports into diag.
// Internal to core/config.
#pragma once

#include <vector>

#include "core/config/config.h"
#include "core/config/yaml_fields.h"

namespace tidal::config::detail {

// The key whose TSIG name equals name (case-insensitive, trailing dot optional), or nullptr.
const TsigKey* find_key_in(const std::vector<TsigKey>& keys, std::string_view name);

// log: {level, target}.
void parse_log(const Field& field, LogConfig& out, Diagnostics& diag);

// server: {listen, workers, udp-max-payload, tcp-idle-timeout, tcp-max-connections} and the
// traffic limits below.
void parse_server(const Field& field, ServerConfig& out, Diagnostics& diag);

// The traffic-limit keys of server: (tcp-max-connections-per-client, tcp-io-timeout,
// rate-limit*), read from the mapping parse_server has checked.
void parse_server_limits(const MapFields& map, ServerConfig& out, Diagnostics& diag);

// keys: [{name, algorithm, secret}]; names must be unique (as TSIG names, case-insensitive).
void parse_keys(const Field& field, std::vector<TsigKey>& out, Diagnostics& diag);

// remotes: [{id, address, key}]; ids unique, key must name one of keys.
void parse_remotes(const Field& field, const std::vector<TsigKey>& keys, std::vector<Remote>& out,
                   Diagnostics& diag);

// zones: [...]; names unique; references checked against config.keys and config.remotes, which
// must already be parsed.
void parse_zones(const Field& field, const Config& config, std::vector<ZoneConfig>& out,
                 Diagnostics& diag);

}  // namespace tidal::config::detail
