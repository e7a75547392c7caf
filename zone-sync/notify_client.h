// Sends one NOTIFY (RFC 1996) to one secondary and waits for its answer. Blocking.
#pragma once

#include <chrono>
#include <string_view>

#include "core/tsig/tsig_key.h"
#include "core/util/result.h"
#include "core/xfr/client_socket.h"
#include "core/zone/record.h"

namespace tidal::sync {

// The NOTIFY carries the zone's SOA in its answer section (RFC 1996 §3.7) so an up-to-date
// secondary need not ask. Signed with key when given; the answer must then verify. Success
// means the secondary answered NOERROR.
Status send_notify(const xfr::Endpoint& target, std::string_view apex, const Record& soa,
                   const tsig::Key* key, std::chrono::milliseconds timeout);

}  // namespace tidal::sync
