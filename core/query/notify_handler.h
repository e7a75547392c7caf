// NOTIFY (RFC 1996) as a secondary receives it: checked here, handed to the transfer daemon.
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/query/message_writer.h"
#include "core/query/query_parser.h"

namespace tidal::snapshot {
class ZoneSet;
}

namespace tidal::query {

// Where accepted NOTIFYs go (tidald: a datagram to tidal-sync's control socket). Called on a
// worker thread for every accepted NOTIFY; must not block.
class NotifySink {
  public:
    virtual ~NotifySink() = default;
    // apex: lowercased wire name; serial: from the SOA in the NOTIFY's answer section, if any.
    virtual void notify(std::string_view apex, std::optional<uint32_t> serial,
                        const sockaddr* peer) = 0;
};

// Answers a parsed NOTIFY in packet into out: NOERROR once accepted (RFC 1996 §4.7), NOTAUTH
// for a zone that is not a secondary here or a TSIG failure, REFUSED when allow-notify does
// not match. Signs the answer when the NOTIFY was signed. Returns the answer's length.
size_t answer_notify(const ParsedQuery& query, const uint8_t* packet, size_t size, uint8_t* out,
                     size_t capacity, const snapshot::ZoneSet& zones, const sockaddr* peer,
                     NotifySink* sink, uint64_t now);

}  // namespace tidal::query
