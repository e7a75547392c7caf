// run_refresh: the primaries in order; the first that answers decides. IXFR failures fall back to
// AXFR by themselves; the replication state is saved whatever happens, for tidald and restarts.
#include "zone-sync/refresh_job.h"

#include <algorithm>
#include <chrono>
#include <functional>

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
    bool state_saved = false;             // the replication state went in with the transfer
    std::optional<Record> soa;            // the zone's SOA as transferred
    std::optional<uint32_t> edns_expire;  // RFC 7314 EXPIRE in the answer
    std::string log;
    std::string error;
};

// The replication state to store with a transfer that applies: from the transferred SOA and
// the EDNS EXPIRE that came with it.
using StateAfterTransfer =
    std::function<store::SyncState(const Record& soa, std::optional<uint32_t> edns_expire)>;

Attempt transfer_and_apply(store::ZoneStore& store, const PrimaryTarget& primary,
                           const std::string& apex, std::optional<uint32_t> local,
                           const StateAfterTransfer& state_after) {
    Attempt attempt;
    auto fetched = xfr::fetch_zone(primary.endpoint, apex, local, primary.key);
    if (fetched) {
        attempt.edns_expire = fetched->expire;
    }
    std::string ixfr_error;
    if (fetched && fetched->kind == xfr::TransferKind::Ixfr) {
        const store::SyncState state =
            state_after(fetched->differences.back().added.front(), fetched->expire);
        auto applied = store.apply_ixfr(apex, fetched->differences, &state);
        if (applied) {
            attempt.ok = attempt.changed = attempt.state_saved = true;
            attempt.soa = fetched->differences.back().added.front();
            attempt.log = fetched->describe();
            return attempt;
        }
        ixfr_error = "IXFR did not apply (" + applied.error().message + ")";
    } else if (fetched && fetched->full_zone()) {
        const store::SyncState state = state_after(fetched->records.front(), fetched->expire);
        auto applied = store.apply_axfr(apex, fetched->records, &state);
        if (!applied) {
            attempt.error = applied.error().message;
            return attempt;
        }
        attempt.ok = attempt.changed = attempt.state_saved = true;
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
    const store::SyncState state = state_after(full->records.front(), full->expire);
    auto applied = store.apply_axfr(apex, full->records, &state);
    if (!applied) {
        attempt.error = ixfr_error + "; AXFR fallback did not apply: " + applied.error().message;
        return attempt;
    }
    attempt.ok = attempt.changed = attempt.state_saved = true;
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

namespace {

// state after a success at now: confirmed current (or transferred), next check after REFRESH.
void mark_success(store::SyncState& state, const SoaTimers& timers,
                  std::optional<uint32_t> edns_expire, bool transferred,
                  const RefreshRequest& request, int64_t now) {
    RefreshOutcome succeeded;
    succeeded.success = true;
    succeeded.timers = timers;
    state.last_success = now;
    state.refresh_at = now + int64_t(next_check_seconds(succeeded, request.max_staleness)) * 1000;
    state.retry_at = 0;
    state.expire_at =
        now +
        int64_t(expire_seconds(timers, edns_expire, transferred, state.expire_at, now)) * 1000;
    state.expired = false;
    state.last_error.clear();
}

}  // namespace

RefreshOutcome run_refresh(const RefreshRequest& request,
                           std::unique_ptr<store::ZoneStore>& connection) {
    RefreshOutcome outcome;
    outcome.timers = request.fallback;
    const std::string zone_text = dns::name_to_text(request.apex);
    if (!connection) {
        auto opened = store::ZoneStore::open(request.database, store::ZoneStore::Mode::ReadWrite);
        if (!opened) {
            outcome.error = opened.error().message;
            return outcome;
        }
        connection = std::move(opened.value());
    }
    store::ZoneStore& store = *connection;
    std::optional<uint32_t> local;
    // transfer-sync (a reload may change it): also covers the replication state saved below.
    Status synced = store.set_commit_sync(request.commit_sync);
    auto found = synced ? store.find_zone(request.apex)
                        : Result<std::optional<store::ZoneInfo>>(synced.error());
    if (!found) {
        // The file may have been replaced or damaged under the open connection: report it and
        // let the next refresh open a new one.
        outcome.error = found.error().message;
        connection.reset();
        return outcome;
    }
    if (const auto& info = found.value()) {
        local = info->serial;
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
    bool state_saved = false;
    for (const PrimaryTarget& primary : request.primaries) {
        // A transfer stores the state it leads to in its own transaction: one commit, one
        // wake-up of tidald, for data and freshness together.
        const StateAfterTransfer state_after = [&](const Record& soa,
                                                   std::optional<uint32_t> edns_expire) {
            store::SyncState after = state;
            after.last_check = now_ms();
            after.primary_serial = zone::soa_serial(soa.rdata);
            after.primary_used = primary.id;
            mark_success(after, timers_of(soa, request), edns_expire, true, request,
                         after.last_check);
            return after;
        };
        Attempt attempt;
        if (local && request.notified_serial && zone::serial_gt(*request.notified_serial, *local) &&
            &primary == &request.primaries.front()) {
            // RFC 1996 §3.7: the NOTIFY carried a newer SOA: go straight to the transfer and
            // save the SOA query's round trip (propagation latency is the point of NOTIFY).
            attempt = transfer_and_apply(store, primary, request.apex, local, state_after);
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
                attempt = transfer_and_apply(store, primary, request.apex, local, state_after);
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
        state_saved = attempt.state_saved;
        outcome.log = zone_text + " from " + primary.id + " (" + primary.endpoint.to_string() +
                      "): " + attempt.log;
        break;
    }
    if (auto info = store.find_zone(request.apex); info && info.value()) {
        outcome.serial = info.value()->serial;
    }
    const int64_t now = now_ms();
    if (outcome.success) {
        mark_success(state, outcome.timers, outcome.edns_expire, outcome.changed, request, now);
        // The journal bounds travel with the zone row; set them once the zone exists (and
        // again after a reload, which builds a new request).
        if (!request.journal_limits_stored) {
            if (Status limits = store.set_journal_limits(request.apex, request.journal); !limits) {
                outcome.log += " (journal limits not set: " + limits.message() + ")";
            } else {
                outcome.journal_limits_stored = true;
            }
        }
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
    if (state_saved) {
        return outcome;  // stored with the transfer, as state_after made it
    }
    if (Status saved = store.save_sync_state(state); !saved) {
        outcome.log += " (state not saved: " + saved.message() + ")";
    }
    return outcome;
}

}  // namespace tidal::sync
