// ControlNotifier: one datagram per accepted NOTIFY, logged at info like Knot and BIND do.
#include "server/control_notifier.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/control/control_message.h"
#include "core/dns/name.h"
#include "core/util/socket_address.h"

namespace tidal::server {

ControlNotifier::ControlNotifier(std::string control_path)
    : path_(std::move(control_path)), fd_(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {}

ControlNotifier::~ControlNotifier() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void ControlNotifier::notify(std::string_view apex, std::optional<uint32_t> serial,
                             const sockaddr* peer) {
    control::Message message;
    message.kind = control::Message::Kind::Notify;
    message.zone = std::string(apex);
    message.serial = serial;
    message.peer = address_text(peer);
    const bool delivered = fd_ >= 0 && control::send_datagram(fd_, path_, message);
    spdlog::info("NOTIFY for {} serial {} from {}{}", dns::name_to_text(apex),
                 serial ? std::to_string(*serial) : "-", message.peer,
                 delivered ? "" : " (tidal-sync not reachable on " + path_ + ")");
}

void ControlNotifier::transfer_served(const xfr::TransferSession::Served& served) {
    control::Message message;
    message.kind = control::Message::Kind::Transfer;
    message.zone = served.zone;
    message.transfer_kind = served.kind;
    message.serial = served.serial_asked;
    message.serial_sent = served.serial_sent;
    message.peer = served.peer;
    message.key = served.key;
    if (fd_ >= 0) {
        (void)control::send_datagram(fd_, path_, message);  // a hint for status; loss is harmless
    }
}

void ControlNotifier::zone_serving(std::string_view apex, uint32_t serial) {
    control::Message message;
    message.kind = control::Message::Kind::Serving;
    message.zone = std::string(apex);
    message.serial = serial;
    if (fd_ >= 0) {
        // A hint: when it is lost, tidal-sync asks tidald for the SOA instead.
        (void)control::send_datagram(fd_, path_, message);
    }
}

}  // namespace tidal::server
