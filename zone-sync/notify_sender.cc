// NotifySender: rounds of NOTIFYs on the thread pool, a back-off timer between them.
#include "zone-sync/notify_sender.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/xfr/transfer_client.h"
#include "core/zone/serial_arith.h"
#include "core/zone/soa_rdata.h"
#include "zone-sync/notify_client.h"

namespace tidal::sync {

NotifySender::NotifySender(uv_loop_t* loop, std::string apex, std::string database,
                           std::vector<PrimaryTarget> targets, std::optional<xfr::Endpoint> local)
    : loop_(loop),
      apex_(std::move(apex)),
      database_(std::move(database)),
      targets_(std::move(targets)),
      local_(std::move(local)),
      pending_(targets_.size(), false),
      errors_(targets_.size()) {
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    work_.data = this;
}

void NotifySender::changed() {
    if (targets_.empty() || closing_) {
        return;
    }
    pending_.assign(targets_.size(), true);
    attempt_ = 0;
    if (running_) {
        again_ = true;  // the round in flight may carry the old SOA: go again after it
        return;
    }
    uv_timer_stop(&timer_);
    start_round();
}

void NotifySender::start_round() {
    if (running_ || closing_) {
        return;
    }
    running_ = true;
    ++attempt_;
    // The work thread reads this copy, never pending_: changed() may set pending_ again while
    // the round is in flight.
    round_targets_ = pending_;
    round_ok_.assign(targets_.size(), false);
    if (uv_queue_work(loop_, &work_, &NotifySender::on_work, &NotifySender::on_done) != 0) {
        running_ = false;
    }
}

void NotifySender::on_work(uv_work_t* work) {
    auto* self = static_cast<NotifySender*>(work->data);
    self->sent_.clear();
    if (!self->store_) {
        auto opened = store::ZoneStore::open(self->database_, store::ZoneStore::Mode::ReadOnly);
        if (opened) {
            self->store_ = std::move(opened.value());
        }
        self->store_error_ = opened ? std::string() : opened.error().message;
    }
    auto soa =
        self->store_ ? self->store_->soa(self->apex_) : Result<Record>(Error{self->store_error_});
    if (!soa) {
        self->store_.reset();  // the next round opens the store again
    }
    if (soa && self->local_) {
        self->wait_until_served(zone::soa_serial(soa->rdata).value_or(0));
    }
    if (!soa) {
        for (size_t i = 0; i < self->targets_.size(); ++i) {
            if (self->round_targets_[i]) {
                self->errors_[i] = soa.error().message;
            }
        }
        return;
    }
    // Every secondary at once: one slow or unreachable secondary must not hold back the others'
    // NOTIFY by its timeout (RFC 1996 §3.6 leaves the order to us).
    std::vector<std::optional<Status>> outcomes(self->targets_.size());
    std::vector<std::thread> senders;
    for (size_t i = 0; i < self->targets_.size(); ++i) {
        if (!self->round_targets_[i]) {
            continue;
        }
        senders.emplace_back([self, i, &soa, &outcomes] {
            const PrimaryTarget& target = self->targets_[i];
            outcomes[i] = send_notify(target.endpoint, self->apex_, soa.value(), target.key,
                                      std::chrono::milliseconds(1000));
        });
    }
    for (std::thread& sender : senders) {
        sender.join();
    }
    for (size_t i = 0; i < self->targets_.size(); ++i) {
        if (!outcomes[i]) {
            continue;
        }
        if (*outcomes[i]) {
            self->round_ok_[i] = true;
            self->errors_[i].clear();
            self->sent_.push_back(self->targets_[i].id);
        } else {
            self->errors_[i] = outcomes[i]->message();
        }
    }
}

void NotifySender::served(uint32_t serial) {
    {
        // The latest word counts, even a lower serial (a store restored from a backup): one
        // tidald's messages arrive in the order it sent them.
        std::lock_guard<std::mutex> lock(served_mutex_);
        served_serial_ = serial;
    }
    served_changed_.notify_all();
}

void NotifySender::wait_until_served(uint32_t want) {
    using std::chrono::milliseconds;
    const auto is_served = [&] {
        return served_serial_ && !zone::serial_gt(want, *served_serial_);
    };
    // tidald sends "serving" right after it publishes a new serial, normally within a
    // millisecond of the commit; the message may also have come before this round started.
    {
        std::unique_lock<std::mutex> lock(served_mutex_);
        if (served_changed_.wait_for(lock, milliseconds(20), is_served)) {
            return;
        }
    }
    // No message (lost, or a tidald that does not send it): ask tidald itself, bounded at 3 s.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    while (std::chrono::steady_clock::now() < deadline) {
        auto served = xfr::query_soa_serial(*local_, apex_, nullptr, milliseconds(200));
        if (served && !zone::serial_gt(want, served.value())) {
            return;
        }
        std::unique_lock<std::mutex> lock(served_mutex_);
        if (served_changed_.wait_for(lock, milliseconds(1), is_served)) {
            return;
        }
    }
}

void NotifySender::on_done(uv_work_t* work, int /*status*/) {
    auto* self = static_cast<NotifySender*>(work->data);
    self->running_ = false;
    const std::string zone = dns::name_to_text(self->apex_);
    for (const std::string& id : self->sent_) {
        spdlog::info("NOTIFY for {} sent to {}", zone, id);
    }
    if (self->closing_) {
        self->maybe_finish_close();
        return;
    }
    if (self->again_) {
        // A newer change arrived during the round: every target is pending again.
        self->again_ = false;
        self->start_round();
        return;
    }
    for (size_t i = 0; i < self->targets_.size(); ++i) {
        if (self->round_ok_[i]) {
            self->pending_[i] = false;
        }
    }
    bool any_pending = false;
    for (size_t i = 0; i < self->targets_.size(); ++i) {
        if (self->pending_[i]) {
            any_pending = true;
            spdlog::warn("{} (attempt {} of {})", self->errors_[i], self->attempt_, kMaxAttempts);
        }
    }
    if (any_pending && self->attempt_ < kMaxAttempts) {
        const uint64_t delay = 1000ull << (self->attempt_ - 1);  // 1, 2, 4, 8, 16 s
        uv_timer_start(&self->timer_, &NotifySender::on_timer, delay, 0);
    } else if (any_pending) {
        spdlog::warn(
            "NOTIFY for {}: giving up; those secondaries will find the change at their "
            "next SOA refresh",
            zone);
    }
}

void NotifySender::on_timer(uv_timer_t* timer) {
    static_cast<NotifySender*>(timer->data)->start_round();
}

void NotifySender::close(std::function<void()> done) {
    closing_ = true;
    closed_ = std::move(done);
    uv_timer_stop(&timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), &NotifySender::on_closed);
}

void NotifySender::on_closed(uv_handle_t* handle) {
    auto* self = static_cast<NotifySender*>(handle->data);
    self->timer_closed_ = true;
    self->maybe_finish_close();
}

void NotifySender::maybe_finish_close() {
    if (closing_ && timer_closed_ && !running_ && closed_) {
        auto done = std::move(closed_);
        closed_ = nullptr;
        done();
    }
}

}  // namespace tidal::sync
