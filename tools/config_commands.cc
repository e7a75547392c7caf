// tidalctl config check: loads and validates the configuration file.
#include <iostream>

#include "core/config/config_permissions.h"
#include "tools/commands.h"

namespace tidal::ctl {

namespace {

int config_check(const Context& ctx) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    if (const auto exposure = config::secrets_exposure_warning(config.value())) {
        std::cerr << "tidalctl: warning: " << *exposure << '\n';
    }
    std::cout << "configuration OK: " << ctx.config_path << '\n';
    return kExitOk;
}

}  // namespace

void add_config_commands(CLI::App& app, Context& ctx) {
    CLI::App* group = app.add_subcommand("config", "Configuration file commands");
    group->require_subcommand(1);
    CLI::App* check = group->add_subcommand("check", "Validate the configuration file");
    check->callback([&ctx] { ctx.run = [&ctx] { return config_check(ctx); }; });
}

}  // namespace tidal::ctl
