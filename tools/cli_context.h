// What every tidalctl command shares: the global options, exit statuses, config and store access.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/config/config.h"
#include "core/store/zone_store.h"
#include "core/util/result.h"

namespace tidal::ctl {

// Exit statuses (INTERFACE.md): success, runtime failure, usage or configuration error (a bad
// zone file counts as the latter: the input is wrong, not the machine).
enum ExitStatus : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// Filled by the command line parser; a subcommand's callback stores what to run in `run`.
struct Context {
    std::string config_path = config::kDefaultConfigPath;
    // Remote editing: with server set, edit commands send an RFC 2136 UPDATE to it instead of
    // writing the local database.
    std::string server;     // --server HOST:PORT
    std::string key;        // --key NAME:ALG:SECRET, or the name of a key in the config file
    double timeout_s = 10;  // --timeout: seconds to wait for the server
    std::function<int()> run;
};

// Prints "tidalctl: message" on stderr (with a hint when the message is SQLite's "database or
// disk is full") and returns status.
int fail(int status, std::string_view message);

// Loads the configuration named by --config.
Result<config::Config> load_config(const Context& ctx);

// A zone name from the command line -> lowercased wire; "example.com" and "example.com." are the
// same zone.
Result<std::string> zone_name_from_arg(std::string_view text);

// Opens the configured database read-write (creating it and its directory if needed).
Result<std::unique_ptr<store::ZoneStore>> open_store_rw(const config::Config& config);

// Opens the configured database read-only; nullptr (not an error) when the file does not exist.
Result<std::unique_ptr<store::ZoneStore>> open_store_ro(const config::Config& config);

// The zone's role as the configuration gives it; primary for zones not in it.
std::string zone_role(const config::Config& config, std::string_view apex);

}  // namespace tidal::ctl
