// One parsed UPDATE applied to the zone store: prerequisites and updates in one transaction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/store/zone_store.h"
#include "core/update/update_message.h"
#include "core/util/result.h"
#include "core/zone/serial_policy.h"

namespace tidal::update {

// What apply_update did, for the answer and the log.
struct UpdateResult {
    uint16_t rcode = 0;    // NOERROR, or the prerequisite's rcode (RFC 2136 §3.2.5), or
                           // SERVFAIL when the zone has no data here
    std::string why;       // why rcode is not NOERROR
    bool applied = false;  // the zone changed (one serial bump)
    uint32_t serial = 0;   // the serial stored after the update
    size_t removed = 0;    // RRs removed and added by the change (a TTL change counts as added)
    size_t added = 0;
    size_t ignored = 0;  // update RRs ignored as RFC 2136 §3.4.2 says
};

// Checks message's prerequisites and applies its updates to the zone message.zone in ONE write
// transaction of store (ReadWrite), through the store's one write path with the zone's serial
// policy: concurrent updates serialise, and a failed prerequisite writes nothing. An update
// that changes nothing bumps nothing (NOERROR, applied false). Error: the store failed (the
// caller answers SERVFAIL). Blocking; call off the event loops.
Result<UpdateResult> apply_update(store::ZoneStore& store, const UpdateMessage& message,
                                  zone::SerialPolicy policy);

}  // namespace tidal::update
