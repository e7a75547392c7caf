// SyncDaemon: wiring of the loop, the control socket and the zone objects.
#include "zone-sync/sync_daemon.h"

#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "core/config/config_permissions.h"
#include "core/control/control_message.h"
#include "core/dns/name.h"
#include "core/store/commit_signal.h"
#include "core/store/schema.h"
#include "core/util/systemd_notify.h"
#include "core/util/wall_clock.h"

namespace tidal::sync {

namespace {

constexpr uint64_t kPollIntervalMs = 100;

std::vector<PrimaryTarget> targets_of(const std::vector<std::string>& remote_ids,
                                      const config::Config& config, const tsig::KeyRing& keys) {
    std::vector<PrimaryTarget> out;
    for (const std::string& id : remote_ids) {
        const config::Remote* remote = config.find_remote(id);
        if (remote == nullptr) {
            continue;  // the configuration loader already refused unknown ids
        }
        PrimaryTarget target;
        target.id = id;
        target.endpoint = xfr::Endpoint::from_remote(*remote);
        target.key = remote->key.empty() ? nullptr : keys.find_configured(remote->key);
        out.push_back(std::move(target));
    }
    return out;
}

}  // namespace

std::optional<xfr::Endpoint> SyncDaemon::local_server() const {
    return xfr::Endpoint::local_server(config_);
}

SyncDaemon::SyncDaemon(std::string config_path, config::Config config)
    : config_path_(std::move(config_path)), config_(std::move(config)) {}

SyncDaemon::~SyncDaemon() {
    if (control_fd_ >= 0) {
        ::close(control_fd_);
        ::unlink(config_.control.c_str());
    }
}

Status SyncDaemon::open_control_socket() {
    const std::string& path = config_.control;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
        return Error{"control socket path " + path + " is too long"};
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    std::error_code ignored;
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ignored);
    control_fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (control_fd_ < 0) {
        return Error{"control socket " + path + ": " + std::strerror(errno)};
    }
    // A socket file left by a previous run is removed unless someone still listens on it.
    int probe = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    const bool in_use = probe >= 0 && connect(probe, reinterpret_cast<const sockaddr*>(&address),
                                              sizeof(address)) == 0;
    if (probe >= 0) {
        ::close(probe);
    }
    if (in_use) {
        return Error{"control socket " + path + " is in use: is another tidal-sync running?"};
    }
    ::unlink(path.c_str());
    if (bind(control_fd_, reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
        return Error{"control socket " + path + ": " + std::strerror(errno)};
    }
    uv_poll_init(&loop_, &control_poll_, control_fd_);
    control_poll_.data = this;
    uv_poll_start(&control_poll_, UV_READABLE, &SyncDaemon::on_control);
    return Status::success();
}

Status SyncDaemon::build_zones() {
    auto keys = tsig::KeyRing::from_config(config_);
    if (!keys) {
        return keys.error();
    }
    keys_ = std::move(keys.value());
    for (const config::ZoneConfig& zone : config_.zones) {
        if (zone.role == config::ZoneRole::Secondary) {
            RefreshRequest request;
            request.apex = zone.name_wire;
            request.database = config_.database;
            request.primaries = targets_of(zone.primaries, config_, *keys_);
            request.overrides =
                SoaTimers{uint32_t(zone.refresh.count()), uint32_t(zone.retry.count()),
                          uint32_t(zone.expire.count())};
            request.max_staleness =
                uint32_t(std::min<int64_t>(zone.max_staleness.count(), INT32_MAX));
            request.journal = store::JournalLimits{zone.journal_max_changes, zone.journal_max_size};
            request.commit_sync = zone.transfer_sync == config::TransferSync::Full
                                      ? store::ZoneStore::CommitSync::Full
                                      : store::ZoneStore::CommitSync::Normal;
            auto secondary = std::make_unique<SecondaryZone>(&loop_, std::move(request));
            secondary->on_changed = [this](const std::string& apex) {
                transfer_applied(apex);
                if (auto it = notifiers_.find(apex); it != notifiers_.end()) {
                    it->second->changed();  // chained secondaries hear at once
                }
            };
            secondaries_.emplace(zone.name_wire, std::move(secondary));
        }
        if (!zone.notify.empty()) {
            notifiers_.emplace(zone.name_wire,
                               std::make_unique<NotifySender>(
                                   &loop_, zone.name_wire, config_.database,
                                   targets_of(zone.notify, config_, *keys_), local_server()));
        }
    }
    for (auto& [apex, secondary] : secondaries_) {
        secondary->start();
    }
    // The next poll_store() sees every zone of the store as new: each one with notify targets
    // tells them once at start (as BIND and Knot do when they load a zone: a secondary may have
    // missed changes meanwhile), and so does a zone that appears in the store later.
    serials_.clear();
    data_version_ = 0;
    spdlog::info("tidal-sync {} replicating {} secondary zones, notifying for {} zones",
                 TIDAL_VERSION, secondaries_.size(), notifiers_.size());
    return Status::success();
}

void SyncDaemon::close_zones(std::function<void()> then) {
    closing_zones_ = int(secondaries_.size() + notifiers_.size());
    auto one_closed = [this, then]() {
        if (--closing_zones_ == 0) {
            secondaries_.clear();
            notifiers_.clear();
            then();
        }
    };
    if (closing_zones_ == 0) {
        then();
        return;
    }
    for (auto& [apex, secondary] : secondaries_) {
        secondary->close(one_closed);
    }
    for (auto& [apex, notifier] : notifiers_) {
        notifier->close(one_closed);
    }
}

int SyncDaemon::run() {
    uv_loop_init(&loop_);
    peers_ = std::make_unique<PeerRecorder>(&loop_, config_.database);
    if (Status opened = open_control_socket(); !opened) {
        spdlog::error("{}", opened.message());
        uv_loop_close(&loop_);
        return 1;
    }
    if (Status built = build_zones(); !built) {
        spdlog::error("{}", built.message());
        return 1;
    }
    uv_signal_init(&loop_, &sigterm_);
    uv_signal_init(&loop_, &sigint_);
    uv_signal_init(&loop_, &sighup_);
    for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
        s->data = this;
    }
    uv_signal_start(&sigterm_, &SyncDaemon::on_signal, SIGTERM);
    uv_signal_start(&sigint_, &SyncDaemon::on_signal, SIGINT);
    uv_signal_start(&sighup_, &SyncDaemon::on_signal, SIGHUP);
    // Checkpoints after this process's own commits run in the background (store_checkpointer.h).
    store::defer_checkpoints(true);
    checkpointer_ = std::make_unique<StoreCheckpointer>(&loop_, config_.database);
    uv_timer_init(&loop_, &poll_timer_);
    poll_timer_.data = this;
    uv_timer_start(&poll_timer_, &SyncDaemon::on_poll_timer, 0, kPollIntervalMs);
    if (Status watching = store_wakeup_.start(&loop_, config_.database, [this] { poll_store(); });
        !watching) {
        spdlog::warn("commits are picked up every {} ms only: {}", kPollIntervalMs,
                     watching.message());
    }
    // systemd's watchdog (WatchdogSec=): a keep-alive at half the interval, from this loop, so
    // a stuck loop is noticed.
    if (const uint64_t watchdog_usec = util::watchdog_interval_usec(); watchdog_usec > 0) {
        uv_timer_init(&loop_, &watchdog_timer_);
        watchdog_timer_.data = this;
        const uint64_t every_ms = std::max<uint64_t>(watchdog_usec / 2000, 1);
        uv_timer_start(
            &watchdog_timer_, [](uv_timer_t*) { util::notify_watchdog(); }, every_ms, every_ms);
        watchdog_active_ = true;
    }
    // Ready once the configuration is loaded, the zone timers run and the store has been read
    // (its zones and serials, the journal bounds applied): `systemctl start` returns after that.
    poll_store();
    status_sent_ = status_text();
    spdlog::info("tidal-sync ready: {}", status_sent_);
    util::notify_ready(status_sent_);
    uv_run(&loop_, UV_RUN_DEFAULT);
    reader_.reset();
    uv_loop_close(&loop_);
    return 0;
}

void SyncDaemon::on_signal(uv_signal_t* handle, int signal) {
    auto* self = static_cast<SyncDaemon*>(handle->data);
    if (signal == SIGHUP) {
        self->reload();
    } else {
        self->stop();
    }
}

void SyncDaemon::stop() {
    if (stopping_) {
        return;
    }
    if (reloading_) {
        stop_after_close_ = true;  // the zones are closing already; stop once they are closed
        return;
    }
    stopping_ = true;
    util::notify_stopping();
    spdlog::info("tidal-sync stopping");
    uv_timer_stop(&poll_timer_);
    uv_poll_stop(&control_poll_);
    store_wakeup_.close();  // no store polls while the zones close
    close_zones([this]() {
        uv_close(reinterpret_cast<uv_handle_t*>(&poll_timer_), nullptr);
        if (watchdog_active_) {
            uv_close(reinterpret_cast<uv_handle_t*>(&watchdog_timer_), nullptr);
        }
        uv_close(reinterpret_cast<uv_handle_t*>(&control_poll_), nullptr);
        for (uv_signal_t* s : {&sigterm_, &sigint_, &sighup_}) {
            uv_close(reinterpret_cast<uv_handle_t*>(s), nullptr);
        }
    });
}

void SyncDaemon::reload() {
    if (stopping_) {
        return;
    }
    if (reloading_) {
        reload_again_ = true;  // read the file again once this reload is done
        return;
    }
    util::notify_reloading();
    auto fresh = config::load_config(config_path_);
    if (!fresh) {
        spdlog::error("reload refused, keeping the running configuration: {}",
                      fresh.error().message);
        status_sent_ = status_text();
        util::notify_ready(status_sent_);
        return;
    }
    if (const auto exposure = config::secrets_exposure_warning(fresh.value())) {
        spdlog::warn("{}", *exposure);
    }
    if (fresh->control != config_.control || fresh->database != config_.database) {
        spdlog::warn("reload: a new control socket or database takes effect at restart");
        fresh->control = config_.control;
        fresh->database = config_.database;
    }
    config_ = std::move(fresh.value());
    reloading_ = true;
    close_zones([this]() {
        reloading_ = false;
        if (stop_after_close_) {
            stop();  // a SIGTERM came meanwhile: nothing to rebuild
            return;
        }
        if (Status built = build_zones(); !built) {
            spdlog::error("reload: {}", built.message());
        }
        poll_store();  // every zone new again: journal bounds (they may have changed), NOTIFYs
        status_sent_ = status_text();
        spdlog::info("reloaded {}: {}", config_path_, status_sent_);
        util::notify_ready(status_sent_);
        if (reload_again_) {
            reload_again_ = false;
            reload();
        }
    });
}

std::string SyncDaemon::status_text() const {
    const size_t secondaries = secondaries_.size();
    const size_t notifying = notifiers_.size();
    std::string text =
        fmt::format("replicating {} secondary zone{}, notifying for {} zone{}; ", secondaries,
                    secondaries == 1 ? "" : "s", notifying, notifying == 1 ? "" : "s");
    if (!store_problem_.empty()) {
        text += store_problem_;
    } else {
        text += fmt::format("{} zone{} in the store", store_zones_, store_zones_ == 1 ? "" : "s");
    }
    if (!last_transfer_.empty()) {
        text += "; last transfer in: " + last_transfer_;
    }
    return text;
}

void SyncDaemon::update_status() {
    if (stopping_ || reloading_) {
        return;  // STATUS=stopping / reloading stays until READY=1 says otherwise
    }
    std::string text = status_text();
    if (text != status_sent_) {
        status_sent_ = std::move(text);
        util::notify_status(status_sent_);
    }
}

void SyncDaemon::transfer_applied(const std::string& apex) {
    poll_store();  // the serial the transfer committed
    const auto serial = serials_.find(apex);
    const std::time_t now = std::time(nullptr);
    last_transfer_ =
        fmt::format("{} serial {} at {:%H:%M:%S} UTC", dns::name_to_text(apex),
                    serial == serials_.end() ? std::string("?") : std::to_string(serial->second),
                    fmt::gmtime(now));
    update_status();
}

void SyncDaemon::on_poll_timer(uv_timer_t* timer) {
    auto* self = static_cast<SyncDaemon*>(timer->data);
    self->poll_store();
    self->peers_->flush();
    self->checkpointer_->poll();
}

void SyncDaemon::poll_store() {
    if (!reader_) {
        std::error_code ignored;
        if (!std::filesystem::exists(config_.database, ignored)) {
            store_problem_ = "no zone store yet at " + config_.database;
            update_status();
            return;
        }
        auto opened = store::ZoneStore::open(config_.database, store::ZoneStore::Mode::ReadOnly);
        if (!opened) {
            // Another process creating or migrating the store passes through every schema
            // version: that is a wait, not a problem worth a warning each step.
            const bool migrating =
                opened.error().message.find(store::kAwaitingMigration) != std::string::npos;
            if (store_problem_ != opened.error().message && !migrating) {
                spdlog::warn("{}", opened.error().message);  // once per distinct cause
            }
            store_problem_ = opened.error().message;
            update_status();
            return;
        }
        reader_ = std::move(opened.value());
        store_problem_.clear();
    }
    auto version = reader_->data_version();
    if (!version || (version.value() == data_version_ && data_version_ != 0)) {
        return;
    }
    data_version_ = version.value();
    auto zones = reader_->list_zones();
    if (!zones) {
        return;
    }
    for (const store::ZoneInfo& zone : zones.value()) {
        auto seen = serials_.find(zone.name);
        if (seen == serials_.end()) {
            apply_journal_limits(zone.name);  // a zone new to us (or we just started)
        }
        // NOTIFY (RFC 1996 §3.1) for a zone new to the store (imported, created, or all of
        // them at start) and for every new serial.
        auto notifier = notifiers_.find(zone.name);
        if (notifier != notifiers_.end() &&
            (seen == serials_.end() || seen->second != zone.serial)) {
            notifier->second->changed();
        }
        serials_[zone.name] = zone.serial;
    }
    store_zones_ = zones->size();
    update_status();
}

void SyncDaemon::apply_journal_limits(const std::string& apex) {
    const config::ZoneConfig* zone = config_.find_zone(apex);
    if (zone == nullptr) {
        return;  // not configured here: the store's defaults (or what was set before) stay
    }
    auto writer = store::ZoneStore::open(config_.database, store::ZoneStore::Mode::ReadWrite);
    if (!writer) {
        spdlog::warn("zone {}: journal limits not set: {}", zone->name, writer.error().message);
        return;
    }
    const store::JournalLimits limits{zone->journal_max_changes, zone->journal_max_size};
    if (Status status = writer.value()->set_journal_limits(apex, limits); !status) {
        spdlog::warn("zone {}: journal limits not set: {}", zone->name, status.message());
    }
}

void SyncDaemon::on_control(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<SyncDaemon*>(handle->data);
    if (status < 0) {
        return;
    }
    char buffer[1024];
    for (int i = 0; i < 64; ++i) {  // bounded per wake-up, so the loop stays fair
        const ssize_t n = recv(self->control_fd_, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n <= 0) {
            return;
        }
        self->handle_control_message(std::string(buffer, size_t(n)));
    }
}

void SyncDaemon::handle_control_message(const std::string& text) {
    auto message = control::decode(text);
    if (!message) {
        spdlog::warn("{}", message.error().message);
        return;
    }
    if (message->kind == control::Message::Kind::Changed) {
        poll_store();
        return;
    }
    if (message->kind == control::Message::Kind::Serving) {
        if (auto notifier = notifiers_.find(message->zone); notifier != notifiers_.end()) {
            notifier->second->served(message->serial.value_or(0));
        }
        return;
    }
    if (message->kind == control::Message::Kind::Transfer) {
        peers_->record(store::TransferPeer{message->zone, message->peer, message->key,
                                           message->transfer_kind, message->serial,
                                           message->serial_sent, wall_clock_ms()});
        return;
    }
    auto secondary = secondaries_.find(message->zone);
    if (secondary == secondaries_.end()) {
        spdlog::warn("NOTIFY for {} from {}: not a secondary zone here",
                     dns::name_to_text(message->zone), message->peer);
        return;
    }
    secondary->second->notify(message->serial);
}

}  // namespace tidal::sync
