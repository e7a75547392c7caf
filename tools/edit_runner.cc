// Local and remote execution of tidalctl edits (record add | del | set, apply FILE).
#include "tools/edit_runner.h"

#include <iostream>

#include "core/dns/name.h"
#include "tools/remote_update.h"

namespace tidal::ctl {

namespace {

// The deepest stored zone that holds name.
Result<std::optional<store::ZoneInfo>> enclosing_zone(store::ZoneStore& store,
                                                      std::string_view name) {
    auto zones = store.list_zones();
    if (!zones) {
        return zones.error();
    }
    std::optional<store::ZoneInfo> best;
    for (store::ZoneInfo& zone : zones.value()) {
        if (dns::name_is_subdomain(name, zone.name) &&
            (!best || zone.name.size() > best->name.size())) {
            best = std::move(zone);
        }
    }
    return best;
}

int run_local(const Context& ctx, const std::vector<zone::EditLine>& lines,
              const std::optional<std::string>& zone) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto store = open_store_rw(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    std::string apex;
    if (zone) {
        auto found = store.value()->find_zone(*zone);
        if (!found) {
            return fail(kExitFailure, found.error().message);
        }
        if (!found.value()) {
            return fail(kExitFailure,
                        "no zone " + dns::name_to_text(*zone) + " in " + config->database);
        }
        apex = found.value()->name;
    } else {
        auto found = enclosing_zone(*store.value(), lines.front().owner);
        if (!found) {
            return fail(kExitFailure, found.error().message);
        }
        if (!found.value()) {
            return fail(kExitFailure, "no zone in " + config->database + " holds " +
                                          dns::name_to_text(lines.front().owner));
        }
        apex = found.value()->name;
    }
    const std::string zone_text = dns::name_to_text(apex);
    const config::ZoneConfig* zone_config = config->find_zone(apex);
    if (zone_config != nullptr && zone_config->role == config::ZoneRole::Secondary) {
        return fail(kExitUsage, "zone " + zone_text + " is a secondary in " + ctx.config_path +
                                    ": its next transfer would undo local edits; edit it on " +
                                    "its primary (--server)");
    }
    auto script = zone::script_from_lines(lines, apex);
    if (!script) {
        return fail(kExitUsage, script.error().message);
    }
    const zone::SerialPolicy policy =
        zone_config != nullptr ? zone_config->serial_policy : zone::SerialPolicy::Increment;
    auto outcome = store.value()->apply_edits(script.value(), policy);
    if (!outcome) {
        return fail(kExitFailure, outcome.error().message);
    }
    if (!outcome->update.zone_found) {
        return fail(kExitFailure, "zone " + zone_text + " not found in " + config->database);
    }
    if (outcome->rejection) {
        const bool usage = outcome->rejection->kind == zone::Rejection::Kind::Invalid;
        return fail(usage ? kExitUsage : kExitFailure,
                    outcome->rejection->message + "; nothing was changed");
    }
    std::cout << "zone " << zone_text << " serial " << outcome->update.serial_after
              << (outcome->update.applied ? "" : " (nothing changed)") << '\n';
    return kExitOk;
}

int run_remote(const Context& ctx, const std::vector<zone::EditLine>& lines,
               const std::optional<std::string>& zone) {
    auto target = remote_target(ctx);
    if (!target) {
        return fail(kExitUsage, target.error().message);
    }
    std::string apex;
    if (zone) {
        apex = *zone;
    } else {
        auto found = discover_zone(target.value(), lines.front().owner);
        if (!found) {
            return fail(kExitFailure, found.error().message);
        }
        apex = found.value();
    }
    auto script = zone::script_from_lines(lines, apex);
    if (!script) {
        return fail(kExitUsage, script.error().message);
    }
    return send_update(target.value(), script.value());
}

}  // namespace

Result<std::optional<std::string>> origin_from_zone_arg(const std::string& zone_arg) {
    if (zone_arg.empty()) {
        return std::optional<std::string>();
    }
    auto zone = zone_name_from_arg(zone_arg);
    if (!zone) {
        return Error{"--zone: " + zone.error().message};
    }
    return std::optional<std::string>(std::move(zone.value()));
}

int run_edits(const Context& ctx, const std::vector<zone::EditLine>& lines,
              const std::optional<std::string>& zone) {
    if (lines.empty()) {
        return fail(kExitUsage, "no edits given");
    }
    if (!ctx.server.empty()) {
        return run_remote(ctx, lines, zone);
    }
    if (!ctx.key.empty()) {
        return fail(kExitUsage, "--key is for --server: local edits write the database directly");
    }
    return run_local(ctx, lines, zone);
}

}  // namespace tidal::ctl
