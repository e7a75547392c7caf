// answer_notify: zone and role, TSIG, allow-notify, then the hand-over and the answer.
#include "core/query/notify_handler.h"

#include <ldns/ldns.h>

#include "core/dns/constants.h"
#include "core/snapshot/zone_set.h"
#include "core/tsig/tsig.h"

namespace tidal::query {

namespace {

// RFC 1996 §3.7: a NOTIFY may carry the zone's new SOA in its answer section.
std::optional<uint32_t> notified_serial(const uint8_t* packet, size_t size) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, packet, size) != LDNS_STATUS_OK) {
        return std::nullopt;
    }
    std::optional<uint32_t> serial;
    const ldns_rr_list* answer = ldns_pkt_answer(pkt);
    for (size_t i = 0; answer != nullptr && i < ldns_rr_list_rr_count(answer); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answer, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 3) {
            serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
            break;
        }
    }
    ldns_pkt_free(pkt);
    return serial;
}

}  // namespace

size_t answer_notify(const ParsedQuery& query, const uint8_t* packet, size_t size, uint8_t* out,
                     size_t capacity, const snapshot::ZoneSet& zones, const sockaddr* peer,
                     NotifySink* sink, uint64_t now) {
    const tsig::RequestCheck check = tsig::verify_request(packet, size, zones.keys(), now);
    MessageWriter writer;
    writer.begin(out, capacity);
    writer.set_id(query.id);
    writer.set_flags(uint16_t(dns::flag::QR | (query.flags & 0x7800)));
    if (query.has_edns) {
        writer.reserve(MessageWriter::kOptSize);
    }
    (void)writer.write_question(query.question, query.question_size, query.qname_size);

    auto finish = [&](uint8_t rcode) -> size_t {
        writer.set_rcode(rcode);
        if (rcode == dns::rcode::NOERROR) {
            writer.add_flags(dns::flag::AA);  // RFC 1996 §4.7: the answer to an accepted NOTIFY
        }
        if (query.has_edns) {
            writer.release(MessageWriter::kOptSize);
            (void)writer.write_opt(1232, 0, query.edns_do);  // RFC 6891 §7: EDNS in, EDNS out
        }
        size_t n = writer.finish();
        if (check.status == tsig::RequestCheck::Status::Valid) {
            const size_t signed_size =
                tsig::sign(out, n, capacity, *check.key, check.request_mac, false, now);
            return signed_size != 0 ? signed_size : n;
        }
        if (check.error_code() != 0) {
            const size_t with_error =
                tsig::append_error_tsig(out, n, capacity, check.record, now, check.error_code());
            return with_error != 0 ? with_error : n;
        }
        return n;
    };

    if (check.status == tsig::RequestCheck::Status::FormErr) {
        return finish(dns::rcode::FORMERR);
    }
    if (!check.ok()) {
        return finish(dns::rcode::NOTAUTH);  // RFC 8945 §5.2
    }
    if (query.qtype != dns::rrtype::SOA || query.qclass != dns::rrclass::IN) {
        return finish(dns::rcode::FORMERR);  // RFC 1996 §3.7: QTYPE is SOA for zone changes
    }
    const std::string_view apex(reinterpret_cast<const char*>(query.qname_lower), query.qname_size);
    const auto zone = zones.zone(apex);
    const snapshot::ZonePolicy& policy = zones.policy(apex);
    if (!zone || policy.role != config::ZoneRole::Secondary) {
        return finish(dns::rcode::NOTAUTH);  // not a secondary for this zone here
    }
    if (!policy.allow_notify.allows(acl::Peer{peer, check.key})) {
        return finish(dns::rcode::REFUSED);  // RFC 1996 §3.10: only from known masters
    }
    if (sink != nullptr) {
        sink->notify(apex, notified_serial(packet, size), peer);
    }
    return finish(dns::rcode::NOERROR);
}

}  // namespace tidal::query
