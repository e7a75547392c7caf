// Update forwarding (RFC 2136 §6): a secondary passes an UPDATE to its primary and relays the
// answer.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "core/config/config.h"
#include "core/util/result.h"

namespace tidal::update {

constexpr std::chrono::milliseconds kForwardTimeout{5000};  // per primary

// The answer of the first primary that answers, and which one it was.
struct ForwardedAnswer {
    std::string message;  // as the primary sent it (same ID as the request)
    std::string primary;  // "ns1 (192.0.2.1:53)", for the log
};

// Sends message unchanged (its ID and TSIG stay valid: the primary shares the key) to each of
// primaries in order over TCP, allowing each at most timeout for connect, send and answer,
// and returns the first answer that carries the request's ID, QR set and opcode UPDATE. Error
// when no primary answered (the caller answers SERVFAIL), naming each primary and why.
// Blocking: for a thread-pool thread, never an event loop.
Result<ForwardedAnswer> forward_update(std::string_view message,
                                       const std::vector<config::Remote>& primaries,
                                       std::chrono::milliseconds timeout = kForwardTimeout);

}  // namespace tidal::update
