// The secondary's side of replication: SOA serial checks and AXFR/IXFR transfers from a
// primary, validated (RFC 1995, RFC 5936, TSIG RFC 8945). Blocking calls with bounded time, for
// tidal-sync's worker threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "core/tsig/tsig_key.h"
#include "core/util/result.h"
#include "core/xfr/client_socket.h"
#include "core/xfr/client_transfer_reader.h"
#include "core/zone/record.h"

namespace tidal::xfr {

// Bounds on one transfer. A primary that is silent, slow or endless fails within them.
struct TransferLimits {
    std::chrono::milliseconds connect_timeout{5000};
    std::chrono::milliseconds idle_timeout{10000};    // longest wait for the next octet
    std::chrono::milliseconds total_timeout{600000};  // the whole transfer, connect included
    uint64_t max_records = 50'000'000;                // answer RRs over all messages
    size_t max_message_size = 65535;                  // a TCP message's length prefix, at most
};

// The answer to an SOA query.
struct SoaAnswer {
    uint32_t serial = 0;
    Record soa;                      // the zone's SOA as the primary serves it
    std::optional<uint32_t> expire;  // EDNS EXPIRE (RFC 7314) when the primary sent it
    bool over_tcp = false;           // the UDP answer was truncated and TCP was used
};

// Asks primary for apex's SOA (apex: wire name, any case): over UDP, retried twice within
// timeout, over TCP when the answer is truncated; signed with key when given, and then the
// answer must carry a valid TSIG (RFC 8945 §5.3). Checks ID, question, QR, AA and rcode. Every
// failure is an Error naming the query, the primary and the reason, e.g. "SOA query for
// example.com. to 192.0.2.1:53 (key transfer): primary answered NOTAUTH (TSIG error BADSIG)".
// Thread-safe; blocks at most about timeout.
Result<SoaAnswer> query_soa(const Endpoint& primary, std::string_view apex_wire,
                            const tsig::Key* key, std::chrono::milliseconds timeout);

// query_soa's serial.
Result<uint32_t> query_soa_serial(const Endpoint& primary, std::string_view apex_wire,
                                  const tsig::Key* key, std::chrono::milliseconds timeout);

// Transfers apex from primary over TCP: IXFR from have_serial when given (RFC 1995: our SOA in
// the authority section), else AXFR (RFC 5936). With key, the request is signed and the answer
// stream must verify (tsig::StreamVerifier) and end with a signed message. The answer is read to
// its final SOA and interpreted (TransferReader): AXFR, IXFR differences chaining from
// have_serial, IXFR answered AXFR-style, or up to date. Errors (nothing to apply; for an IXFR
// the caller may fall back to AXFR) name the transfer, the primary and the reason: an rcode
// other than NOERROR (with the TSIG error), TSIG failures, a connection closed or silent
// midway, a stream that ends before its final SOA, a first RR that is not the zone's SOA, a
// second SOA inside an AXFR, differences that do not chain, a primary serial older than
// have_serial, records of another class, limits exceeded. Records outside the zone are dropped
// with a warning in the result. Thread-safe; blocks at most limits.total_timeout.
Result<TransferResult> fetch_zone(const Endpoint& primary, std::string_view apex_wire,
                                  std::optional<uint32_t> have_serial, const tsig::Key* key,
                                  const TransferLimits& limits = {});

}  // namespace tidal::xfr
