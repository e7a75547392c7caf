// forward_update: one TCP exchange per primary, tried in order, each under its own deadline.
#include "core/update/update_forwarder.h"

#include <cstdint>

#include "core/dns/constants.h"
#include "core/xfr/client_socket.h"

namespace tidal::update {

namespace {

// One exchange with one primary: the framed request out, one framed answer in (RFC 1035 §4.2.2).
Result<std::string> exchange(std::string_view message, const xfr::Endpoint& endpoint,
                             std::chrono::milliseconds timeout) {
    const auto deadline = xfr::Clock::now() + timeout;
    auto socket = xfr::ClientSocket::connect_tcp(endpoint, deadline);
    if (!socket) {
        return socket.error();
    }
    std::string framed;
    framed.reserve(message.size() + 2);
    framed.push_back(static_cast<char>(message.size() >> 8));
    framed.push_back(static_cast<char>(message.size() & 0xFF));
    framed.append(message);
    Status sent =
        socket->send_all(reinterpret_cast<const uint8_t*>(framed.data()), framed.size(), deadline);
    if (!sent) {
        return sent.error();
    }
    uint8_t length[2];
    auto got = socket->read_exact(length, 2, timeout, deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"closed the connection without answering"};
    }
    std::string answer(static_cast<size_t>(length[0]) << 8 | length[1], '\0');
    got = socket->read_exact(reinterpret_cast<uint8_t*>(answer.data()), answer.size(), timeout,
                             deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"closed the connection in the middle of the answer"};
    }
    // The answer must be the answer to this UPDATE: same ID, QR, opcode UPDATE.
    if (answer.size() < dns::kHeaderSize || answer[0] != message[0] || answer[1] != message[1] ||
        (static_cast<uint8_t>(answer[2]) & 0x80) == 0 ||
        ((static_cast<uint8_t>(answer[2]) >> 3) & 0x0F) != dns::opcode::UPDATE) {
        return Error{"sent something that is not the answer to the UPDATE"};
    }
    return answer;
}

}  // namespace

Result<ForwardedAnswer> forward_update(std::string_view message,
                                       const std::vector<config::Remote>& primaries,
                                       std::chrono::milliseconds timeout) {
    if (message.size() < dns::kHeaderSize || message.size() > dns::kMaxMessageSize) {
        return Error{"cannot forward a message of " + std::to_string(message.size()) + " octets"};
    }
    if (primaries.empty()) {
        return Error{"the zone has no primaries to forward to"};
    }
    std::string failures;
    for (const config::Remote& remote : primaries) {
        const xfr::Endpoint endpoint = xfr::Endpoint::from_remote(remote);
        const std::string who = remote.id + " (" + endpoint.to_string() + ")";
        auto answer = exchange(message, endpoint, timeout);
        if (answer) {
            return ForwardedAnswer{std::move(answer.value()), who};
        }
        failures += (failures.empty() ? "" : "; ") + who + ": " + answer.error().message;
    }
    return Error{"no primary answered: " + failures};
}

}  // namespace tidal::update
