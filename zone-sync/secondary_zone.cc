// SecondaryZone: a timer, a refresh job at a time, and the bookkeeping between them.
#include "zone-sync/secondary_zone.h"

#include <spdlog/spdlog.h>

#include "core/dns/name.h"
#include "core/zone/serial_arith.h"

namespace tidal::sync {

SecondaryZone::SecondaryZone(uv_loop_t* loop, RefreshRequest request)
    : loop_(loop), request_(std::move(request)) {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    work_.data = this;
}

SecondaryZone::~SecondaryZone() = default;

void SecondaryZone::start() {
    schedule(0);
}

void SecondaryZone::schedule(uint64_t delay_ms) {
    if (!closing_) {
        uv_timer_start(&timer_, &SecondaryZone::on_timer, delay_ms, 0);
    }
}

void SecondaryZone::notify(std::optional<uint32_t> serial) {
    if (serial && local_serial_ && !zone::serial_gt(*serial, *local_serial_)) {
        spdlog::debug("zone {}: NOTIFY for serial {}, which we have", dns::name_to_text(apex()),
                      *serial);
        return;
    }
    request_.notified_serial = serial;
    if (running_) {
        again_ = true;
        return;
    }
    uv_timer_stop(&timer_);
    run_now();
}

void SecondaryZone::on_timer(uv_timer_t* timer) {
    static_cast<SecondaryZone*>(timer->data)->run_now();
}

void SecondaryZone::run_now() {
    if (running_ || closing_) {
        return;
    }
    running_ = true;
    if (uv_queue_work(loop_, &work_, &SecondaryZone::on_work, &SecondaryZone::on_done) != 0) {
        running_ = false;
        schedule(1000);
    }
}

void SecondaryZone::on_work(uv_work_t* work) {
    auto* self = static_cast<SecondaryZone*>(work->data);
    self->outcome_ = run_refresh(self->request_, self->store_);
}

void SecondaryZone::on_done(uv_work_t* work, int /*status*/) {
    auto* self = static_cast<SecondaryZone*>(work->data);
    self->running_ = false;
    const std::optional<uint32_t> notified = self->request_.notified_serial;
    self->request_.notified_serial.reset();
    const RefreshOutcome& outcome = self->outcome_;
    if (outcome.serial) {
        self->local_serial_ = outcome.serial;
    }
    if (outcome.journal_limits_stored) {
        self->request_.journal_limits_stored = true;
    }
    if (outcome.success) {
        if (outcome.changed) {
            spdlog::info("zone {}", outcome.log);
        } else {
            spdlog::debug("zone {}", outcome.log);
        }
    } else {
        spdlog::warn("zone {}{}", outcome.log, outcome.expired ? " (zone expired: SERVFAIL)" : "");
    }
    if (self->closing_) {
        self->maybe_finish_close();
        return;
    }
    if (outcome.changed && self->on_changed) {
        self->on_changed(self->apex());
    }
    if (self->again_) {
        self->again_ = false;
        self->run_now();
        return;
    }
    // A NOTIFY announced a serial the primary did not serve yet (it may still be publishing
    // it): look again shortly, a few times, before falling back to the SOA timers.
    if (outcome.success && notified && outcome.serial &&
        zone::serial_gt(*notified, *outcome.serial) && self->catch_up_tries_ < 5) {
        ++self->catch_up_tries_;
        self->request_.notified_serial = notified;
        self->schedule(100u << self->catch_up_tries_);
        return;
    }
    self->catch_up_tries_ = 0;
    self->schedule(uint64_t(next_check_seconds(outcome, self->request_.max_staleness)) * 1000);
}

void SecondaryZone::close(std::function<void()> done) {
    closing_ = true;
    closed_ = std::move(done);
    uv_timer_stop(&timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &SecondaryZone::on_closed);
}

void SecondaryZone::on_closed(uv_handle_t* handle) {
    auto* self = static_cast<SecondaryZone*>(handle->data);
    self->timer_closed_ = true;
    self->maybe_finish_close();
}

void SecondaryZone::maybe_finish_close() {
    if (closing_ && timer_closed_ && !running_ && closed_) {
        auto done = std::move(closed_);
        closed_ = nullptr;
        done();  // may destroy this
    }
}

}  // namespace tidal::sync
