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
    app.require_subcommand(1);
    add_zone_commands(app, ctx);
    add_record_commands(app, ctx);
    add_config_commands(app, ctx);

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
    try {
        return ctx.run();
    } catch (const std::exception& e) {
        return fail(kExitFailure, std::string("unexpected error: ") + e.what());
    }
}
