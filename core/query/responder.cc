// The query hot path: parse, pick the zone, answer from its snapshot, add OPT. No allocation.
#include "core/query/responder.h"

#include <algorithm>
#include <ctime>
#include <optional>
#include <string_view>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/query/answer_builder.h"
#include "core/query/query_parser.h"
#include "core/snapshot/zone_set.h"
#include "core/tsig/tsig.h"
#include "core/util/wall_clock.h"

namespace tidal::query {

namespace {

// The most specific zone for the question. DS lives in the parent (RFC 4035 §3.1.4.1), so its
// zone is searched from the parent name first, falling back to the name itself.
const snapshot::ServedZone* select_zone(const snapshot::ZoneSet& zones, std::string_view qname,
                                        uint16_t qtype) {
    if (qtype == dns::rrtype::DS && qname.size() > 1) {
        if (const auto* parent = zones.find_served(dns::name_parent(qname))) {
            return parent;
        }
    }
    return zones.find_served(qname);
}

// What a stale copy served under stale-policy: serve hands out: RFC 8767 §4 suggests 30 s.
constexpr uint32_t kStaleAnswerTtl = 30;

}  // namespace

size_t Responder::respond(const uint8_t* packet, size_t size, uint8_t* out, size_t out_cap,
                          const snapshot::ZoneSet& zones, Transport transport,
                          const sockaddr* peer) {
    ParsedQuery query;
    const ParseStatus status = parse_query(packet, size, query);
    if (status == ParseStatus::Drop) {
        return 0;
    }

    // How much room the answer has: RFC 1035 §4.2.1 512 octets over UDP, or what EDNS allows
    // (RFC 6891 §6.2.5: the client's size, capped by ours, never below 512); 65535 over TCP.
    size_t limit = dns::kMaxMessageSize;
    if (transport == Transport::Udp) {
        limit = dns::kMaxUdpPayloadNoEdns;
        if (query.has_edns) {
            limit = std::max<size_t>(dns::kMaxUdpPayloadNoEdns,
                                     std::min(query.edns_payload, options_.udp_max_payload));
        }
    }
    limit = std::min(limit, out_cap);

    MessageWriter& w = writer_;
    w.begin(out, limit);
    w.set_id(query.id);
    // QR, the opcode, and RD and CD copied from the query (RFC 1035 §4.1.1, RFC 4035 §3.1.6).
    w.set_flags(uint16_t(dns::flag::QR | (query.flags & 0x7800) |
                         (query.flags & (dns::flag::RD | dns::flag::CD))));
    // An EDNS EXPIRE option asked for gets room in the OPT record (RFC 7314 §2).
    const size_t opt_room =
        query.has_edns
            ? MessageWriter::kOptSize + (query.edns_expire ? MessageWriter::kExpireOptionSize : 0)
            : 0;
    w.reserve(opt_room);
    uint8_t ext_rcode = 0;
    std::optional<uint32_t> expire_option;

    // A signed query (zone transfer daemons check SOA serials this way) gets a signed answer,
    // or NOTAUTH with the TSIG error (RFC 8945 §5.2, §5.3). Rare, so off the fast path.
    tsig::RequestCheck signature;
    size_t tsig_room = 0;
    const uint64_t now = query.has_tsig ? uint64_t(std::time(nullptr)) : 0;
    if (query.has_tsig && status == ParseStatus::Ok) {
        signature = tsig::verify_request(packet, size, zones.keys(), now);
        if (signature.key != nullptr) {
            tsig_room = tsig::signature_size(*signature.key);
        } else if (signature.error_code() != 0) {
            tsig_room = tsig::error_signature_size(signature.record);
        }
        if (tsig_room > 0) {
            w.reserve(tsig_room);
        }
    }

    auto finish = [&]() {
        if (query.has_edns) {
            w.release(opt_room);
            (void)w.write_opt(options_.udp_max_payload, ext_rcode, query.edns_do, expire_option);
        }
        size_t n = w.finish();
        if (tsig_room == 0) {
            return n;
        }
        const size_t capacity = n + tsig_room;
        size_t signed_size = 0;
        if (signature.status == tsig::RequestCheck::Status::Valid) {
            signed_size =
                tsig::sign(out, n, capacity, *signature.key, signature.request_mac, false, now);
        } else if (signature.status == tsig::RequestCheck::Status::BadTime) {
            uint8_t other[6];
            for (int i = 0; i < 6; ++i) {
                other[i] = uint8_t(now >> (8 * (5 - i)));
            }
            signed_size = tsig::sign(out, n, capacity, *signature.key, signature.request_mac, false,
                                     now, nullptr, tsig::error::BADTIME,
                                     std::string_view(reinterpret_cast<char*>(other), 6));
        } else {
            signed_size = tsig::append_error_tsig(out, n, capacity, signature.record, now,
                                                  signature.error_code());
        }
        return signed_size != 0 ? signed_size : n;
    };

    if (status == ParseStatus::FormErr) {
        w.set_rcode(dns::rcode::FORMERR);
        return finish();
    }
    if (status == ParseStatus::NotImp) {
        w.set_rcode(dns::rcode::NOTIMP);
        return finish();
    }
    // The question goes back exactly as it came, case included. It always fits: it came in a
    // message no larger than what we may send back, and limit is at least 512.
    if (!w.write_question(query.question, query.question_size, query.qname_size)) {
        w.set_rcode(dns::rcode::FORMERR);
        return finish();
    }
    if (signature.status == tsig::RequestCheck::Status::FormErr) {
        w.set_rcode(dns::rcode::FORMERR);
        return finish();
    }
    if (!signature.ok()) {
        w.set_rcode(dns::rcode::NOTAUTH);  // RFC 8945 §5.2: BADKEY, BADSIG, BADTIME
        return finish();
    }
    if (query.has_edns && query.edns_version > 0) {
        // RFC 6891 §6.1.3: BADVERS (16) is an extended rcode: upper bits in OPT, lower in header.
        ext_rcode = uint8_t(dns::rcode::BADVERS >> 4);
        w.set_rcode(uint8_t(dns::rcode::BADVERS & 0x0F));
        return finish();
    }
    if (query.opcode == dns::opcode::NOTIFY) {
        return answer_notify(query, packet, size, out, limit, zones, peer, notify_sink_,
                             uint64_t(std::time(nullptr)));
    }
    if (query.opcode != dns::opcode::QUERY) {
        // UPDATE is taken off the query path by the server (server/update_job); any other
        // opcode is not implemented (RFC 1035 §4.1.1).
        w.set_rcode(dns::rcode::NOTIMP);
        return finish();
    }
    if (query.qclass != dns::rrclass::IN && query.qclass != dns::rrclass::ANY) {
        // CH and HS data are not served (no version.bind / id.server), as Knot does by default.
        w.set_rcode(dns::rcode::REFUSED);
        return finish();
    }
    if (query.qtype == 0) {
        w.set_rcode(dns::rcode::NOTIMP);  // reserved type (RFC 6895 §3.1)
        return finish();
    }

    const std::string_view qname(reinterpret_cast<const char*>(query.qname_lower),
                                 query.qname_size);
    const snapshot::ServedZone* served = select_zone(zones, qname, query.qtype);
    if (served == nullptr) {
        w.set_rcode(dns::rcode::REFUSED);  // not authoritative for anything at or above qname
        return finish();
    }
    const snapshot::ZoneSnapshot* zone = served->zone;
    if (!zone->loaded()) {
        w.set_rcode(dns::rcode::SERVFAIL);  // configured here, but no usable data yet
        return finish();
    }
    const snapshot::ZoneFreshness& freshness = served->freshness;
    if (freshness.bounded() || query.edns_expire) {
        // A secondary's copy: expiry and bounded staleness (docs/consistency.md).
        const int64_t now_ms = wall_clock_ms();
        if (freshness.expired_at(now_ms)) {
            w.set_rcode(dns::rcode::SERVFAIL);
            return finish();
        }
        if (freshness.stale_at != 0 && now_ms >= freshness.stale_at) {
            if (!freshness.serve_stale) {
                w.set_rcode(dns::rcode::SERVFAIL);  // stale-policy refuse: ask a fresher server
                return finish();
            }
            w.set_ttl_cap(kStaleAnswerTtl);
        } else if (freshness.stale_at != 0) {
            // No cache may keep this answer past the moment the copy may turn stale.
            w.set_ttl_cap(uint32_t((freshness.stale_at - now_ms) / 1000));
        }
        if (query.edns_expire && query.has_edns) {
            expire_option = snapshot::expire_option_value(freshness, *zone, now_ms);
        }
    }
    if (query.qtype == dns::rrtype::AXFR || query.qtype == dns::rrtype::IXFR) {
        // Zone transfers come with the replication feature; until then nobody is allowed one.
        w.set_rcode(dns::rcode::REFUSED);
        return finish();
    }

    const MessageWriter::Mark after_question = w.mark();
    AnswerBuilder builder(*zone, w);
    const ZoneAnswer answer = builder.answer(query.qname, query.qname_lower, query.qtype);
    if (answer.truncated && transport == Transport::Tcp) {
        // Not even 64 KiB holds the answer: there is no way to deliver it.
        w.rollback(after_question);
        w.set_rcode(dns::rcode::SERVFAIL);
        return finish();
    }
    if (answer.authoritative) {
        w.add_flags(dns::flag::AA);
    }
    if (answer.truncated) {
        w.add_flags(dns::flag::TC);  // RFC 1035 §4.1.1; the client retries over TCP
    }
    w.set_rcode(answer.rcode);
    return finish();
}

}  // namespace tidal::query
