// Control messages: encoding, decoding and a non-blocking send.
#include "core/control/control_message.h"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstdint>
#include <cstring>
#include <sstream>

#include "core/dns/name.h"

namespace tidal::control {

std::string encode(const Message& message) {
    const std::string zone = dns::name_to_text(message.zone);
    if (message.kind == Message::Kind::Changed) {
        return "changed " + zone + "\n";
    }
    if (message.kind == Message::Kind::Serving) {
        return "serving " + zone + " " + std::to_string(message.serial.value_or(0)) + "\n";
    }
    if (message.kind == Message::Kind::Transfer) {
        return "transfer " + zone + " " + message.transfer_kind + " " +
               (message.serial ? std::to_string(*message.serial) : "-") + " " +
               std::to_string(message.serial_sent) + " " +
               (message.peer.empty() ? "-" : message.peer) + " " +
               (message.key.empty() ? "-" : message.key) + "\n";
    }
    return "notify " + zone + " " + (message.serial ? std::to_string(*message.serial) : "-") + " " +
           (message.peer.empty() ? "-" : message.peer) + "\n";
}

namespace {

// A serial field: digits that fit 32 bits, or "-" (none) when optional is allowed.
Result<std::optional<uint32_t>> parse_serial(const std::string& text, bool optional) {
    if (optional && (text.empty() || text == "-")) {
        return std::optional<uint32_t>();
    }
    uint64_t value = 0;
    if (text.empty() || text.size() > 10 ||
        text.find_first_not_of("0123456789") != std::string::npos ||
        (value = std::stoull(text)) > UINT32_MAX) {
        return Error{"control message: bad serial '" + text + "'"};
    }
    return std::optional<uint32_t>(uint32_t(value));
}

}  // namespace

Result<Message> decode(std::string_view text) {
    std::istringstream in{std::string(text)};
    std::string verb, zone;
    in >> verb >> zone;
    Message message;
    if (verb == "changed") {
        message.kind = Message::Kind::Changed;
    } else if (verb == "serving") {
        message.kind = Message::Kind::Serving;
        std::string serial;
        in >> serial;
        auto parsed = parse_serial(serial, false);
        if (!parsed) {
            return parsed.error();
        }
        message.serial = parsed.value();
    } else if (verb == "notify") {
        message.kind = Message::Kind::Notify;
        std::string serial, peer;
        in >> serial >> peer;
        auto parsed = parse_serial(serial, true);
        if (!parsed) {
            return parsed.error();
        }
        message.serial = parsed.value();
        message.peer = peer == "-" ? "" : peer;
    } else if (verb == "transfer") {
        message.kind = Message::Kind::Transfer;
        std::string asked, sent, peer, key;
        in >> message.transfer_kind >> asked >> sent >> peer >> key;
        if (message.transfer_kind != "AXFR" && message.transfer_kind != "IXFR") {
            return Error{"control message: bad transfer kind '" + message.transfer_kind + "'"};
        }
        auto asked_serial = parse_serial(asked, true);
        if (!asked_serial) {
            return asked_serial.error();
        }
        auto sent_serial = parse_serial(sent, false);
        if (!sent_serial) {
            return sent_serial.error();
        }
        if (peer.empty() || peer == "-") {
            return Error{"control message: transfer without a peer"};
        }
        message.serial = asked_serial.value();
        message.serial_sent = **sent_serial;
        message.peer = peer;
        message.key = key == "-" ? "" : key;
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
