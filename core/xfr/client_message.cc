// Requests written by hand (a dozen fields), answers read by ldns: its wire2pkt decompresses
// names inside the rdata of every type it knows (RFC 3597 §4), which the store needs
// uncompressed.
#include "core/xfr/client_message.h"

#include <ldns/ldns.h>
#include <sys/random.h>

#include <memory>
#include <random>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/tsig/tsig.h"

namespace tidal::xfr {

namespace {

constexpr uint16_t kOptionExpire = 9;  // RFC 7314 §2
constexpr size_t kRequestCapacity = 1024;

void append16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}
void append32(std::vector<uint8_t>& out, uint32_t v) {
    append16(out, static_cast<uint16_t>(v >> 16));
    append16(out, static_cast<uint16_t>(v));
}
void append_bytes(std::vector<uint8_t>& out, std::string_view bytes) {
    out.insert(out.end(), bytes.begin(), bytes.end());
}
uint16_t read16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint16_t random_id() {
    uint16_t id = 0;
    if (getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
        std::random_device device;  // getrandom cannot fail for 2 octets; still, never a fixed ID
        id = static_cast<uint16_t>(device());
    }
    return id;
}

struct PacketDeleter {
    void operator()(ldns_pkt* pkt) const { ldns_pkt_free(pkt); }
};
struct BufferDeleter {
    void operator()(ldns_buffer* buffer) const { ldns_buffer_free(buffer); }
};

std::string rdf_bytes(const ldns_rdf* rdf) {
    return std::string(reinterpret_cast<const char*>(ldns_rdf_data(rdf)), ldns_rdf_size(rdf));
}

// The EDNS EXPIRE value among the OPT record's options, if any (RFC 7314 §2: 4 octets).
std::optional<uint32_t> find_expire(const ldns_rdf* options) {
    if (options == nullptr) {
        return std::nullopt;
    }
    const uint8_t* p = ldns_rdf_data(options);
    const size_t size = ldns_rdf_size(options);
    for (size_t pos = 0; pos + 4 <= size;) {
        const uint16_t code = read16(p + pos);
        const uint16_t length = read16(p + pos + 2);
        if (pos + 4 + length > size) {
            break;
        }
        if (code == kOptionExpire && length == 4) {
            return (uint32_t{read16(p + pos + 4)} << 16) | read16(p + pos + 6);
        }
        pos += 4 + size_t{length};
    }
    return std::nullopt;
}

}  // namespace

std::string rcode_text(uint16_t rcode) {
    static const char* const kNames[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
                                         "NOTIMP",  "REFUSED", "YXDOMAIN", "YXRRSET",
                                         "NXRRSET", "NOTAUTH", "NOTZONE"};
    if (rcode < std::size(kNames)) {
        return kNames[rcode];
    }
    if (rcode == dns::rcode::BADVERS) {
        return "BADVERS";
    }
    return "RCODE " + std::to_string(rcode);
}

std::string tsig_error_text(uint16_t error) {
    // RFC 8945 §3 and the IANA registry: 16 BADSIG .. 22 BADTRUNC, 23 BADCOOKIE (RFC 7873).
    static const char* const kNames[] = {"BADSIG",  "BADKEY", "BADTIME",  "BADMODE",
                                         "BADNAME", "BADALG", "BADTRUNC", "BADCOOKIE"};
    if (error >= 16 && error < 16 + std::size(kNames)) {
        return kNames[error - 16];
    }
    return "error " + std::to_string(error);
}

Result<ClientRequest> build_request(std::string_view apex_wire, uint16_t qtype,
                                    std::optional<uint32_t> ixfr_serial, const tsig::Key* key,
                                    uint64_t now) {
    ClientRequest request;
    request.apex = dns::name_lowered(apex_wire);
    request.qtype = qtype;
    request.id = random_id();
    const auto* apex = reinterpret_cast<const uint8_t*>(request.apex.data());
    if (request.apex.empty() ||
        dns::name_wire_length(apex, request.apex.size()) != request.apex.size()) {
        return Error{"malformed zone name in the request"};
    }
    std::vector<uint8_t>& out = request.wire;
    out.reserve(kRequestCapacity);
    append16(out, request.id);
    append16(out, 0);  // QUERY, RD clear: a transfer client asks the primary itself
    append16(out, 1);  // QDCOUNT
    append16(out, 0);  // ANCOUNT
    append16(out, ixfr_serial ? 1 : 0);
    append16(out, 1);  // ARCOUNT: OPT
    append_bytes(out, request.apex);
    append16(out, qtype);
    append16(out, dns::rrclass::IN);
    if (ixfr_serial) {
        // RFC 1995 §3: the client's SOA; servers read only its serial, so the names are root.
        append_bytes(out, request.apex);
        append16(out, dns::rrtype::SOA);
        append16(out, dns::rrclass::IN);
        append32(out, 0);
        append16(out, 22);
        out.push_back(0);  // MNAME .
        out.push_back(0);  // RNAME .
        append32(out, *ixfr_serial);
        for (int i = 0; i < 4; ++i) {
            append32(out, 0);  // REFRESH RETRY EXPIRE MINIMUM
        }
    }
    // OPT (RFC 6891 §6.1.2): root owner, class = payload size, TTL 0, one empty EXPIRE option.
    out.push_back(0);
    append16(out, dns::rrtype::OPT);
    append16(out, kClientUdpPayload);
    append32(out, 0);
    append16(out, 4);
    append16(out, kOptionExpire);
    append16(out, 0);
    if (key != nullptr) {
        const size_t size = out.size();
        out.resize(kRequestCapacity);
        const size_t signed_size =
            tsig::sign(out.data(), size, out.size(), *key, {}, false, now, &request.mac);
        if (signed_size == 0) {
            return Error{"cannot sign the request with key " + key->name};
        }
        out.resize(signed_size);
    }
    return request;
}

Status check_answer_header(const uint8_t* message, size_t size, const ClientRequest& request) {
    if (size < dns::kHeaderSize) {
        return Error{"answer of " + std::to_string(size) + " octets is shorter than a header"};
    }
    if (read16(message) != request.id) {
        return Error{"answer has ID " + std::to_string(read16(message)) + ", the request had " +
                     std::to_string(request.id)};
    }
    const uint16_t flags = read16(message + 2);
    if ((flags & dns::flag::QR) == 0) {
        return Error{"answer does not have the QR flag set"};
    }
    const uint16_t opcode = static_cast<uint16_t>((flags >> 11) & 0xF);
    if (opcode != dns::opcode::QUERY) {
        return Error{"answer has opcode " + std::to_string(opcode)};
    }
    const uint16_t rcode = flags & 0xF;
    if (rcode != dns::rcode::NOERROR) {
        std::string text = "primary answered " + rcode_text(rcode);
        tsig::TsigRecord record;
        if (tsig::find_tsig(message, size, record) == tsig::Found::Found && record.error != 0) {
            text += " (TSIG error " + tsig_error_text(record.error) + ")";
        }
        return Error{text};
    }
    return Status::success();
}

Result<AnswerMessage> read_answer(const uint8_t* message, size_t size, const ClientRequest& request,
                                  bool question_optional) {
    ldns_pkt* raw = nullptr;
    const ldns_status status = ldns_wire2pkt(&raw, message, size);
    std::unique_ptr<ldns_pkt, PacketDeleter> pkt(raw);
    if (status != LDNS_STATUS_OK) {
        return Error{std::string("malformed answer: ") + ldns_get_errorstr_by_id(status)};
    }
    if (ldns_pkt_edns_extended_rcode(pkt.get()) != 0) {
        const uint16_t rcode = static_cast<uint16_t>(
            (ldns_pkt_edns_extended_rcode(pkt.get()) << 4) | ldns_pkt_get_rcode(pkt.get()));
        return Error{"primary answered " + rcode_text(rcode)};
    }
    const ldns_rr_list* question = ldns_pkt_question(pkt.get());
    const size_t questions = question != nullptr ? ldns_rr_list_rr_count(question) : 0;
    if (questions > 1 || (questions == 0 && !question_optional)) {
        return Error{"answer has " + std::to_string(questions) + " questions, expected 1"};
    }
    if (questions == 1) {
        const ldns_rr* q = ldns_rr_list_rr(question, 0);
        if (!dns::name_equal(rdf_bytes(ldns_rr_owner(q)), request.apex) ||
            ldns_rr_get_type(q) != request.qtype || ldns_rr_get_class(q) != LDNS_RR_CLASS_IN) {
            return Error{"answer's question is not the one asked"};
        }
    }

    AnswerMessage out;
    out.expire = find_expire(ldns_pkt_edns_data(pkt.get()));
    out.authoritative = ldns_pkt_aa(pkt.get());
    out.truncated = ldns_pkt_tc(pkt.get());
    const ldns_rr_list* answer = ldns_pkt_answer(pkt.get());
    const size_t count = answer != nullptr ? ldns_rr_list_rr_count(answer) : 0;
    out.answer.reserve(count);
    std::unique_ptr<ldns_buffer, BufferDeleter> buffer(ldns_buffer_new(dns::kMaxMessageSize));
    for (size_t i = 0; i < count; ++i) {
        const ldns_rr* rr = ldns_rr_list_rr(answer, i);
        Record record;
        record.owner = rdf_bytes(ldns_rr_owner(rr));
        dns::name_to_lower(record.owner);
        record.type = static_cast<uint16_t>(ldns_rr_get_type(rr));
        record.rclass = static_cast<uint16_t>(ldns_rr_get_class(rr));
        record.ttl = ldns_rr_ttl(rr);
        ldns_buffer_clear(buffer.get());
        if (ldns_rr_rdata2buffer_wire(buffer.get(), rr) != LDNS_STATUS_OK) {
            return Error{"cannot convert the rdata of answer record " + std::to_string(i + 1)};
        }
        record.rdata.assign(reinterpret_cast<const char*>(ldns_buffer_begin(buffer.get())),
                            ldns_buffer_position(buffer.get()));
        out.answer.push_back(std::move(record));
    }
    return out;
}

}  // namespace tidal::xfr
