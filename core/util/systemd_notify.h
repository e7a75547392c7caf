// The daemons' messages to systemd (sd_notify): readiness, reloads, stop, status line and watchdog.
#pragma once

#include <cstdint>
#include <string_view>

namespace tidal::util {

// Every function is a no-op when the process was not started by systemd with NOTIFY_SOCKET set
// (not under systemd, or a unit without Type=notify).
// Main thread.

// READY=1 with a STATUS= line: the daemon serves (tidald: every socket bound, zones loaded;
// tidal-sync: configuration loaded, store read, zone timers started). Also ends a reload.
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

}  // namespace tidal::util
