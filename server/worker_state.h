// What every handler of one worker thread shares: its loop, its Responder and its zone reader.
#pragma once

#include <uv.h>

#include "core/query/responder.h"
#include "core/snapshot/zone_set_publisher.h"

namespace tidal::server {

// Owned by one Worker and touched only by that worker's thread once it runs.
struct WorkerState {
    WorkerState(uv_loop_t* worker_loop, const query::ResponderOptions& options,
                const snapshot::ZoneSetPublisher& publisher)
        : loop(worker_loop), responder(options), zones(publisher) {}

    uv_loop_t* loop;
    query::Responder responder;
    // zones.get() once per UDP batch or TCP message: one atomic load unless a new set appeared.
    snapshot::ZoneSetReader zones;
};

}  // namespace tidal::server
