// Process-wide logging through spdlog: journald under systemd, stderr otherwise (INTERFACE.md
// log:).
#pragma once

#include <string_view>

#include "core/config/config.h"

namespace tidal {

// Installs the default spdlog logger for this process. program names the process in every line
// ("tidald", "tidal-sync", "tidalctl"). target "auto" picks journald when the process runs under
// systemd (JOURNAL_STREAM or INVOCATION_ID set), stderr otherwise. Call again after a reload to
// apply a new level or target. Call from the main thread before starting other threads.
void setup_logging(const config::LogConfig& log, std::string_view program);

// Logging before the configuration is known: stderr, level info.
void setup_default_logging(std::string_view program);

// True when the last setup_logging call sent log lines to journald rather than stderr: a program
// that must also show a message to the user on stderr prints it itself only then.
bool logging_to_journald();

}  // namespace tidal
