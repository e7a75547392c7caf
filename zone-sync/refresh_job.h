// One refresh of a secondary zone (RFC 1034 §4.3.5): SOA check, IXFR else AXFR, apply. Blocking.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/store/zone_store.h"
#include "core/tsig/tsig_key.h"
#include "core/xfr/client_socket.h"

namespace tidal::sync {

struct PrimaryTarget {
    std::string id;  // the remote's id, for logs and state
    xfr::Endpoint endpoint;
    const tsig::Key* key = nullptr;  // owned by the daemon's key ring
};

// SOA timers (RFC 1035 §3.3.13), seconds.
struct SoaTimers {
    uint32_t refresh = 3600;
    uint32_t retry = 600;
    uint32_t expire = 604800;
};

struct RefreshOutcome;

struct RefreshRequest {
    std::string apex;  // lowercased wire
    std::string database;
    std::vector<PrimaryTarget> primaries;     // tried in order
    std::optional<uint32_t> notified_serial;  // from a NOTIFY (RFC 1996 §3.7), if any
    SoaTimers fallback;                       // until the zone's SOA is known
    SoaTimers overrides{0, 0, 0};             // config refresh/retry/expire; 0 = the SOA's
    uint32_t max_staleness = 0;               // seconds; 0 = unbounded (no extra checks)
    store::JournalLimits journal;             // the zone's journal bounds, stored on success
    store::ZoneStore::CommitSync commit_sync = store::ZoneStore::CommitSync::Normal;
    bool journal_limits_stored = false;  // set after a refresh stored them (no need to look again)
};

// When the next SOA check is due, in seconds: REFRESH after a success, RETRY after a failure
// (RFC 1034 §4.3.5), but with max-staleness S at most S/3 after either, so a zone that is
// current is confirmed current (and its TTLs stay long) well before it could turn stale, with
// room for a failed try and a retry.
uint32_t next_check_seconds(const RefreshOutcome& outcome, uint32_t max_staleness);

struct RefreshOutcome {
    bool success = false;            // confirmed current or transfer applied
    bool changed = false;            // new data applied
    std::optional<uint32_t> serial;  // local serial afterwards
    SoaTimers timers;
    std::optional<uint32_t> edns_expire;  // RFC 7314 EXPIRE the primary gave, if any
    std::string log;                      // one line: what happened
    std::string error;                    // why it failed (empty on success)
    bool expired = false;
    bool journal_limits_stored = false;  // journal set in the store by this refresh
};

// Runs on a worker thread, one refresh at a time per connection. store is the zone's own
// read-write connection, kept between refreshes (opening one costs a schema check): opened here
// when empty, and dropped after a refresh that could not use it, so the next one starts afresh.
// Never throws.
RefreshOutcome run_refresh(const RefreshRequest& request, std::unique_ptr<store::ZoneStore>& store);

}  // namespace tidal::sync
