// parse_update: RFC 2136 §3.1.1 zone section, §3.2 prerequisite format rules and the §3.4.1.3
// update prescan, on messages written by ldns.
#include <gtest/gtest.h>

#include "core/dns/constants.h"
#include "core/update/update_message.h"
#include "core/zone/rdata_canonical.h"
#include "tests/unit/update_test_support.h"

namespace tidal::update {
namespace {

using dns::rcode::FORMERR;
using dns::rcode::NOERROR;
using dns::rcode::NOTZONE;
using dns::rrclass::ANY;
using dns::rrclass::IN;
using dns::rrclass::NONE;
using test::UpdateBuilder;
using test::UpdateSpec;

constexpr uint16_t kChaos = dns::rrclass::CH;

TEST(UpdateMessage, ReadsSectionsWithClassesTtlsAndRdata) {
    UpdateBuilder b;
    b.zone = "Example.COM.";
    b.prerequisites = {{"www.example.com.", 0, ANY, "A", ""},
                       {"mail.example.com.", 0, IN, "MX", "10 Mx.Example.com."}};
    b.updates = {{"New.example.com.", 300, IN, "A", "192.0.2.7"},
                 {"old.example.com.", 0, ANY, "ANY", ""},
                 {"x.example.com.", 0, NONE, "TXT", "\"gone\""}};
    const ParseResult r = b.parse();
    ASSERT_EQ(r.rcode, NOERROR) << r.why;
    EXPECT_EQ(r.message.id, 777);
    EXPECT_EQ(r.message.zone, test::wire_name("example.com."));
    ASSERT_EQ(r.message.prerequisites.size(), 2U);
    EXPECT_EQ(r.message.prerequisites[0].rclass, ANY);
    EXPECT_TRUE(r.message.prerequisites[0].rdata.empty());
    // Names inside rdata are decompressed (ldns compresses them against the zone name, so
    // only the first label keeps the case it was written in); owners are lowercased.
    const std::string mx = r.message.prerequisites[1].rdata;
    EXPECT_TRUE(
        zone::same_rdata(dns::rrtype::MX, mx, test::record("a. 0 IN MX 10 mx.example.com.").rdata));
    EXPECT_EQ(mx.substr(2, 3), std::string("\x02Mx", 3));
    ASSERT_EQ(r.message.updates.size(), 3U);
    EXPECT_EQ(r.message.updates[0].owner, test::wire_name("new.example.com."));
    EXPECT_EQ(r.message.updates[0].ttl, 300U);
    EXPECT_EQ(r.message.updates[0].rdata, test::record("a. 0 IN A 192.0.2.7").rdata);
    EXPECT_EQ(r.message.updates[1].type, dns::rrtype::ANY);
    EXPECT_EQ(r.message.updates[2].rclass, NONE);
}

TEST(UpdateMessage, ZoneSectionMustBeOneSoaOfClassIn) {
    UpdateBuilder none;
    none.zone_count = 0;
    EXPECT_EQ(none.parse().rcode, FORMERR);
    UpdateBuilder two;
    two.zone_count = 2;
    EXPECT_EQ(two.parse().rcode, FORMERR);
    UpdateBuilder not_soa;
    not_soa.zone_type = LDNS_RR_TYPE_A;
    EXPECT_EQ(not_soa.parse().rcode, FORMERR);
    UpdateBuilder chaos;
    chaos.zone_class = LDNS_RR_CLASS_CH;
    EXPECT_EQ(chaos.parse().rcode, FORMERR);
}

TEST(UpdateMessage, GarbageIsFormErr) {
    const uint8_t junk[] = {0, 1, 0x28, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x'};
    EXPECT_EQ(parse_update(junk, sizeof(junk)).rcode, FORMERR);
}

struct Case {
    const char* what;
    UpdateSpec rr;
    uint16_t rcode;
};

TEST(UpdateMessage, PrerequisiteFormatRules) {
    const Case cases[] = {
        {"TTL not 0", {"www.example.com.", 5, ANY, "A", ""}, FORMERR},
        {"class ANY with rdata", {"www.example.com.", 0, ANY, "A", "192.0.2.1"}, FORMERR},
        {"class NONE with rdata", {"www.example.com.", 0, NONE, "A", "192.0.2.1"}, FORMERR},
        {"class CH", {"www.example.com.", 0, kChaos, "A", ""}, FORMERR},
        {"meta type AXFR", {"www.example.com.", 0, ANY, "AXFR", ""}, FORMERR},
        {"outside the zone", {"www.example.net.", 0, ANY, "ANY", ""}, NOTZONE},
        {"parent of the zone", {"com.", 0, NONE, "ANY", ""}, NOTZONE},
        {"class IN value", {"www.example.com.", 0, IN, "A", "192.0.2.1"}, NOERROR},
        {"class NONE type ANY", {"www.example.com.", 0, NONE, "ANY", ""}, NOERROR},
    };
    for (const Case& c : cases) {
        UpdateBuilder b;
        b.prerequisites = {c.rr};
        const ParseResult r = b.parse();
        EXPECT_EQ(r.rcode, c.rcode) << c.what << ": " << r.why;
    }
}

TEST(UpdateMessage, UpdatePrescanRules) {
    const Case cases[] = {
        {"add type ANY", {"www.example.com.", 0, IN, "ANY", ""}, FORMERR},
        {"add without rdata", {"www.example.com.", 300, IN, "A", ""}, FORMERR},
        {"add meta type", {"www.example.com.", 300, IN, "MAILA", ""}, FORMERR},
        {"add TTL above 2^31-1", {"www.example.com.", 0x80000000U, IN, "A", "192.0.2.1"}, FORMERR},
        {"delete RRset with TTL", {"www.example.com.", 1, ANY, "A", ""}, FORMERR},
        {"delete RRset with rdata", {"www.example.com.", 0, ANY, "A", "192.0.2.1"}, FORMERR},
        {"delete RRset AXFR", {"www.example.com.", 0, ANY, "AXFR", ""}, FORMERR},
        {"delete RR with TTL", {"www.example.com.", 300, NONE, "A", "192.0.2.1"}, FORMERR},
        {"delete RR type ANY", {"www.example.com.", 0, NONE, "ANY", ""}, FORMERR},
        {"class CH", {"www.example.com.", 0, kChaos, "A", "192.0.2.1"}, FORMERR},
        {"outside the zone", {"www.example.org.", 300, IN, "A", "192.0.2.1"}, NOTZONE},
        {"add", {"www.example.com.", 300, IN, "A", "192.0.2.1"}, NOERROR},
        {"delete name", {"www.example.com.", 0, ANY, "ANY", ""}, NOERROR},
        {"delete RR", {"www.example.com.", 0, NONE, "A", "192.0.2.1"}, NOERROR},
        {"apex", {"example.com.", 300, IN, "TXT", "\"hi\""}, NOERROR},
    };
    for (const Case& c : cases) {
        UpdateBuilder b;
        b.updates = {c.rr};
        const ParseResult r = b.parse();
        EXPECT_EQ(r.rcode, c.rcode) << c.what << ": " << r.why;
    }
}

}  // namespace
}  // namespace tidal::update
