// Daemon: startup order, SIGTERM/SIGINT/SIGHUP, the 100 ms zone refresh timer, sd_notify.
#include "server/daemon.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <random>
#include <thread>
#include <utility>

#include "core/config/config_permissions.h"
#include "core/config/config_values.h"
#include "core/snapshot/zone_set.h"
#include "core/util/logging.h"
#include "core/util/systemd_notify.h"
#include "server/listen_sockets.h"

namespace tidal::server {
namespace {

constexpr uint64_t kRefreshIntervalMs = 100;

uv_handle_t* as_handle(void* handle) {
    return static_cast<uv_handle_t*>(handle);
}

// Fatal start-up errors go to stderr whatever the log target: the operator starting the daemon
// (or systemd, which keeps stderr in the journal) must see why it did not start.
void report_fatal(const std::string& message) {
    fmt::print(stderr, "tidald: {}\n", message);
    std::fflush(stderr);
}

std::string join_addresses(const std::vector<config::ListenAddress>& addresses) {
    std::string joined;
    for (const auto& address : addresses) {
        if (!joined.empty()) {
            joined += ", ";
        }
        joined += format_address(address);
    }
    return joined;
}

bool same_addresses(const std::vector<config::ListenAddress>& a,
                    const std::vector<config::ListenAddress>& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end(), [](const auto& x, const auto& y) {
        return x.host == y.host && x.port == y.port && x.ipv6 == y.ipv6;
    });
}

// Sockets and workers are set up once; a reload cannot change them.
void warn_about_restart(const config::ServerConfig& old, const config::ServerConfig& next) {
    std::vector<std::string> changed;
    if (!same_addresses(old.listen, next.listen)) {
        changed.emplace_back("server.listen");
    }
    if (old.workers != next.workers) {
        changed.emplace_back("server.workers");
    }
    if (old.udp_max_payload != next.udp_max_payload) {
        changed.emplace_back("server.udp-max-payload");
    }
    if (old.udp_batch_wait != next.udp_batch_wait) {
        changed.emplace_back("server.udp-batch-wait");
    }
    if (old.tcp_idle_timeout != next.tcp_idle_timeout) {
        changed.emplace_back("server.tcp-idle-timeout");
    }
    if (old.tcp_max_connections != next.tcp_max_connections) {
        changed.emplace_back("server.tcp-max-connections");
    }
    if (old.tcp_max_connections_per_client != next.tcp_max_connections_per_client) {
        changed.emplace_back("server.tcp-max-connections-per-client");
    }
    if (old.tcp_io_timeout != next.tcp_io_timeout) {
        changed.emplace_back("server.tcp-io-timeout");
    }
    if (old.rate_limit != next.rate_limit || old.rate_limit_slip != next.rate_limit_slip ||
        old.rate_limit_table_size != next.rate_limit_table_size ||
        old.rate_limit_ipv4_prefix != next.rate_limit_ipv4_prefix ||
        old.rate_limit_ipv6_prefix != next.rate_limit_ipv6_prefix ||
        old.rate_limit_exempt != next.rate_limit_exempt) {
        changed.emplace_back("server.rate-limit*");
    }
    if (!changed.empty()) {
        spdlog::warn("reload: {} changed; restart tidald for that to take effect",
                     fmt::join(changed, ", "));
    }
}

}  // namespace

Daemon::Daemon(std::string config_path, config::Config config)
    : config_path_(std::move(config_path)),
      config_(std::move(config)),
      loader_(std::make_unique<snapshot::ZoneSetLoader>(config_, publisher_)) {}

Daemon::~Daemon() = default;

unsigned Daemon::worker_count() const {
    if (config_.server.workers != 0) {
        return config_.server.workers;
    }
    return std::max(1u, std::thread::hardware_concurrency());
}

std::string Daemon::status_text() const {
    const size_t zones = publisher_.current()->zones().size();
    return fmt::format("serving {} zone{}", zones, zones == 1 ? "" : "s");
}

int Daemon::run() {
    // A client that resets its TCP connection must not kill the server on the next write.
    std::signal(SIGPIPE, SIG_IGN);

    // Until the loop below runs, SIGTERM keeps its default action: it ends a long zone load at
    // once instead of waiting for it (tidald only reads the database, nothing is left half-done).
    if (const int status = start(); status != kExitOk) {
        return status;
    }
    uv_loop_init(&loop_);
    for (auto [handle, signal] : {std::pair{&sigterm_, SIGTERM}, std::pair{&sigint_, SIGINT},
                                  std::pair{&sighup_, SIGHUP}}) {
        uv_signal_init(&loop_, handle);
        handle->data = this;
        uv_signal_start(handle, &Daemon::on_signal, signal);
    }
    uv_timer_init(&loop_, &tick_);
    tick_.data = this;
    uv_timer_start(&tick_, &Daemon::on_tick, kRefreshIntervalMs, kRefreshIntervalMs);
    watch_store();
    watchdog_usec_ = util::watchdog_interval_usec();
    spdlog::info(
        "tidald {} listening on {} (UDP and TCP) with {} workers (udp-batch-wait {}us), {}",
        TIDAL_VERSION, join_addresses(config_.server.listen), workers_.size(),
        config_.server.udp_batch_wait.count(), status_text());
    util::notify_ready(status_text());

    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
    workers_.clear();
    log_rate_limit_totals();
    spdlog::info("stopped");
    return kExitOk;
}

int Daemon::start() {
    const unsigned workers = worker_count();
    auto sockets = bind_listen_sockets(config_.server.listen, workers);
    if (!sockets) {
        report_fatal(sockets.error().message);
        return kExitRuntimeFailure;
    }
    if (Status loaded = loader_->load_all(); !loaded) {
        report_fatal(loaded.message());
        return kExitRuntimeFailure;
    }
    control_ = std::make_unique<ControlNotifier>(config_.control);
    announce_serving(nullptr);
    create_limits();
    WorkerOptions options;
    options.responder.udp_max_payload = config_.server.udp_max_payload;
    options.udp_batch_wait = config_.server.udp_batch_wait;
    options.tcp.idle_timeout = config_.server.tcp_idle_timeout;
    options.tcp.max_connections = config_.server.tcp_max_connections;
    options.tcp.io_timeout = config_.server.tcp_io_timeout;
    options.tcp.per_client = tcp_client_limit_.get();
    options.control_path = config_.control;
    options.rate_limiter = rate_limiter_.get();
    for (unsigned i = 0; i < workers; ++i) {
        workers_.push_back(
            std::make_unique<Worker>(i, std::move(sockets.value()[i]), options, publisher_));
    }
    for (auto& worker : workers_) {
        if (Status started = worker->start(); !started) {
            report_fatal(started.message());
            workers_.clear();  // stops and joins those already running
            return kExitRuntimeFailure;
        }
    }
    return kExitOk;
}

void Daemon::create_limits() {
    const config::ServerConfig& server = config_.server;
    std::random_device random;
    const auto seed = [&random] { return uint64_t(random()) << 32 | random(); };
    if (server.tcp_max_connections_per_client > 0) {
        tcp_client_limit_ =
            std::make_unique<TcpClientLimit>(server.tcp_max_connections_per_client, seed());
    }
    if (server.rate_limit == 0) {
        return;  // off, as in BIND and Knot: the UDP path then skips the hook entirely
    }
    rrl::RateLimitOptions options;
    options.rate = server.rate_limit;
    options.slip = server.rate_limit_slip;
    options.table_size = server.rate_limit_table_size;
    options.ipv4_prefix = server.rate_limit_ipv4_prefix;
    options.ipv6_prefix = server.rate_limit_ipv6_prefix;
    for (const std::string& text : server.rate_limit_exempt) {
        if (auto prefix = config::parse_prefix(text)) {  // validated when the file was read
            options.exempt.push_back(prefix.value());
        }
    }
    rate_limiter_ = std::make_unique<rrl::RateLimiter>(options, seed());
    spdlog::info(
        "rate limiting UDP answers: {}/s per bucket (IPv4 /{}, IPv6 /{}), slip {}, {} "
        "buckets, {} exempt prefix{}",
        options.rate, options.ipv4_prefix, options.ipv6_prefix, options.slip, options.table_size,
        options.exempt.size(), options.exempt.size() == 1 ? "" : "es");
}

void Daemon::log_rate_limit_totals() const {
    if (!rate_limiter_) {
        return;
    }
    const rrl::RateLimitCounters totals = rate_limiter_->counters();
    spdlog::info("rate limiting: {} UDP answers limited since start ({} slipped, {} dropped)",
                 totals.limited, totals.slipped, totals.dropped);
}

void Daemon::on_signal(uv_signal_t* handle, int signal) {
    auto* self = static_cast<Daemon*>(handle->data);
    if (signal == SIGHUP) {
        self->reload();
    } else {
        spdlog::info("{}: stopping", signal == SIGTERM ? "SIGTERM" : "SIGINT");
        self->stop();
    }
}

void Daemon::watch_store() {
    Status watching = store_wakeup_.start(&loop_, config_.database, [this] { refresh_zones(); });
    if (!watching) {
        spdlog::warn("changes to {} are picked up every {} ms only: {}", config_.database,
                     kRefreshIntervalMs, watching.message());
    }
}

void Daemon::on_tick(uv_timer_t* timer) {
    auto* self = static_cast<Daemon*>(timer->data);
    self->refresh_zones();
    self->send_watchdog();
}

void Daemon::stop() {
    if (stopping_) {
        return;
    }
    stopping_ = true;
    util::notify_stopping();
    for (auto& worker : workers_) {
        worker->request_stop();
    }
    for (auto& worker : workers_) {
        worker->join();
    }
    for (uv_signal_t* handle : {&sigterm_, &sigint_, &sighup_}) {
        uv_close(as_handle(handle), nullptr);
    }
    uv_close(as_handle(&tick_), nullptr);
    store_wakeup_.close();
}

void Daemon::reload() {
    util::notify_reloading();
    spdlog::info("SIGHUP: reloading {}", config_path_);
    auto next = config::load_config(config_path_);
    if (!next) {
        spdlog::error("reload failed, still running with the previous configuration: {}",
                      next.error().message);
        util::notify_ready(status_text());
        return;
    }
    setup_logging(next->log, "tidald");
    if (const auto exposure = config::secrets_exposure_warning(next.value())) {
        spdlog::warn("{}", *exposure);
    }
    warn_about_restart(config_.server, next->server);
    if (Status status = loader_->reconfigure(next.value()); !status) {
        spdlog::error("reload failed, still serving the previous zones: {}", status.message());
        util::notify_ready(status_text());
        return;
    }
    // Sockets and workers keep the settings they started with (see warn_about_restart).
    next->server = config_.server;
    config_ = std::move(next.value());
    announce_serving(nullptr);  // zones the new configuration added
    spdlog::info("reloaded {}: {}", config_path_, status_text());
    util::notify_ready(status_text());
}

void Daemon::announce_serving(const snapshot::ZoneSet* before) {
    const std::shared_ptr<const snapshot::ZoneSet> now = publisher_.current();
    if (!control_ || !now) {
        return;
    }
    for (const auto& zone : now->zones()) {
        if (!zone->loaded()) {
            continue;
        }
        const auto old = before != nullptr ? before->zone(zone->apex()) : nullptr;
        if (old && old->loaded() && old->serial() == zone->serial()) {
            continue;
        }
        control_->zone_serving(zone->apex(), zone->serial());
    }
}

void Daemon::refresh_zones() {
    const std::shared_ptr<const snapshot::ZoneSet> before = publisher_.current();
    auto refreshed = loader_->refresh();
    if (!refreshed) {
        if (refreshed.error().message != last_refresh_error_) {
            last_refresh_error_ = refreshed.error().message;
            spdlog::error("zone refresh failed, still serving the zones loaded before: {}",
                          last_refresh_error_);
        }
        return;
    }
    if (!last_refresh_error_.empty()) {
        last_refresh_error_.clear();
        spdlog::info("zone refresh works again");
    }
    if (refreshed.value()) {
        announce_serving(before.get());
        spdlog::debug("zones changed: {}", status_text());
        util::notify_status(status_text());
    }
}

void Daemon::send_watchdog() {
    if (watchdog_usec_ == 0) {
        return;
    }
    // Ping at half the interval systemd allows, as sd_watchdog_enabled(3) advises.
    const uint64_t now = uv_now(&loop_);
    if (now - last_watchdog_ms_ >= watchdog_usec_ / 2000) {
        last_watchdog_ms_ = now;
        util::notify_watchdog();
    }
}

}  // namespace tidal::server
