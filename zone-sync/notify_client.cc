// send_notify: build (opcode NOTIFY, AA, question apex/SOA, answer the SOA), sign, send over UDP,
// match the answer by ID, check its rcode and TSIG.
#include "zone-sync/notify_client.h"

#include <algorithm>
#include <ctime>
#include <random>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/query/message_writer.h"
#include "core/tsig/tsig.h"

namespace tidal::sync {

namespace {

// Sends the message over UDP and waits for the datagram with its ID; its length in answer.
Result<size_t> exchange_udp(const xfr::Endpoint& target, const uint8_t* message, size_t size,
                            uint16_t id, std::vector<uint8_t>& answer,
                            xfr::Clock::time_point deadline) {
    auto socket = xfr::ClientSocket::open_udp(target);
    if (!socket) {
        return socket.error();
    }
    if (Status sent = socket->send_all(message, size, deadline); !sent) {
        return sent.error();
    }
    while (true) {
        auto received = socket->receive_datagram(answer, deadline);
        if (!received) {
            return received.error();
        }
        const size_t n = received.value();
        if (n >= dns::kHeaderSize && answer[0] == uint8_t(id >> 8) && answer[1] == uint8_t(id)) {
            return n;
        }
        // Not ours: keep waiting until the deadline.
    }
}

// Sends the message over TCP (RFC 1035 §4.2.2: two-octet length first) and reads one answer.
Result<size_t> exchange_tcp(const xfr::Endpoint& target, const uint8_t* message, size_t size,
                            std::vector<uint8_t>& answer, xfr::Clock::time_point deadline) {
    auto socket = xfr::ClientSocket::connect_tcp(target, deadline);
    if (!socket) {
        return socket.error();
    }
    std::vector<uint8_t> framed{uint8_t(size >> 8), uint8_t(size & 0xff)};
    framed.insert(framed.end(), message, message + size);
    if (Status sent = socket->send_all(framed.data(), framed.size(), deadline); !sent) {
        return sent.error();
    }
    const auto idle =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - xfr::Clock::now());
    uint8_t length[2];
    auto got = socket->read_exact(length, 2, idle, deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"connection closed without an answer"};
    }
    const size_t n = (size_t(length[0]) << 8) | length[1];
    answer.resize(std::max<size_t>(answer.size(), n));
    got = socket->read_exact(answer.data(), n, idle, deadline);
    if (!got) {
        return got.error();
    }
    if (!got.value()) {
        return Error{"connection closed without an answer"};
    }
    return n;
}

}  // namespace

Status send_notify(const xfr::Endpoint& target, std::string_view apex, const Record& soa,
                   const tsig::Key* key, std::chrono::milliseconds timeout) {
    const std::string what = "NOTIFY for " + dns::name_to_text(apex) + " to " + target.to_string();
    std::vector<uint8_t> message(1024);
    query::MessageWriter writer;
    writer.begin(message.data(), message.size());
    thread_local std::mt19937 random{std::random_device{}()};
    const auto id = uint16_t(random());
    writer.set_id(id);
    writer.set_flags(uint16_t((dns::opcode::NOTIFY << 11) | dns::flag::AA));
    std::string question(apex);
    question += std::string("\0\x06\0\x01", 4);  // QTYPE SOA, QCLASS IN
    if (!writer.write_question(reinterpret_cast<const uint8_t*>(question.data()), question.size(),
                               apex.size()) ||
        !writer.write_rr(query::Section::Answer, reinterpret_cast<const uint8_t*>(apex.data()),
                         dns::rrtype::SOA, dns::rrclass::IN, soa.ttl,
                         reinterpret_cast<const uint8_t*>(soa.rdata.data()), soa.rdata.size())) {
        return Error{what + ": message does not fit"};
    }
    size_t size = writer.finish();
    const uint64_t now = uint64_t(std::time(nullptr));
    std::string mac;
    if (key != nullptr) {
        size = tsig::sign(message.data(), size, message.size(), *key, {}, false, now, &mac);
        if (size == 0) {
            return Error{what + ": cannot sign with key " + key->name};
        }
    }
    // UDP first (RFC 1996 §3.3); when it goes unanswered for half the time (a lost datagram, or
    // a secondary whose UDP socket a flood keeps full), the same message over TCP, which a UDP
    // flood does not touch.
    const auto udp_deadline = xfr::Clock::now() + timeout / 2;
    const auto deadline = xfr::Clock::now() + timeout;
    std::vector<uint8_t> answer(4096);
    auto received = exchange_udp(target, message.data(), size, id, answer, udp_deadline);
    if (!received) {
        auto over_tcp = exchange_tcp(target, message.data(), size, answer, deadline);
        if (!over_tcp) {
            return Error{what + ": " + received.error().message +
                         "; over TCP: " + over_tcp.error().message};
        }
        received = over_tcp;
    }
    const size_t n = received.value();
    if (n < dns::kHeaderSize || answer[0] != uint8_t(id >> 8) || answer[1] != uint8_t(id)) {
        return Error{what + ": answer with another ID"};
    }
    const uint8_t opcode = uint8_t((answer[2] >> 3) & 0x0F);
    if ((answer[2] & 0x80) == 0 || opcode != dns::opcode::NOTIFY) {
        return Error{what + ": answer is not a NOTIFY response"};
    }
    const uint8_t rcode = answer[3] & 0x0F;
    if (rcode != dns::rcode::NOERROR) {
        static const char* kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                       "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                       "NXRRSET", "NOTAUTH", "NOTZONE"};
        return Error{what + ": secondary answered " +
                     (rcode < 11 ? kNames[rcode] : "rcode " + std::to_string(rcode))};
    }
    if (key != nullptr) {
        tsig::StreamVerifier verifier(*key, mac);
        const std::string problem = verifier.add(answer.data(), n, uint64_t(std::time(nullptr)));
        if (!problem.empty()) {
            return Error{what + ": " + problem};
        }
    }
    return Status::success();
}

}  // namespace tidal::sync
