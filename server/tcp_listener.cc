// TcpListener: uv_tcp_open on the socket bound by hand, then uv_listen.
#include "server/tcp_listener.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <utility>

namespace tidal::server {
namespace {

constexpr int kBacklog = 1024;

}  // namespace

TcpListener::TcpListener(WorkerState& state, TcpConnections& connections, BoundSocket socket)
    : state_(state), connections_(connections), socket_(std::move(socket)) {
    handle_.data = this;
}

Status TcpListener::start() {
    auto fail = [&](int rc) {
        return Error{fmt::format("cannot listen on TCP {}: {}", format_address(socket_.address),
                                 uv_strerror(rc))};
    };
    int rc = uv_tcp_init(state_.loop, &handle_);
    if (rc != 0) {
        return fail(rc);
    }
    open_ = true;
    rc = uv_tcp_open(&handle_, socket_.fd.get());
    if (rc != 0) {
        return fail(rc);
    }
    socket_.fd.release();  // the handle closes it now
    rc = uv_listen(reinterpret_cast<uv_stream_t*>(&handle_), kBacklog, &TcpListener::on_connection);
    if (rc != 0) {
        return fail(rc);
    }
    return Status::success();
}

void TcpListener::close() {
    if (open_) {
        open_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&handle_), nullptr);
    }
}

void TcpListener::on_connection(uv_stream_t* server, int status) {
    auto* self = static_cast<TcpListener*>(server->data);
    if (status < 0) {
        // E.g. EMFILE: libuv sheds the connection. Logged at most once a second, not per attempt.
        const uint64_t now = uv_now(self->state_.loop);
        if (self->last_error_ms_ != 0 && now - self->last_error_ms_ < 1000) {
            return;
        }
        self->last_error_ms_ = now;
        spdlog::error("TCP {}: accept failed: {}", format_address(self->socket_.address),
                      uv_strerror(status));
        return;
    }
    self->connections_.accept(server);
}

}  // namespace tidal::server
