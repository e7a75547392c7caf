// run_refresh: the primaries in order; the first that answers decides. IXFR failures fall back to
// AXFR by themselves; the replication state is saved whatever happens, for tidald and restarts.
#include "zone-sync/refresh_job.h"

#include <algorithm>
#include <chrono>

#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/xfr/transfer_client.h"
#include "core/zone/serial_arith.h"
#include "core/zone/soa_rdata.h"

namespace tidal::sync {

namespace {

int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// REFRESH, RETRY, EXPIRE are the 2nd-4th of the five 32-bit fields ending SOA rdata; the
// configuration's refresh/retry/expire override them.
SoaTimers timers_of(const Record& soa, const RefreshRequest& request) {
    using zone::SoaField;
    SoaTimers timers = request.fallback;
    const auto refresh = zone::soa_field(soa.rdata, SoaField::Refresh);
    const auto retry = zone::soa_field(soa.rdata, SoaField::Retry);
    const auto expire = zone::soa_field(soa.rdata, SoaField::Expire);
    if (refresh && retry && expire) {
        timers = SoaTimers{*refresh, *retry, *expire};
    }
    const SoaTimers& o = request.overrides;
    return SoaTimers{o.refresh != 0 ? o.refresh : timers.refresh,
                     o.retry != 0 ? o.retry : timers.retry,
                     o.expire != 0 ? o.expire : timers.expire};
}

// Seconds the copy may be kept from now (RFC 7314 §4): the EDNS EXPIRE the primary gave, never
// more than our SOA EXPIRE. After a transfer it is taken as given; after an SOA check that found
// the copy current it may only extend the deadline we had (a secondary upstream that has not
// refreshed lately must not shorten it below what a direct primary already granted).
uint32_t expire_seconds(const SoaTimers& timers, std::optional<uint32_t> edns_expire,
                        bool transferred, int64_t current_expire_at, int64_t now) {
    if (!edns_expire) {
        return timers.expire;
    }
    uint64_t seconds = *edns_expire;
    if (!transferred && current_expire_at > now) {
        seconds = std::max<uint64_t>(seconds, uint64_t(current_expire_at - now) / 1000);
    }
    return uint32_t(std::min<uint64_t>(seconds, timers.expire));
}

struct Attempt {
    bool ok = false;
    bool changed = false;
    std::optional<Record> soa;            // the zone's SOA as transferred
    std::optional<uint32_t> edns_expire;  // RFC 7314 EXPIRE in the answer
    std::string log;
    std::string error;
};

Attempt transfer_and_apply(store::ZoneStore& store, const PrimaryTarget& primary,
                           const std::string& apex, std::optional<uint32_t> local) {
    Attempt attempt;
    auto fetched = xfr::fetch_zone(primary.endpoint, apex, local, primary.key);
    if (fetched) {
        attempt.edns_expire = fetched->expire;
    }
    std::string ixfr_error;
    if (fetched && fetched->kind == xfr::TransferKind::Ixfr) {
        auto applied = store.apply_ixfr(apex, fetched->differences);
        if (applied) {
            attempt.ok = attempt.changed = true;
            attempt.soa = fetched->differences.back().added.front();
            attempt.log = fetched->describe();
            return attempt;
        }
        ixfr_error = "IXFR did not apply (" + applied.error().message + ")";
    } else if (fetched && fetched->full_zone()) {
        auto applied = store.apply_axfr(apex, fetched->records);
        if (!applied) {
            attempt.error = applied.error().message;
            return attempt;
        }
        attempt.ok = attempt.changed = true;
        attempt.soa = fetched->records.front();
        attempt.log = fetched->describe();
        return attempt;
    } else if (fetched) {
        attempt.ok = true;  // up to date after all
        attempt.log = "up to date";
        return attempt;
    } else {
        ixfr_error = fetched.error().message;
    }
    if (!local) {
        attempt.error = ixfr_error;
        return attempt;
    }
    // IXFR failed (history mismatch, broken stream, serial gone backwards...): AXFR instead.
    auto full = xfr::fetch_zone(primary.endpoint, apex, std::nullopt, primary.key);
    if (!full) {
        attempt.error = ixfr_error + "; AXFR fallback: " + full.error().message;
        return attempt;
    }
    attempt.edns_expire = full->expire;
    auto applied = store.apply_axfr(apex, full->records);
    if (!applied) {
        attempt.error = ixfr_error + "; AXFR fallback did not apply: " + applied.error().message;
        return attempt;
    }
    attempt.ok = attempt.changed = true;
    attempt.soa = full->records.front();
    attempt.log = ixfr_error + ", fell back to " + full->describe();
    return attempt;
}

}  // namespace

uint32_t next_check_seconds(const RefreshOutcome& outcome, uint32_t max_staleness) {
    uint32_t seconds = outcome.success ? outcome.timers.refresh : outcome.timers.retry;
    if (max_staleness > 0) {
        seconds = std::min(seconds, std::max<uint32_t>(1, max_staleness / 3));
    }
    return seconds;
}

RefreshOutcome run_refresh(const RefreshRequest& request) {
    RefreshOutcome outcome;
    outcome.timers = request.fallback;
    const std::string zone_text = dns::name_to_text(request.apex);
    auto opened = store::ZoneStore::open(request.database, store::ZoneStore::Mode::ReadWrite);
    if (!opened) {
        outcome.error = opened.error().message;
        return outcome;
    }
    store::ZoneStore& store = *opened.value();
    std::optional<uint32_t> local;
    if (auto info = store.find_zone(request.apex); info && info.value()) {
        local = info.value()->serial;
        // Until a primary answers, our copy's SOA gives the timers (RETRY after a failure).
        if (auto soa = store.soa(request.apex)) {
            outcome.timers = timers_of(soa.value(), request);
        }
    }
    store::SyncState state;
    if (auto saved = store.sync_state(request.apex); saved && saved.value()) {
        state = *saved.value();
    }
    state.zone = request.apex;
    state.last_attempt = now_ms();

    std::string errors;
    for (const PrimaryTarget& primary : request.primaries) {
        Attempt attempt;
        if (local && request.notified_serial && zone::serial_gt(*request.notified_serial, *local) &&
            &primary == &request.primaries.front()) {
            // RFC 1996 §3.7: the NOTIFY carried a newer SOA: go straight to the transfer and
            // save the SOA query's round trip (propagation latency is the point of NOTIFY).
            attempt = transfer_and_apply(store, primary, request.apex, local);
            if (attempt.ok) {
                state.last_check = now_ms();
                state.primary_serial = request.notified_serial;
                state.primary_used = primary.id;
            }
        }
        if (!attempt.ok) {
            auto soa = xfr::query_soa(primary.endpoint, request.apex, primary.key,
                                      std::chrono::milliseconds(3000));
            if (!soa) {
                errors += (errors.empty() ? "" : "; ") + soa.error().message;
                continue;
            }
            outcome.timers = timers_of(soa->soa, request);
            state.last_check = now_ms();
            state.primary_serial = soa->serial;
            state.primary_used = primary.id;
            if (local && !zone::serial_gt(soa->serial, *local)) {
                attempt.ok = true;  // RFC 1982: the primary has nothing newer
                attempt.edns_expire = soa->expire;
                attempt.log = "serial " + std::to_string(*local) + " is current";
            } else {
                attempt = transfer_and_apply(store, primary, request.apex, local);
            }
        }
        if (!attempt.ok) {
            errors += (errors.empty() ? "" : "; ") + attempt.error;
            continue;
        }
        if (attempt.soa) {
            outcome.timers = timers_of(*attempt.soa, request);
        }
        outcome.edns_expire = attempt.edns_expire;
        outcome.success = true;
        outcome.changed = attempt.changed;
        outcome.log = zone_text + " from " + primary.id + " (" + primary.endpoint.to_string() +
                      "): " + attempt.log;
        break;
    }
    if (auto info = store.find_zone(request.apex); info && info.value()) {
        outcome.serial = info.value()->serial;
    }
    const int64_t now = now_ms();
    if (outcome.success) {
        state.last_success = now;
        state.refresh_at = now + int64_t(next_check_seconds(outcome, request.max_staleness)) * 1000;
        state.retry_at = 0;
        state.expire_at = now + int64_t(expire_seconds(outcome.timers, outcome.edns_expire,
                                                       outcome.changed, state.expire_at, now)) *
                                    1000;
        // The journal bounds travel with the zone row; set them once the zone exists.
        if (Status limits = store.set_journal_limits(request.apex, request.journal); !limits) {
            outcome.log += " (journal limits not set: " + limits.message() + ")";
        }
        state.expired = false;
        state.last_error.clear();
    } else {
        outcome.error = request.primaries.empty() ? "no primaries configured" : errors;
        state.retry_at = now + int64_t(next_check_seconds(outcome, request.max_staleness)) * 1000;
        // RFC 1035 §3.3.13: past EXPIRE without reaching a primary the zone is no longer
        // authoritative; a zone never transferred has nothing to serve either.
        state.expired = (state.expire_at != 0 && now >= state.expire_at) || !local;
        state.last_error = outcome.error;
        outcome.log = zone_text + ": refresh failed: " + outcome.error;
    }
    outcome.expired = state.expired;
    if (Status saved = store.save_sync_state(state); !saved) {
        outcome.log += " (state not saved: " + saved.message() + ")";
    }
    return outcome;
}

}  // namespace tidal::sync
