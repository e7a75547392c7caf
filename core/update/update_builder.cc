// Building RFC 2136 UPDATE requests from edit scripts and reading their answers, by hand: a
// few fixed fields, uncompressed names, no rdata decoding needed.
#include "core/update/update_builder.h"

#include <sys/random.h>

#include <random>
#include <set>
#include <utility>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/tsig/tsig.h"

namespace tidal::update {

namespace {

namespace rrtype = dns::rrtype;
namespace rrclass = dns::rrclass;

constexpr uint16_t kOptionExtendedError = 15;  // RFC 8914 §2

void append16(std::vector<uint8_t>& out, uint16_t v) {
    out.push_back(static_cast<uint8_t>(v >> 8));
    out.push_back(static_cast<uint8_t>(v));
}

void append32(std::vector<uint8_t>& out, uint32_t v) {
    append16(out, static_cast<uint16_t>(v >> 16));
    append16(out, static_cast<uint16_t>(v));
}

uint16_t read16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

uint16_t random_id() {
    uint16_t id = 0;
    if (getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
        std::random_device device;
        id = static_cast<uint16_t>(device());
    }
    return id;
}

// One RR of the prerequisite or update section.
void append_rr(std::vector<uint8_t>& out, std::string_view owner, uint16_t type, uint16_t rclass,
               uint32_t ttl, std::string_view rdata) {
    out.insert(out.end(), owner.begin(), owner.end());
    append16(out, type);
    append16(out, rclass);
    append32(out, ttl);
    append16(out, static_cast<uint16_t>(rdata.size()));
    out.insert(out.end(), rdata.begin(), rdata.end());
}

// Skips a possibly compressed name at pos; false when it runs past size.
bool skip_name(const uint8_t* msg, size_t size, size_t& pos) {
    for (int labels = 0; labels < 128 && pos < size; ++labels) {
        const uint8_t length = msg[pos];
        if (length == 0) {
            ++pos;
            return true;
        }
        if ((length & 0xC0) == 0xC0) {
            pos += 2;
            return pos <= size;
        }
        if ((length & 0xC0) != 0) {
            return false;
        }
        pos += 1 + size_t{length};
    }
    return false;
}

// The OPT record's extended rcode bits and RFC 8914 error, when the message has an OPT.
void read_opt(const uint8_t* msg, size_t size, UpdateAnswer& answer, uint16_t& ext_rcode) {
    size_t pos = dns::kHeaderSize;
    const size_t zones = read16(msg + 4);
    for (size_t i = 0; i < zones; ++i) {
        if (!skip_name(msg, size, pos) || pos + 4 > size) {
            return;
        }
        pos += 4;
    }
    const size_t records = size_t{read16(msg + 6)} + read16(msg + 8) + read16(msg + 10);
    for (size_t i = 0; i < records; ++i) {
        if (!skip_name(msg, size, pos) || pos + 10 > size) {
            return;
        }
        const uint16_t type = read16(msg + pos);
        const uint8_t ext = msg[pos + 4];
        const size_t rdlength = read16(msg + pos + 8);
        const size_t rdata = pos + 10;
        if (rdata + rdlength > size) {
            return;
        }
        if (type == rrtype::OPT) {
            ext_rcode = ext;
            for (size_t opt = rdata; opt + 4 <= rdata + rdlength;) {
                const uint16_t code = read16(msg + opt);
                const size_t length = read16(msg + opt + 2);
                if (opt + 4 + length > rdata + rdlength) {
                    break;
                }
                if (code == kOptionExtendedError && length >= 2) {
                    answer.extended_error =
                        std::to_string(read16(msg + opt + 4)) + ": " +
                        std::string(reinterpret_cast<const char*>(msg + opt + 6), length - 2);
                }
                opt += 4 + length;
            }
        }
        pos = rdata + rdlength;
    }
}

}  // namespace

Result<UpdateRequest> build_update(const zone::EditScript& script, const tsig::Key* key,
                                   uint64_t now) {
    UpdateRequest request;
    request.zone = dns::name_lowered(script.zone);
    request.id = random_id();
    const auto* apex = reinterpret_cast<const uint8_t*>(request.zone.data());
    if (request.zone.empty() ||
        dns::name_wire_length(apex, request.zone.size()) != request.zone.size()) {
        return Error{"malformed zone name in the UPDATE"};
    }

    // Prerequisites given, then the ones that make a remote `del` of nothing fail as it does
    // locally (RFC 2136 §3.2 checks them all before any update).
    std::vector<zone::Prerequisite> prerequisites = script.prerequisites;
    std::set<std::string> touched;
    for (const zone::RecordEdit& edit : script.edits) {
        if (edit.must_match && edit.kind != zone::RecordEdit::Kind::Add &&
            touched.count(edit.rr.owner) == 0) {
            zone::Prerequisite p;
            p.kind = edit.kind == zone::RecordEdit::Kind::DeleteName
                         ? zone::Prerequisite::Kind::NameInUse
                         : zone::Prerequisite::Kind::RrsetExists;
            p.rr = edit.rr;
            p.rr.rdata.clear();
            prerequisites.push_back(std::move(p));
        }
        touched.insert(edit.rr.owner);
    }

    std::vector<uint8_t>& out = request.wire;
    append16(out, request.id);
    append16(out, static_cast<uint16_t>(dns::opcode::UPDATE << 11));
    append16(out, 1);  // ZOCOUNT
    append16(out, static_cast<uint16_t>(prerequisites.size()));
    append16(out, static_cast<uint16_t>(script.edits.size()));
    append16(out, 0);  // ADCOUNT: the TSIG, added by sign()
    if (prerequisites.size() > 0xFFFF || script.edits.size() > 0xFFFF) {
        return Error{"too many edits for one UPDATE message"};
    }
    out.insert(out.end(), request.zone.begin(), request.zone.end());
    append16(out, rrtype::SOA);
    append16(out, rrclass::IN);

    using PK = zone::Prerequisite::Kind;
    for (const zone::Prerequisite& p : prerequisites) {
        switch (p.kind) {
            case PK::NameInUse:
                append_rr(out, p.rr.owner, rrtype::ANY, rrclass::ANY, 0, {});
                break;
            case PK::NameNotInUse:
                append_rr(out, p.rr.owner, rrtype::ANY, rrclass::NONE, 0, {});
                break;
            case PK::RrsetExists:
                append_rr(out, p.rr.owner, p.rr.type, rrclass::ANY, 0, {});
                break;
            case PK::RrsetEquals:
                append_rr(out, p.rr.owner, p.rr.type, rrclass::IN, 0, p.rr.rdata);
                break;
            case PK::RrsetAbsent:
                append_rr(out, p.rr.owner, p.rr.type, rrclass::NONE, 0, {});
                break;
        }
    }
    using EK = zone::RecordEdit::Kind;
    for (const zone::RecordEdit& edit : script.edits) {
        const Record& rr = edit.rr;
        switch (edit.kind) {
            case EK::Add:
                append_rr(out, rr.owner, rr.type, rrclass::IN, rr.ttl, rr.rdata);
                break;
            case EK::DeleteRr:
                append_rr(out, rr.owner, rr.type, rrclass::NONE, 0, rr.rdata);
                break;
            case EK::DeleteRrset:
                append_rr(out, rr.owner, rr.type, rrclass::ANY, 0, {});
                break;
            case EK::DeleteName:
                append_rr(out, rr.owner, rrtype::ANY, rrclass::ANY, 0, {});
                break;
        }
    }
    const size_t room = key != nullptr ? tsig::signature_size(*key) : 0;
    if (out.size() + room > dns::kMaxMessageSize) {
        return Error{"the UPDATE would take " + std::to_string(out.size() + room) +
                     " octets, more than a DNS message can hold (65535): split the edits"};
    }
    if (key != nullptr) {
        const size_t size = out.size();
        out.resize(size + room);
        const size_t signed_size =
            tsig::sign(out.data(), size, out.size(), *key, {}, false, now, &request.mac);
        if (signed_size == 0) {
            return Error{"cannot sign the UPDATE with key " + key->name};
        }
        out.resize(signed_size);
    }
    return request;
}

Result<UpdateAnswer> read_update_answer(const uint8_t* message, size_t size,
                                        const UpdateRequest& request, const tsig::Key* key,
                                        uint64_t now) {
    if (size < dns::kHeaderSize) {
        return Error{"answer of " + std::to_string(size) + " octets is shorter than a header"};
    }
    if (read16(message) != request.id) {
        return Error{"answer has ID " + std::to_string(read16(message)) + ", the UPDATE had " +
                     std::to_string(request.id)};
    }
    const uint16_t flags = read16(message + 2);
    if ((flags & dns::flag::QR) == 0) {
        return Error{"answer does not have the QR flag set"};
    }
    const auto opcode = static_cast<uint16_t>((flags >> 11) & 0xF);
    if (opcode != dns::opcode::UPDATE) {
        return Error{"answer has opcode " + std::to_string(opcode) + ", not UPDATE (5)"};
    }
    UpdateAnswer answer;
    uint16_t ext_rcode = 0;
    read_opt(message, size, answer, ext_rcode);
    answer.rcode = static_cast<uint16_t>((ext_rcode << 4) | (flags & 0xF));

    tsig::TsigRecord record;
    const tsig::Found found = tsig::find_tsig(message, size, record);
    if (found == tsig::Found::Found) {
        answer.tsig_error = record.error;
    }
    if (key == nullptr) {
        return answer;
    }
    if (found == tsig::Found::None) {
        answer.signature_problem = "the answer is not signed";
    } else if (found == tsig::Found::Malformed) {
        answer.signature_problem = "the answer's TSIG record is malformed";
    } else if (record.error != 0) {
        answer.signature_problem = "the server reported a TSIG error";
    } else {
        tsig::StreamVerifier verifier(*key, request.mac);
        answer.signature_problem = verifier.add(message, size, now);
        answer.verified = answer.signature_problem.empty() && verifier.last_signed();
    }
    return answer;
}

std::string update_rcode_meaning(uint16_t rcode) {
    switch (rcode) {
        case dns::rcode::NOERROR:
            return "the update was applied";
        case dns::rcode::FORMERR:
            return "the server could not read the UPDATE";
        case dns::rcode::SERVFAIL:
            return "the server failed while applying it";
        case dns::rcode::NXDOMAIN:
            return "prerequisite failed: a name that must have records has none";
        case dns::rcode::NOTIMP:
            return "the server does not implement UPDATE";
        case dns::rcode::REFUSED:
            return "not allowed: check allow-update, the key, or the records";
        case dns::rcode::YXDOMAIN:
            return "prerequisite failed: a name that must have no records has some";
        case dns::rcode::YXRRSET:
            return "prerequisite failed: an RRset that must not exist does";
        case dns::rcode::NXRRSET:
            return "prerequisite failed: an RRset that must exist does not, or differs";
        case dns::rcode::NOTAUTH:
            return "the server is not authoritative for the zone, or rejected the TSIG";
        case dns::rcode::NOTZONE:
            return "a name is outside the zone";
        default:
            return "rcode " + std::to_string(rcode);
    }
}

}  // namespace tidal::update
