// tidalctl status and tidalctl wait: replication state and read-your-writes for editors.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>
#include <sstream>
#include <thread>

#include "core/config/config_values.h"
#include "core/dns/name.h"
#include "core/tsig/tsig_key.h"
#include "core/util/wall_clock.h"
#include "core/xfr/transfer_client.h"
#include "core/zone/serial_arith.h"
#include "tools/commands.h"

namespace tidal::ctl {

namespace {

using std::chrono::milliseconds;

// A server whose SOA serial status and wait look at: this host's tidald or a secondary.
struct Target {
    std::string name;  // "local" or the remote's id
    xfr::Endpoint endpoint;
    const tsig::Key* key = nullptr;
};

// "3 s ago", "in 2 m 5 s": durations as an operator reads them.
std::string span(int64_t ms) {
    const int64_t s = (ms < 0 ? -ms : ms) / 1000;
    std::ostringstream out;
    if (s >= 86400) {
        out << s / 86400 << " d " << (s % 86400) / 3600 << " h";
    } else if (s >= 3600) {
        out << s / 3600 << " h " << (s % 3600) / 60 << " m";
    } else if (s >= 60) {
        out << s / 60 << " m " << s % 60 << " s";
    } else if (ms != 0 && s == 0) {
        out << (ms < 0 ? -ms : ms) << " ms";
    } else {
        out << s << " s";
    }
    return out.str();
}

std::string ago(int64_t then_ms, int64_t now_ms) {
    return then_ms == 0 ? "never" : span(now_ms - then_ms) + " ago";
}

std::string in(int64_t at_ms, int64_t now_ms) {
    return at_ms <= now_ms ? span(now_ms - at_ms) + " ago" : "in " + span(at_ms - now_ms);
}

std::string bytes_text(uint64_t bytes) {
    char text[32];
    if (bytes >= (uint64_t(1) << 20)) {
        std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / double(1 << 20));
    } else if (bytes >= 1024) {
        std::snprintf(text, sizeof text, "%.1f KiB", double(bytes) / 1024.0);
    } else {
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    }
    return text;
}

// The servers that should serve the zone: this host's tidald, then the zone's notify remotes
// (its secondaries, as the primary's configuration names them).
std::vector<Target> targets_of(const config::Config& config, const config::ZoneConfig* zone,
                               const tsig::KeyRing& keys) {
    std::vector<Target> targets;
    if (auto local = xfr::Endpoint::local_server(config)) {
        targets.push_back(Target{"local", *local, nullptr});
    }
    if (zone == nullptr) {
        return targets;
    }
    for (const std::string& id : zone->notify) {
        if (const config::Remote* remote = config.find_remote(id)) {
            targets.push_back(
                Target{id, xfr::Endpoint::from_remote(*remote),
                       remote->key.empty() ? nullptr : keys.find_configured(remote->key)});
        }
    }
    return targets;
}

// The serial the target serves now, or the reason it could not say.
Result<uint32_t> served_serial(const Target& target, const std::string& apex, milliseconds wait) {
    return xfr::query_soa_serial(target.endpoint, apex, target.key, wait);
}

// How long ago the first change a server lacks was committed: the journal entry that starts at
// the serial it serves. nullopt when the journal does not reach back that far.
std::optional<int64_t> lag_ms(store::ZoneStore& store, const std::string& apex, uint32_t serial,
                              int64_t now_ms) {
    auto chain = store.read_journal(apex, serial);
    if (!chain || !chain.value() || chain.value()->empty()) {
        return std::nullopt;
    }
    return now_ms - chain.value()->front().time * 1000;
}

void print_primary_peers(std::ostream& out, store::ZoneStore& store, const store::ZoneInfo& info,
                         const std::vector<Target>& targets, bool query, int64_t now) {
    auto peers = store.transfer_peers(info.name);
    for (const Target& target : targets) {
        if (target.name == "local") {
            continue;
        }
        out << "  secondary " << target.name << " (" << target.endpoint.to_string() << "): ";
        if (query) {
            auto serial = served_serial(target, info.name, milliseconds(1000));
            if (!serial) {
                out << "not answering (" << serial.error().message << ")";
            } else if (serial.value() == info.serial) {
                out << "serves " << serial.value() << ", in step";
            } else {
                out << "serves " << serial.value() << ", " << (info.serial - serial.value())
                    << " changes behind";
                if (auto lag = lag_ms(store, info.name, serial.value(), now)) {
                    out << ", lagging " << span(*lag);
                }
            }
        } else {
            out << "not queried";
        }
        out << '\n';
    }
    if (!peers) {
        return;
    }
    for (const store::TransferPeer& peer : peers.value()) {
        out << "  last " << peer.kind << " to " << peer.peer;
        if (!peer.key.empty()) {
            out << " (key " << peer.key << ")";
        }
        if (peer.serial_asked) {
            out << ": asked from serial " << *peer.serial_asked << ",";
        } else {
            out << ":";
        }
        out << " sent serial " << peer.serial_sent << ", " << ago(peer.time, now) << '\n';
    }
}

void print_secondary_state(std::ostream& out, store::ZoneStore& store,
                           const config::ZoneConfig& zone, const store::ZoneInfo& info,
                           int64_t now) {
    auto state = store.sync_state(info.name);
    if (!state || !state.value()) {
        out << "  no replication state yet (tidal-sync has not checked this zone)\n";
        return;
    }
    const store::SyncState& s = *state.value();
    out << "  primary " << (s.primary_used.empty() ? "-" : s.primary_used) << " serial "
        << (s.primary_serial ? std::to_string(*s.primary_serial) : "-");
    if (s.primary_serial && *s.primary_serial == info.serial) {
        out << " (in step)";
    } else if (s.primary_serial && zone::serial_gt(*s.primary_serial, info.serial)) {
        out << " (behind)";
    }
    out << '\n';
    out << "  last confirmed current " << ago(s.last_success, now) << ", last attempt "
        << ago(s.last_attempt, now);
    if (s.refresh_at != 0) {
        out << ", next check " << in(s.retry_at != 0 ? s.retry_at : s.refresh_at, now);
    }
    out << '\n';
    if (zone.max_staleness.count() > 0) {
        const int64_t bound = zone.max_staleness.count() * 1000;
        const int64_t stale_at = s.last_success != 0 ? s.last_success + bound : 0;
        out << "  staleness " << (s.last_success != 0 ? span(now - s.last_success) : "unknown")
            << " of max " << span(bound) << " ("
            << (zone.stale_policy == config::StalePolicy::Refuse ? "refuse" : "serve") << "): ";
        if (stale_at == 0 || stale_at <= now) {
            out << "STALE";
        } else {
            out << "fresh, stale " << in(stale_at, now);
        }
        out << '\n';
    }
    if (s.expired || (s.expire_at != 0 && s.expire_at <= now)) {
        out << "  EXPIRED: not served (SERVFAIL) until a primary answers\n";
    } else if (s.expire_at != 0) {
        out << "  expires " << in(s.expire_at, now) << '\n';
    }
    if (!s.last_error.empty()) {
        out << "  last error: " << s.last_error << '\n';
    }
}

int status(const Context& ctx, const std::string& zone_arg, bool query) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    std::optional<std::string> only;
    if (!zone_arg.empty()) {
        auto apex = zone_name_from_arg(zone_arg);
        if (!apex) {
            return fail(kExitUsage, apex.error().message);
        }
        only = apex.value();
    }
    auto store = open_store_ro(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);
    }
    if (!store.value()) {
        return fail(kExitFailure, "database " + config->database + " does not exist yet");
    }
    auto keys = tsig::KeyRing::from_config(config.value());
    if (!keys) {
        return fail(kExitUsage, keys.error().message);
    }
    auto zones = store.value()->list_zones();
    if (!zones) {
        return fail(kExitFailure, zones.error().message);
    }
    const int64_t now = wall_clock_ms();
    bool found = false;
    for (const store::ZoneInfo& info : zones.value()) {
        if (only && *only != info.name) {
            continue;
        }
        found = true;
        const config::ZoneConfig* zone = config->find_zone(info.name);
        const std::string role = zone_role(config.value(), info.name);
        std::cout << dns::name_to_text(info.name) << "  " << role << "  serial " << info.serial;
        if (zone == nullptr) {
            std::cout << "  (not in the configuration: not served)";
        }
        std::cout << '\n';
        const auto targets = targets_of(config.value(), zone, *keys.value());
        if (query && !targets.empty() && targets.front().name == "local") {
            auto serial = served_serial(targets.front(), info.name, milliseconds(1000));
            std::cout << "  tidald (" << targets.front().endpoint.to_string() << "): ";
            if (!serial) {
                std::cout << "not answering (" << serial.error().message << ")\n";
            } else {
                std::cout << "serves " << serial.value()
                          << (serial.value() == info.serial ? "" : " (not yet the stored serial)")
                          << '\n';
            }
        }
        if (auto usage = store.value()->journal_usage(info.name)) {
            std::cout << "  journal " << usage->changes << " changes, " << bytes_text(usage->bytes)
                      << " (keeps " << usage->limits.max_changes << ", "
                      << bytes_text(usage->limits.max_size) << ")";
            if (usage->oldest_serial) {
                std::cout << ", IXFR from serial " << *usage->oldest_serial;
            }
            std::cout << '\n';
        }
        if (zone != nullptr && zone->role == config::ZoneRole::Secondary) {
            print_secondary_state(std::cout, *store.value(), *zone, info, now);
        }
        print_primary_peers(std::cout, *store.value(), info, targets, query, now);
    }
    if (only && !found) {
        return fail(kExitFailure,
                    "zone " + dns::name_to_text(*only) + " is not in " + config->database);
    }
    return kExitOk;
}

int wait_for(const Context& ctx, const std::string& zone_arg, const std::optional<uint32_t>& want,
             const std::string& timeout_text) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    auto apex = zone_name_from_arg(zone_arg);
    if (!apex) {
        return fail(kExitUsage, apex.error().message);
    }
    auto timeout = config::parse_duration(timeout_text);
    if (!timeout) {
        return fail(kExitUsage, "--timeout: " + timeout.error().message);
    }
    auto keys = tsig::KeyRing::from_config(config.value());
    if (!keys) {
        return fail(kExitUsage, keys.error().message);
    }
    uint32_t serial = 0;
    if (want) {
        serial = *want;
    } else {
        // Default: the serial this host's database holds now (the edit just made here).
        auto store = open_store_ro(config.value());
        if (!store || !store.value()) {
            return fail(kExitFailure, store ? "database " + config->database + " does not exist"
                                            : store.error().message);
        }
        auto info = store.value()->find_zone(apex.value());
        if (!info || !info.value()) {
            return fail(kExitFailure, "zone " + dns::name_to_text(apex.value()) + " is not in " +
                                          config->database + " (give --serial)");
        }
        serial = info.value()->serial;
    }
    const auto targets = targets_of(config.value(), config->find_zone(apex.value()), *keys.value());
    if (targets.empty()) {
        return fail(kExitUsage, "nothing to wait for: no listen address and no notify remotes");
    }
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + timeout.value();
    std::vector<bool> done(targets.size(), false);
    std::vector<std::string> last(targets.size(), "not asked yet");
    // Bounded: every round waits at most ~1 s per target plus 20 ms, until the deadline.
    while (true) {
        bool all = true;
        for (size_t i = 0; i < targets.size(); ++i) {
            if (done[i]) {
                continue;
            }
            auto got = served_serial(targets[i], apex.value(), milliseconds(500));
            if (got && (got.value() == serial || zone::serial_gt(got.value(), serial))) {
                done[i] = true;  // RFC 1982: the same or a newer serial
                continue;
            }
            all = false;
            last[i] = got ? "serves " + std::to_string(got.value()) : got.error().message;
        }
        const auto now = std::chrono::steady_clock::now();
        if (all) {
            const double seconds = std::chrono::duration<double>(now - started).count();
            std::cout << dns::name_to_text(apex.value()) << " serial " << serial
                      << " is served by all " << targets.size() << " servers (" << seconds
                      << " s)\n";
            return kExitOk;
        }
        if (now >= deadline) {
            std::cerr << "tidalctl: timed out after " << timeout_text << " waiting for "
                      << dns::name_to_text(apex.value()) << " serial " << serial << ":\n";
            for (size_t i = 0; i < targets.size(); ++i) {
                if (!done[i]) {
                    std::cerr << "  " << targets[i].name << " (" << targets[i].endpoint.to_string()
                              << "): " << last[i] << '\n';
                }
            }
            return kExitFailure;
        }
        std::this_thread::sleep_for(milliseconds(20));
    }
}

}  // namespace

void add_status_commands(CLI::App& app, Context& ctx) {
    CLI::App* status_cmd = app.add_subcommand(
        "status",
        "Per zone: role, serial, journal, replication state and staleness; on a primary, what "
        "each secondary serves and its lag");
    auto zone = std::make_shared<std::string>();
    auto no_query = std::make_shared<bool>(false);
    status_cmd->add_option("ZONE", *zone, "Only this zone");
    status_cmd->add_flag("--no-query", *no_query,
                         "Do not ask the servers for their serials (database only)");
    status_cmd->callback([&ctx, zone, no_query] {
        ctx.run = [&ctx, zone, no_query] { return status(ctx, *zone, !*no_query); };
    });

    CLI::App* wait_cmd = app.add_subcommand(
        "wait",
        "Exit 0 once this host's tidald and every secondary in the zone's notify list serve the "
        "serial (default: the one in this host's database); 1 on timeout");
    auto wait_zone = std::make_shared<std::string>();
    auto serial = std::make_shared<uint32_t>(0);
    auto timeout = std::make_shared<std::string>("30s");
    wait_cmd->add_option("ZONE", *wait_zone, "Zone to wait for")->required();
    CLI::Option* serial_opt =
        wait_cmd->add_option("--serial", *serial, "Serial to wait for (RFC 1982: or newer)");
    wait_cmd->add_option("--timeout", *timeout, "How long to wait (30s, 2m, ...; default 30s)");
    wait_cmd->callback([&ctx, wait_zone, serial, timeout, serial_opt] {
        const std::optional<uint32_t> want =
            serial_opt->count() > 0 ? std::optional<uint32_t>(*serial) : std::nullopt;
        ctx.run = [&ctx, wait_zone, want, timeout] {
            return wait_for(ctx, *wait_zone, want, *timeout);
        };
    });
}

}  // namespace tidal::ctl
