// ZoneSetLoader: polls the store's data_version, recompiles changed zones, publishes a new set.
#include "core/snapshot/zone_set_loader.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>

#include "core/dns/name.h"
#include "core/snapshot/zone_compiler.h"
#include "core/snapshot/zone_patcher.h"
#include "core/snapshot/zone_set.h"
#include "core/store/schema.h"

namespace tidal::snapshot {

ZoneSetLoader::ZoneSetLoader(config::Config config, ZoneSetPublisher& publisher)
    : config_(std::move(config)), publisher_(publisher) {}

Status ZoneSetLoader::build_context() {
    auto context = std::make_shared<ServingContext>();
    context->database = config_.database;
    // One pool for the daemon's life while the database path stays (a reload keeps its
    // connections open).
    context->readers = current_context_ && current_context_->readers &&
                               current_context_->readers->database() == config_.database
                           ? current_context_->readers
                           : std::make_shared<store::ReaderPool>(config_.database);
    auto keys = tsig::KeyRing::from_config(config_);
    if (!keys) {
        return keys.error();
    }
    context->keys = std::move(keys.value());
    for (const config::ZoneConfig& zone : config_.zones) {
        ZonePolicy policy;
        policy.role = zone.role;
        auto transfer = acl::AccessList::compile(zone.allow_transfer, config_);
        if (!transfer) {
            return Error{"zone " + zone.name + ": allow-transfer: " + transfer.error().message};
        }
        policy.allow_transfer = std::move(transfer.value());
        auto notify = acl::AccessList::compile(zone.allow_notify, config_);
        if (!notify) {
            return Error{"zone " + zone.name + ": allow-notify: " + notify.error().message};
        }
        policy.allow_notify = std::move(notify.value());
        auto update = acl::AccessList::compile(zone.allow_update, config_);
        if (!update) {
            return Error{"zone " + zone.name + ": allow-update: " + update.error().message};
        }
        policy.allow_update = std::move(update.value());
        policy.serial_policy = zone.serial_policy;
        for (const std::string& id : zone.primaries) {
            if (const config::Remote* remote = config_.find_remote(id)) {
                policy.primaries.push_back(*remote);
            }
        }
        context->policies.emplace(zone.name_wire, std::move(policy));
    }
    context_ = std::move(context);
    return Status::success();
}

void ZoneSetLoader::publish_without_data() {
    store_.reset();
    std::vector<std::shared_ptr<const ZoneSnapshot>> zones;
    for (const config::ZoneConfig& zone : config_.zones) {
        zones.push_back(unloaded_zone(zone.name_wire));
    }
    current_ = std::make_shared<const ZoneSet>(std::move(zones), context_);
    current_context_ = context_;
    publisher_.publish(current_);
}

Status ZoneSetLoader::load_all() {
    if (Status status = build_context(); !status) {
        return status;
    }
    std::error_code ignored;
    if (!std::filesystem::exists(config_.database, ignored)) {
        // A fresh host: nothing imported or transferred yet. Serve what the configuration
        // names as not loaded (SERVFAIL) and pick the database up once it appears.
        spdlog::warn("database {} does not exist yet; serving no zone data until it does",
                     config_.database);
        publish_without_data();
        return Status::success();
    }
    auto store = store::ZoneStore::open(config_.database, store::ZoneStore::Mode::ReadOnly);
    if (!store && store.error().message.find(store::kAwaitingMigration) != std::string::npos) {
        // Another process is creating the database right now: wait for it like for a missing
        // file (refresh() tries again, many times a second: say it once).
        if (!awaiting_migration_) {
            spdlog::info(
                "database {} is being created or migrated by another process; waiting "
                "for it",
                config_.database);
            awaiting_migration_ = true;
        }
        publish_without_data();
        return Status::success();
    }
    if (!store) {
        return store.error();
    }
    awaiting_migration_ = false;
    store_ = std::move(store.value());
    return rebuild(true);
}

Result<bool> ZoneSetLoader::refresh() {
    if (!store_) {
        std::error_code ignored;
        if (!std::filesystem::exists(config_.database, ignored)) {
            return false;
        }
        Status status = load_all();
        if (!status) {
            return status.error();
        }
        return true;
    }
    if (trim_heap_at_ && std::chrono::steady_clock::now() >= *trim_heap_at_) {
        // The workers have moved to the set published at the last full compile by now (they
        // switch at their next batch, and at least every second when idle): hand the old
        // snapshot's freed heap memory (node and index chunks) back to the system instead of
        // keeping it resident.
        trim_heap_at_.reset();
        malloc_trim(0);
    }
    auto version = store_->data_version();
    if (!version) {
        return version.error();
    }
    if (version.value() == data_version_) {
        return false;
    }
    Status status = rebuild(false);
    if (!status) {
        return status.error();
    }
    return true;
}

Status ZoneSetLoader::reconfigure(config::Config config) {
    const bool database_changed = config.database != config_.database;
    config_ = std::move(config);
    if (Status status = build_context(); !status) {
        return status;
    }
    if (database_changed || !store_) {
        return load_all();
    }
    return rebuild(false);
}

Result<FreshnessMap> ZoneSetLoader::read_freshness() {
    FreshnessMap freshness;
    bool any_secondary = false;
    for (const config::ZoneConfig& zone : config_.zones) {
        any_secondary = any_secondary || zone.role == config::ZoneRole::Secondary;
    }
    if (!any_secondary) {
        return freshness;  // a primary is current by definition: nothing to read
    }
    auto states = store_->sync_states();
    if (!states) {
        return states.error();
    }
    for (const config::ZoneConfig& zone : config_.zones) {
        if (zone.role != config::ZoneRole::Secondary) {
            continue;
        }
        const store::SyncState* state = nullptr;
        for (const store::SyncState& candidate : states.value()) {
            if (candidate.zone == zone.name_wire) {
                state = &candidate;
            }
        }
        ZoneFreshness f;
        f.serve_stale = zone.stale_policy == config::StalePolicy::Serve;
        if (zone.max_staleness.count() > 0) {
            // Never confirmed current (no state, or no success yet): stale from the start.
            const int64_t confirmed = state != nullptr ? state->last_success : 0;
            f.stale_at = confirmed > 0
                             ? confirmed + std::chrono::duration_cast<std::chrono::milliseconds>(
                                               zone.max_staleness)
                                               .count()
                             : 1;
        }
        if (state != nullptr) {
            f.expire_at = state->expire_at;
            f.expired = state->expired;
        }
        if (f.bounded()) {
            freshness.emplace(zone.name_wire, f);
        }
    }
    return freshness;
}

std::shared_ptr<const ZoneSnapshot> ZoneSetLoader::patch(const ZoneSnapshot& previous) {
    // Past this many changed names, reading the whole zone is about as cheap as reading them one
    // by one.
    const size_t max_names = std::max<size_t>(256, previous.node_count() / 16);
    auto delta = store_->read_zone_delta(previous.apex(), previous.serial(), max_names);
    if (!delta) {
        spdlog::warn("zone {}: reading its changes failed ({}); loading it whole",
                     dns::name_to_text(previous.apex()), delta.error().message);
        return nullptr;
    }
    if (!delta.value()) {
        return nullptr;  // the journal does not reach back, or too much changed
    }
    auto patched = patch_zone(previous, *delta.value());
    return patched ? std::move(*patched) : nullptr;
}

Status ZoneSetLoader::rebuild(bool force_all) {
    auto version = store_->data_version();
    if (!version) {
        return version.error();
    }
    auto listed = store_->list_zones();
    if (!listed) {
        return listed.error();
    }

    // Served: every zone in the database, plus configured zones not (yet) there, which answer
    // SERVFAIL until their data arrives (as Knot does for a zone that failed to load).
    std::map<std::string, store::ZoneInfo> wanted;
    for (store::ZoneInfo& info : listed.value()) {
        wanted.emplace(info.name, std::move(info));
    }

    std::vector<std::shared_ptr<const ZoneSnapshot>> zones;
    bool changed = force_all || !current_;
    for (const auto& [apex, info] : wanted) {
        std::shared_ptr<const ZoneSnapshot> previous = current_ ? current_->zone(apex) : nullptr;
        if (!force_all && previous && previous->loaded() && previous->serial() == info.serial &&
            previous->store_id() == info.id) {
            zones.push_back(std::move(previous));
            continue;
        }
        changed = true;
        const auto started = std::chrono::steady_clock::now();
        if (!force_all && previous && previous->loaded() && previous->store_id() == info.id) {
            auto patched = patch(*previous);
            if (patched) {
                const auto elapsed = std::chrono::duration<double, std::milli>(
                    std::chrono::steady_clock::now() - started);
                spdlog::info("zone {} updated, serial {} -> {}, {:.2f} ms", dns::name_to_text(apex),
                             previous->serial(), patched->serial(), elapsed.count());
                zones.push_back(std::move(patched));
                continue;
            }
        }
        auto contents = store_->read_zone(apex);
        Result<std::shared_ptr<const ZoneSnapshot>> snapshot =
            contents ? compile_zone(contents.value())
                     : Result<std::shared_ptr<const ZoneSnapshot>>(contents.error());
        if (!snapshot) {
            spdlog::error("zone {} not loaded: {}", dns::name_to_text(apex),
                          snapshot.error().message);
            // Keep serving the last good copy rather than failing every query.
            zones.push_back(previous ? std::move(previous) : unloaded_zone(apex));
            continue;
        }
        const auto elapsed =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started);
        spdlog::info("zone {} loaded, serial {}, {} names, {:.1f} ms", dns::name_to_text(apex),
                     snapshot.value()->serial(), snapshot.value()->node_count(), elapsed.count());
        zones.push_back(std::move(snapshot.value()));
        if (previous != nullptr) {
            trim_heap_at_ = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        }
    }
    for (const config::ZoneConfig& zone : config_.zones) {
        if (wanted.count(zone.name_wire) == 0) {
            if (!current_ || !current_->zone(zone.name_wire)) {
                spdlog::warn("zone {} is configured but has no data in {}: answering SERVFAIL",
                             zone.name, config_.database);
                changed = true;
            }
            zones.push_back(unloaded_zone(zone.name_wire));
        }
    }
    if (current_ && current_->zones().size() != zones.size()) {
        changed = true;
    }
    auto freshness = read_freshness();
    if (!freshness) {
        return freshness.error();
    }
    if (current_ && current_->freshness_map() != freshness.value()) {
        changed = true;
    }
    data_version_ = version.value();
    if (changed || current_context_ != context_) {
        current_ = std::make_shared<const ZoneSet>(std::move(zones), context_,
                                                   std::move(freshness.value()));
        current_context_ = context_;
        publisher_.publish(current_);
    }
    return Status::success();
}

}  // namespace tidal::snapshot
