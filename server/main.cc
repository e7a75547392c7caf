// tidald: the Tidal authoritative DNS server. Command line, configuration, then the Daemon.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "core/config/config.h"
#include "core/config/config_permissions.h"
#include "core/util/logging.h"
#include "server/daemon.h"

int main(int argc, char** argv) {
    using tidal::server::kExitConfigError;
    using tidal::server::kExitOk;

    CLI::App app{"tidald: the Tidal authoritative DNS server"};
    std::string config_path = tidal::config::kDefaultConfigPath;
    bool check_config = false;
    app.add_option("-c,--config", config_path, "configuration file")->capture_default_str();
    app.add_flag("--check-config", check_config,
                 "validate the configuration file, then exit (0 if valid, 2 if not)");
    app.set_version_flag("--version", "tidald " TIDAL_VERSION);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version exit 0; a usage error exits 2 (INTERFACE.md), not CLI11's codes.
        return app.exit(e) == 0 ? kExitOk : kExitConfigError;
    }

    tidal::setup_default_logging("tidald");
    auto config = tidal::config::load_config(config_path);
    if (!config) {
        fmt::print(stderr, "tidald: {}\n", config.error().message);
        return kExitConfigError;
    }
    const auto exposure = tidal::config::secrets_exposure_warning(config.value());
    if (check_config) {
        if (exposure) {
            fmt::print(stderr, "tidald: warning: {}\n", *exposure);
        }
        fmt::print("{}: configuration OK\n", config_path);
        return kExitOk;
    }
    tidal::setup_logging(config->log, "tidald");
    if (exposure) {
        spdlog::warn("{}", *exposure);  // RFC 8945 §9: the secrets must be kept confidential
    }
    tidal::server::Daemon daemon(config_path, std::move(config.value()));
    return daemon.run();
}
