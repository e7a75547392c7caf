// One UPDATE handed from a worker's event loop to libuv's thread pool and back (writes stay off
// the query path: the loop never waits for SQLite or for a primary).
#pragma once

#include <sys/socket.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/update/update_handler.h"
#include "server/worker_state.h"

namespace tidal::server {

// Created and finished on a worker's loop thread; handled on a thread-pool thread.
class UpdateJob {
  public:
    // Runs on the loop thread once the answer is ready; answer is "" when nothing must be sent.
    using Done = std::function<void(std::string& answer)>;

    // Queues request on loop's thread pool, where a per-thread UpdateHandler (with its own
    // ReadWrite store) answers it; then done runs on the loop thread and the job frees itself.
    // Returns false when the work could not be queued (done never runs).
    static bool start(uv_loop_t* loop, update::UpdateRequest request, Done done);

  private:
    UpdateJob(update::UpdateRequest request, Done done)
        : request_(std::move(request)), done_(std::move(done)) {}
    static void on_work(uv_work_t* work);
    static void on_done(uv_work_t* work, int status);

    uv_work_t work_{};
    update::UpdateRequest request_;
    std::string answer_;
    Done done_;
};

// Hands a UDP UPDATE datagram to the thread pool and sends its answer from the loop thread with
// one sendmsg on fd, to peer, from the local address in reply_control (an IP_PKTINFO or
// IPV6_PKTINFO control message, as UdpBatch builds it; may be empty). At most
// kMaxUdpUpdatesInFlight per worker: beyond that the datagram is dropped (the client retries).
// Loop thread only.
void queue_udp_update(WorkerState& state, int fd, const uint8_t* message, size_t size,
                      const sockaddr_storage& peer, socklen_t peer_size,
                      const uint8_t* reply_control, size_t reply_control_size);

constexpr unsigned kMaxUdpUpdatesInFlight = 64;

}  // namespace tidal::server
