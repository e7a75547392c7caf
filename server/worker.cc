// Worker: sets up the loop's handles in the main thread, runs the loop in its own thread.
#include "server/worker.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>

#include <utility>

namespace tidal::server {

Worker::Worker(unsigned index, WorkerSockets sockets, const WorkerOptions& options,
               const snapshot::ZoneSetPublisher& publisher)
    : index_(index), sockets_(std::move(sockets)) {
    loop_open_ = uv_loop_init(&loop_) == 0;
    state_ = std::make_unique<WorkerState>(&loop_, options.responder, publisher,
                                           options.control_path, options.rate_limiter);
    udp_batch_ = std::make_unique<UdpBatch>(*state_, options.udp_batch_wait);
    connections_ = std::make_unique<TcpConnections>(*state_, options.tcp, index);
    stop_.data = this;
    zone_refresh_.data = this;
}

Worker::~Worker() {
    if (thread_.joinable()) {
        request_stop();
        join();
    }
    if (loop_open_) {
        // Handles left over from a failed start(): close them and let the loop finish them.
        close_handles();
        uv_run(&loop_, UV_RUN_DEFAULT);
        if (uv_loop_close(&loop_) != 0) {
            spdlog::error("worker {}: event loop still had open handles at exit", index_);
        }
    }
}

Status Worker::start() {
    if (!loop_open_) {
        return Error{fmt::format("worker {}: cannot create an event loop", index_)};
    }
    int rc = uv_async_init(&loop_, &stop_, &Worker::on_stop);
    if (rc != 0) {
        return Error{fmt::format("worker {}: {}", index_, uv_strerror(rc))};
    }
    stop_open_ = true;
    rc = uv_timer_init(&loop_, &zone_refresh_);
    if (rc != 0) {
        return Error{fmt::format("worker {}: {}", index_, uv_strerror(rc))};
    }
    zone_refresh_open_ = true;
    uv_timer_start(&zone_refresh_, &Worker::on_zone_refresh, kZoneRefreshMs, kZoneRefreshMs);
    uv_unref(reinterpret_cast<uv_handle_t*>(&zone_refresh_));
    for (auto& socket : sockets_.udp) {
        udp_.push_back(std::make_unique<UdpListener>(*state_, *udp_batch_, std::move(socket)));
        if (Status status = udp_.back()->start(); !status) {
            return status;
        }
    }
    for (auto& socket : sockets_.tcp) {
        tcp_.push_back(std::make_unique<TcpListener>(*state_, *connections_, std::move(socket)));
        if (Status status = tcp_.back()->start(); !status) {
            return status;
        }
    }
    sockets_ = {};
    // Thread start orders everything above before the loop runs in the new thread.
    thread_ = std::thread([this] {
        // The UDP batch wait is tens of microseconds: the default timer slack (50 us) would
        // stretch it several times over. 1 us keeps it what the configuration says.
        (void)prctl(PR_SET_TIMERSLACK, kTimerSlackNs, 0, 0, 0);
        uv_run(&loop_, UV_RUN_DEFAULT);
    });
    return Status::success();
}

void Worker::request_stop() {
    // The async handle closes in answer to the first request: never signal it twice.
    if (thread_.joinable() && !stop_sent_) {
        stop_sent_ = true;
        uv_async_send(&stop_);
    }
}

void Worker::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Worker::on_stop(uv_async_t* async) {
    static_cast<Worker*>(async->data)->close_handles();
}

void Worker::on_zone_refresh(uv_timer_t* timer) {
    // A worker takes a newly published zone set with its next packet; an idle one would keep
    // the old set (a whole zone's snapshot, after a recompile) alive until then.
    static_cast<Worker*>(timer->data)->state_->zones.get();
}

void Worker::close_handles() {
    // Listeners first: no new work arrives while connections are being closed.
    for (auto& listener : udp_) {
        listener->close();
    }
    for (auto& listener : tcp_) {
        listener->close();
    }
    connections_->close_all();
    if (stop_open_) {
        stop_open_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&stop_), nullptr);
    }
    if (zone_refresh_open_) {
        zone_refresh_open_ = false;
        uv_close(reinterpret_cast<uv_handle_t*>(&zone_refresh_), nullptr);
    }
    // With every handle closing, uv_run returns once their callbacks have run.
}

}  // namespace tidal::server
