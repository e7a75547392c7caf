// Responder: authoritative answering semantics, checked by decoding the answers with ldns.
#include "core/query/responder.h"

#include <gtest/gtest.h>

#include <set>

#include "core/snapshot/zone_set.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::test {
namespace {

using query::Responder;
using query::Transport;

std::vector<std::string> example_zone() {
    std::vector<std::string> rrs = {
        "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 7 7200 900 "
        "1209600 300",
        "example.test. 3600 IN NS ns1.example.test.",
        "example.test. 3600 IN NS ns2.example.test.",
        "example.test. 3600 IN MX 10 mail.example.test.",
        "ns1.example.test. 3600 IN A 192.0.2.1",
        "ns2.example.test. 3600 IN A 192.0.2.2",
        "ns2.example.test. 3600 IN AAAA 2001:db8::2",
        "mail.example.test. 3600 IN A 192.0.2.25",
        "www.example.test. 300 IN A 192.0.2.80",
        "www.example.test. 300 IN AAAA 2001:db8::80",
        "a.b.c.example.test. 3600 IN A 192.0.2.3",
        "alias.example.test. 600 IN CNAME www.example.test.",
        "chain1.example.test. 600 IN CNAME chain2.example.test.",
        "chain2.example.test. 600 IN CNAME chain3.example.test.",
        "chain3.example.test. 600 IN CNAME www.example.test.",
        "out.example.test. 600 IN CNAME www.elsewhere.test.",
        "loop1.example.test. 600 IN CNAME loop2.example.test.",
        "loop2.example.test. 600 IN CNAME loop1.example.test.",
        "dangling.example.test. 600 IN CNAME nothing.example.test.",
        "*.wild.example.test. 900 IN A 192.0.2.99",
        "*.wild.example.test. 900 IN TXT \"wild\"",
        "blocker.wild.example.test. 900 IN A 192.0.2.98",
        "x.ent.wild.example.test. 900 IN A 192.0.2.97",
        "*.cwild.example.test. 900 IN CNAME www.example.test.",
        "child.example.test. 3600 IN NS ns1.child.example.test.",
        "child.example.test. 3600 IN NS ns.elsewhere.test.",
        "child.example.test. 3600 IN DS 12345 13 2 "
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        "ns1.child.example.test. 3600 IN A 192.0.2.53",
        "deep.below.child.example.test. 3600 IN A 192.0.2.54",
        "sub.example.test. 3600 IN NS ns1.sub.example.test.",
        "ns1.sub.example.test. 3600 IN A 192.0.2.60",
    };
    for (int i = 0; i < 200; ++i) {
        rrs.push_back("big.example.test. 60 IN A 10.0." + std::to_string(i / 250) + "." +
                      std::to_string(i % 250));
    }
    return rrs;
}

class ResponderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto parent = compile("example.test.", example_zone());
        auto sub =
            compile("sub.example.test.",
                    {"sub.example.test. 3600 IN SOA ns1.sub.example.test. h.sub.example.test. "
                     "3 3600 600 86400 60",
                     "sub.example.test. 3600 IN NS ns1.sub.example.test.",
                     "ns1.sub.example.test. 3600 IN A 192.0.2.60",
                     "host.sub.example.test. 3600 IN A 192.0.2.61"});
        ASSERT_TRUE(parent && sub);
        zones_ = snapshot::ZoneSet({parent, sub});
    }

    Packet ask(const std::vector<uint8_t>& q, Transport transport = Transport::Udp) {
        size_ = responder_.respond(q.data(), q.size(), out_.data(), out_.size(), zones_, transport);
        EXPECT_GT(size_, 0u);
        return parse(out_.data(), size_);
    }
    Packet ask(const std::string& name, ldns_rr_type type, const QueryOptions& options = {},
               Transport transport = Transport::Udp) {
        return ask(query(name, type, options), transport);
    }

    Responder responder_{query::ResponderOptions{1232}};
    snapshot::ZoneSet zones_;
    std::vector<uint8_t> out_ = std::vector<uint8_t>(65535);
    size_t size_ = 0;
};

TEST_F(ResponderTest, AuthoritativeAnswer) {
    auto r = ask("www.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_TRUE(ldns_pkt_qr(r.get()));
    EXPECT_FALSE(ldns_pkt_tc(r.get()));
    EXPECT_EQ(ldns_pkt_id(r.get()), 4242);
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"www.example.test. 300 IN A 192.0.2.80"});
    EXPECT_TRUE(section(r.get(), LDNS_SECTION_AUTHORITY).empty());
}

TEST_F(ResponderTest, QuestionEchoedWithItsCaseAndLookupIgnoresCase) {
    auto r = ask("WwW.ExAmPlE.TeSt.", LDNS_RR_TYPE_AAAA);
    ldns_rr* question = ldns_rr_list_rr(ldns_pkt_question(r.get()), 0);
    char* text = ldns_rdf2str(ldns_rr_owner(question));
    EXPECT_STREQ(text, "WwW.ExAmPlE.TeSt.");
    free(text);  // NOLINT
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"www.example.test. 300 IN AAAA 2001:db8::80"});
}

TEST_F(ResponderTest, NxDomainCarriesSoaWithNegativeTtl) {
    auto r = ask("nope.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NXDOMAIN);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_TRUE(section(r.get(), LDNS_SECTION_ANSWER).empty());
    // RFC 2308 §5: TTL = min(SOA TTL 3600, MINIMUM 300).
    EXPECT_EQ(section(r.get(), LDNS_SECTION_AUTHORITY),
              std::vector<std::string>{"example.test. 300 IN SOA ns1.example.test. "
                                       "hostmaster.example.test. 7 7200 900 1209600 300"});
}

TEST_F(ResponderTest, NoDataAndEmptyNonTerminal) {
    for (const char* name : {"www.example.test.", "b.c.example.test.", "c.example.test."}) {
        auto r = ask(name, LDNS_RR_TYPE_MX);
        EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR) << name;
        EXPECT_TRUE(ldns_pkt_aa(r.get())) << name;
        EXPECT_TRUE(section(r.get(), LDNS_SECTION_ANSWER).empty()) << name;
        ASSERT_EQ(section(r.get(), LDNS_SECTION_AUTHORITY).size(), 1u) << name;
    }
}

TEST_F(ResponderTest, CnameChainFollowedInsideZone) {
    auto r = ask("chain1.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::string>{"chain1.example.test. 600 IN CNAME chain2.example.test.",
                                        "chain2.example.test. 600 IN CNAME chain3.example.test.",
                                        "chain3.example.test. 600 IN CNAME www.example.test.",
                                        "www.example.test. 300 IN A 192.0.2.80"}));
}

TEST_F(ResponderTest, CnameQueryIsNotFollowed) {
    auto r = ask("alias.example.test.", LDNS_RR_TYPE_CNAME);
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"alias.example.test. 600 IN CNAME www.example.test."});
}

TEST_F(ResponderTest, CnameStopsAtZoneEdgeAndLoopsAndDanglingGiveNxDomain) {
    auto out = ask("out.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(out.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(section(out.get(), LDNS_SECTION_ANSWER).size(), 1u);

    auto loop = ask("loop1.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(loop.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(section(loop.get(), LDNS_SECTION_ANSWER).size(), 2u);

    // RFC 6604 §3: the rcode is that of the last name in the chain.
    auto dangling = ask("dangling.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(dangling.get()), LDNS_RCODE_NXDOMAIN);
    EXPECT_EQ(section(dangling.get(), LDNS_SECTION_ANSWER).size(), 1u);
    EXPECT_EQ(section(dangling.get(), LDNS_SECTION_AUTHORITY).size(), 1u);
}

TEST_F(ResponderTest, WildcardSynthesisesTheQueryName) {
    auto r = ask("anything.wild.example.test.", LDNS_RR_TYPE_A);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"anything.wild.example.test. 900 IN A 192.0.2.99"});
    auto deeper = ask("a.b.wild.example.test.", LDNS_RR_TYPE_TXT);
    EXPECT_EQ(section(deeper.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"a.b.wild.example.test. 900 IN TXT \"wild\""});
    auto nodata = ask("anything.wild.example.test.", LDNS_RR_TYPE_MX);
    EXPECT_EQ(ldns_pkt_get_rcode(nodata.get()), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(section(nodata.get(), LDNS_SECTION_ANSWER).empty());
    EXPECT_EQ(section(nodata.get(), LDNS_SECTION_AUTHORITY).size(), 1u);
}

TEST_F(ResponderTest, ExistingNamesAndEmptyNonTerminalsBlockTheWildcard) {
    auto blocker = ask("blocker.wild.example.test.", LDNS_RR_TYPE_TXT);
    EXPECT_EQ(ldns_pkt_get_rcode(blocker.get()), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(section(blocker.get(), LDNS_SECTION_ANSWER).empty());
    // ent.wild.example.test exists as an empty non-terminal: names below it are not covered.
    auto below_ent = ask("y.ent.wild.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(below_ent.get()), LDNS_RCODE_NXDOMAIN);
    auto ent = ask("ent.wild.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(ent.get()), LDNS_RCODE_NOERROR);
    EXPECT_TRUE(section(ent.get(), LDNS_SECTION_ANSWER).empty());
}

TEST_F(ResponderTest, WildcardCnameIsFollowed) {
    auto r = ask("foo.cwild.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              (std::vector<std::string>{"foo.cwild.example.test. 900 IN CNAME www.example.test.",
                                        "www.example.test. 300 IN A 192.0.2.80"}));
}

TEST_F(ResponderTest, ReferralWithGlueAndNoAa) {
    for (const char* name :
         {"child.example.test.", "host.child.example.test.", "deep.below.child.example.test."}) {
        auto r = ask(name, LDNS_RR_TYPE_A);
        EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR) << name;
        EXPECT_FALSE(ldns_pkt_aa(r.get())) << name;
        EXPECT_TRUE(section(r.get(), LDNS_SECTION_ANSWER).empty()) << name;
        EXPECT_EQ(section(r.get(), LDNS_SECTION_AUTHORITY),
                  (std::vector<std::string>{"child.example.test. 3600 IN NS ns.elsewhere.test.",
                                            "child.example.test. 3600 IN NS "
                                            "ns1.child.example.test."}))
            << name;
        auto additional = section(r.get(), LDNS_SECTION_ADDITIONAL);
        // The glue; the OPT pseudo-RR is not part of ldns' additional section.
        EXPECT_EQ(additional,
                  std::vector<std::string>{"ns1.child.example.test. 3600 IN A 192.0.2.53"})
            << name;
    }
}

TEST_F(ResponderTest, DsAtCutIsAnsweredByTheParent) {
    auto r = ask("child.example.test.", LDNS_RR_TYPE_DS);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    ASSERT_EQ(section(r.get(), LDNS_SECTION_ANSWER).size(), 1u);
    // sub.example.test is also served here, but its DS question belongs to the parent zone.
    auto sub = ask("sub.example.test.", LDNS_RR_TYPE_DS);
    EXPECT_TRUE(ldns_pkt_aa(sub.get()));
    auto soa = section(sub.get(), LDNS_SECTION_AUTHORITY);
    ASSERT_EQ(soa.size(), 1u);
    EXPECT_EQ(soa[0].rfind("example.test.", 0), 0u) << soa[0];
}

TEST_F(ResponderTest, MostSpecificZoneWins) {
    auto r = ask("host.sub.example.test.", LDNS_RR_TYPE_A);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER),
              std::vector<std::string>{"host.sub.example.test. 3600 IN A 192.0.2.61"});
    auto nx = ask("nx.sub.example.test.", LDNS_RR_TYPE_A);
    auto soa = section(nx.get(), LDNS_SECTION_AUTHORITY);
    ASSERT_EQ(soa.size(), 1u);
    EXPECT_EQ(soa[0].rfind("sub.example.test.", 0), 0u) << soa[0];
}

TEST_F(ResponderTest, AdditionalAddressesForNsAndMx) {
    auto ns = ask("example.test.", LDNS_RR_TYPE_NS);
    EXPECT_EQ(section(ns.get(), LDNS_SECTION_ADDITIONAL),
              (std::vector<std::string>{"ns1.example.test. 3600 IN A 192.0.2.1",
                                        "ns2.example.test. 3600 IN A 192.0.2.2",
                                        "ns2.example.test. 3600 IN AAAA 2001:db8::2"}));
    auto mx = ask("example.test.", LDNS_RR_TYPE_MX);
    EXPECT_EQ(section(mx.get(), LDNS_SECTION_ADDITIONAL),
              std::vector<std::string>{"mail.example.test. 3600 IN A 192.0.2.25"});
}

TEST_F(ResponderTest, RefusedOutsideServedZones) {
    auto r = ask("www.example.org.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_REFUSED);
    EXPECT_FALSE(ldns_pkt_aa(r.get()));
    auto root = ask(".", LDNS_RR_TYPE_NS);
    EXPECT_EQ(ldns_pkt_get_rcode(root.get()), LDNS_RCODE_REFUSED);
}

TEST_F(ResponderTest, OtherClassesRefused) {
    QueryOptions chaos;
    chaos.qclass = LDNS_RR_CLASS_CH;
    auto r = ask("version.bind.", LDNS_RR_TYPE_TXT, chaos);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_REFUSED);
}

TEST_F(ResponderTest, AnyIsAnsweredMinimally) {
    auto r = ask("www.example.test.", LDNS_RR_TYPE_ANY);
    EXPECT_TRUE(ldns_pkt_aa(r.get()));
    EXPECT_EQ(section(r.get(), LDNS_SECTION_ANSWER).size(), 1u);  // one RRset of the two
}

TEST_F(ResponderTest, EdnsOptEchoedAndBadVers) {
    auto r = ask("www.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_edns_udp_size(r.get()), 1232);
    QueryOptions v1;
    v1.edns_version = 1;
    auto bad = ask("www.example.test.", LDNS_RR_TYPE_A, v1);
    // RFC 6891 §6.1.3: BADVERS = 16 = header rcode 0 + extended rcode 1 in OPT.
    EXPECT_EQ(ldns_pkt_get_rcode(bad.get()), 0);
    EXPECT_EQ(ldns_pkt_edns_extended_rcode(bad.get()), 1);
    EXPECT_EQ(ldns_pkt_edns_version(bad.get()), 0);
    EXPECT_TRUE(section(bad.get(), LDNS_SECTION_ANSWER).empty());
    QueryOptions plain;
    plain.edns = false;
    auto none = ask("www.example.test.", LDNS_RR_TYPE_A, plain);
    EXPECT_FALSE(ldns_pkt_edns(none.get()));
}

TEST_F(ResponderTest, TruncationOverUdpFullAnswerOverTcp) {
    auto udp = ask("big.example.test.", LDNS_RR_TYPE_A);
    EXPECT_TRUE(ldns_pkt_tc(udp.get()));
    EXPECT_LE(size_, 1232u);
    EXPECT_TRUE(section(udp.get(), LDNS_SECTION_ANSWER).empty());  // whole RRsets only
    QueryOptions plain;
    plain.edns = false;
    auto small = ask("big.example.test.", LDNS_RR_TYPE_A, plain);
    EXPECT_TRUE(ldns_pkt_tc(small.get()));
    EXPECT_LE(size_, 512u);
    auto tcp = ask("big.example.test.", LDNS_RR_TYPE_A, {}, Transport::Tcp);
    EXPECT_FALSE(ldns_pkt_tc(tcp.get()));
    EXPECT_EQ(section(tcp.get(), LDNS_SECTION_ANSWER).size(), 200u);
}

TEST_F(ResponderTest, ClientPayloadHonouredUpToOurMaximum) {
    QueryOptions large;
    large.payload = 4096;
    auto r = ask("big.example.test.", LDNS_RR_TYPE_A, large);
    EXPECT_TRUE(ldns_pkt_tc(r.get()));  // 200 A records need more than our 1232
    EXPECT_LE(size_, 1232u);
}

TEST(ResponderLimits, ServfailWhenEvenTcpCannotHoldTheAnswer) {
    std::vector<std::string> rrs = {
        "huge.test. 3600 IN SOA ns.huge.test. h.huge.test. 1 3600 600 86400 60",
        "huge.test. 3600 IN NS ns.huge.test.",
    };
    const std::string chunk(250, 'x');
    for (int i = 0; i < 300; ++i) {  // 300 * ~255 octets > 64 KiB
        rrs.push_back("t.huge.test. 60 IN TXT \"" + std::to_string(i) + chunk + "\"");
    }
    snapshot::ZoneSet zones({compile("huge.test.", rrs)});
    Responder responder(query::ResponderOptions{1232});
    std::vector<uint8_t> out(65535);
    auto q = query("t.huge.test.", LDNS_RR_TYPE_TXT);
    const size_t n =
        responder.respond(q.data(), q.size(), out.data(), out.size(), zones, Transport::Tcp);
    auto r = parse(out.data(), n);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL);
}

TEST_F(ResponderTest, UnloadedZoneGivesServfail) {
    snapshot::ZoneSet zones({snapshot::unloaded_zone(wire_name("pending.test."))});
    auto q = query("www.pending.test.", LDNS_RR_TYPE_A);
    const size_t n =
        responder_.respond(q.data(), q.size(), out_.data(), out_.size(), zones, Transport::Udp);
    auto r = parse(out_.data(), n);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL);
}

}  // namespace
}  // namespace tidal::test

namespace tidal::test {
namespace {

TEST(ResponderLoops, CnameLoopThroughAWildcardStopsWithoutRepeatingAnRr) {
    snapshot::ZoneSet zones({compile(
        "l.test.", {"l.test. 3600 IN SOA ns.l.test. h.l.test. 1 3600 600 86400 60",
                    "l.test. 3600 IN NS ns.l.test.", "*.wl.l.test. 60 IN CNAME loop.wl.l.test."})});
    query::Responder responder(query::ResponderOptions{1232});
    std::vector<uint8_t> out(65535);
    for (const auto& [name, expected] :
         std::vector<std::pair<std::string, size_t>>{{"loop.wl.l.test.", 1}, {"x.wl.l.test.", 2}}) {
        auto q = query(name, LDNS_RR_TYPE_A);
        const size_t n = responder.respond(q.data(), q.size(), out.data(), out.size(), zones,
                                           query::Transport::Udp);
        auto r = parse(out.data(), n);
        auto answer = section(r.get(), LDNS_SECTION_ANSWER);
        EXPECT_EQ(answer.size(), expected) << name;
        EXPECT_EQ(std::set<std::string>(answer.begin(), answer.end()).size(), answer.size())
            << name << ": an RR appears twice";
    }
}

}  // namespace
}  // namespace tidal::test
