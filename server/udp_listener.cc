// UdpListener: a level-triggered uv_poll on the UDP socket hands every wakeup to UdpBatch::serve.
#include "server/udp_listener.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>

namespace tidal::server {

UdpListener::UdpListener(WorkerState& state, UdpBatch& batch, BoundSocket socket)
    : state_(state), batch_(batch), socket_(std::move(socket)) {
    poll_.data = this;
}

Status UdpListener::start() {
    int rc = uv_poll_init_socket(state_.loop, &poll_, socket_.fd.get());
    if (rc != 0) {
        return Error{fmt::format("cannot watch UDP {}: {}", format_address(socket_.address),
                                 uv_strerror(rc))};
    }
    open_ = true;
    rc = uv_poll_start(&poll_, UV_READABLE, &UdpListener::on_readable);
    if (rc != 0) {
        return Error{fmt::format("cannot watch UDP {}: {}", format_address(socket_.address),
                                 uv_strerror(rc))};
    }
    return Status::success();
}

void UdpListener::close() {
    if (open_) {
        open_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
    }
}

void UdpListener::on_readable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<UdpListener*>(handle->data);
    if (status < 0) {
        spdlog::error("UDP {}: {}; no longer serving this socket in this worker",
                      format_address(self->socket_.address), uv_strerror(status));
        uv_poll_stop(handle);
        return;
    }
    self->batch_.serve(self->socket_.fd.get());
}

}  // namespace tidal::server
