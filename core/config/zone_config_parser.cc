// Parser for the zones: section: names, roles, policies, and every reference to keys and remotes.
#include <charconv>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>

#include "core/config/config_parser.h"
#include "core/config/config_values.h"
#include "core/dns/name.h"

namespace tidal::config::detail {

namespace {

const Remote* find_remote_in(const std::vector<Remote>& remotes, std::string_view id) {
    for (const Remote& remote : remotes) {
        if (remote.id == id) {
            return &remote;
        }
    }
    return nullptr;
}

// Reports an entry listed twice in one list; returns true when item.text was seen before.
bool is_repeated(const std::vector<std::string>& earlier, const ListItem& item, const Field& field,
                 Diagnostics& diag) {
    for (const std::string& seen : earlier) {
        if (seen == item.text) {
            diag.add(item.mark, "'" + field.path + "': '" + item.text + "' is listed twice");
            return true;
        }
    }
    return false;
}

// notify:, primaries:, allow-notify: every entry must be a remote id.
std::vector<std::string> read_remote_list(const Field& field, const Config& config,
                                          Diagnostics& diag) {
    std::vector<std::string> out;
    for (const ListItem& item : read_string_list(field, diag)) {
        if (find_remote_in(config.remotes, item.text) == nullptr) {
            diag.add(item.mark,
                     "'" + field.path + "': no remote with id '" + item.text + "' in remotes:");
        } else if (!is_repeated(out, item, field, diag)) {
            out.push_back(item.text);
        }
    }
    return out;
}

// allow-transfer:, allow-update: each entry is a remote id, a key name or a CIDR prefix.
std::vector<std::string> read_acl_list(const Field& field, const Config& config,
                                       Diagnostics& diag) {
    std::vector<std::string> out;
    for (const ListItem& item : read_string_list(field, diag)) {
        const bool is_remote = find_remote_in(config.remotes, item.text) != nullptr;
        const bool is_key = find_key_in(config.keys, item.text) != nullptr;
        if (is_remote && is_key) {
            // Refused rather than guessed: a remote pins an address, a key does not.
            diag.add(item.mark, "'" + field.path + "': '" + item.text +
                                    "' names both a remote and a key; rename one of them");
            continue;
        }
        if (!is_remote && !is_key) {
            if (item.text.find('/') != std::string::npos) {
                auto prefix = parse_prefix(item.text);
                if (!prefix.ok()) {
                    diag.add(item.mark, "'" + field.path + "': " + prefix.error().message);
                    continue;
                }
            } else {
                std::string hint;
                if (item.text.find_first_not_of("0123456789.") == std::string::npos) {
                    hint = " (write " + item.text + "/32 for a single address)";
                } else if (item.text.find(':') != std::string::npos) {
                    hint = " (write " + item.text + "/128 for a single address)";
                }
                diag.add(item.mark, "'" + field.path + "': '" + item.text +
                                        "' is not a remote id, a key name or a CIDR prefix" + hint);
                continue;
            }
        }
        if (!is_repeated(out, item, field, diag)) {
            out.push_back(item.text);
        }
    }
    return out;
}

// A key whose value is one of a few words: sets out to the value of the word given, or reports
// the words it may be ("must be a, b or c, not 'x'").
template <typename Enum>
void read_choice(const Field& field, std::initializer_list<std::pair<const char*, Enum>> choices,
                 Enum& out, Diagnostics& diag) {
    const auto text = read_scalar(field, diag);
    if (!text) {
        return;
    }
    std::string words;
    size_t index = 0;
    for (const auto& [word, value] : choices) {
        if (*text == word) {
            out = value;
            return;
        }
        words += index == 0 ? "" : (index + 1 == choices.size() ? " or " : ", ");
        words += word;
        ++index;
    }
    diag.add(field.mark(), "'" + field.path + "' must be " + words + ", not '" + *text + "'");
}

// Fills one zone; returns false when its name is missing or invalid (the zone is then dropped).
bool parse_zone(const MapFields& map, const Config& config, ZoneConfig& zone, Diagnostics& diag) {
    bool named = false;
    if (const Field* name = map.find("name")) {
        if (auto text = read_scalar(*name, diag)) {
            auto wire = dns::name_from_text(*text);
            if (wire.ok()) {
                zone.name_wire = dns::name_lowered(wire.value());
                zone.name = dns::name_to_text(zone.name_wire);
                named = true;
            } else {
                diag.add(name->mark(), "'" + name->path + "': " + wire.error().message);
            }
        }
    } else {
        diag.add(map.mark(), "'" + map.path() + "' is missing the required key 'name'");
    }
    const Field* role = map.find("role");
    if (role != nullptr) {
        read_choice(*role, {{"primary", ZoneRole::Primary}, {"secondary", ZoneRole::Secondary}},
                    zone.role, diag);
    }
    if (const Field* notify = map.find("notify")) {
        zone.notify = read_remote_list(*notify, config, diag);
    }
    if (const Field* transfer = map.find("allow-transfer")) {
        zone.allow_transfer = read_acl_list(*transfer, config, diag);
    }
    if (const Field* update = map.find("allow-update")) {
        zone.allow_update = read_acl_list(*update, config, diag);
    }
    const Field* primaries = map.find("primaries");
    if (primaries != nullptr) {
        zone.primaries = read_remote_list(*primaries, config, diag);
    }
    if (const Field* allow_notify = map.find("allow-notify")) {
        zone.allow_notify = read_remote_list(*allow_notify, config, diag);
    } else if (zone.role == ZoneRole::Secondary) {
        zone.allow_notify = zone.primaries;  // RFC 1996 §3.10: accept NOTIFY from the masters
    }
    if (const Field* policy = map.find("serial-policy")) {
        read_choice(*policy,
                    {{"increment", SerialPolicy::Increment},
                     {"unixtime", SerialPolicy::UnixTime},
                     {"dateserial", SerialPolicy::DateSerial}},
                    zone.serial_policy, diag);
    }
    if (const Field* staleness = map.find("max-staleness")) {
        if (auto text = read_scalar(*staleness, diag)) {
            auto duration = parse_duration(*text);
            if (duration.ok()) {
                zone.max_staleness = duration.value();
            } else {
                diag.add(staleness->mark(),
                         "'" + staleness->path + "': " + duration.error().message);
            }
        }
    }
    if (const Field* policy = map.find("stale-policy")) {
        read_choice(*policy, {{"refuse", StalePolicy::Refuse}, {"serve", StalePolicy::Serve}},
                    zone.stale_policy, diag);
    }
    const std::pair<const char*, std::chrono::seconds*> timers[] = {
        {"refresh", &zone.refresh}, {"retry", &zone.retry}, {"expire", &zone.expire}};
    for (const auto& [key, target] : timers) {
        if (const Field* timer = map.find(key)) {
            if (auto text = read_scalar(*timer, diag)) {
                auto duration = parse_duration(*text);
                if (!duration.ok()) {
                    diag.add(timer->mark(), "'" + timer->path + "': " + duration.error().message);
                } else if (duration.value().count() == 0 ||
                           duration.value().count() > std::numeric_limits<int32_t>::max()) {
                    // RFC 1982 / RFC 2181 §8: SOA timers are 32-bit, at most 2^31 - 1 seconds.
                    diag.add(timer->mark(),
                             "'" + timer->path + "' must be between 1s and " +
                                 std::to_string(std::numeric_limits<int32_t>::max()) + "s");
                } else {
                    *target = duration.value();
                }
            }
        }
    }
    const Field* transfer_sync = map.find("transfer-sync");
    if (transfer_sync != nullptr) {
        read_choice(*transfer_sync,
                    {{"normal", TransferSync::Normal}, {"full", TransferSync::Full}},
                    zone.transfer_sync, diag);
    }
    if (const Field* changes = map.find("journal-max-changes")) {
        if (auto text = read_scalar(*changes, diag)) {
            uint64_t count = 0;
            const auto [end, error] =
                std::from_chars(text->data(), text->data() + text->size(), count);
            if (error != std::errc() || end != text->data() + text->size() || count == 0) {
                diag.add(changes->mark(), "'" + changes->path +
                                              "' must be a whole number of changes, at least 1, "
                                              "not '" +
                                              *text + "'");
            } else {
                zone.journal_max_changes = count;
            }
        }
    }
    if (const Field* size = map.find("journal-max-size")) {
        if (auto text = read_scalar(*size, diag)) {
            auto bytes = parse_size(*text);
            if (!bytes.ok()) {
                diag.add(size->mark(), "'" + size->path + "': " + bytes.error().message);
            } else {
                zone.journal_max_size = bytes.value();
            }
        }
    }
    const std::string zone_label = named ? "zone '" + zone.name + "'" : "'" + map.path() + "'";
    if (zone.role == ZoneRole::Secondary && primaries == nullptr) {
        diag.add(
            role != nullptr ? role->mark() : map.mark(),
            zone_label + " is a secondary and needs 'primaries' (remote ids to transfer from)");
    } else if (zone.role == ZoneRole::Secondary && primaries != nullptr &&
               (primaries->value.IsNull() ||
                (primaries->value.IsSequence() && primaries->value.size() == 0))) {
        diag.add(primaries->mark(), "'" + primaries->path + "' must name at least one remote");
    } else if (zone.role == ZoneRole::Primary && primaries != nullptr) {
        diag.add(primaries->key.Mark(),
                 zone_label +
                     " is a primary and must not have 'primaries' (set role: secondary "
                     "to transfer it from them)");
    }
    if (zone.role == ZoneRole::Primary && transfer_sync != nullptr) {
        diag.add(transfer_sync->key.Mark(),
                 zone_label +
                     " is a primary: 'transfer-sync' is for secondaries (a primary's own "
                     "changes are always synced before they are acknowledged)");
    }
    return named;
}

}  // namespace

void parse_zones(const Field& field, const Config& config, std::vector<ZoneConfig>& out,
                 Diagnostics& diag) {
    if (field.value.IsNull()) {
        return;
    }
    if (!field.value.IsSequence()) {
        diag.add(field.mark(), "'" + field.path + "' must be a list, not " +
                                   std::string(describe_node(field.value)));
        return;
    }
    for (size_t i = 0; i < field.value.size(); ++i) {
        const std::string path = field.path + "[" + std::to_string(i) + "]";
        const MapFields map(
            field.value[i], path, field.mark(),
            {"name", "role", "notify", "allow-transfer", "allow-update", "serial-policy",
             "max-staleness", "stale-policy", "primaries", "allow-notify", "refresh", "retry",
             "expire", "journal-max-changes", "journal-max-size", "transfer-sync"},
            diag);
        if (!map.is_map()) {
            continue;
        }
        ZoneConfig zone;
        if (!parse_zone(map, config, zone, diag)) {
            continue;
        }
        bool duplicate = false;
        for (const ZoneConfig& earlier : out) {
            duplicate = duplicate || earlier.name_wire == zone.name_wire;
        }
        if (duplicate) {
            diag.add(map.find("name")->mark(),
                     "'" + path + ".name': zone '" + zone.name + "' is defined twice");
            continue;
        }
        out.push_back(std::move(zone));
    }
}

}  // namespace tidal::config::detail
