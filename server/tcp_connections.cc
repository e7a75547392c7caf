// TcpConnections: the per-worker connection cap, the context pool and closing at shutdown.
#include "server/tcp_connections.h"

#include <spdlog/spdlog.h>

#include <utility>

#include "core/util/socket_address.h"

namespace tidal::server {

TcpConnections::TcpConnections(WorkerState& state, const TcpOptions& options, unsigned worker_index)
    : state_(state), options_(options), worker_index_(worker_index) {}

TcpConnections::~TcpConnections() = default;

void TcpConnections::accept(uv_stream_t* server) {
    if (live_.size() >= options_.max_connections) {
        reject(server);
        return;
    }
    cap_reported_ = false;
    std::unique_ptr<TcpConnection> connection;
    if (!pool_.empty()) {
        connection = std::move(pool_.back());
        pool_.pop_back();
    } else {
        connection = std::make_unique<TcpConnection>(state_, *this);
    }
    TcpConnection* raw = connection.get();
    raw->slot = live_.size();
    live_.push_back(std::move(connection));
    raw->open(server, uint64_t(options_.idle_timeout.count()),
              uint64_t(options_.io_timeout.count()), options_.per_client);
}

void TcpConnections::reject(uv_stream_t* server) {
    if (!cap_reported_) {
        cap_reported_ = true;
        spdlog::warn("worker {}: tcp-max-connections ({}) reached; closing new connections",
                     worker_index_, options_.max_connections);
    }
    // libuv has already accepted the socket; it must be taken into a handle to be closed.
    auto* handle = new uv_tcp_t;
    uv_tcp_init(state_.loop, handle);
    uv_accept(server, reinterpret_cast<uv_stream_t*>(handle));
    uv_close(reinterpret_cast<uv_handle_t*>(handle),
             [](uv_handle_t* closed) { delete reinterpret_cast<uv_tcp_t*>(closed); });
}

void TcpConnections::report_client_cap(const sockaddr* client) {
    ++client_cap_unreported_;
    const uint64_t now = uv_now(state_.loop);
    if (client_cap_reported_ms_ != 0 && now - client_cap_reported_ms_ < 1000) {
        return;
    }
    client_cap_reported_ms_ = now;
    spdlog::warn(
        "worker {}: closed {} new TCP connection{} from clients at "
        "tcp-max-connections-per-client ({}), the last from {}",
        worker_index_, client_cap_unreported_, client_cap_unreported_ == 1 ? "" : "s",
        options_.per_client->max_per_client(), address_text(client));
    client_cap_unreported_ = 0;
}

void TcpConnections::close_all() {
    // close() only schedules; release() runs later from the loop, so iterating is safe.
    for (auto& connection : live_) {
        connection->close();
    }
}

void TcpConnections::release(TcpConnection* connection) {
    const size_t slot = connection->slot;
    std::unique_ptr<TcpConnection> owned = std::move(live_[slot]);
    if (slot + 1 != live_.size()) {
        live_[slot] = std::move(live_.back());
        live_[slot]->slot = slot;
    }
    live_.pop_back();
    if (pool_.size() < kMaxPooled) {
        pool_.push_back(std::move(owned));
    }
}

}  // namespace tidal::server
