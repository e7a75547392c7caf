// tidal-sync: the zone-transfer daemon. Command line and configuration, then the SyncDaemon.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>

#include "core/config/config.h"
#include "core/config/config_permissions.h"
#include "core/util/logging.h"
#include "zone-sync/sync_daemon.h"

namespace {

constexpr char kProgram[] = "tidal-sync";

// INTERFACE.md exit statuses.
constexpr int kExitUsage = 2;

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "tidal-sync: keeps this host's zones converging with their primaries and "
        "secondaries (NOTIFY, SOA refresh, IXFR/AXFR)",
        kProgram};
    std::string config_path = tidal::config::kDefaultConfigPath;
    bool check_only = false;
    app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
    app.add_flag("--check-config", check_only,
                 "validate the configuration file and exit (0 valid, 2 invalid)");
    app.set_version_flag("--version", std::string(kProgram) + " " + TIDAL_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int code = app.exit(e);
        return code == 0 ? 0 : kExitUsage;
    }

    auto config = tidal::config::load_config(config_path);
    if (!config.ok()) {
        // Each line already starts with file:line:column, as compilers print theirs.
        std::fprintf(stderr, "%s\n", config.error().message.c_str());
        return kExitUsage;
    }
    if (check_only) {
        std::printf("%s: configuration %s is valid (%zu zones)\n", kProgram, config_path.c_str(),
                    config->zones.size());
        return 0;
    }

    tidal::setup_logging(config->log, kProgram);
    if (const auto exposure = tidal::config::secrets_exposure_warning(config.value())) {
        spdlog::warn("{}", *exposure);  // RFC 8945 §9: the secrets must be kept confidential
    }
    tidal::sync::SyncDaemon daemon(config_path, std::move(config.value()));
    return daemon.run();
}
