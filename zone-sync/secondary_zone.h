// One secondary zone's replication: refresh, retry and expire timers and NOTIFYs (RFC 1996).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "zone-sync/refresh_job.h"

namespace tidal::sync {

// Lives on tidal-sync's loop thread. A refresh runs on libuv's thread pool (SQLite and network
// waits), never more than one at a time per zone; a NOTIFY during a refresh queues another.
// Timers: after a success the next check is due after SOA REFRESH, after a failure after SOA
// RETRY (RFC 1034 §4.3.5); the state saved in the store lets a restart resume (and tells tidald
// when the zone expired).
class SecondaryZone {
  public:
    SecondaryZone(uv_loop_t* loop, RefreshRequest request);
    ~SecondaryZone();
    SecondaryZone(const SecondaryZone&) = delete;
    SecondaryZone& operator=(const SecondaryZone&) = delete;

    // First check: at once (a restart resumes from the stored copy; it just confirms it).
    void start();
    // A NOTIFY arrived (already checked by tidald). A serial not newer than ours is ignored
    // (RFC 1996 §3.7); otherwise the check jumps ahead of the timer.
    void notify(std::optional<uint32_t> serial);
    // Stops the timer; calls done once no refresh is running and the handle is closed.
    void close(std::function<void()> done);

    const std::string& apex() const { return request_.apex; }
    // Called on the loop thread after a refresh that changed the zone (for chained NOTIFYs).
    std::function<void(const std::string& apex)> on_changed;

  private:
    static void on_timer(uv_timer_t* timer);
    static void on_work(uv_work_t* work);
    static void on_done(uv_work_t* work, int status);
    static void on_closed(uv_handle_t* handle);
    void run_now();
    void schedule(uint64_t delay_ms);
    void maybe_finish_close();

    uv_loop_t* loop_;
    RefreshRequest request_;
    RefreshOutcome outcome_;
    std::unique_ptr<store::ZoneStore> store_;  // used by one refresh at a time, on the pool
    uv_timer_t timer_{};
    uv_work_t work_{};
    bool running_ = false;
    bool again_ = false;  // a NOTIFY came during a refresh
    bool closing_ = false;
    bool timer_closed_ = false;
    std::optional<uint32_t> local_serial_;
    int catch_up_tries_ = 0;
    std::function<void()> closed_;
};

}  // namespace tidal::sync
