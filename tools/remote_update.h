// tidalctl --server: sends edits as one TSIG-signed RFC 2136 UPDATE over TCP and reports the
// server's answer.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "core/tsig/tsig_key.h"
#include "core/util/result.h"
#include "core/xfr/client_socket.h"
#include "core/zone/edit_script.h"
#include "tools/cli_context.h"

namespace tidal::ctl {

// Where and how edits are sent.
struct RemoteTarget {
    xfr::Endpoint endpoint;
    std::string server_text;       // as given on the command line, for messages
    std::optional<tsig::Key> key;  // none: the UPDATE goes unsigned (servers refuse it)
    std::chrono::milliseconds timeout{10000};
};

// From --server (HOST:PORT, [IPV6]:PORT, HOST; port 53 by default; a host name is resolved)
// and --key (NAME:ALG:SECRET, ALG:NAME:SECRET as dig -y writes it, or the name of a key in the
// configuration file, which is then read). Errors are usage errors.
Result<RemoteTarget> remote_target(const Context& ctx);

// The zone that holds owner as the server sees it: an unsigned SOA query for owner, whose
// answer names the zone (the SOA in the answer, or the one in the authority section of a
// negative answer). Error when the server gives no SOA.
Result<std::string> discover_zone(const RemoteTarget& target, std::string_view owner);

// Sends script as one UPDATE and waits for the answer. Prints "zone NAME: update accepted by
// SERVER" and returns kExitOk on a NOERROR answer whose TSIG verifies (when signed); otherwise
// prints "UPDATE refused by SERVER: RCODE (why)" (or the transport error) and returns
// kExitFailure.
int send_update(const RemoteTarget& target, const zone::EditScript& script);

}  // namespace tidal::ctl
