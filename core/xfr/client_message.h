// The transfer client's messages: building SOA/AXFR/IXFR requests and checking and reading the
// answers (header, rcode, question, EDNS EXPIRE, answer RRs as Records).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/tsig/tsig_key.h"
#include "core/util/result.h"
#include "core/zone/record.h"

namespace tidal::xfr {

// The UDP payload size the client advertises (RFC 6891; the DNS flag day 2020 value).
constexpr uint16_t kClientUdpPayload = 1232;

// A request as sent, with what its answers are checked against.
struct ClientRequest {
    std::vector<uint8_t> wire;
    uint16_t id = 0;
    std::string apex;  // lowercased wire
    uint16_t qtype = 0;
    std::string mac;  // the request's TSIG MAC, empty when unsigned
};

// A QUERY for apex, qtype, class IN with a random ID and RD clear. With ixfr_serial (IXFR) the
// authority section holds an SOA with that serial (RFC 1995 §3; only the serial matters). An
// OPT record advertises kClientUdpPayload and asks for EDNS EXPIRE (RFC 7314 §2). Signed with
// key when given (RFC 8945 §5.1).
Result<ClientRequest> build_request(std::string_view apex_wire, uint16_t qtype,
                                    std::optional<uint32_t> ixfr_serial, const tsig::Key* key,
                                    uint64_t now);

// Checks an answer's header against the request: at least a header, the same ID, QR set,
// opcode QUERY, and rcode NOERROR. An error rcode is reported by name, with the TSIG error the
// server put in its TSIG record, if any ("NOTAUTH (TSIG error BADSIG)").
Status check_answer_header(const uint8_t* message, size_t size, const ClientRequest& request);

// One answer message, read by ldns (which also decompresses names inside rdata).
struct AnswerMessage {
    std::vector<Record> answer;      // the answer section: owners lowercased, rdata uncompressed
    std::optional<uint32_t> expire;  // EDNS EXPIRE option (RFC 7314), when present
    bool authoritative = false;      // AA
    bool truncated = false;          // TC
};

// Parses message. The question section must echo the request's question (name compared
// case-insensitively); when question_optional, an empty question section is accepted too (later
// messages of a transfer, RFC 5936 §2.2.1). A non-zero extended rcode (OPT) is an Error.
Result<AnswerMessage> read_answer(const uint8_t* message, size_t size, const ClientRequest& request,
                                  bool question_optional);

// "NOERROR", "NOTAUTH", ..., "RCODE 12" for unnamed ones.
std::string rcode_text(uint16_t rcode);
// "BADSIG", "BADKEY", "BADTIME", ..., "error 99" (RFC 8945 §3).
std::string tsig_error_text(uint16_t error);

}  // namespace tidal::xfr
