// SOA checks over UDP (TCP when truncated) and AXFR/IXFR over TCP: framing, TSIG verification
// of every message, and the answer handed to TransferReader.
#include "core/xfr/transfer_client.h"

#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/tsig/tsig.h"
#include "core/xfr/client_message.h"
#include "core/zone/soa_rdata.h"

namespace tidal::xfr {

namespace {

constexpr int kUdpTries = 3;

uint64_t unix_now() {
    return static_cast<uint64_t>(std::time(nullptr));
}

// "192.0.2.1:53 (key transfer)": the primary as error messages name it.
std::string peer_text(const Endpoint& primary, const tsig::Key* key) {
    return primary.to_string() + (key != nullptr ? " (key " + key->name + ")" : std::string());
}

std::vector<uint8_t> framed(const std::vector<uint8_t>& message) {
    std::vector<uint8_t> out;
    out.reserve(message.size() + 2);
    out.push_back(static_cast<uint8_t>(message.size() >> 8));
    out.push_back(static_cast<uint8_t>(message.size()));
    out.insert(out.end(), message.begin(), message.end());
    return out;
}

// Reads one length-prefixed message (RFC 1035 §4.2.2) into message. False when the peer closed
// the connection cleanly before it.
Result<bool> read_framed(ClientSocket& socket, std::vector<uint8_t>& message, size_t max_size,
                         std::chrono::milliseconds idle, Clock::time_point deadline) {
    uint8_t prefix[2];
    auto got = socket.read_exact(prefix, 2, idle, deadline);
    if (!got || !got.value()) {
        return got;
    }
    const size_t size = (size_t{prefix[0]} << 8) | prefix[1];
    if (size < dns::kHeaderSize) {
        return Error{"message of " + std::to_string(size) + " octets is shorter than a header"};
    }
    if (size > max_size) {
        return Error{"message of " + std::to_string(size) + " octets is over the limit of " +
                     std::to_string(max_size)};
    }
    message.resize(size);
    got = socket.read_exact(message.data(), size, idle, deadline);
    if (got && !got.value()) {
        return Error{"connection closed by the peer after a length prefix of " +
                     std::to_string(size) + " octets and no message"};
    }
    return got;
}

// Checks one answer to an SOA query and extracts the SOA.
Result<SoaAnswer> interpret_soa_answer(const std::vector<uint8_t>& message,
                                       const ClientRequest& request, const tsig::Key* key) {
    Status status = check_answer_header(message.data(), message.size(), request);
    if (!status) {
        return status.error();
    }
    if (key != nullptr) {
        tsig::StreamVerifier verifier(*key, request.mac);
        const std::string problem = verifier.add(message.data(), message.size(), unix_now());
        if (!problem.empty()) {
            return Error{"TSIG: " + problem};
        }
    }
    auto answer = read_answer(message.data(), message.size(), request, false);
    if (!answer) {
        return answer.error();
    }
    if (!answer->authoritative) {
        return Error{"answer is not authoritative (AA clear): the primary does not serve the zone"};
    }
    for (Record& rr : answer->answer) {
        if (rr.type == dns::rrtype::SOA && rr.owner == request.apex &&
            rr.rclass == dns::rrclass::IN) {
            const auto serial = zone::soa_serial(rr.rdata);
            if (!serial) {
                return Error{"malformed SOA in the answer"};
            }
            SoaAnswer out;
            out.serial = *serial;
            out.soa = std::move(rr);
            out.expire = answer->expire;
            return out;
        }
    }
    return Error{"answer holds no SOA record for the zone"};
}

Result<SoaAnswer> query_soa_tcp(const Endpoint& primary, const ClientRequest& request,
                                const tsig::Key* key, Clock::time_point deadline) {
    auto socket = ClientSocket::connect_tcp(primary, deadline);
    if (!socket) {
        return socket.error();
    }
    const std::vector<uint8_t> frame = framed(request.wire);
    Status status = socket->send_all(frame.data(), frame.size(), deadline);
    if (!status) {
        return status.error();
    }
    std::vector<uint8_t> message;
    const auto idle =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    auto got = read_framed(socket.value(), message, dns::kMaxMessageSize, idle, deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"connection closed by the primary without an answer"};
    }
    auto answer = interpret_soa_answer(message, request, key);
    if (answer) {
        answer->over_tcp = true;
    }
    return answer;
}

Result<SoaAnswer> query_soa_udp(const Endpoint& primary, const ClientRequest& request,
                                const tsig::Key* key, std::chrono::milliseconds timeout) {
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + timeout;
    auto socket = ClientSocket::open_udp(primary);
    if (!socket) {
        return socket.error();
    }
    std::vector<uint8_t> message(dns::kMaxMessageSize);
    for (int attempt = 1; attempt <= kUdpTries; ++attempt) {
        // Tries spread over the timeout: a lost datagram costs a third of it, not all of it.
        const Clock::time_point try_end = start + timeout * attempt / kUdpTries;
        Status sent = socket->send_all(request.wire.data(), request.wire.size(), deadline);
        if (!sent) {
            return sent.error();
        }
        for (;;) {
            message.resize(dns::kMaxMessageSize);
            auto size = socket->receive_datagram(message, try_end);
            if (!size) {
                if (Clock::now() >= try_end) {
                    break;  // timed out: try again
                }
                return size.error();  // e.g. connection refused (ICMP port unreachable)
            }
            message.resize(size.value());
            const bool for_us =
                size.value() >= dns::kHeaderSize && ((message[0] << 8) | message[1]) == request.id;
            if (!for_us) {
                continue;  // a stray or forged datagram; keep waiting for ours
            }
            Status header = check_answer_header(message.data(), message.size(), request);
            if (!header) {
                return header.error();
            }
            if ((message[2] & 0x02) != 0) {  // TC (RFC 1035 §4.2.1): ask again over TCP
                return query_soa_tcp(primary, request, key, deadline);
            }
            return interpret_soa_answer(message, request, key);
        }
    }
    return Error{"no answer within " + std::to_string(timeout.count()) + " ms (" +
                 std::to_string(kUdpTries) + " tries over UDP)"};
}

}  // namespace

Result<SoaAnswer> query_soa(const Endpoint& primary, std::string_view apex_wire,
                            const tsig::Key* key, std::chrono::milliseconds timeout) {
    const std::string what =
        "SOA query for " + dns::name_to_text(apex_wire) + " to " + peer_text(primary, key);
    auto request = build_request(apex_wire, dns::rrtype::SOA, std::nullopt, key, unix_now());
    if (!request) {
        return Error{what + ": " + request.error().message};
    }
    auto answer = query_soa_udp(primary, request.value(), key, timeout);
    if (!answer) {
        return Error{what + ": " + answer.error().message};
    }
    return answer;
}

Result<uint32_t> query_soa_serial(const Endpoint& primary, std::string_view apex_wire,
                                  const tsig::Key* key, std::chrono::milliseconds timeout) {
    auto answer = query_soa(primary, apex_wire, key, timeout);
    if (!answer) {
        return answer.error();
    }
    return answer->serial;
}

Result<TransferResult> fetch_zone(const Endpoint& primary, std::string_view apex_wire,
                                  std::optional<uint32_t> have_serial, const tsig::Key* key,
                                  const TransferLimits& limits) {
    const Clock::time_point start = Clock::now();
    const Clock::time_point deadline = start + limits.total_timeout;
    const uint16_t qtype = have_serial ? dns::rrtype::IXFR : dns::rrtype::AXFR;
    std::string what = std::string(have_serial ? "IXFR" : "AXFR") + " of " +
                       dns::name_to_text(apex_wire) + " from " + peer_text(primary, key);
    if (have_serial) {
        what += " from serial " + std::to_string(*have_serial);
    }
    auto fail = [&what](const std::string& why) { return Error{what + ": " + why}; };

    auto request = build_request(apex_wire, qtype, have_serial, key, unix_now());
    if (!request) {
        return fail(request.error().message);
    }
    auto socket =
        ClientSocket::connect_tcp(primary, std::min(deadline, start + limits.connect_timeout));
    if (!socket) {
        return fail(socket.error().message);
    }
    const std::vector<uint8_t> frame = framed(request->wire);
    Status status = socket->send_all(frame.data(), frame.size(), deadline);
    if (!status) {
        return fail(status.message());
    }

    std::unique_ptr<tsig::StreamVerifier> verifier;
    if (key != nullptr) {
        verifier = std::make_unique<tsig::StreamVerifier>(*key, request->mac);
    }
    TransferReader reader(request->apex, have_serial, limits.max_records);
    std::vector<uint8_t> message;
    std::optional<uint32_t> expire;
    uint64_t octets = 0;
    for (size_t index = 1; !reader.done(); ++index) {
        const std::string where = "message " + std::to_string(index) + ": ";
        auto got = read_framed(socket.value(), message, limits.max_message_size,
                               limits.idle_timeout, deadline);
        if (!got) {
            return fail(where + got.error().message);
        }
        if (!got.value()) {
            return fail("connection closed by the primary after " + std::to_string(index - 1) +
                        " messages, before the final SOA");
        }
        octets += message.size();
        status = check_answer_header(message.data(), message.size(), request.value());
        if (!status) {
            return fail(where + status.message());
        }
        if (verifier) {
            const std::string problem = verifier->add(message.data(), message.size(), unix_now());
            if (!problem.empty()) {
                return fail(where + "TSIG: " + problem);
            }
        }
        auto answer = read_answer(message.data(), message.size(), request.value(), index > 1);
        if (!answer) {
            return fail(where + answer.error().message);
        }
        if (index == 1) {
            expire = answer->expire;
        }
        status = reader.add_message(std::move(answer->answer));
        if (!status) {
            return fail(status.message());
        }
    }
    if (verifier && !verifier->last_signed()) {
        return fail("TSIG: the answer's last message is not signed (RFC 8945 §5.3.1)");
    }
    auto result = reader.finish();
    if (!result) {
        return fail(result.error().message);
    }
    result->expire = expire;
    result->octets = octets;
    result->duration = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    return result;
}

}  // namespace tidal::xfr
