// tidal-sync's background checkpoint of the store (commit_signal.h, defer_checkpoints).
#pragma once

#include <uv.h>

#include <memory>
#include <string>

#include "core/store/zone_store.h"

namespace tidal::sync {

// Lives on tidal-sync's loop thread. Commits made by tidal-sync (transfers applied, replication
// state) leave their checkpoints to this: a passive checkpoint on the thread pool, with its own
// connection, once one is due. The thread that applied a transfer is then free for the next
// NOTIFY at once.
class StoreCheckpointer {
  public:
    StoreCheckpointer(uv_loop_t* loop, std::string database);
    StoreCheckpointer(const StoreCheckpointer&) = delete;
    StoreCheckpointer& operator=(const StoreCheckpointer&) = delete;

    // Starts a checkpoint when one is due and none is running. Cheap otherwise: call it from a
    // periodic timer. A pending checkpoint keeps the loop running until it is done. One that
    // fails waits for the next commit to make another due.
    void poll();

  private:
    static void on_work(uv_work_t* work);
    static void on_done(uv_work_t* work, int status);

    uv_loop_t* loop_;
    std::string database_;
    uv_work_t work_{};
    bool running_ = false;
    std::unique_ptr<store::ZoneStore> store_;  // the work thread's connection
    std::string error_;                        // set by the work thread, read in on_done
    std::string last_logged_error_;
};

}  // namespace tidal::sync
