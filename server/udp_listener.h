// One UDP socket of one worker, watched by a libuv poll handle and served by the worker's UdpBatch.
#pragma once

#include <uv.h>

#include "core/util/result.h"
#include "server/listen_sockets.h"
#include "server/udp_batch.h"

namespace tidal::server {

// The socket is read directly (recvmmsg), not through uv_udp, so that a whole batch is answered
// per wakeup. Lives on the worker's thread; destroy only after the loop has run the close callback.
class UdpListener {
  public:
    UdpListener(WorkerState& state, UdpBatch& batch, BoundSocket socket);
    UdpListener(const UdpListener&) = delete;
    UdpListener& operator=(const UdpListener&) = delete;

    // Registers the poll handle on the worker's loop. Call once, before the loop runs.
    Status start();
    // Stops watching and closes the handle (the descriptor is closed on destruction).
    void close();

  private:
    static void on_readable(uv_poll_t* handle, int status, int events);

    WorkerState& state_;
    UdpBatch& batch_;
    BoundSocket socket_;
    uv_poll_t poll_{};
    bool open_ = false;
};

}  // namespace tidal::server
