// tidald's messages to systemd (sd_notify): readiness, reloads, stop, status line and watchdog.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidal::server {

// Every function is a no-op when the process was not started by systemd with NOTIFY_SOCKET set.
// Main thread.

// READY=1 with a STATUS= line: every socket is bound and the zones are loaded.
void notify_ready(std::string_view status);
// RELOADING=1 (with MONOTONIC_USEC, as Type=notify-reload expects): a SIGHUP reload has begun.
void notify_reloading();
// STOPPING=1: a clean stop has begun.
void notify_stopping();
// STATUS= only.
void notify_status(std::string_view status);
// WATCHDOG=1.
void notify_watchdog();
// How often systemd wants WATCHDOG=1 (WatchdogSec=) in microseconds, or 0 when it does not.
uint64_t watchdog_interval_usec();

}  // namespace tidal::server
