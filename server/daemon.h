// tidald's main thread: binds, loads, runs the workers, and handles signals and zone refreshes.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/rrl/rate_limiter.h"
#include "core/snapshot/zone_set_loader.h"
#include "core/snapshot/zone_set_publisher.h"
#include "core/util/store_wakeup.h"
#include "server/control_notifier.h"
#include "server/tcp_client_limit.h"
#include "server/worker.h"

namespace tidal::server {

// Exit statuses (INTERFACE.md).
constexpr int kExitOk = 0;
constexpr int kExitRuntimeFailure = 1;
constexpr int kExitConfigError = 2;

// One per process, on the main thread. Workers answer queries; this thread owns the loader
// (compiles zones off the query path), a libuv loop with the signal handlers and the refresh
// timer, and the conversation with systemd.
class Daemon {
  public:
    // config was loaded from config_path; SIGHUP reads config_path again.
    Daemon(std::string config_path, config::Config config);
    ~Daemon();
    Daemon(const Daemon&) = delete;
    Daemon& operator=(const Daemon&) = delete;

    // Binds every listen address, loads the zones, starts the workers and serves until SIGTERM or
    // SIGINT. Returns the exit status: 0 after a clean stop, 1 when it cannot start (the reason,
    // naming the address or file, is printed on stderr).
    int run();

  private:
    static void on_signal(uv_signal_t* handle, int signal);
    static void on_tick(uv_timer_t* timer);
    // Starts the inotify wake-up on the database's directory (the 100 ms tick stays as fallback).
    void watch_store();

    // Binds, loads and starts the workers; an exit status (kExitOk when all is up).
    int start();
    void stop();
    void reload();
    void refresh_zones();
    // Tells tidal-sync each loaded zone whose serial differs from before (all of them when
    // before is null): its NOTIFYs wait for tidald to serve the new serial.
    void announce_serving(const snapshot::ZoneSet* before);
    void send_watchdog();
    // Builds the shared traffic-limit tables the configuration asks for (server: rate-limit*,
    // tcp-max-connections-per-client) before the workers start.
    void create_limits();
    void log_rate_limit_totals() const;
    std::string status_text() const;
    unsigned worker_count() const;

    std::string config_path_;
    config::Config config_;
    snapshot::ZoneSetPublisher publisher_;
    std::unique_ptr<snapshot::ZoneSetLoader> loader_;
    // Shared by every worker; declared before workers_ so they outlive them.
    std::unique_ptr<rrl::RateLimiter> rate_limiter_;
    std::unique_ptr<TcpClientLimit> tcp_client_limit_;
    std::vector<std::unique_ptr<Worker>> workers_;
    // The main loop's own line to tidal-sync (the control path as at start, like the workers').
    std::unique_ptr<ControlNotifier> control_;

    uv_loop_t loop_{};
    uv_signal_t sigterm_{};
    uv_signal_t sigint_{};
    uv_signal_t sighup_{};
    uv_timer_t tick_{};
    StoreWakeup store_wakeup_;  // a commit is picked up at once; tick_ is the fallback
    bool stopping_ = false;
    std::string last_refresh_error_;  // logged once, not every tick while it persists
    uint64_t watchdog_usec_ = 0;
    uint64_t last_watchdog_ms_ = 0;
};

}  // namespace tidal::server
