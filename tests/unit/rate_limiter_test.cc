// RateLimiter and classify_response: rates over injected time, slip, prefixes, exemptions, and
// the classes of real Responder answers.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "core/config/config_values.h"
#include "core/query/responder.h"
#include "core/rrl/rate_limiter.h"
#include "core/rrl/response_class.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::rrl {
namespace {

using test::compile;
using test::query;

sockaddr_storage ipv4(const char* text) {
    sockaddr_storage storage{};
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(5353);
    EXPECT_EQ(inet_pton(AF_INET, text, &in.sin_addr), 1) << text;
    std::memcpy(&storage, &in, sizeof(in));
    return storage;
}

sockaddr_storage ipv6(const char* text) {
    sockaddr_storage storage{};
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(5353);
    EXPECT_EQ(inet_pton(AF_INET6, text, &in6.sin6_addr), 1) << text;
    std::memcpy(&storage, &in6, sizeof(in6));
    return storage;
}

const sockaddr* as_sockaddr(const sockaddr_storage& storage) {
    return reinterpret_cast<const sockaddr*>(&storage);
}

ResponseClass positive(const std::string& name, uint16_t qtype = 1) {
    ResponseClass response;
    response.kind = ResponseKind::Positive;
    response.qtype = qtype;
    const std::string wire = test::wire_name(name);
    std::memcpy(response.name, wire.data(), wire.size());
    response.name_size = wire.size();
    return response;
}

RateLimitOptions options(uint32_t rate, uint32_t slip = 2) {
    RateLimitOptions out;
    out.rate = rate;
    out.slip = slip;
    out.table_size = 4096;
    return out;
}

struct Tally {
    int sent = 0;
    int slipped = 0;
    int dropped = 0;
};

// count responses of one class to one client, spread evenly over [start_ms, start_ms + span_ms).
Tally send(RateLimiter& limiter, const sockaddr_storage& client, const ResponseClass& response,
           int count, uint64_t start_ms, uint64_t span_ms) {
    Tally tally;
    for (int i = 0; i < count; ++i) {
        const uint64_t now = start_ms + span_ms * uint64_t(i) / uint64_t(count);
        switch (limiter.check(as_sockaddr(client), response, now)) {
            case Verdict::Send:
                ++tally.sent;
                break;
            case Verdict::Slip:
                ++tally.slipped;
                break;
            case Verdict::Drop:
                ++tally.dropped;
                break;
        }
    }
    return tally;
}

constexpr uint64_t kStart = 1'000'000;  // an arbitrary monotonic clock reading

TEST(RateLimiter, HonoursTheRateOverSimulatedTime) {
    RateLimiter limiter(options(10, 0), 1);
    const auto client = ipv4("192.0.2.7");
    // 100 responses a second for 10 s: the first second may use the full bucket (10) on top of
    // the 10/s refill, so 10 * 10 + 10 at most, and the rate at least.
    const Tally tally = send(limiter, client, positive("www.example.test."), 1000, kStart, 10'000);
    EXPECT_GE(tally.sent, 100);
    EXPECT_LE(tally.sent, 110);
    EXPECT_EQ(tally.slipped, 0);  // slip 0: everything over the rate is dropped
    EXPECT_EQ(tally.dropped, 1000 - tally.sent);
    const RateLimitCounters counters = limiter.counters();
    EXPECT_EQ(counters.limited, uint64_t(tally.dropped));
    EXPECT_EQ(counters.dropped, uint64_t(tally.dropped));
    EXPECT_EQ(counters.slipped, 0u);
}

TEST(RateLimiter, UnderTheRateNothingIsLimited) {
    RateLimiter limiter(options(10), 1);
    const auto client = ipv4("192.0.2.7");
    const Tally tally = send(limiter, client, positive("www.example.test."), 90, kStart, 10'000);
    EXPECT_EQ(tally.sent, 90);
}

TEST(RateLimiter, RefillsAfterAQuietSecond) {
    RateLimiter limiter(options(5, 0), 1);
    const auto client = ipv4("192.0.2.7");
    const auto www = positive("www.example.test.");
    EXPECT_EQ(send(limiter, client, www, 20, kStart, 1).sent, 5);  // a burst: the bucket's 5
    EXPECT_EQ(send(limiter, client, www, 20, kStart + 1, 1).sent, 0);
    // One second later the bucket is full again, but never fuller than one second's worth.
    EXPECT_EQ(send(limiter, client, www, 20, kStart + 5'000, 1).sent, 5);
    // Time going backwards a little (another worker's loop clock) refills nothing, breaks nothing.
    EXPECT_EQ(send(limiter, client, www, 3, kStart + 4'990, 1).sent, 0);
}

TEST(RateLimiter, SlipTwoTruncatesEverySecondLimitedResponse) {
    RateLimiter limiter(options(5, 2), 1);
    const auto client = ipv4("192.0.2.7");
    const Tally tally = send(limiter, client, positive("www.example.test."), 105, kStart, 1);
    EXPECT_EQ(tally.sent, 5);
    EXPECT_EQ(tally.slipped, 50);
    EXPECT_EQ(tally.dropped, 50);
    EXPECT_EQ(limiter.counters().slipped, 50u);
}

TEST(RateLimiter, SlipOneTruncatesAllAndSlipZeroDropsAll) {
    RateLimiter all(options(5, 1), 1);
    const auto client = ipv4("192.0.2.7");
    Tally tally = send(all, client, positive("www.example.test."), 25, kStart, 1);
    EXPECT_EQ(tally.sent, 5);
    EXPECT_EQ(tally.slipped, 20);
    RateLimiter none(options(5, 0), 1);
    tally = send(none, client, positive("www.example.test."), 25, kStart, 1);
    EXPECT_EQ(tally.dropped, 20);
    EXPECT_EQ(tally.slipped, 0);
}

TEST(RateLimiter, SlipThreeTruncatesOneInThree) {
    RateLimiter limiter(options(1, 3), 1);
    const Tally tally = send(limiter, ipv4("192.0.2.7"), positive("a.test."), 31, kStart, 1);
    EXPECT_EQ(tally.sent, 1);
    EXPECT_EQ(tally.slipped, 10);
    EXPECT_EQ(tally.dropped, 20);
}

TEST(RateLimiter, Ipv4ClientsAreGroupedBySlash24) {
    RateLimiter limiter(options(5, 0), 7);
    const auto www = positive("www.example.test.");
    EXPECT_EQ(send(limiter, ipv4("192.0.2.1"), www, 3, kStart, 1).sent, 3);
    // Same /24: shares what is left of the bucket.
    EXPECT_EQ(send(limiter, ipv4("192.0.2.200"), www, 10, kStart, 1).sent, 2);
    // Another /24 has its own bucket.
    EXPECT_EQ(send(limiter, ipv4("192.0.3.1"), www, 10, kStart, 1).sent, 5);
    // An IPv4-mapped IPv6 client is the IPv4 client it carries.
    EXPECT_EQ(send(limiter, ipv6("::ffff:192.0.2.9"), www, 10, kStart, 1).sent, 0);
}

TEST(RateLimiter, Ipv6ClientsAreGroupedBySlash56AndPrefixesAreConfigurable) {
    RateLimiter limiter(options(4, 0), 7);
    const auto www = positive("www.example.test.");
    EXPECT_EQ(send(limiter, ipv6("2001:db8:0:100::1"), www, 10, kStart, 1).sent, 4);
    EXPECT_EQ(send(limiter, ipv6("2001:db8:0:1ff::2"), www, 10, kStart, 1).sent, 0);  // same /56
    EXPECT_EQ(send(limiter, ipv6("2001:db8:0:200::1"), www, 10, kStart, 1).sent, 4);

    RateLimitOptions hosts = options(4, 0);
    hosts.ipv4_prefix = 32;
    RateLimiter per_host(hosts, 7);
    EXPECT_EQ(send(per_host, ipv4("192.0.2.1"), www, 10, kStart, 1).sent, 4);
    EXPECT_EQ(send(per_host, ipv4("192.0.2.2"), www, 10, kStart, 1).sent, 4);
}

TEST(RateLimiter, ClassesAndNamesHaveSeparateBuckets) {
    RateLimiter limiter(options(3, 0), 7);
    const auto client = ipv4("192.0.2.1");
    EXPECT_EQ(send(limiter, client, positive("www.example.test."), 10, kStart, 1).sent, 3);
    EXPECT_EQ(send(limiter, client, positive("mail.example.test."), 10, kStart, 1).sent, 3);
    EXPECT_EQ(send(limiter, client, positive("www.example.test.", 28), 10, kStart, 1).sent, 3);
    ResponseClass nx = positive("example.test.");
    nx.kind = ResponseKind::Nxdomain;
    nx.qtype = 0;
    EXPECT_EQ(send(limiter, client, nx, 10, kStart, 1).sent, 3);
    ResponseClass error;
    EXPECT_EQ(send(limiter, client, error, 10, kStart, 1).sent, 3);
}

TEST(RateLimiter, ExemptPrefixesAreNeverLimited) {
    RateLimitOptions exempt = options(2, 0);
    exempt.exempt.push_back(config::parse_prefix("192.0.2.0/28").value());
    exempt.exempt.push_back(config::parse_prefix("2001:db8::53/128").value());
    RateLimiter limiter(exempt, 3);
    const auto www = positive("www.example.test.");
    EXPECT_EQ(send(limiter, ipv4("192.0.2.5"), www, 100, kStart, 1).sent, 100);
    EXPECT_EQ(send(limiter, ipv6("2001:db8::53"), www, 100, kStart, 1).sent, 100);
    // The same /24 outside the exempt /28 is limited as usual.
    EXPECT_EQ(send(limiter, ipv4("192.0.2.100"), www, 100, kStart, 1).sent, 2);
    EXPECT_EQ(send(limiter, ipv6("2001:db8::54"), www, 100, kStart, 1).sent, 2);
    EXPECT_EQ(limiter.counters().limited, 196u);
}

TEST(RateLimiter, ATinyTableWithManyKeysStaysSaneAndStillLimitsAHotBucket) {
    RateLimitOptions tiny = options(5, 0);
    tiny.table_size = 2;  // every key collides
    RateLimiter limiter(tiny, 9);
    const auto hot = ipv4("198.51.100.1");
    int hot_sent = 0;
    for (int i = 0; i < 20000; ++i) {
        const uint64_t now = kStart + uint64_t(i) / 20;  // 20 per ms: 1 s in all
        const std::string name = "n" + std::to_string(i) + ".example.test.";
        (void)limiter.check(as_sockaddr(ipv4("203.0.113.1")), positive(name), now);
        if (limiter.check(as_sockaddr(hot), positive("hot.example.test."), now) == Verdict::Send) {
            ++hot_sent;
        }
    }
    // Collisions make limiting more lenient, never stricter than the rate, and never crash.
    EXPECT_GE(hot_sent, 5);
    EXPECT_LE(hot_sent, 20000);
}

TEST(RateLimiter, ThreadsShareOneRate) {
    RateLimiter limiter(options(50, 0), 11);
    const auto client = ipv4("192.0.2.77");
    const auto www = positive("www.example.test.");
    std::atomic<int> sent{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5000; ++i) {
                // All threads within the same simulated millisecond: only the bucket's 50.
                if (limiter.check(as_sockaddr(client), www, kStart) == Verdict::Send) {
                    ++sent;
                }
            }
        });
    }
    for (auto& thread : threads) {
        thread.join();
    }
    EXPECT_EQ(sent.load(), 50);
    EXPECT_EQ(limiter.counters().dropped, 20000u - 50u);
}

TEST(RateLimiter, NonIpClientsAreNotLimited) {
    RateLimiter limiter(options(1, 0), 1);
    sockaddr_storage unix_peer{};
    unix_peer.ss_family = AF_UNIX;
    EXPECT_EQ(send(limiter, unix_peer, positive("a.test."), 10, kStart, 1).sent, 10);
    EXPECT_EQ(limiter.check(nullptr, positive("a.test."), kStart), Verdict::Send);
}

// Real answers from the Responder, classified.
class ResponseClassTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::vector<std::string> rrs = {
            "example.test. 3600 IN SOA ns1.example.test. h.example.test. 1 3600 600 86400 300",
            "example.test. 3600 IN NS ns1.example.test.",
            "ns1.example.test. 3600 IN A 192.0.2.1",
            "www.example.test. 300 IN A 192.0.2.80",
            "alias.example.test. 300 IN CNAME www.example.test.",
            "*.wild.example.test. 300 IN A 192.0.2.99",
            "child.example.test. 3600 IN NS ns1.child.example.test.",
            "ns1.child.example.test. 3600 IN A 192.0.2.53"};
        for (int i = 0; i < 60; ++i) {
            rrs.push_back("big.example.test. 300 IN TXT \"" + std::to_string(1000 + i) +
                          std::string(200, 'x') + "\"");
        }
        auto zone = compile("example.test.", rrs);
        ASSERT_TRUE(zone);
        zones_ = snapshot::ZoneSet({zone});
    }

    ResponseClass classify(const std::string& name, ldns_rr_type type) {
        const std::vector<uint8_t> q = query(name, type);
        size_ = responder_.respond(q.data(), q.size(), out_.data(), out_.size(), zones_,
                                   query::Transport::Udp);
        EXPECT_GT(size_, 0u);
        ResponseClass response;
        EXPECT_TRUE(classify_response(out_.data(), size_, response)) << name;
        return response;
    }

    static std::string name_of(const ResponseClass& response) {
        return dns::name_to_text(
            std::string_view(reinterpret_cast<const char*>(response.name), response.name_size));
    }

    query::Responder responder_{query::ResponderOptions{1232}};
    snapshot::ZoneSet zones_;
    std::vector<uint8_t> out_ = std::vector<uint8_t>(65535);
    size_t size_ = 0;
};

TEST_F(ResponseClassTest, PositiveAnswersCountPerQnameAndType) {
    const ResponseClass www = classify("WWW.Example.TEST.", LDNS_RR_TYPE_A);
    EXPECT_EQ(www.kind, ResponseKind::Positive);
    EXPECT_EQ(www.qtype, LDNS_RR_TYPE_A);
    EXPECT_EQ(name_of(www), "www.example.test.");  // lowercased
    const ResponseClass alias = classify("alias.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(alias.kind, ResponseKind::Positive);
    EXPECT_EQ(name_of(alias), "alias.example.test.");
}

TEST_F(ResponseClassTest, TruncatedAnswersCountPerQnameAndType) {
    const ResponseClass big = classify("big.example.test.", LDNS_RR_TYPE_TXT);
    test::Packet packet = test::parse(out_.data(), size_);
    ASSERT_TRUE(packet);
    EXPECT_TRUE(ldns_pkt_tc(packet.get()));
    EXPECT_EQ(big.kind, ResponseKind::Positive);
    EXPECT_EQ(big.qtype, LDNS_RR_TYPE_TXT);
    EXPECT_EQ(name_of(big), "big.example.test.");
}

TEST_F(ResponseClassTest, NxdomainAndNodataCountPerZone) {
    const ResponseClass nx = classify("random-1234.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(nx.kind, ResponseKind::Nxdomain);
    EXPECT_EQ(name_of(nx), "example.test.");
    const ResponseClass nodata = classify("www.example.test.", LDNS_RR_TYPE_MX);
    EXPECT_EQ(nodata.kind, ResponseKind::Nodata);
    EXPECT_EQ(name_of(nodata), "example.test.");
}

TEST_F(ResponseClassTest, ReferralsCountPerDelegation) {
    const ResponseClass referral = classify("deep.below.child.example.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(referral.kind, ResponseKind::Referral);
    EXPECT_EQ(name_of(referral), "child.example.test.");
}

TEST_F(ResponseClassTest, ErrorsCountPerPrefixOnly) {
    const ResponseClass refused = classify("www.elsewhere.test.", LDNS_RR_TYPE_A);
    EXPECT_EQ(refused.kind, ResponseKind::Error);
    EXPECT_EQ(refused.name_size, 0u);
}

TEST_F(ResponseClassTest, NotifyAnswersAreNotRateLimited) {
    std::vector<uint8_t> notify = query("example.test.", LDNS_RR_TYPE_SOA);
    notify[2] = uint8_t((notify[2] & 0x87) | (4 << 3));  // opcode NOTIFY (RFC 1996)
    notify[2] |= 0x80;                                   // as if it were the answer
    ResponseClass response;
    EXPECT_FALSE(classify_response(notify.data(), notify.size(), response));
}

TEST_F(ResponseClassTest, SlipKeepsHeaderAndQuestionWithTc) {
    (void)classify("www.example.test.", LDNS_RR_TYPE_A);
    const size_t full = size_;
    const size_t slipped = make_slip_response(out_.data(), size_);
    ASSERT_GT(slipped, 12u);
    EXPECT_LT(slipped, full);
    test::Packet packet = test::parse(out_.data(), slipped);
    ASSERT_TRUE(packet);
    EXPECT_TRUE(ldns_pkt_tc(packet.get()));
    EXPECT_TRUE(ldns_pkt_qr(packet.get()));
    EXPECT_EQ(ldns_pkt_id(packet.get()), 4242);
    EXPECT_EQ(ldns_pkt_qdcount(packet.get()), 1);
    EXPECT_EQ(ldns_pkt_ancount(packet.get()), 0);
    EXPECT_EQ(ldns_pkt_nscount(packet.get()), 0);
    EXPECT_EQ(ldns_pkt_arcount(packet.get()), 0);
}

TEST_F(ResponseClassTest, ApplyShrinksOrDropsAndPassesUnderTheRate) {
    RateLimiter limiter(options(1, 2), 5);
    const auto client = ipv4("192.0.2.1");
    std::vector<size_t> sizes;
    for (int i = 0; i < 3; ++i) {
        (void)classify("www.example.test.", LDNS_RR_TYPE_A);
        sizes.push_back(limiter.apply(out_.data(), size_, as_sockaddr(client), kStart));
    }
    EXPECT_EQ(sizes[0], size_);  // within the rate: unchanged
    EXPECT_EQ(sizes[1], 0u);     // first limited: dropped
    EXPECT_GT(sizes[2], 12u);    // second limited: slipped (header + question)
    EXPECT_LT(sizes[2], size_);
}

TEST(ResponseClassMalformed, TruncatedAndLoopingMessagesDoNotCrash) {
    ResponseClass response;
    const uint8_t short_message[] = {0, 1, 0x80, 0};
    EXPECT_FALSE(classify_response(short_message, sizeof short_message, response));
    // NXDOMAIN whose question name points at itself: unreadable, counted per prefix.
    const uint8_t loop[] = {0, 1, 0x84, 0x03, 0, 1, 0, 0, 0, 1, 0, 0, 0xC0, 12, 0, 1, 0, 1};
    EXPECT_TRUE(classify_response(loop, sizeof loop, response));
    EXPECT_EQ(response.name_size, 0u);
    std::vector<uint8_t> copy(loop, loop + sizeof loop);
    EXPECT_EQ(make_slip_response(copy.data(), copy.size()), 0u);
}

}  // namespace
}  // namespace tidal::rrl
