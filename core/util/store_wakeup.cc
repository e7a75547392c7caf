// StoreWakeup: uv_poll on the inotify descriptor, a one-shot timer for the rechecks.
#include "core/util/store_wakeup.h"

#include <iterator>

namespace tidal {

Status StoreWakeup::start(uv_loop_t* loop, const std::string& database,
                          std::function<void()> on_written) {
    if (Status watching = watch_.open(database); !watching) {
        return watching;
    }
    on_written_ = std::move(on_written);
    uv_poll_init(loop, &poll_, watch_.fd());
    poll_.data = this;
    uv_timer_init(loop, &recheck_);
    recheck_.data = this;
    uv_poll_start(&poll_, UV_READABLE, &StoreWakeup::on_readable);
    started_ = true;
    return Status::success();
}

void StoreWakeup::close() {
    if (!started_) {
        return;
    }
    started_ = false;
    uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
    uv_close(reinterpret_cast<uv_handle_t*>(&recheck_), nullptr);
}

void StoreWakeup::on_readable(uv_poll_t* handle, int status, int /*events*/) {
    auto* self = static_cast<StoreWakeup*>(handle->data);
    if (status < 0) {
        return;
    }
    const StoreEvents events = self->watch_.drain();
    if (!events.any()) {
        return;
    }
    self->on_written_();
    if (events.written) {
        // The commit may not be visible yet (see kStoreRecheckDelaysMs): look again shortly.
        self->step_ = 0;
        uv_timer_start(&self->recheck_, &StoreWakeup::on_recheck, kStoreRecheckDelaysMs[0], 0);
    }
}

void StoreWakeup::on_recheck(uv_timer_t* timer) {
    auto* self = static_cast<StoreWakeup*>(timer->data);
    self->on_written_();
    if (++self->step_ < std::size(kStoreRecheckDelaysMs)) {
        uv_timer_start(&self->recheck_, &StoreWakeup::on_recheck,
                       kStoreRecheckDelaysMs[self->step_], 0);
    }
}

}  // namespace tidal
