// The TCP connections of one worker: accepting under a cap, a pool of reusable contexts, closing
// all.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "server/tcp_client_limit.h"
#include "server/tcp_connection.h"
#include "server/worker_state.h"

namespace tidal::server {

struct TcpOptions {
    std::chrono::milliseconds idle_timeout{10000};
    unsigned max_connections = 1024;             // per worker
    std::chrono::milliseconds io_timeout{2000};  // per message in or out; 0 = none
    TcpClientLimit* per_client = nullptr;        // shared by all workers; nullptr = no cap
};

// Worker thread only. Live connections are owned here until their handles have closed.
class TcpConnections {
  public:
    TcpConnections(WorkerState& state, const TcpOptions& options, unsigned worker_index);
    ~TcpConnections();
    TcpConnections(const TcpConnections&) = delete;
    TcpConnections& operator=(const TcpConnections&) = delete;

    // Takes the connection pending on server (a listener's connection callback). At the cap
    // (tcp-max-connections live connections in this worker) the connection is accepted and closed
    // at once, so the client learns right away instead of waiting in the kernel's backlog, and
    // the listen socket keeps being served.
    void accept(uv_stream_t* server);

    // Closes every live connection (graceful stop); the loop then runs their close callbacks.
    void close_all();

    // Called by a TcpConnection once both its handles are closed: back to the pool.
    void release(TcpConnection* connection);

    // Called by a TcpConnection it closes because its client is at
    // tcp-max-connections-per-client; logs at most one line a second per worker.
    void report_client_cap(const sockaddr* client);

    size_t live() const { return live_.size(); }

  private:
    // Closed contexts kept for reuse; more than this are freed (each holds ~128 KiB of buffers).
    static constexpr size_t kMaxPooled = 16;

    void reject(uv_stream_t* server);

    WorkerState& state_;
    TcpOptions options_;
    unsigned worker_index_;
    bool cap_reported_ = false;
    uint64_t client_cap_reported_ms_ = 0;
    uint64_t client_cap_unreported_ = 0;  // rejections since the last line
    std::vector<std::unique_ptr<TcpConnection>> live_;
    std::vector<std::unique_ptr<TcpConnection>> pool_;
};

}  // namespace tidal::server
