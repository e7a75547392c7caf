// Responder: a secondary's copy past EXPIRE, bounded staleness (TTL caps, stale-policy) and the
// EDNS EXPIRE option (RFC 7314), checked by decoding the answers with ldns.
#include <gtest/gtest.h>

#include <optional>

#include "core/query/responder.h"
#include "core/snapshot/zone_set.h"
#include "core/util/wall_clock.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::test {
namespace {

using query::Responder;
using query::Transport;

const std::vector<std::string> kZone = {
    "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 7 7200 900 1209600 300",
    "example.test. 3600 IN NS ns1.example.test.",
    "ns1.example.test. 3600 IN A 192.0.2.1",
    "www.example.test. 86400 IN A 192.0.2.80",
};

// The EXPIRE option's value in the answer's OPT record, if it carries one.
std::optional<uint32_t> expire_option(const ldns_pkt* pkt) {
    const ldns_rdf* data = ldns_pkt_edns_data(pkt);
    if (data == nullptr) {
        return std::nullopt;
    }
    const uint8_t* p = ldns_rdf_data(data);
    const size_t size = ldns_rdf_size(data);
    for (size_t pos = 0; pos + 4 <= size;) {
        const uint16_t code = uint16_t(p[pos] << 8 | p[pos + 1]);
        const size_t len = size_t(p[pos + 2] << 8 | p[pos + 3]);
        if (code == 9 && len == 4 && pos + 8 <= size) {
            return uint32_t(p[pos + 4]) << 24 | uint32_t(p[pos + 5]) << 16 |
                   uint32_t(p[pos + 6]) << 8 | p[pos + 7];
        }
        pos += 4 + len;
    }
    return std::nullopt;
}

// The TTLs of every RR in the answer and authority sections.
std::vector<uint32_t> ttls(const ldns_pkt* pkt) {
    std::vector<uint32_t> out;
    for (ldns_rr_list* list : {ldns_pkt_answer(pkt), ldns_pkt_authority(pkt)}) {
        for (size_t i = 0; i < ldns_rr_list_rr_count(list); ++i) {
            out.push_back(ldns_rr_ttl(ldns_rr_list_rr(list, i)));
        }
    }
    return out;
}

class FreshnessTest : public ::testing::Test {
  protected:
    void serve(const snapshot::ZoneFreshness& freshness) {
        auto zone = compile("example.test.", kZone);
        ASSERT_TRUE(zone);
        snapshot::FreshnessMap map;
        if (freshness.bounded()) {
            map.emplace(wire_name("example.test."), freshness);
        }
        zones_ = snapshot::ZoneSet({zone}, nullptr, map);
    }
    Packet ask(const std::string& name, ldns_rr_type type, QueryOptions options = {}) {
        const auto q = query(name, type, options);
        const size_t n = responder_.respond(q.data(), q.size(), out_.data(), out_.size(), zones_,
                                            Transport::Udp);
        EXPECT_GT(n, 0u);
        return parse(out_.data(), n);
    }

    Responder responder_{query::ResponderOptions{1232}};
    snapshot::ZoneSet zones_;
    std::vector<uint8_t> out_ = std::vector<uint8_t>(65535);
};

TEST_F(FreshnessTest, UnboundedZoneKeepsItsTtls) {
    serve({});
    auto r = ask("www.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ttls(r.get()), std::vector<uint32_t>{86400});
}

TEST_F(FreshnessTest, TtlsNeverReachPastTheStalenessDeadline) {
    snapshot::ZoneFreshness f;
    f.stale_at = wall_clock_ms() + 120'000;  // stale in two minutes
    serve(f);
    for (auto [name, type] : {std::pair{"www.example.test.", LDNS_RR_TYPE_A},
                              std::pair{"nothere.example.test.", LDNS_RR_TYPE_A},
                              std::pair{"example.test.", LDNS_RR_TYPE_NS}}) {
        auto r = ask(name, type);
        EXPECT_NE(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL) << name;
        const auto got = ttls(r.get());
        ASSERT_FALSE(got.empty()) << name;
        for (uint32_t ttl : got) {
            EXPECT_LE(ttl, 120u) << name;
            EXPECT_GE(ttl, 110u) << name << ": lowered only as far as the deadline needs";
        }
    }
}

TEST_F(FreshnessTest, ShortTtlsAreNotRaised) {
    snapshot::ZoneFreshness f;
    f.stale_at = wall_clock_ms() + 3'600'000;
    serve(f);
    auto r = ask("nothere.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ttls(r.get()), std::vector<uint32_t>{300});  // RFC 2308 §5 negative TTL stays
}

TEST_F(FreshnessTest, StaleZoneUnderRefuseAnswersServfail) {
    snapshot::ZoneFreshness f;
    f.stale_at = wall_clock_ms() - 1000;
    serve(f);
    auto r = ask("www.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_SERVFAIL);
    EXPECT_EQ(ldns_pkt_ancount(r.get()), 0);
}

TEST_F(FreshnessTest, StaleZoneUnderServeAnswersWithShortTtls) {
    snapshot::ZoneFreshness f;
    f.stale_at = wall_clock_ms() - 1000;
    f.serve_stale = true;
    serve(f);
    auto r = ask("www.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(ldns_pkt_get_rcode(r.get()), LDNS_RCODE_NOERROR);
    EXPECT_EQ(ttls(r.get()), std::vector<uint32_t>{30});  // RFC 8767 §4
}

TEST_F(FreshnessTest, ExpiredCopyAnswersServfailWhateverThePolicy) {
    snapshot::ZoneFreshness f;
    f.expire_at = wall_clock_ms() - 1;
    f.serve_stale = true;
    serve(f);
    EXPECT_EQ(ldns_pkt_get_rcode(ask("www.example.test.", LDNS_RR_TYPE_A).get()),
              LDNS_RCODE_SERVFAIL);
    snapshot::ZoneFreshness given_up;
    given_up.expired = true;
    serve(given_up);
    EXPECT_EQ(ldns_pkt_get_rcode(ask("example.test.", LDNS_RR_TYPE_SOA).get()),
              LDNS_RCODE_SERVFAIL);
}

TEST_F(FreshnessTest, ExpireOptionOnAPrimaryIsTheSoaExpireField) {
    serve({});
    QueryOptions options;
    options.expire = true;
    auto r = ask("example.test.", LDNS_RR_TYPE_SOA, options);
    EXPECT_EQ(expire_option(r.get()), 1209600u);
    EXPECT_FALSE(expire_option(ask("example.test.", LDNS_RR_TYPE_SOA).get()))
        << "only sent when asked for (RFC 7314 §3)";
}

TEST_F(FreshnessTest, ExpireOptionOnASecondaryIsTheTimeLeft) {
    snapshot::ZoneFreshness f;
    f.expire_at = wall_clock_ms() + 5000'000;
    serve(f);
    QueryOptions options;
    options.expire = true;
    auto left = expire_option(ask("example.test.", LDNS_RR_TYPE_SOA, options).get());
    ASSERT_TRUE(left);
    EXPECT_LE(*left, 5000u);
    EXPECT_GE(*left, 4990u);
}

}  // namespace
}  // namespace tidal::test
