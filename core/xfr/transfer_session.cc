// TransferSession: request checks, then messages filled with RRs from a RecordStream, each one
// signed when the request was (RFC 8945 §5.3.1).
#include "core/xfr/transfer_session.h"

#include <arpa/inet.h>
#include <ldns/ldns.h>
#include <netinet/in.h>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/util/socket_address.h"
#include "core/util/wall_clock.h"
#include "core/zone/serial_arith.h"

namespace tidal::xfr {

namespace {

// The client's serial from the SOA in the authority section of an IXFR request (RFC 1995 §3).
bool ixfr_client_serial(const uint8_t* message, size_t size, uint32_t& serial) {
    ldns_pkt* pkt = nullptr;
    if (ldns_wire2pkt(&pkt, message, size) != LDNS_STATUS_OK) {
        return false;
    }
    bool found = false;
    const ldns_rr_list* authority = ldns_pkt_authority(pkt);
    for (size_t i = 0; authority != nullptr && i < ldns_rr_list_rr_count(authority); ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(authority, i);
        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) >= 3) {
            serial = ldns_rdf2native_int32(ldns_rr_rdf(rr, 2));
            found = true;
            break;
        }
    }
    ldns_pkt_free(pkt);
    return found;
}

}  // namespace

bool is_transfer_request(const uint8_t* message, size_t size) {
    // Checked for every TCP message, so only the octets that decide: a QUERY (opcode 0, QR
    // clear) with one question whose type is AXFR or IXFR. The session parses it properly.
    if (size < dns::kHeaderSize || (message[2] & 0xF8) != 0 || message[4] != 0 || message[5] != 1) {
        return false;
    }
    const size_t name = dns::name_wire_length(message + dns::kHeaderSize, size - dns::kHeaderSize);
    if (name == 0 || dns::kHeaderSize + name + 4 > size) {
        return false;
    }
    const uint8_t* type = message + dns::kHeaderSize + name;
    const uint16_t qtype = uint16_t((type[0] << 8) | type[1]);
    return qtype == dns::rrtype::AXFR || qtype == dns::rrtype::IXFR;
}

TransferSession::TransferSession(std::shared_ptr<const snapshot::ZoneSet> zones,
                                 const uint8_t* query, size_t size, const sockaddr* peer,
                                 uint64_t now)
    : zones_(std::move(zones)),
      query_(reinterpret_cast<const char*>(query), size),
      peer_text_(tidal::address_text(peer)) {
    const auto* msg = reinterpret_cast<const uint8_t*>(query_.data());
    query::parse_query(msg, size, parsed_);
    kind_ = parsed_.qtype == dns::rrtype::AXFR ? "AXFR" : "IXFR";

    tsig_ = tsig::verify_request(msg, size, zones_->keys(), now);
    switch (tsig_.status) {
        case tsig::RequestCheck::Status::Unsigned:
        case tsig::RequestCheck::Status::Valid:
            break;
        case tsig::RequestCheck::Status::FormErr:
            fail(dns::rcode::FORMERR, "malformed TSIG");
            return;
        default:
            // RFC 8945 §5.2: NOTAUTH with the TSIG error (BADKEY, BADSIG, BADTIME, BADTRUNC).
            fail(dns::rcode::NOTAUTH,
                 "TSIG check failed (error " + std::to_string(tsig_.error_code()) + ")");
            return;
    }
    if (parsed_.qclass != dns::rrclass::IN) {
        fail(dns::rcode::REFUSED, "class is not IN");
        return;
    }
    const std::string apex(reinterpret_cast<const char*>(parsed_.qname_lower), parsed_.qname_size);
    zone_ = zones_->zone(apex);
    if (!zone_) {
        fail(dns::rcode::NOTAUTH, "zone not served here");
        return;  // RFC 5936 §2.2.1
    }
    const acl::Peer who{peer, tsig_.key};
    if (!zones_->policy(apex).allow_transfer.allows(who)) {
        fail(dns::rcode::REFUSED, "not allowed by allow-transfer");
        return;  // RFC 5936 §2.2.1
    }
    if (!zone_->loaded()) {
        fail(dns::rcode::SERVFAIL, "zone has no data");
        return;
    }
    const snapshot::ZoneFreshness& freshness = zones_->freshness(apex);
    const int64_t now_ms = wall_clock_ms();
    if (freshness.expired_at(now_ms)) {
        fail(dns::rcode::SERVFAIL, "zone expired here");  // RFC 1035 §3.3.13
        return;
    }
    if (parsed_.has_edns && parsed_.edns_expire) {
        // RFC 7314 §3: how long a secondary of ours may keep the copy it gets from us.
        expire_ = snapshot::expire_option_value(freshness, *zone_, now_ms);
    }
    if (parsed_.qtype == dns::rrtype::AXFR) {
        stream_ = axfr_stream(zone_);
        served_serial_ = zone_->serial();
        state_ = State::Streaming;
        return;
    }
    if (!ixfr_client_serial(msg, size, client_serial_)) {
        fail(dns::rcode::FORMERR, "IXFR without the client's SOA");
        return;  // RFC 1995 §3
    }
    state_ = State::NeedJournal;
}

size_t TransferSession::opt_size() const {
    if (!parsed_.has_edns) {
        return 0;
    }
    return query::MessageWriter::kOptSize + (expire_ ? query::MessageWriter::kExpireOptionSize : 0);
}

void TransferSession::fail(uint8_t rcode, const std::string& why) {
    state_ = State::Error;
    error_rcode_ = rcode;
    why_ = why;
}

void TransferSession::load_journal() {
    if (state_ != State::NeedJournal) {
        return;
    }
    std::optional<std::vector<store::JournalEntry>> entries;
    std::optional<store::ReaderPool> own_pool;  // a zone set without a pool (tests)
    store::ReaderPool* readers = zones_->readers();
    if (readers == nullptr) {
        readers = &own_pool.emplace(zones_->database(), 0);
    }
    if (auto store = readers->acquire()) {
        auto read = store.value()->read_journal(zone_->apex(), client_serial_);
        if (read) {
            entries = std::move(read.value());
        } else {
            why_ = read.error().message;
            store->discard();
        }
    } else {
        why_ = store.error().message;
    }
    // The journal is read from the store in one transaction: it may reach past the snapshot
    // queries are answered from (tidald picks a commit up within a poll interval). Serving it
    // all gets a NOTIFYing primary's change to its secondaries without waiting for that.
    if (entries && entries->empty()) {
        // RFC 1995 §2: a client as new as we are gets our SOA alone.
        kind_ = "IXFR (up to date)";
        stream_ = soa_stream(zone_);
        served_serial_ = zone_->serial();
        state_ = State::Streaming;
        return;
    }
    if (entries && !entries->empty()) {
        served_serial_ = entries->back().serial_to;
        stream_ = ixfr_stream(*entries);
    } else {
        // RFC 1995 §4: when the history does not reach back, the whole zone, AXFR-style.
        kind_ = "IXFR (AXFR-style)";
        stream_ = axfr_stream(zone_);
        served_serial_ = zone_->serial();
    }
    state_ = State::Streaming;
}

size_t TransferSession::sign(uint8_t* out, size_t size, size_t capacity, uint64_t now) {
    if (tsig_.key == nullptr) {
        return size;
    }
    std::string mac;
    const bool first = messages_ == 0;
    const size_t signed_size =
        tsig::sign(out, size, capacity, *tsig_.key,
                   first ? std::string_view(tsig_.request_mac) : std::string_view(prior_mac_),
                   !first, now, &mac);
    prior_mac_ = mac;
    return signed_size;
}

size_t TransferSession::write_error(uint8_t* out, size_t capacity, uint64_t now) {
    writer_.begin(out, capacity);
    writer_.set_id(parsed_.id);
    writer_.set_flags(uint16_t(dns::flag::QR | (parsed_.flags & 0x7800)));
    writer_.set_rcode(error_rcode_);
    if (parsed_.question != nullptr) {
        const size_t offset =
            size_t(parsed_.question - reinterpret_cast<const uint8_t*>(query_.data()));
        (void)writer_.write_question(reinterpret_cast<const uint8_t*>(query_.data()) + offset,
                                     parsed_.question_size, parsed_.qname_size);
    }
    size_t size = writer_.finish();
    if (tsig_.status == tsig::RequestCheck::Status::BadTime) {
        // RFC 8945 §5.2.3: signed, with our time in Other Data.
        uint8_t other[6];
        for (int i = 5; i >= 0; --i) {
            other[i] = uint8_t(now >> (8 * (5 - i)));
        }
        std::string mac;
        const size_t n =
            tsig::sign(out, size, capacity, *tsig_.key, tsig_.request_mac, false, now, &mac,
                       tsig::error::BADTIME, std::string_view(reinterpret_cast<char*>(other), 6));
        return n != 0 ? n : size;
    }
    if (tsig_.error_code() != 0) {
        const size_t n =
            tsig::append_error_tsig(out, size, capacity, tsig_.record, now, tsig_.error_code());
        return n != 0 ? n : size;
    }
    return size;
}

size_t TransferSession::next(uint8_t* out, size_t capacity, uint64_t now) {
    if (state_ == State::Done || state_ == State::NeedJournal) {
        return 0;
    }
    if (state_ == State::Error) {
        state_ = State::Done;
        return write_error(out, capacity, now);
    }
    StreamRr rr;
    if (!stream_->current(rr)) {
        state_ = State::Done;
        transferred_ = true;
        return 0;
    }
    writer_.begin(out, capacity);
    writer_.reserve((tsig_.key != nullptr ? tsig::signature_size(*tsig_.key) : 0) + opt_size());
    writer_.set_id(parsed_.id);
    // RFC 5936 §2.2.1: AA set; the question only in the first message.
    writer_.set_flags(uint16_t(dns::flag::QR | dns::flag::AA | (parsed_.flags & 0x7800)));
    if (messages_ == 0) {
        const auto* base = reinterpret_cast<const uint8_t*>(query_.data());
        const size_t offset = size_t(parsed_.question - base);
        (void)writer_.write_question(base + offset, parsed_.question_size, parsed_.qname_size);
    }
    size_t in_message = 0;
    while (stream_->current(rr)) {
        if (!writer_.write_rr(query::Section::Answer, rr.owner, rr.type, dns::rrclass::IN, rr.ttl,
                              rr.rdata, rr.rdlength)) {
            break;
        }
        ++in_message;
        stream_->advance();
    }
    if (in_message == 0) {
        // Not even one RR fits an empty message: the zone cannot be transferred.
        error_rcode_ = dns::rcode::SERVFAIL;
        why_ = "a record does not fit in a message";
        state_ = State::Done;
        return write_error(out, capacity, now);
    }
    records_ += in_message;
    if (parsed_.has_edns) {
        writer_.release(opt_size());
        (void)writer_.write_opt(1232, 0, false, expire_);
    }
    const size_t size = writer_.finish();
    const size_t signed_size = sign(out, size, capacity, now);
    ++messages_;
    return signed_size;
}

std::optional<TransferSession::Served> TransferSession::served() const {
    if (!transferred_ || !zone_) {
        return std::nullopt;
    }
    Served out;
    out.zone = zone_->apex();
    out.kind = parsed_.qtype == dns::rrtype::AXFR ? "AXFR" : "IXFR";
    if (parsed_.qtype == dns::rrtype::IXFR) {
        out.serial_asked = client_serial_;
    }
    out.serial_sent = served_serial_;
    out.peer = peer_text_;
    out.key = tsig_.key != nullptr ? tsig_.key->name : std::string();
    return out;
}

std::string TransferSession::describe() const {
    std::string zone =
        zone_ ? dns::name_to_text(zone_->apex())
              : dns::name_to_text(std::string_view(
                    reinterpret_cast<const char*>(parsed_.qname_lower), parsed_.qname_size));
    std::string text = kind_ + " " + zone + " to " + peer_text_;
    if (tsig_.key != nullptr) {
        text += " key " + tsig_.key->name;
    }
    if (!why_.empty() && !transferred_) {
        return text + ": refused: " + why_;
    }
    if (zone_) {
        text += ", serial " + std::to_string(zone_->serial());
    }
    return text + ": " + std::to_string(messages_) + " messages, " + std::to_string(records_) +
           " records";
}

}  // namespace tidal::xfr
