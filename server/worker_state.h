// What every handler of one worker thread shares: its loop, its Responder and its zone reader.
#pragma once

#include <uv.h>

#include "core/query/responder.h"
#include "core/rrl/rate_limiter.h"
#include "core/snapshot/zone_set_publisher.h"
#include "server/control_notifier.h"

namespace tidal::server {

// Owned by one Worker and touched only by that worker's thread once it runs.
struct WorkerState {
    WorkerState(uv_loop_t* worker_loop, const query::ResponderOptions& options,
                const snapshot::ZoneSetPublisher& publisher, const std::string& control_path,
                rrl::RateLimiter* limiter)
        : loop(worker_loop),
          notifier(control_path),
          responder(options, &notifier),
          zones(publisher),
          rate_limiter(limiter) {}

    uv_loop_t* loop;
    ControlNotifier notifier;  // accepted NOTIFYs go to tidal-sync
    query::Responder responder;
    // zones.get() once per UDP batch or TCP message: one atomic load unless a new set appeared.
    snapshot::ZoneSetReader zones;
    // Response rate limiting of UDP answers, shared by all workers; nullptr when off
    // (rate-limit: 0), so the UDP path pays one predictable branch.
    rrl::RateLimiter* rate_limiter;
    // UDP UPDATEs handed to the thread pool and not yet answered (see update_job.h).
    unsigned udp_updates_in_flight = 0;
};

}  // namespace tidal::server
