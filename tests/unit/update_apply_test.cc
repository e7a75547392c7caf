// apply_update against a real store: every prerequisite kind and rcode (RFC 2136 §3.2.5),
// every update kind (§3.4.2), the apex SOA/NS protections, CNAME rules, TTLs, serial bumps,
// and nothing written when a prerequisite fails.
#include <gtest/gtest.h>

#include "core/dns/constants.h"
#include "core/update/update_processor.h"
#include "core/zone/soa_rdata.h"
#include "tests/unit/update_test_support.h"

namespace tidal::update {
namespace {

using dns::rrclass::ANY;
using dns::rrclass::IN;
using dns::rrclass::NONE;
using test::UpdateBuilder;
using test::UpdateSpec;
namespace rcode = dns::rcode;

const std::vector<std::string> kZone = {
    "example.com. 3600 IN SOA ns1.example.com. hostmaster.example.com. 100 3600 900 1209600 300",
    "example.com. 3600 IN NS ns1.example.com.",
    "example.com. 3600 IN NS ns2.example.com.",
    "ns1.example.com. 3600 IN A 192.0.2.1",
    "ns2.example.com. 3600 IN A 192.0.2.2",
    "www.example.com. 300 IN A 192.0.2.80",
    "www.example.com. 300 IN A 192.0.2.81",
    "alias.example.com. 300 IN CNAME www.example.com.",
    "mail.example.com. 300 IN MX 10 mx.example.com.",
};

class UpdateApplyTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::vector<Record> records;
        for (const auto& text : kZone) {
            records.push_back(test::record(text));
        }
        auto created = db_.store().create_zone(test::wire_name("example.com."), records);
        ASSERT_TRUE(created.ok()) << created.error().message;
    }

    UpdateResult run(const std::vector<UpdateSpec>& prerequisites,
                     const std::vector<UpdateSpec>& updates) {
        UpdateBuilder b;
        b.prerequisites = prerequisites;
        b.updates = updates;
        const ParseResult parsed = b.parse();
        EXPECT_EQ(parsed.rcode, rcode::NOERROR) << parsed.why;
        auto result = apply_update(db_.store(), parsed.message, zone::SerialPolicy::Increment);
        EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
        return result.ok() ? result.value() : UpdateResult{};
    }

    std::vector<std::string> dump() { return test::dump_zone(db_.store(), "example.com."); }
    uint32_t serial() {
        auto soa = db_.store().soa(test::wire_name("example.com."));
        EXPECT_TRUE(soa.ok());
        return soa.ok() ? zone::soa_serial(soa->rdata).value_or(0) : 0;
    }
    bool has(const std::string& text) {
        const Record wanted = test::record(text);
        auto contents = db_.store().read_zone(test::wire_name("example.com."));
        EXPECT_TRUE(contents.ok());
        for (const Record& rr : contents->records) {
            if (rr == wanted) {
                return true;
            }
        }
        return false;
    }

    // A prerequisite that fails must leave the zone (records and serial) exactly as it was.
    void expect_refused(const std::vector<UpdateSpec>& prerequisites, uint16_t expected) {
        const auto before = dump();
        const UpdateResult r =
            run(prerequisites, {{"new.example.com.", 300, IN, "A", "192.0.2.99"}});
        EXPECT_EQ(r.rcode, expected) << r.why;
        EXPECT_FALSE(r.applied);
        EXPECT_EQ(dump(), before);
        EXPECT_EQ(serial(), 100U);
    }
    void expect_allowed(const std::vector<UpdateSpec>& prerequisites) {
        const UpdateResult r =
            run(prerequisites, {{"new.example.com.", 300, IN, "A", "192.0.2.99"}});
        EXPECT_EQ(r.rcode, rcode::NOERROR) << r.why;
        EXPECT_TRUE(r.applied);
        EXPECT_TRUE(has("new.example.com. 300 IN A 192.0.2.99"));
    }

    test::TempStore db_;
};

// --- Prerequisites (§2.4, §3.2.5) ---

TEST_F(UpdateApplyTest, NameInUse) {
    expect_refused({{"nowhere.example.com.", 0, ANY, "ANY", ""}}, rcode::NXDOMAIN);
    // An empty non-terminal holds no RR: not in use (§2.4.4).
    expect_refused(
        {{"example.com.", 0, ANY, "ANY", ""}, {"sub.www.example.com.", 0, ANY, "ANY", ""}},
        rcode::NXDOMAIN);
    expect_allowed({{"www.example.com.", 0, ANY, "ANY", ""}});
}

TEST_F(UpdateApplyTest, NameNotInUse) {
    expect_refused({{"www.example.com.", 0, NONE, "ANY", ""}}, rcode::YXDOMAIN);
    expect_allowed({{"nowhere.example.com.", 0, NONE, "ANY", ""}});
}

TEST_F(UpdateApplyTest, RRsetExistsValueIndependent) {
    expect_refused({{"www.example.com.", 0, ANY, "AAAA", ""}}, rcode::NXRRSET);
    expect_allowed({{"www.example.com.", 0, ANY, "A", ""}});
}

TEST_F(UpdateApplyTest, RRsetDoesNotExist) {
    expect_refused({{"www.example.com.", 0, NONE, "A", ""}}, rcode::YXRRSET);
    expect_allowed({{"www.example.com.", 0, NONE, "AAAA", ""}});
}

TEST_F(UpdateApplyTest, RRsetExistsValueDependent) {
    // The whole RRset must match: one of two is not enough, nor is one extra.
    expect_refused({{"www.example.com.", 0, IN, "A", "192.0.2.80"}}, rcode::NXRRSET);
    expect_refused({{"www.example.com.", 0, IN, "A", "192.0.2.80"},
                    {"www.example.com.", 0, IN, "A", "192.0.2.81"},
                    {"www.example.com.", 0, IN, "A", "192.0.2.82"}},
                   rcode::NXRRSET);
    expect_refused({{"nowhere.example.com.", 0, IN, "A", "192.0.2.80"}}, rcode::NXRRSET);
    // Names inside rdata compare without case (RFC 4343).
    expect_allowed({{"www.example.com.", 0, IN, "A", "192.0.2.81"},
                    {"www.example.com.", 0, IN, "A", "192.0.2.80"},
                    {"mail.example.com.", 0, IN, "MX", "10 MX.Example.COM."}});
}

TEST_F(UpdateApplyTest, FirstFailingPrerequisiteDecides) {
    expect_refused(
        {{"www.example.com.", 0, ANY, "ANY", ""}, {"www.example.com.", 0, NONE, "A", ""}},
        rcode::YXRRSET);
}

// --- Updates (§3.4.2) ---

TEST_F(UpdateApplyTest, AddBumpsSerialOnce) {
    const UpdateResult r = run({}, {{"a.example.com.", 60, IN, "A", "192.0.2.10"},
                                    {"a.example.com.", 60, IN, "A", "192.0.2.11"},
                                    {"b.example.com.", 60, IN, "TXT", "\"hello world\""}});
    EXPECT_EQ(r.rcode, rcode::NOERROR);
    EXPECT_TRUE(r.applied);
    EXPECT_EQ(r.serial, 101U);
    EXPECT_EQ(serial(), 101U);
    EXPECT_TRUE(has("a.example.com. 60 IN A 192.0.2.10"));
    EXPECT_TRUE(has("a.example.com. 60 IN A 192.0.2.11"));
    EXPECT_TRUE(has("b.example.com. 60 IN TXT \"hello world\""));
    // The journal holds one difference for IXFR: 100 -> 101.
    auto journal = db_.store().read_journal(test::wire_name("example.com."), 100);
    ASSERT_TRUE(journal.ok());
    ASSERT_TRUE(journal->has_value());
    ASSERT_EQ(journal->value().size(), 1U);
    EXPECT_EQ(journal->value()[0].serial_to, 101U);
}

TEST_F(UpdateApplyTest, NothingChangedBumpsNothing) {
    const auto before = dump();
    const UpdateResult r = run({}, {{"www.example.com.", 300, IN, "A", "192.0.2.80"},
                                    {"nowhere.example.com.", 0, ANY, "ANY", ""},
                                    {"www.example.com.", 0, NONE, "A", "192.0.2.99"}});
    EXPECT_EQ(r.rcode, rcode::NOERROR);
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(serial(), 100U);
    EXPECT_EQ(dump(), before);
}

TEST_F(UpdateApplyTest, AddingToAnRRsetGivesItTheNewTtl) {
    run({}, {{"www.example.com.", 600, IN, "A", "192.0.2.82"}});
    EXPECT_TRUE(has("www.example.com. 600 IN A 192.0.2.80"));
    EXPECT_TRUE(has("www.example.com. 600 IN A 192.0.2.81"));
    EXPECT_TRUE(has("www.example.com. 600 IN A 192.0.2.82"));
    // Re-adding an existing RR with another TTL changes the TTL only.
    const UpdateResult r = run({}, {{"www.example.com.", 30, IN, "A", "192.0.2.80"}});
    EXPECT_TRUE(r.applied);
    EXPECT_TRUE(has("www.example.com. 30 IN A 192.0.2.81"));
    EXPECT_EQ(serial(), 102U);
}

TEST_F(UpdateApplyTest, DeleteRRset) {
    run({}, {{"www.example.com.", 0, ANY, "A", ""}});
    EXPECT_FALSE(has("www.example.com. 300 IN A 192.0.2.80"));
    EXPECT_FALSE(has("www.example.com. 300 IN A 192.0.2.81"));
    EXPECT_EQ(serial(), 101U);
}

TEST_F(UpdateApplyTest, DeleteAllRRsetsOfAName) {
    run({}, {{"mail.example.com.", 300, IN, "TXT", "\"x\""}});
    run({}, {{"mail.example.com.", 0, ANY, "ANY", ""}});
    EXPECT_FALSE(has("mail.example.com. 300 IN MX 10 mx.example.com."));
    EXPECT_FALSE(has("mail.example.com. 300 IN TXT \"x\""));
    EXPECT_EQ(serial(), 102U);
}

TEST_F(UpdateApplyTest, DeleteOneRR) {
    run({}, {{"www.example.com.", 0, NONE, "A", "192.0.2.80"}});
    EXPECT_FALSE(has("www.example.com. 300 IN A 192.0.2.80"));
    EXPECT_TRUE(has("www.example.com. 300 IN A 192.0.2.81"));
    // rdata names compare without case.
    run({}, {{"mail.example.com.", 0, NONE, "MX", "10 MX.EXAMPLE.COM."}});
    EXPECT_FALSE(has("mail.example.com. 300 IN MX 10 mx.example.com."));
}

TEST_F(UpdateApplyTest, UpdatesApplyInOrder) {
    // Delete then add: the RRset is replaced; add then delete: nothing remains.
    run({}, {{"www.example.com.", 0, ANY, "A", ""},
             {"www.example.com.", 120, IN, "A", "192.0.2.90"},
             {"tmp.example.com.", 120, IN, "A", "192.0.2.91"},
             {"tmp.example.com.", 0, NONE, "A", "192.0.2.91"}});
    EXPECT_TRUE(has("www.example.com. 120 IN A 192.0.2.90"));
    EXPECT_FALSE(has("www.example.com. 300 IN A 192.0.2.80"));
    EXPECT_FALSE(has("tmp.example.com. 120 IN A 192.0.2.91"));
    EXPECT_EQ(serial(), 101U);
}

TEST_F(UpdateApplyTest, ApexSoaAndNsAreProtected) {
    const auto before = dump();
    const UpdateResult r = run({}, {{"example.com.", 0, ANY, "SOA", ""},
                                    {"example.com.", 0, ANY, "NS", ""},
                                    {"example.com.", 0, ANY, "ANY", ""},
                                    {"example.com.", 0, NONE, "SOA", ""}});
    EXPECT_EQ(r.rcode, rcode::NOERROR);
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(r.ignored, 3U);  // ANY ANY at the apex is applied (to nothing but SOA and NS)
    EXPECT_EQ(dump(), before);
    // Deleting NS RRs one by one stops at the last one.
    run({}, {{"example.com.", 0, NONE, "NS", "ns1.example.com."},
             {"example.com.", 0, NONE, "NS", "ns2.example.com."}});
    EXPECT_FALSE(has("example.com. 3600 IN NS ns1.example.com."));
    EXPECT_TRUE(has("example.com. 3600 IN NS ns2.example.com."));
    // ANY ANY at the apex deletes other apex data but keeps SOA and NS.
    run({}, {{"example.com.", 300, IN, "TXT", "\"v=spf1 -all\""}});
    run({}, {{"example.com.", 0, ANY, "ANY", ""}});
    EXPECT_FALSE(has("example.com. 300 IN TXT \"v=spf1 -all\""));
    EXPECT_TRUE(has("example.com. 3600 IN NS ns2.example.com."));
    EXPECT_EQ(serial(), 103U);
}

TEST_F(UpdateApplyTest, SoaReplacedOnlyByGreaterSerial) {
    const std::string soa_rdata = "ns1.example.com. hostmaster.example.com. %s 7200 900 1209600 60";
    auto soa_with = [&](const std::string& serial) {
        std::string text = soa_rdata;
        text.replace(text.find("%s"), 2, serial);
        return text;
    };
    UpdateResult r = run({}, {{"example.com.", 3600, IN, "SOA", soa_with("99")}});
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(serial(), 100U);
    r = run({}, {{"example.com.", 3600, IN, "SOA", soa_with("500")}});
    EXPECT_TRUE(r.applied);
    EXPECT_EQ(serial(), 500U);
    EXPECT_TRUE(has("example.com. 3600 IN SOA " + soa_with("500")));
    // An SOA elsewhere than the apex is ignored.
    r = run({}, {{"www.example.com.", 3600, IN, "SOA", soa_with("900")}});
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(serial(), 500U);
}

TEST_F(UpdateApplyTest, CnameRules) {
    const auto before = dump();
    // A CNAME cannot join other data, nor other data a CNAME (§3.4.2.2).
    UpdateResult r = run({}, {{"www.example.com.", 300, IN, "CNAME", "elsewhere.example.com."},
                              {"alias.example.com.", 300, IN, "A", "192.0.2.5"}});
    EXPECT_FALSE(r.applied);
    EXPECT_EQ(r.ignored, 2U);
    EXPECT_EQ(dump(), before);
    // A CNAME replaces a CNAME.
    r = run({}, {{"alias.example.com.", 300, IN, "CNAME", "mail.example.com."}});
    EXPECT_TRUE(r.applied);
    EXPECT_TRUE(has("alias.example.com. 300 IN CNAME mail.example.com."));
    EXPECT_FALSE(has("alias.example.com. 300 IN CNAME www.example.com."));
    // Delete the data first, then the CNAME may go in: in one message.
    r = run({}, {{"www.example.com.", 0, ANY, "ANY", ""},
                 {"www.example.com.", 300, IN, "CNAME", "alias.example.com."}});
    EXPECT_TRUE(r.applied);
    EXPECT_TRUE(has("www.example.com. 300 IN CNAME alias.example.com."));
    EXPECT_FALSE(has("www.example.com. 300 IN A 192.0.2.80"));
}

TEST_F(UpdateApplyTest, SerialPolicyUnixTime) {
    UpdateBuilder b;
    b.updates = {{"t.example.com.", 60, IN, "A", "192.0.2.1"}};
    const ParseResult parsed = b.parse();
    auto r = apply_update(db_.store(), parsed.message, zone::SerialPolicy::UnixTime);
    ASSERT_TRUE(r.ok());
    EXPECT_GT(r->serial, 1600000000U);  // the clock, not 101
    EXPECT_EQ(serial(), r->serial);
}

TEST_F(UpdateApplyTest, ZoneWithoutDataIsServfail) {
    UpdateBuilder b;
    b.zone = "example.org.";
    b.updates = {{"t.example.org.", 60, IN, "A", "192.0.2.1"}};
    const ParseResult parsed = b.parse();
    auto r = apply_update(db_.store(), parsed.message, zone::SerialPolicy::Increment);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->rcode, rcode::SERVFAIL);
}

}  // namespace
}  // namespace tidal::update
