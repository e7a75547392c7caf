// tidalctl db check: is this host's database sound (SQLite's checks and Tidal's invariants)?
#include <iostream>

#include "tools/commands.h"

namespace tidal::ctl {

namespace {

int db_check(const Context& ctx) {
    auto config = load_config(ctx);
    if (!config) {
        return fail(kExitUsage, config.error().message);
    }
    // Read-only: a check never changes the file, and works while the daemons run.
    auto store = open_store_ro(config.value());
    if (!store) {
        return fail(kExitFailure, store.error().message);  // corrupt, not Tidal's, too new
    }
    if (!store.value()) {
        return fail(kExitFailure, "database " + config->database + " does not exist");
    }
    auto problems = store.value()->check();
    if (!problems) {
        return fail(kExitFailure, "database " + config->database + ": " + problems.error().message);
    }
    if (!problems->empty()) {
        for (const std::string& problem : problems.value()) {
            std::cerr << "tidalctl: " << config->database << ": " << problem << '\n';
        }
        return fail(kExitFailure, "database " + config->database + " has " +
                                      std::to_string(problems->size()) + " problem(s)");
    }
    auto zones = store.value()->list_zones();
    std::cout << "database OK: " << config->database << " ("
              << (zones ? std::to_string(zones->size()) : std::string("?")) << " zones)\n";
    return kExitOk;
}

}  // namespace

void add_db_commands(CLI::App& app, Context& ctx) {
    CLI::App* group = app.add_subcommand("db", "Database commands");
    group->require_subcommand(1);
    CLI::App* check = group->add_subcommand(
        "check",
        "Check the database: SQLite's integrity and foreign-key checks, one SOA per zone with "
        "the zone's serial, journals that chain; exit 1 with each problem listed");
    check->callback([&ctx] { ctx.run = [&ctx] { return db_check(ctx); }; });
}

}  // namespace tidal::ctl
