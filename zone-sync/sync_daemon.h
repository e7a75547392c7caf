// tidal-sync's main loop: zones from the configuration, the control socket, signals, polling.
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/config/config.h"
#include "core/store/zone_store.h"
#include "core/tsig/tsig_key.h"
#include "core/util/store_wakeup.h"
#include "zone-sync/notify_sender.h"
#include "zone-sync/peer_recorder.h"
#include "zone-sync/secondary_zone.h"
#include "zone-sync/store_checkpointer.h"

namespace tidal::sync {

// One per process, single-threaded (blocking work goes to libuv's thread pool through the zone
// objects). Secondary zones are refreshed from their primaries; every zone with `notify:`
// targets sends NOTIFYs when its serial changes in the store, whoever changed it (tidalctl, an
// UPDATE, a transfer into this secondary). tidald reaches it through the control socket.
class SyncDaemon {
  public:
    SyncDaemon(std::string config_path, config::Config config);
    ~SyncDaemon();
    SyncDaemon(const SyncDaemon&) = delete;
    SyncDaemon& operator=(const SyncDaemon&) = delete;

    // Runs until SIGTERM/SIGINT. Returns the exit status (1 when it cannot start).
    int run();

  private:
    static void on_signal(uv_signal_t* handle, int signal);
    static void on_poll_timer(uv_timer_t* timer);
    static void on_control(uv_poll_t* handle, int status, int events);

    Status open_control_socket();
    // This host's tidald, as tidal-sync reaches it to see what it serves.
    std::optional<xfr::Endpoint> local_server() const;
    Status build_zones();
    void close_zones(std::function<void()> then);
    void poll_store();
    // Stores the zone's configured journal bounds (journal-max-changes, journal-max-size) in the
    // store, where every writer's transaction trims to them.
    void apply_journal_limits(const std::string& apex);
    void handle_control_message(const std::string& text);
    void reload();
    void stop();
    // One line for systemd's STATUS= (`systemctl status tidal-sync`): what is replicated, what
    // the store holds, the last transfer in.
    std::string status_text() const;
    // Sends STATUS= when the line changed since the last one sent.
    void update_status();
    // A transfer into `apex` was applied: remembered for the status line.
    void transfer_applied(const std::string& apex);

    std::string config_path_;
    config::Config config_;
    std::shared_ptr<const tsig::KeyRing> keys_;
    uv_loop_t loop_{};
    uv_signal_t sigterm_{}, sigint_{}, sighup_{};
    uv_timer_t poll_timer_{};
    StoreWakeup store_wakeup_;  // a commit is seen at once; poll_timer_ is the fallback
    std::unique_ptr<StoreCheckpointer> checkpointer_;  // set in run()
    uv_timer_t watchdog_timer_{};
    bool watchdog_active_ = false;
    uv_poll_t control_poll_{};
    int control_fd_ = -1;
    std::unique_ptr<store::ZoneStore> reader_;  // read-only, for polling serials
    uint64_t data_version_ = 0;
    std::map<std::string, uint32_t> serials_;  // last seen, by apex
    std::map<std::string, std::unique_ptr<SecondaryZone>> secondaries_;
    std::map<std::string, std::unique_ptr<NotifySender>> notifiers_;
    std::unique_ptr<PeerRecorder> peers_;  // transfers tidald served, for tidalctl status
    int closing_zones_ = 0;
    bool reloading_ = false;         // zones are being closed and rebuilt
    bool reload_again_ = false;      // a SIGHUP came during a reload
    bool stop_after_close_ = false;  // a SIGTERM came during a reload
    bool stopping_ = false;
    size_t store_zones_ = 0;     // zones in the store at the last poll
    std::string store_problem_;  // why the store could not be read, empty when it could
    std::string last_transfer_;  // "example.com. serial 7 at 09:58:01 UTC", empty before one
    std::string status_sent_;    // the last STATUS= line sent
};

}  // namespace tidal::sync
