// tidalctl: the command-line tool for zone editors and operators (INTERFACE.md).
#include <CLI/CLI.hpp>

#include <exception>
#include <iostream>

#include "core/util/logging.h"
#include "tools/cli_context.h"
#include "tools/commands.h"

int main(int argc, char** argv) {
    using namespace tidal::ctl;
    tidal::setup_default_logging("tidalctl");

    Context ctx;
    CLI::App app{"tidalctl: manage the zones of a Tidal host", "tidalctl"};
    app.set_version_flag("--version", std::string("tidalctl ") + TIDAL_VERSION);
    app.add_option("--config", ctx.config_path, "Configuration file")
        ->default_str(tidal::config::kDefaultConfigPath);
    app.add_option("--server", ctx.server,
                   "Send edits (record, apply) as an RFC 2136 UPDATE to HOST:PORT instead of "
                   "writing the local database");
    app.add_option("--key", ctx.key,
                   "TSIG key for --server: NAME:ALGORITHM:SECRET, or a key name from the "
                   "configuration file");
    app.add_option("--timeout", ctx.timeout_s, "Seconds to wait for --server (default 10)");
    // Global options may also follow the command ("record add --server ...").
    app.fallthrough();
    app.require_subcommand(1);
    add_zone_commands(app, ctx);
    add_record_commands(app, ctx);
    add_apply_command(app, ctx);
    add_config_commands(app, ctx);
    add_status_commands(app, ctx);
    add_db_commands(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version "fail" with status 0; every real parse error is a usage error.
        const int printed = app.exit(e);
        return printed == 0 ? kExitOk : kExitUsage;
    }
    if (!ctx.run) {
        return fail(kExitUsage, "no command given (see --help)");
    }
    if ((!ctx.server.empty() || !ctx.key.empty()) && !app.got_subcommand("record") &&
        !app.got_subcommand("apply")) {
        return fail(kExitUsage, "--server and --key are for the edit commands (record, apply)");
    }
    try {
        return ctx.run();
    } catch (const std::exception& e) {
        return fail(kExitFailure, std::string("unexpected error: ") + e.what());
    }
}
