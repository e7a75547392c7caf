// The tidalctl command groups; each adds its subcommands to the application.
#pragma once

#include <CLI/CLI.hpp>

#include "tools/cli_context.h"

namespace tidal::ctl {

// zone import | export | list | create | delete
void add_zone_commands(CLI::App& app, Context& ctx);

// record add | del | set (local database)
void add_record_commands(CLI::App& app, Context& ctx);

// config check
void add_config_commands(CLI::App& app, Context& ctx);

}  // namespace tidal::ctl
