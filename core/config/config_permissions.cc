// secrets_exposure_warning: one stat of the configuration file.
#include "core/config/config_permissions.h"

#include <sys/stat.h>

#include <cstdio>

namespace tidal::config {

std::optional<std::string> secrets_exposure_warning(const Config& config) {
    if (config.keys.empty() || config.source.empty()) {
        return std::nullopt;
    }
    struct stat info {};
    if (::stat(config.source.c_str(), &info) != 0 || (info.st_mode & S_IROTH) == 0) {
        return std::nullopt;
    }
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(info.st_mode & 07777));
    const size_t count = config.keys.size();
    return config.source + " holds " + std::to_string(count) + " TSIG secret" +
           (count == 1 ? "" : "s") + " and is readable by every user (mode " + mode +
           "); run: chmod o-r " + config.source;
}

}  // namespace tidal::config
