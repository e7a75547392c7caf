// Messages to tidal-sync on the host's control socket (a Unix datagram socket, `control:`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/util/result.h"

namespace tidal::control {

// One line of text per datagram, so an operator can read them with socat:
//   notify ZONE SERIAL|- PEER   tidald accepted a NOTIFY for a secondary zone (RFC 1996)
//   changed ZONE                a local commit changed ZONE (tidalctl, UPDATE): send NOTIFYs
//   serving ZONE SERIAL         tidald answers queries for ZONE from SERIAL now (sent when
//                               a serial changes): a NOTIFY for it may go out
//   transfer ZONE KIND ASKED|- SENT PEER KEY|-
//                               tidald served a transfer (AXFR or IXFR from serial ASKED, up to
//                               serial SENT) to a secondary at PEER: tidal-sync records it
struct Message {
    enum class Kind { Notify, Changed, Transfer, Serving };
    Kind kind = Kind::Notify;
    std::string zone;  // lowercased wire apex
    // Notify: the SOA serial it carried; Transfer: ASKED; Serving: the serial served
    std::optional<uint32_t> serial;
    std::string peer;  // address text
    // Transfer only.
    std::string transfer_kind;  // "AXFR" or "IXFR"
    uint32_t serial_sent = 0;
    std::string key;  // TSIG key name, empty when unsigned
};

std::string encode(const Message& message);
Result<Message> decode(std::string_view text);

// Sends one message to the socket at path without blocking; false if nobody listens (tidal-sync
// not running) or the socket's queue is full. Callers treat it as a hint: SOA timers and store
// polling recover anything lost.
bool send_datagram(int fd, const std::string& path, const Message& message);

}  // namespace tidal::control
