// UpdateJob: uv_queue_work with a thread_local UpdateHandler; UDP answers sent with sendmsg.
#include "server/update_job.h"

#include <sys/socket.h>

#include <cstring>
#include <ctime>
#include <memory>

namespace tidal::server {

bool UpdateJob::start(uv_loop_t* loop, update::UpdateRequest request, Done done) {
    auto job = std::unique_ptr<UpdateJob>(new UpdateJob(std::move(request), std::move(done)));
    job->work_.data = job.get();
    if (uv_queue_work(loop, &job->work_, &UpdateJob::on_work, &UpdateJob::on_done) != 0) {
        return false;
    }
    (void)job.release();  // owned by the queued work until on_done
    return true;
}

void UpdateJob::on_work(uv_work_t* work) {
    // One handler (and so one ReadWrite SQLite connection) per thread-pool thread.
    thread_local update::UpdateHandler handler;
    auto* job = static_cast<UpdateJob*>(work->data);
    job->answer_ = handler.handle(job->request_, uint64_t(std::time(nullptr)));
}

void UpdateJob::on_done(uv_work_t* work, int status) {
    std::unique_ptr<UpdateJob> job(static_cast<UpdateJob*>(work->data));
    if (status != 0) {
        job->answer_.clear();  // cancelled: nothing was done, nothing to answer
    }
    job->done_(job->answer_);
}

namespace {

// Where a UDP answer goes, copied out of the worker's reused batch buffers.
struct UdpReply {
    int fd = -1;
    sockaddr_storage peer{};
    socklen_t peer_size = 0;
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(in6_pktinfo)) + 64]{};
    size_t control_size = 0;
};

void send_reply(UdpReply& reply, std::string& answer) {
    iovec iov{};
    iov.iov_base = answer.data();
    iov.iov_len = answer.size();
    msghdr out{};
    out.msg_name = &reply.peer;
    out.msg_namelen = reply.peer_size;
    out.msg_iov = &iov;
    out.msg_iovlen = 1;
    if (reply.control_size > 0) {
        out.msg_control = reply.control;
        out.msg_controllen = reply.control_size;
    }
    // Non-blocking: a full send buffer loses this answer as a congested network would.
    (void)sendmsg(reply.fd, &out, MSG_DONTWAIT);
}

}  // namespace

void queue_udp_update(WorkerState& state, int fd, const uint8_t* message, size_t size,
                      const sockaddr_storage& peer, socklen_t peer_size,
                      const uint8_t* reply_control, size_t reply_control_size) {
    if (state.udp_updates_in_flight >= kMaxUdpUpdatesInFlight) {
        return;
    }
    auto reply = std::make_shared<UdpReply>();
    reply->fd = fd;
    reply->peer = peer;
    reply->peer_size = peer_size;
    if (reply_control != nullptr && reply_control_size <= sizeof(reply->control)) {
        std::memcpy(reply->control, reply_control, reply_control_size);
        reply->control_size = reply_control_size;
    }
    update::UpdateRequest request;
    request.zones = state.zones.get_shared();
    request.message.assign(reinterpret_cast<const char*>(message), size);
    request.peer = peer;
    request.tcp = false;
    WorkerState* worker = &state;
    ++state.udp_updates_in_flight;
    const bool queued =
        UpdateJob::start(state.loop, std::move(request), [worker, reply](std::string& answer) {
            --worker->udp_updates_in_flight;
            if (!answer.empty()) {
                send_reply(*reply, answer);
            }
        });
    if (!queued) {
        --state.udp_updates_in_flight;
    }
}

}  // namespace tidal::server
