// PeerRecorder: queue on the loop, write on the thread pool.
#include "zone-sync/peer_recorder.h"

#include <spdlog/spdlog.h>

#include "core/dns/name.h"

namespace tidal::sync {

PeerRecorder::PeerRecorder(uv_loop_t* loop, std::string database)
    : loop_(loop), database_(std::move(database)) {
    work_.data = this;
}

PeerRecorder::~PeerRecorder() = default;

void PeerRecorder::record(store::TransferPeer peer) {
    auto key = std::make_pair(peer.zone, peer.peer);
    pending_[std::move(key)] = std::move(peer);
}

void PeerRecorder::flush() {
    if (running_ || pending_.empty()) {
        return;
    }
    writing_.clear();
    for (auto& [key, peer] : pending_) {
        writing_.push_back(std::move(peer));
    }
    pending_.clear();
    running_ = true;
    if (uv_queue_work(loop_, &work_, &PeerRecorder::on_work, &PeerRecorder::on_done) != 0) {
        running_ = false;
    }
}

void PeerRecorder::on_work(uv_work_t* work) {
    auto* self = static_cast<PeerRecorder*>(work->data);
    if (!self->store_) {
        auto opened = store::ZoneStore::open(self->database_, store::ZoneStore::Mode::ReadWrite);
        if (!opened) {
            spdlog::warn("transfer peers not recorded: {}", opened.error().message);
            return;
        }
        self->store_ = std::move(opened.value());
    }
    for (const store::TransferPeer& peer : self->writing_) {
        if (Status saved = self->store_->save_transfer_peer(peer); !saved) {
            spdlog::warn("{} {} to {} not recorded: {}", peer.kind, dns::name_to_text(peer.zone),
                         peer.peer, saved.message());
        }
    }
}

void PeerRecorder::on_done(uv_work_t* work, int /*status*/) {
    static_cast<PeerRecorder*>(work->data)->running_ = false;
}

}  // namespace tidal::sync
