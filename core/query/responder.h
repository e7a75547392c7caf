// Turns one query message into one response message: the authoritative answering engine.
#pragma once

#include <cstddef>
#include <cstdint>

#include <sys/socket.h>

#include "core/query/message_writer.h"
#include "core/query/notify_handler.h"

namespace tidal::snapshot {
class ZoneSet;
}

namespace tidal::query {

enum class Transport { Udp, Tcp };

struct ResponderOptions {
    uint16_t udp_max_payload = 1232;  // our EDNS payload size and cap on UDP answers
};

// One Responder per worker thread: it owns the scratch state (compression table, lookup
// buffers) reused for every packet, so respond() allocates nothing.
class Responder {
  public:
    explicit Responder(const ResponderOptions& options, NotifySink* notify_sink = nullptr)
        : options_(options), notify_sink_(notify_sink) {}

    // Answers the query in query[0..query_len) into out (capacity out_cap, at least 65535 for TCP).
    // Returns the response length, or 0 when the packet must be dropped without an answer
    // (shorter than a header, or itself a response). peer: the client's address, for the access
    // lists of NOTIFY (queries do not depend on it).
    size_t respond(const uint8_t* query, size_t query_len, uint8_t* out, size_t out_cap,
                   const snapshot::ZoneSet& zones, Transport transport,
                   const sockaddr* peer = nullptr);

  private:
    ResponderOptions options_;
    NotifySink* notify_sink_;
    MessageWriter writer_;
};

}  // namespace tidal::query
