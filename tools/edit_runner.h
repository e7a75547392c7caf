// Runs parsed edits as one atomic change: into the local database, or as an UPDATE to --server.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/util/result.h"
#include "core/zone/edit_script.h"
#include "tools/cli_context.h"

namespace tidal::ctl {

// The origin that relative names are completed with: the --zone argument as a lowercased wire
// name, or nullopt when zone_arg is empty (names are then absolute).
Result<std::optional<std::string>> origin_from_zone_arg(const std::string& zone_arg);

// Applies lines as ONE change with one serial bump, or changes nothing.
// Locally (ctx.server empty): the zone is --zone or the deepest stored zone holding the first
// name; ZoneStore::apply_edits checks prerequisites and the zone rules inside its write
// transaction and bumps the serial by the zone's configured serial-policy; prints "zone NAME
// serial N". Remotely: one UPDATE for --zone, or for the zone the server says holds the first
// name. Exit statuses: 0 done; 2 an edit is malformed or breaks a zone rule; 1 a prerequisite
// failed, a del found nothing, the zone is missing, the server refused, or the machine failed.
int run_edits(const Context& ctx, const std::vector<zone::EditLine>& lines,
              const std::optional<std::string>& zone);

}  // namespace tidal::ctl
