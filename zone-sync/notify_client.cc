// send_notify: build (opcode NOTIFY, AA, question apex/SOA, answer the SOA), sign, send over UDP,
// match the answer by ID, check its rcode and TSIG.
#include "zone-sync/notify_client.h"

#include <ctime>
#include <random>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/query/message_writer.h"
#include "core/tsig/tsig.h"

namespace tidal::sync {

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
    const auto deadline = xfr::Clock::now() + timeout;
    auto socket = xfr::ClientSocket::open_udp(target);
    if (!socket) {
        return Error{what + ": " + socket.error().message};
    }
    if (Status sent = socket->send_all(message.data(), size, deadline); !sent) {
        return Error{what + ": " + sent.message()};
    }
    std::vector<uint8_t> answer(4096);
    while (true) {
        auto received = socket->receive_datagram(answer, deadline);
        if (!received) {
            return Error{what + ": " + received.error().message};
        }
        const size_t n = received.value();
        if (n < dns::kHeaderSize || answer[0] != uint8_t(id >> 8) || answer[1] != uint8_t(id)) {
            continue;  // not ours: keep waiting until the deadline
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
            const std::string problem =
                verifier.add(answer.data(), n, uint64_t(std::time(nullptr)));
            if (!problem.empty()) {
                return Error{what + ": " + problem};
            }
        }
        return Status::success();
    }
}

}  // namespace tidal::sync
