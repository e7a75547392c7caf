// Records, per zone and secondary, what this primary's tidald last served it (tidalctl status).
#pragma once

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/store/zone_store.h"

namespace tidal::sync {

// Lives on tidal-sync's loop thread. record() only queues; the rows are written on libuv's
// thread pool, so a write lock held by a long transfer apply never stalls NOTIFY handling.
// Rows for the same zone and peer collapse to the newest.
class PeerRecorder {
  public:
    PeerRecorder(uv_loop_t* loop, std::string database);
    ~PeerRecorder();
    PeerRecorder(const PeerRecorder&) = delete;
    PeerRecorder& operator=(const PeerRecorder&) = delete;

    void record(store::TransferPeer peer);
    // Starts writing what is queued unless a write is under way (called from the poll timer).
    void flush();
    // True while a write runs on the thread pool (the daemon waits for it before exiting).
    bool busy() const { return running_; }

  private:
    static void on_work(uv_work_t* work);
    static void on_done(uv_work_t* work, int status);

    uv_loop_t* loop_;
    std::string database_;
    std::map<std::pair<std::string, std::string>, store::TransferPeer> pending_;
    std::vector<store::TransferPeer> writing_;
    std::unique_ptr<store::ZoneStore> store_;  // used only on the thread pool
    uv_work_t work_{};
    bool running_ = false;
};

}  // namespace tidal::sync
