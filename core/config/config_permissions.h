// Whether the configuration file exposes its TSIG secrets to other users of the host.
#pragma once

#include <optional>
#include <string>

#include "core/config/config.h"

namespace tidal::config {

// A warning when config holds TSIG keys and its file (config.source) can be read by users other
// than its owner and group ("others" have read permission), e.g.
// "/etc/tidal/tidal.yaml holds 2 TSIG secrets and is readable by every user (mode 0644); run:
// chmod o-r /etc/tidal/tidal.yaml". nullopt when there is nothing to say (no keys, a private
// file, or a file that cannot be inspected). The secrets themselves are never part of the text.
std::optional<std::string> secrets_exposure_warning(const Config& config);

}  // namespace tidal::config
