// Hands NOTIFYs accepted by a worker to tidal-sync through the control socket.
#pragma once

#include <string>

#include "core/query/notify_handler.h"
#include "core/xfr/transfer_session.h"

namespace tidal::server {

// One per worker: its own unbound Unix datagram socket, so sending needs no lock. Sending never
// blocks; a lost message is recovered by tidal-sync's SOA refresh timer.
class ControlNotifier : public query::NotifySink {
  public:
    explicit ControlNotifier(std::string control_path);
    ~ControlNotifier() override;
    ControlNotifier(const ControlNotifier&) = delete;
    ControlNotifier& operator=(const ControlNotifier&) = delete;

    void notify(std::string_view apex, std::optional<uint32_t> serial,
                const sockaddr* peer) override;

    // Tells tidal-sync what a secondary was sent, so the primary knows each secondary's serial.
    void transfer_served(const xfr::TransferSession::Served& served);
    // Tells tidal-sync that queries for apex are answered from serial now, so its NOTIFYs for
    // that serial need not wait for an SOA query to find out.
    void zone_serving(std::string_view apex, uint32_t serial);

  private:
    std::string path_;
    int fd_ = -1;
};

}  // namespace tidal::server
