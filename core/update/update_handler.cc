// UpdateHandler: the RFC 2136 §3 order of checks, the answer, and one log line per outcome.
#include "core/update/update_handler.h"

#include <spdlog/spdlog.h>

#include <string_view>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/query/message_writer.h"
#include "core/query/query_parser.h"
#include "core/tsig/tsig.h"
#include "core/update/update_forwarder.h"
#include "core/update/update_message.h"
#include "core/update/update_processor.h"
#include "core/util/socket_address.h"
#include "core/xfr/client_message.h"

namespace tidal::update {

namespace {

constexpr size_t kAnswerCapacity = 4096;  // header, zone, OPT and TSIG fit many times over

// The answer to one request: header, the zone section echoed, OPT when asked, TSIG when signed.
class Answer {
  public:
    Answer(const query::ParsedQuery& query, const tsig::RequestCheck& check, uint64_t now)
        : query_(query), check_(check), now_(now) {}

    std::string build(uint16_t rcode, bool with_question) const {
        std::string out(kAnswerCapacity, '\0');
        auto* buffer = reinterpret_cast<uint8_t*>(out.data());
        query::MessageWriter writer;
        writer.begin(buffer, kAnswerCapacity / 2);  // the other half is room for the TSIG
        writer.set_id(query_.id);
        writer.set_flags(uint16_t(dns::flag::QR | (query_.flags & 0x7800)));
        if (with_question && query_.question != nullptr) {
            (void)writer.write_question(query_.question, query_.question_size, query_.qname_size);
        }
        writer.set_rcode(uint8_t(rcode & 0x0F));
        if (query_.has_edns) {
            // RFC 6891 §7: EDNS in, EDNS out; BADVERS's upper bits go in the OPT.
            (void)writer.write_opt(1232, uint8_t(rcode >> 4), query_.edns_do);
        }
        size_t size = writer.finish();
        size_t signed_size = 0;
        if (check_.status == tsig::RequestCheck::Status::Valid) {
            signed_size = tsig::sign(buffer, size, kAnswerCapacity, *check_.key, check_.request_mac,
                                     false, now_);
        } else if (check_.status == tsig::RequestCheck::Status::BadTime) {
            uint8_t other[6];
            for (int i = 0; i < 6; ++i) {
                other[i] = uint8_t(now_ >> (8 * (5 - i)));
            }
            signed_size = tsig::sign(buffer, size, kAnswerCapacity, *check_.key, check_.request_mac,
                                     false, now_, nullptr, tsig::error::BADTIME,
                                     std::string_view(reinterpret_cast<char*>(other), 6));
        } else if (check_.error_code() != 0) {
            signed_size = tsig::append_error_tsig(buffer, size, kAnswerCapacity, check_.record,
                                                  now_, check_.error_code());
        }
        out.resize(signed_size != 0 ? signed_size : size);
        return out;
    }

  private:
    const query::ParsedQuery& query_;
    const tsig::RequestCheck& check_;
    uint64_t now_;
};

}  // namespace

bool is_update(const uint8_t* message, size_t size) {
    return size >= dns::kHeaderSize && (message[2] & 0x80) == 0 &&
           ((message[2] >> 3) & 0x0F) == dns::opcode::UPDATE;
}

UpdateHandler::~UpdateHandler() = default;

Result<store::ZoneStore*> UpdateHandler::store(const std::string& path) {
    if (!store_ || store_path_ != path) {
        store_.reset();
        auto opened = store::ZoneStore::open(path, store::ZoneStore::Mode::ReadWrite);
        if (!opened) {
            return opened.error();
        }
        store_ = std::move(opened.value());
        store_path_ = path;
    }
    return store_.get();
}

std::string UpdateHandler::handle(const UpdateRequest& request, uint64_t now) {
    const auto* packet = reinterpret_cast<const uint8_t*>(request.message.data());
    const size_t size = request.message.size();
    const auto* peer = reinterpret_cast<const sockaddr*>(&request.peer);
    const std::string peer_text = address_text(peer);

    query::ParsedQuery query;
    const query::ParseStatus parsed = query::parse_query(packet, size, query);
    if (parsed == query::ParseStatus::Drop || query.opcode != dns::opcode::UPDATE) {
        return {};
    }
    tsig::RequestCheck check;
    if (parsed == query::ParseStatus::Ok && query.has_tsig) {
        check = tsig::verify_request(packet, size, request.zones->keys(), now);
    }
    const Answer answer(query, check, now);
    const std::string key_text = check.key != nullptr ? check.key->name
                                 : query.has_tsig     ? dns::name_to_text(check.record.key_name)
                                                      : std::string("none");
    const std::string zone_text =
        query.question != nullptr
            ? dns::name_to_text(std::string_view(reinterpret_cast<const char*>(query.qname_lower),
                                                 query.qname_size))
            : std::string("?");
    auto refuse = [&](uint16_t rcode, const std::string& why) {
        spdlog::warn("UPDATE {} from {} key {}: {} ({})", zone_text, peer_text, key_text,
                     xfr::rcode_text(rcode), why);
        return answer.build(rcode, true);
    };

    if (parsed != query::ParseStatus::Ok || check.status == tsig::RequestCheck::Status::FormErr) {
        return refuse(dns::rcode::FORMERR, "malformed message");
    }
    if (query.qtype != dns::rrtype::SOA || query.qclass != dns::rrclass::IN) {
        return refuse(dns::rcode::FORMERR, "the zone section is not one SOA of class IN");
    }
    const std::string apex(reinterpret_cast<const char*>(query.qname_lower), query.qname_size);
    const auto zone = request.zones->zone(apex);
    const snapshot::ZonePolicy& policy = request.zones->policy(apex);
    if (zone && policy.role == config::ZoneRole::Secondary) {
        // RFC 2136 §6: the primary decides (it checks the TSIG, which this host need not
        // know); its answer goes back unchanged (same ID, its TSIG).
        auto forwarded = forward_update(request.message, policy.primaries);
        if (!forwarded) {
            return refuse(dns::rcode::SERVFAIL, "forwarding failed: " + forwarded.error().message);
        }
        const auto& relayed = forwarded->message;
        spdlog::info("UPDATE {} from {} key {}: forwarded to {}, answer {}", zone_text, peer_text,
                     key_text, forwarded->primary,
                     xfr::rcode_text(static_cast<uint8_t>(relayed[3]) & 0x0F));
        return relayed;
    }
    if (!check.ok()) {
        // RFC 8945 §5.2: NOTAUTH, the TSIG error in the answer's TSIG.
        return refuse(dns::rcode::NOTAUTH, "TSIG " + xfr::tsig_error_text(check.error_code()));
    }
    if (query.has_edns && query.edns_version > 0) {
        return refuse(dns::rcode::BADVERS, "EDNS version " + std::to_string(query.edns_version));
    }
    if (!zone) {
        return refuse(dns::rcode::NOTAUTH, "not a zone served here");  // RFC 2136 §3.1.1
    }

    if (policy.allow_update.empty()) {
        return refuse(dns::rcode::REFUSED, "no allow-update for the zone");
    }
    if (!policy.allow_update.allows(acl::Peer{peer, check.key})) {
        return refuse(dns::rcode::REFUSED, check.key != nullptr
                                               ? "key not in allow-update"
                                               : "unsigned, and allow-update does not match");
    }
    if (!zone->loaded()) {
        return refuse(dns::rcode::SERVFAIL, "the zone has no data here");
    }
    ParseResult sections = parse_update(packet, size);
    if (sections.rcode != dns::rcode::NOERROR) {
        return refuse(sections.rcode, sections.why);
    }
    auto opened = store(request.zones->database());
    if (!opened) {
        store_.reset();
        return refuse(dns::rcode::SERVFAIL, opened.error().message);
    }
    auto applied = apply_update(*opened.value(), sections.message, policy.serial_policy);
    if (!applied) {
        store_.reset();  // reopen next time: the connection may be what failed
        spdlog::error("UPDATE {} from {} key {}: {}", zone_text, peer_text, key_text,
                      applied.error().message);
        return answer.build(dns::rcode::SERVFAIL, true);
    }
    const UpdateResult& result = applied.value();
    if (result.rcode != dns::rcode::NOERROR) {
        spdlog::info("UPDATE {} from {} key {}: {} ({}); nothing changed", zone_text, peer_text,
                     key_text, xfr::rcode_text(result.rcode), result.why);
        return answer.build(result.rcode, true);
    }
    if (result.applied) {
        spdlog::info("UPDATE {} from {} key {} over {}: serial {}, {} RRs removed, {} added{}",
                     zone_text, peer_text, key_text, request.tcp ? "TCP" : "UDP", result.serial,
                     result.removed, result.added,
                     result.ignored != 0
                         ? ", " + std::to_string(result.ignored) + " ignored (RFC 2136 §3.4.2)"
                         : std::string());
    } else {
        spdlog::info("UPDATE {} from {} key {}: no change, serial stays {}{}", zone_text, peer_text,
                     key_text, result.serial,
                     result.ignored != 0
                         ? ", " + std::to_string(result.ignored) + " ignored (RFC 2136 §3.4.2)"
                         : std::string());
    }
    return answer.build(dns::rcode::NOERROR, true);
}

}  // namespace tidal::update
