// Control messages: encoding, decoding and a non-blocking send.
#include "core/control/control_message.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>
#include <sstream>

#include "core/dns/name.h"

namespace tidal::control {

std::string encode(const Message& message) {
    const std::string zone = dns::name_to_text(message.zone);
    if (message.kind == Message::Kind::Changed) {
        return "changed " + zone + "\n";
    }
    return "notify " + zone + " " + (message.serial ? std::to_string(*message.serial) : "-") + " " +
           (message.peer.empty() ? "-" : message.peer) + "\n";
}

Result<Message> decode(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string verb, zone;
    in >> verb >> zone;
    Message message;
    if (verb == "changed") {
        message.kind = Message::Kind::Changed;
    } else if (verb == "notify") {
        message.kind = Message::Kind::Notify;
        std::string serial, peer;
        in >> serial >> peer;
        if (!serial.empty() && serial != "-") {
            try {
                message.serial = uint32_t(std::stoul(serial));
            } catch (const std::exception&) {
                return Error{"control message: bad serial '" + serial + "'"};
            }
        }
        message.peer = peer == "-" ? "" : peer;
    } else {
        return Error{"control message: unknown verb '" + verb + "'"};
    }
    auto wire = dns::name_from_text(zone);
    if (!wire) {
        return Error{"control message: " + wire.error().message};
    }
    message.zone = dns::name_lowered(wire.value());
    return message;
}

bool send_datagram(int fd, const std::string& path, const Message& message) {
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (path.size() >= sizeof(address.sun_path)) {
        return false;
    }
    std::memcpy(address.sun_path, path.c_str(), path.size() + 1);
    const std::string line = encode(message);
    return sendto(fd, line.data(), line.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                  reinterpret_cast<const sockaddr*>(&address),
                  sizeof(address)) == ssize_t(line.size());
}

}  // namespace tidal::control
