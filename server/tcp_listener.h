// One TCP listening socket of one worker, handing new connections to the worker's TcpConnections.
#pragma once

#include <uv.h>

#include <cstdint>

#include "core/util/result.h"
#include "server/listen_sockets.h"
#include "server/tcp_connections.h"

namespace tidal::server {

// Worker thread once the loop runs; destroy only after the loop has run the close callback.
class TcpListener {
  public:
    TcpListener(WorkerState& state, TcpConnections& connections, BoundSocket socket);
    TcpListener(const TcpListener&) = delete;
    TcpListener& operator=(const TcpListener&) = delete;

    // Wraps the bound, listening socket in a libuv handle (which then owns the descriptor) and
    // starts accepting. Call once, before the loop runs.
    Status start();
    // Stops accepting: closes the handle and with it the socket.
    void close();

  private:
    static void on_connection(uv_stream_t* server, int status);

    WorkerState& state_;
    TcpConnections& connections_;
    BoundSocket socket_;
    uv_tcp_t handle_{};
    bool open_ = false;
    uint64_t last_error_ms_ = 0;
};

}  // namespace tidal::server
