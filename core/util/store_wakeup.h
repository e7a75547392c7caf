// A daemon's wake-up when the SQLite store is written: an inotify watch polled by its libuv loop,
// then a few quick looks while the commit becomes visible.
#pragma once

#include <uv.h>

#include <cstddef>
#include <functional>
#include <string>

#include "core/util/result.h"
#include "core/util/store_change_watch.h"

namespace tidal {

// Lives on one loop thread (tidald's main loop, tidal-sync's loop). on_written runs at each write
// to the database or its WAL and again kStoreRecheckDelaysMs later; it should only do the cheap
// `PRAGMA data_version` check. The owner's periodic poll stays as the fallback.
class StoreWakeup {
  public:
    StoreWakeup() = default;
    StoreWakeup(const StoreWakeup&) = delete;
    StoreWakeup& operator=(const StoreWakeup&) = delete;

    // Starts watching database's directory. An Error (no inotify, no directory yet) leaves the
    // owner with its poll only.
    Status start(uv_loop_t* loop, const std::string& database, std::function<void()> on_written);
    // Stops the callbacks and closes the handles (the loop finishes closing them). Idempotent.
    void close();

  private:
    static void on_readable(uv_poll_t* handle, int status, int events);
    static void on_recheck(uv_timer_t* timer);

    StoreChangeWatch watch_;
    uv_poll_t poll_{};
    uv_timer_t recheck_{};
    size_t step_ = 0;
    bool started_ = false;
    std::function<void()> on_written_;
};

}  // namespace tidal
