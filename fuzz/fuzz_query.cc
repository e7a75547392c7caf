// Fuzz target: the query path. A raw message in, the responder's answer out, over UDP and TCP,
// through the real lookup on the zones in zones/ as tidald serves them (store -> loader ->
// snapshots); AXFR/IXFR requests over TCP go to a TransferSession as tidald's TCP path does.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "core/dns/constants.h"
#include "core/query/query_parser.h"
#include "core/query/responder.h"
#include "core/xfr/transfer_session.h"
#include "fuzz/fuzz_support.h"
#include "fuzz/served_zones.h"

// Last: ldns/common.h defines bool, true and false as macros unless stdbool.h came first.
#include <ldns/ldns.h>

namespace {

using tidal::fuzz::check;

constexpr uint16_t kUdpMaxPayload = 1232;
// More messages than any zone here needs; a session that streams past it is looping.
constexpr size_t kMaxTransferMessages = 10000;

// Accepts every NOTIFY and does nothing (tidald hands them to tidal-sync).
class NullNotifySink : public tidal::query::NotifySink {
  public:
    void notify(std::string_view, std::optional<uint32_t>, const sockaddr*) override {}
};

struct State {
    tidal::fuzz::ServedZones served;
    NullNotifySink sink;
    tidal::query::Responder responder{tidal::query::ResponderOptions{kUdpMaxPayload}, &sink};
    std::vector<uint8_t> out = std::vector<uint8_t>(65535);
    sockaddr_in peer{};
};

State* state = nullptr;

uint16_t read16(const uint8_t* p) {
    return static_cast<uint16_t>((p[0] << 8) | p[1]);
}

// What every answer must satisfy, whatever the query: it fits the transport's limit, is a
// response with the query's ID and opcode, and a DNS parser (ldns) reads it.
void check_answer(const uint8_t* query, size_t query_size, const uint8_t* answer, size_t size,
                  size_t limit, const char* what) {
    const std::string where = std::string(what) + ": ";
    check(size <= limit, where + "answer of " + std::to_string(size) + " octets over the limit " +
                             std::to_string(limit));
    check(size >= tidal::dns::kHeaderSize, where + "answer shorter than a header");
    check(query_size >= 2 && read16(answer) == read16(query), where + "answer ID differs");
    check((answer[2] & 0x80) != 0, where + "answer without QR");
    check(query_size < 3 || (answer[2] & 0x78) == (query[2] & 0x78), where + "opcode differs");
    ldns_pkt* pkt = nullptr;
    const ldns_status status = ldns_wire2pkt(&pkt, answer, size);
    ldns_pkt_free(pkt);
    check(status == LDNS_STATUS_OK,
          where + "ldns cannot parse the answer: " + ldns_get_errorstr_by_id(status));
}

// RFC 1035 §4.2.1 and RFC 6891 §6.2.5: what a UDP answer to this query may take at most.
size_t udp_limit(const uint8_t* data, size_t size) {
    tidal::query::ParsedQuery parsed;
    (void)tidal::query::parse_query(data, size, parsed);
    if (!parsed.has_edns) {
        return tidal::dns::kMaxUdpPayloadNoEdns;
    }
    return std::max<size_t>(tidal::dns::kMaxUdpPayloadNoEdns,
                            std::min<size_t>(parsed.edns_payload, kUdpMaxPayload));
}

void run_transfer(const uint8_t* data, size_t size) {
    const auto* peer = reinterpret_cast<const sockaddr*>(&state->peer);
    tidal::xfr::TransferSession session(state->served.zones, data, size, peer,
                                        tidal::fuzz::kFixedNow);
    if (session.needs_journal()) {
        session.load_journal();
    }
    size_t messages = 0;
    while (true) {
        const size_t n = session.next(state->out.data(), state->out.size(), tidal::fuzz::kFixedNow);
        if (n == 0) {
            break;
        }
        check_answer(data, size, state->out.data(), n, state->out.size(), "transfer");
        check(++messages <= kMaxTransferMessages, "transfer: endless answer stream");
    }
    check(messages > 0, "transfer: no answer at all");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tidal::fuzz::quiet_logging();
    state = new State;
    state->served = tidal::fuzz::build_served_zones(
        tidal::fuzz::make_temp_dir("tidal-fuzz-query"),
        {"example.test.zone", "wild.test.zone", "cname.test.zone", "names.test.zone",
         "parent.test.zone", "child.parent.test.zone", "big.test.zone"},
        true);
    state->peer.sin_family = AF_INET;
    state->peer.sin_port = htons(5353);
    state->peer.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto* peer = reinterpret_cast<const sockaddr*>(&state->peer);
    const tidal::snapshot::ZoneSet& zones = *state->served.zones;
    auto& out = state->out;

    // UDP: the answer must fit what the query allows.
    size_t n = state->responder.respond(data, size, out.data(), out.size(), zones,
                                        tidal::query::Transport::Udp, peer);
    if (n == 0) {
        return 0;  // dropped: a response, or shorter than a header
    }
    check_answer(data, size, out.data(), n, udp_limit(data, size), "udp");

    // TCP, as tidald's connection handler routes a message: transfers to a session, the rest
    // to the responder.
    if (tidal::xfr::is_transfer_request(data, size)) {
        run_transfer(data, size);
        return 0;
    }
    n = state->responder.respond(data, size, out.data(), out.size(), zones,
                                 tidal::query::Transport::Tcp, peer);
    check(n > 0, "tcp: dropped a message the UDP path answered");
    check_answer(data, size, out.data(), n, out.size(), "tcp");
    return 0;
}
