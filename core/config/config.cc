// Loads the host's YAML configuration file and validates it into a Config (INTERFACE.md).
#include "core/config/config.h"

#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/config/config_parser.h"
#include "core/dns/name.h"

namespace tidal::config {

namespace {

using detail::Diagnostics;
using detail::Field;
using detail::MapFields;

// database: and control: are paths; an empty one is always a mistake.
void read_path(const MapFields& top, std::string_view key, std::string& out, Diagnostics& diag) {
    const Field* field = top.find(key);
    if (field == nullptr) {
        return;
    }
    if (auto text = detail::read_scalar(*field, diag)) {
        if (text->empty()) {
            diag.add(field->mark(), "'" + field->path + "' must not be empty");
        } else {
            out = *text;
        }
    }
}

void parse_root(const YAML::Node& root, Config& config, Diagnostics& diag) {
    const MapFields top(root, "", YAML::Mark(),
                        {"database", "control", "log", "server", "keys", "remotes", "zones"}, diag);
    if (!top.is_map()) {
        return;
    }
    read_path(top, "database", config.database, diag);
    read_path(top, "control", config.control, diag);
    if (const Field* log = top.find("log")) {
        detail::parse_log(*log, config.log, diag);
    }
    if (const Field* server = top.find("server")) {
        detail::parse_server(*server, config.server, diag);
    }
    // Sections are read in dependency order, whatever their order in the file.
    if (const Field* keys = top.find("keys")) {
        detail::parse_keys(*keys, config.keys, diag);
    }
    if (const Field* remotes = top.find("remotes")) {
        detail::parse_remotes(*remotes, config.keys, config.remotes, diag);
    }
    if (const Field* zones = top.find("zones")) {
        detail::parse_zones(*zones, config, config.zones, diag);
    }
}

}  // namespace

namespace detail {

const TsigKey* find_key_in(const std::vector<TsigKey>& keys, std::string_view name) {
    auto wire = dns::name_from_text(name);
    if (!wire.ok()) {
        return nullptr;
    }
    for (const TsigKey& key : keys) {
        if (dns::name_equal(key.name_wire, wire.value())) {
            return &key;
        }
    }
    return nullptr;
}

}  // namespace detail

const ZoneConfig* Config::find_zone(std::string_view name_wire) const {
    for (const ZoneConfig& zone : zones) {
        if (dns::name_equal(zone.name_wire, name_wire)) {
            return &zone;
        }
    }
    return nullptr;
}

const TsigKey* Config::find_key(std::string_view name) const {
    return detail::find_key_in(keys, name);
}

const Remote* Config::find_remote(std::string_view id) const {
    for (const Remote& remote : remotes) {
        if (remote.id == id) {
            return &remote;
        }
    }
    return nullptr;
}

Result<Config> parse_config(std::string_view yaml_text, const std::string& source) {
    Diagnostics diag(source);
    Config config;
    config.source = source;
    config.server.listen = {ListenAddress{"0.0.0.0", 53, false}, ListenAddress{"::", 53, true}};
    try {
        const YAML::Node root = YAML::Load(std::string(yaml_text));
        if (!root.IsNull()) {  // an empty file means every default
            parse_root(root, config, diag);
        }
    } catch (const YAML::ParserException& e) {
        diag.add(e.mark, "YAML syntax error: " + e.msg);
    } catch (const YAML::Exception& e) {
        diag.add(e.mark, "cannot read YAML: " + e.msg);
    }
    if (!diag.empty()) {
        return Error{diag.joined()};
    }
    return config;
}

Result<Config> load_config(const std::string& path) {
    const auto fail = [&](int error) {
        return Error{path + ": cannot read configuration: " + std::strerror(error)};
    };
    std::unique_ptr<std::FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "rb"),
                                                            &std::fclose);
    if (!file) {
        return fail(errno);
    }
    std::string text;
    char buffer[65536];
    size_t count = 0;
    while ((count = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) {
        text.append(buffer, count);
    }
    if (std::ferror(file.get()) != 0) {
        return fail(errno);  // e.g. EISDIR when path is a directory
    }
    return parse_config(text, path);
}

}  // namespace tidal::config
