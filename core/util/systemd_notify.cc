// Thin wrappers over libsystemd's sd_notify for the messages tidald and tidal-sync send.
#include "core/util/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <string>

#include <fmt/format.h>

namespace tidal::util {
namespace {

void send(const std::string& message) {
    sd_notify(0, message.c_str());
}

uint64_t monotonic_usec() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    return uint64_t(now.tv_sec) * 1000000 + uint64_t(now.tv_nsec) / 1000;
}

}  // namespace

void notify_ready(std::string_view status) {
    send(fmt::format("READY=1\nSTATUS={}", status));
}

void notify_reloading() {
    send(fmt::format("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC={}", monotonic_usec()));
}

void notify_stopping() {
    send("STOPPING=1\nSTATUS=stopping");
}

void notify_status(std::string_view status) {
    send(fmt::format("STATUS={}", status));
}

void notify_watchdog() {
    send("WATCHDOG=1");
}

uint64_t watchdog_interval_usec() {
    uint64_t usec = 0;
    return sd_watchdog_enabled(0, &usec) > 0 ? usec : 0;
}

}  // namespace tidal::util
