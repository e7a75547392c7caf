// Query parser and malformed packets: FORMERR, NOTIMP or silence, never a crash.
#include "core/query/query_parser.h"

#include <gtest/gtest.h>

#include <random>

#include "core/query/responder.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::test {
namespace {

using query::ParsedQuery;
using query::ParseStatus;

ParseStatus parse_bytes(const std::vector<uint8_t>& packet, ParsedQuery& q) {
    return query::parse_query(packet.data(), packet.size(), q);
}

TEST(QueryParser, ParsesQuestionAndEdns) {
    QueryOptions options;
    options.payload = 4096;
    auto packet = query("WWW.Example.TEST.", LDNS_RR_TYPE_AAAA, options);
    ParsedQuery q;
    ASSERT_EQ(parse_bytes(packet, q), ParseStatus::Ok);
    EXPECT_EQ(q.id, 4242);
    EXPECT_EQ(q.qtype, LDNS_RR_TYPE_AAAA);
    EXPECT_EQ(q.qclass, LDNS_RR_CLASS_IN);
    EXPECT_TRUE(q.has_edns);
    EXPECT_EQ(q.edns_payload, 4096);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(q.qname_lower), q.qname_size),
              wire_name("www.example.test."));
    EXPECT_EQ(q.qname[1], 'W');  // the original case is kept for the echo
}

TEST(QueryParser, DropsShortPacketsAndResponses) {
    ParsedQuery q;
    EXPECT_EQ(parse_bytes({0, 1, 0, 0, 0, 1}, q), ParseStatus::Drop);
    auto packet = query("example.test.", LDNS_RR_TYPE_A);
    packet[2] |= 0x80;  // QR
    EXPECT_EQ(parse_bytes(packet, q), ParseStatus::Drop);
}

TEST(QueryParser, FormErrForStructuralErrors) {
    ParsedQuery q;
    auto base = query("example.test.", LDNS_RR_TYPE_A, QueryOptions{.edns = false});

    auto no_question = base;
    no_question[5] = 0;
    EXPECT_EQ(parse_bytes(no_question, q), ParseStatus::FormErr);

    auto two_questions = base;
    two_questions[5] = 2;
    EXPECT_EQ(parse_bytes(two_questions, q), ParseStatus::FormErr);

    auto truncated = base;
    truncated.resize(truncated.size() - 3);
    EXPECT_EQ(parse_bytes(truncated, q), ParseStatus::FormErr);

    auto trailing = base;
    trailing.push_back(0);
    EXPECT_EQ(parse_bytes(trailing, q), ParseStatus::FormErr);

    auto bad_label = base;
    bad_label[12] = 0x41;  // label length 65 > 63
    EXPECT_EQ(parse_bytes(bad_label, q), ParseStatus::FormErr);

    auto pointer = base;
    pointer[12] = 0xC0;
    pointer[13] = 0x0C;  // a compression pointer in the question, pointing at itself
    EXPECT_EQ(parse_bytes(pointer, q), ParseStatus::FormErr);

    auto extra_count = base;
    extra_count[11] = 1;  // ARCOUNT 1 with no record
    EXPECT_EQ(parse_bytes(extra_count, q), ParseStatus::FormErr);
}

TEST(QueryParser, FormErrForBadOpt) {
    ParsedQuery q;
    auto packet = query("example.test.", LDNS_RR_TYPE_A, QueryOptions{.edns = false});
    // Two OPT records (RFC 6891 §6.1.1 allows one).
    const uint8_t opt[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0};
    auto two = packet;
    two.insert(two.end(), opt, opt + sizeof opt);
    two.insert(two.end(), opt, opt + sizeof opt);
    two[11] = 2;
    EXPECT_EQ(parse_bytes(two, q), ParseStatus::FormErr);
    // An option whose length runs past the rdata.
    const uint8_t broken[] = {0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 4, 0, 10, 0, 9};
    auto bad = packet;
    bad.insert(bad.end(), broken, broken + sizeof broken);
    bad[11] = 1;
    EXPECT_EQ(parse_bytes(bad, q), ParseStatus::FormErr);
    // A well-formed one with a cookie option is accepted.
    const uint8_t cookie[] = {0,  0, 41, 0x10, 0, 0, 0, 0, 0, 0, 12, 0,
                              10, 0, 8,  1,    2, 3, 4, 5, 6, 7, 8};
    auto good = packet;
    good.insert(good.end(), cookie, cookie + sizeof cookie);
    good[11] = 1;
    EXPECT_EQ(parse_bytes(good, q), ParseStatus::Ok);
    EXPECT_TRUE(q.has_edns);
}

TEST(QueryParser, UnknownOpcodeWithoutQuestionIsNotImp) {
    ParsedQuery q;
    std::vector<uint8_t> packet = {0x12, 0x34, 0x18, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // opcode 3
    EXPECT_EQ(parse_bytes(packet, q), ParseStatus::NotImp);
}

TEST(Responder, RandomGarbageNeverCrashesAndAnswersStayWellFormed) {
    snapshot::ZoneSet zones(
        {compile("example.test.", {"example.test. 3600 IN SOA ns.example.test. h.example.test. 1 "
                                   "3600 600 86400 60",
                                   "example.test. 3600 IN NS ns.example.test.",
                                   "ns.example.test. 3600 IN A 192.0.2.1"})});
    query::Responder responder(query::ResponderOptions{1232});
    std::vector<uint8_t> out(65535);
    std::mt19937 rng(20261121);
    auto base = query("ns.example.test.", LDNS_RR_TYPE_A);
    for (int i = 0; i < 20000; ++i) {
        std::vector<uint8_t> packet;
        if (i % 2 == 0) {
            packet.resize(rng() % 600);
            for (auto& b : packet) {
                b = uint8_t(rng());
            }
        } else {
            packet = base;  // mutate a valid query a little
            for (int flips = 1 + int(rng() % 4); flips > 0; --flips) {
                packet[rng() % packet.size()] = uint8_t(rng());
            }
            packet.resize(packet.size() - rng() % 3);
        }
        if (packet.size() >= 3) {
            packet[2] &= 0x7F;  // keep QR clear so most packets get an answer
        }
        const size_t n = responder.respond(packet.data(), packet.size(), out.data(), out.size(),
                                           zones, query::Transport::Udp);
        if (n == 0) {
            continue;
        }
        ASSERT_GE(n, 12u);
        ASSERT_LE(n, 1232u);
        ldns_pkt* pkt = nullptr;
        ASSERT_EQ(ldns_wire2pkt(&pkt, out.data(), n), LDNS_STATUS_OK) << "iteration " << i;
        EXPECT_TRUE(ldns_pkt_qr(pkt));
        EXPECT_EQ(ldns_pkt_id(pkt), (uint16_t(packet[0]) << 8) | packet[1]);
        ldns_pkt_free(pkt);
    }
}

}  // namespace
}  // namespace tidal::test
