// The tidalctl command groups; each adds its subcommands to the application.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace tidal::ctl {

// zone import | export | list | create | delete
void add_zone_commands(CLI::App& app, Context& ctx);

// record add | del | set (local database, or UPDATE to --server)
void add_record_commands(CLI::App& app, Context& ctx);

// apply FILE (several edits as one change)
void add_apply_command(CLI::App& app, Context& ctx);

// config check
void add_config_commands(CLI::App& app, Context& ctx);

// status [ZONE], wait ZONE [--serial N] [--timeout T]
void add_status_commands(CLI::App& app, Context& ctx);

// db check
void add_db_commands(CLI::App& app, Context& ctx);

}  // namespace tidal::ctl
