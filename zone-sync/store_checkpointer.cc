// StoreCheckpointer: a due flag polled on the loop, the checkpoint itself on the thread pool.
#include "zone-sync/store_checkpointer.h"

#include <spdlog/spdlog.h>

#include "core/store/commit_signal.h"

namespace tidal::sync {

StoreCheckpointer::StoreCheckpointer(uv_loop_t* loop, std::string database)
    : loop_(loop), database_(std::move(database)) {
    work_.data = this;
}

void StoreCheckpointer::poll() {
    if (running_) {
        return;  // the due flag stays set for the next poll when it was raised meanwhile
    }
    if (!store::take_checkpoint_due()) {
        return;
    }
    running_ = true;
    if (uv_queue_work(loop_, &work_, &StoreCheckpointer::on_work, &StoreCheckpointer::on_done) !=
        0) {
        running_ = false;  // the next commit makes another due
    }
}

void StoreCheckpointer::on_work(uv_work_t* work) {
    auto* self = static_cast<StoreCheckpointer*>(work->data);
    self->error_.clear();
    if (!self->store_) {
        auto opened = store::ZoneStore::open(self->database_, store::ZoneStore::Mode::ReadWrite);
        if (!opened) {
            self->error_ = opened.error().message;
            return;
        }
        self->store_ = std::move(opened.value());
    }
    if (Status done = self->store_->checkpoint(); !done) {
        self->error_ = done.message();
        self->store_.reset();  // open afresh next time
    }
}

void StoreCheckpointer::on_done(uv_work_t* work, int /*status*/) {
    auto* self = static_cast<StoreCheckpointer*>(work->data);
    self->running_ = false;
    if (!self->error_.empty() && self->error_ != self->last_logged_error_) {
        // Once per distinct cause. The next commit makes another checkpoint due, and one past
        // kInlineCheckpointFrames checkpoints by itself, so the WAL stays bounded.
        spdlog::warn("store checkpoint failed: {}", self->error_);
    }
    self->last_logged_error_ = self->error_;
}

}  // namespace tidal::sync
