// Shared tidalctl plumbing: error printing, configuration loading, opening the zone store.
#include "tools/cli_context.h"

#include <filesystem>
#include <iostream>
#include <system_error>

#include "core/dns/name.h"

namespace tidal::ctl {

int fail(int status, std::string_view message) {
    std::cerr << "tidalctl: " << message;
    // SQLITE_FULL reads "database or disk is full"; Tidal sets no page limit, so it is the disk.
    // Say so, and that the transaction was rolled back: free space and simply retry.
    if (message.find("database or disk is full") != std::string_view::npos) {
        std::cerr << "\ntidalctl: the file system holding the database (or SQLite's temporary "
                     "directory) is full; nothing was changed: free some space and run the "
                     "command again";
    }
    std::cerr << '\n';
    return status;
}

Result<config::Config> load_config(const Context& ctx) {
    return config::load_config(ctx.config_path);
}

Result<std::string> zone_name_from_arg(std::string_view text) {
    auto name = dns::name_from_text(text);  // relative names are completed with the root
    if (!name) {
        return Error{"zone name '" + std::string(text) + "': " + name.error().message};
    }
    return dns::name_lowered(name.value());
}

Result<std::unique_ptr<store::ZoneStore>> open_store_rw(const config::Config& config) {
    return store::ZoneStore::open(config.database, store::ZoneStore::Mode::ReadWrite);
}

Result<std::unique_ptr<store::ZoneStore>> open_store_ro(const config::Config& config) {
    std::error_code ec;
    if (!std::filesystem::exists(config.database, ec) && !ec) {
        return std::unique_ptr<store::ZoneStore>();
    }
    return store::ZoneStore::open(config.database, store::ZoneStore::Mode::ReadOnly);
}

std::string zone_role(const config::Config& config, std::string_view apex) {
    const config::ZoneConfig* zone = config.find_zone(apex);
    if (zone != nullptr && zone->role == config::ZoneRole::Secondary) {
        return "secondary";
    }
    return "primary";
}

}  // namespace tidal::ctl
