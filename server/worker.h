// A worker thread: its own libuv loop serving its own UDP and TCP sockets for every listen address.
#pragma once

#include <uv.h>

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "core/query/responder.h"
#include "core/snapshot/zone_set_publisher.h"
#include "core/util/result.h"
#include "server/listen_sockets.h"
#include "server/tcp_connections.h"
#include "server/tcp_listener.h"
#include "server/udp_batch.h"
#include "server/udp_listener.h"
#include "server/worker_state.h"

namespace tidal::server {

struct WorkerOptions {
    query::ResponderOptions responder;
    TcpOptions tcp;
    std::chrono::microseconds udp_batch_wait{0};  // server.udp-batch-wait; 0 = never wait
    std::string control_path;                     // tidal-sync's control socket
    rrl::RateLimiter* rate_limiter = nullptr;     // owned by the Daemon; nullptr = off
};

// Shares nothing with other workers except the ZoneSetPublisher (read through its own reader).
// Created, started, stopped and joined by the main thread.
class Worker {
  public:
    Worker(unsigned index, WorkerSockets sockets, const WorkerOptions& options,
           const snapshot::ZoneSetPublisher& publisher);
    // Stops and joins the thread if still running, then frees the loop.
    ~Worker();
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    // Registers every handle on the worker's loop (in the calling thread, before the loop runs,
    // so errors surface at start) and then runs the loop in a new thread.
    Status start();

    // Asks the worker to stop accepting, close every socket and connection and leave its loop.
    // Main thread; returns at once; later calls do nothing.
    void request_stop();

    // Waits for the thread to finish. Main thread.
    void join();

  private:
    static void on_stop(uv_async_t* async);
    static void on_zone_refresh(uv_timer_t* timer);
    void close_handles();

    static constexpr uint64_t kZoneRefreshMs = 1000;
    static constexpr unsigned long kTimerSlackNs = 1000;

    unsigned index_;
    WorkerSockets sockets_;
    uv_loop_t loop_{};
    bool loop_open_ = false;
    std::unique_ptr<WorkerState> state_;
    std::unique_ptr<UdpBatch> udp_batch_;
    std::unique_ptr<TcpConnections> connections_;
    std::vector<std::unique_ptr<UdpListener>> udp_;
    std::vector<std::unique_ptr<TcpListener>> tcp_;
    uv_async_t stop_{};
    bool stop_open_ = false;     // worker thread's view once the loop runs
    uv_timer_t zone_refresh_{};  // picks up a new zone set while no packet arrives
    bool zone_refresh_open_ = false;
    bool stop_sent_ = false;  // main thread only
    std::thread thread_;
};

}  // namespace tidal::server
