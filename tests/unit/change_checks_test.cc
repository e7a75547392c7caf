// Zone rules on changes (zone::check_change), deciding edit scripts (prerequisites, edits in
// order, rejections), and ZoneStore::apply_edits / apply_checked_change on a real database:
// one serial bump per script, nothing written on a rejection, compare-and-set under threads.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <ctime>
#include <filesystem>
#include <thread>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/zone/change_checks.h"
#include "core/zone/edit_script.h"
#include "core/zone/rr_text.h"
#include "core/zone/soa_rdata.h"

namespace tidal::zone {
namespace {

namespace fs = std::filesystem;
namespace rrtype = dns::rrtype;
namespace rcode = dns::rcode;
using store::ZoneChange;

std::string wire(const std::string& text) {
    auto name = dns::name_from_text(text);
    EXPECT_TRUE(name.ok()) << text;
    return name.ok() ? dns::name_lowered(name.value()) : std::string();
}

const std::string kApex = "example.com.";

Record rr(const std::string& owner, uint32_t ttl, const std::string& type,
          const std::string& rdata) {
    Record out;
    out.owner = wire(owner);
    auto t = rrtype_from_text(type);
    EXPECT_TRUE(t.ok()) << type;
    out.type = t.ok() ? t.value() : 0;
    out.ttl = ttl;
    auto data = rdata_from_text(out.type, rdata, wire(kApex));
    EXPECT_TRUE(data.ok()) << rdata << ": " << (data.ok() ? "" : data.error().message);
    out.rdata = data.ok() ? data.value() : std::string();
    return out;
}

Record soa(uint32_t serial) {
    return rr(kApex, 3600, "SOA",
              "ns1 hostmaster " + std::to_string(serial) + " 3600 900 1209600 300");
}

// The zone every test starts from.
std::vector<Record> zone_records() {
    return {soa(10),
            rr(kApex, 3600, "NS", "ns1"),
            rr("ns1.example.com.", 3600, "A", "192.0.2.1"),
            rr("www.example.com.", 300, "A", "192.0.2.80"),
            rr("www.example.com.", 300, "A", "192.0.2.81"),
            rr("alias.example.com.", 300, "CNAME", "www")};
}

ZoneChange change(std::vector<Record> remove, std::vector<Record> add) {
    ZoneChange c;
    c.zone = wire(kApex);
    c.remove = std::move(remove);
    c.add = std::move(add);
    return c;
}

// The error of check_change, "" when it passes.
std::string problem(const ZoneChange& c) {
    Status status = check_change(c, zone_records());
    return status ? std::string() : status.message();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

TEST(CheckChange, AcceptsOrdinaryChanges) {
    EXPECT_EQ(problem(change({}, {rr("new.example.com.", 60, "A", "192.0.2.9")})), "");
    EXPECT_EQ(problem(change({rr("www.example.com.", 0, "A", "192.0.2.80")}, {})), "");
    // Replacing the CNAME by an A at the same name, and the SOA by another.
    EXPECT_EQ(problem(change({rr("alias.example.com.", 0, "CNAME", "www")},
                             {rr("alias.example.com.", 60, "A", "192.0.2.7")})),
              "");
    EXPECT_EQ(problem(change({soa(10)}, {soa(11)})), "");
    // RRSIG and NSEC may stand beside a CNAME (RFC 4035 §2.5).
    EXPECT_EQ(problem(change({}, {rr("alias.example.com.", 300, "NSEC",
                                     "www.example.com. CNAME "
                                     "RRSIG NSEC")})),
              "");
    // A second apex NS, then deleting one of two.
    EXPECT_EQ(problem(change({}, {rr(kApex, 3600, "NS", "ns2.example.net.")})), "");
}

TEST(CheckChange, CnameBesideOtherDataIsRefused) {
    const std::string why = problem(change({}, {rr("alias.example.com.", 60, "A", "192.0.2.9")}));
    EXPECT_TRUE(contains(why, "alias.example.com.")) << why;
    EXPECT_TRUE(contains(why, "CNAME")) << why;
    EXPECT_TRUE(contains(why, "RFC 1034")) << why;
    EXPECT_NE(problem(change({}, {rr("www.example.com.", 60, "CNAME", "ns1")})), "");
    EXPECT_TRUE(contains(problem(change({}, {rr("alias.example.com.", 60, "CNAME", "ns1")})),
                         "more than one CNAME"));
}

TEST(CheckChange, CnameAtTheApexIsRefused) {
    const std::string why = problem(change({}, {rr(kApex, 60, "CNAME", "www")}));
    EXPECT_TRUE(contains(why, "apex")) << why;
    EXPECT_TRUE(contains(why, "CNAME")) << why;
}

TEST(CheckChange, NamesOutsideTheZoneAreRefused) {
    const std::string why = problem(change({}, {rr("www.example.net.", 60, "A", "192.0.2.9")}));
    EXPECT_TRUE(contains(why, "www.example.net.")) << why;
    EXPECT_TRUE(contains(why, "outside zone example.com.")) << why;
    EXPECT_NE(problem(change({rr("example.org.", 60, "A", "192.0.2.9")}, {})), "");
    Record chaos = rr("txt.example.com.", 60, "TXT", "\"x\"");
    chaos.rclass = dns::rrclass::CH;
    EXPECT_TRUE(contains(problem(change({}, {chaos})), "class")) << problem(change({}, {chaos}));
}

TEST(CheckChange, TtlAboveTwoToTheThirtyOneIsRefused) {
    EXPECT_EQ(problem(change({}, {rr("t.example.com.", kMaxTtl, "A", "192.0.2.9")})), "");
    const std::string why =
        problem(change({}, {rr("t.example.com.", kMaxTtl + 1, "A", "192.0.2.9")}));
    EXPECT_TRUE(contains(why, "2147483648")) << why;
    EXPECT_TRUE(contains(why, "RFC 2181")) << why;
}

TEST(CheckChange, RdataThatDoesNotDecodeIsRefused) {
    Record short_a = rr("bad.example.com.", 60, "A", "192.0.2.9");
    short_a.rdata.pop_back();
    EXPECT_TRUE(contains(problem(change({}, {short_a})), "not valid A rdata"));
    Record long_a = rr("bad.example.com.", 60, "A", "192.0.2.9");
    long_a.rdata += 'x';
    EXPECT_NE(problem(change({}, {long_a})), "");
    Record empty_mx = rr("bad.example.com.", 60, "MX", "10 mail");
    empty_mx.rdata.clear();
    EXPECT_NE(problem(change({}, {empty_mx})), "");
    Record cut_mx = rr("bad.example.com.", 60, "MX", "10 mail");
    cut_mx.rdata.resize(cut_mx.rdata.size() - 3);  // the exchange name runs off the end
    EXPECT_NE(problem(change({}, {cut_mx})), "");
}

TEST(CheckChange, ApexSoaAndLastNsCannotBeDeleted) {
    const std::string soa_gone = problem(change({soa(10)}, {}));
    EXPECT_TRUE(contains(soa_gone, "SOA")) << soa_gone;
    EXPECT_TRUE(contains(soa_gone, "cannot be deleted")) << soa_gone;
    const std::string ns_gone = problem(change({rr(kApex, 0, "NS", "ns1")}, {}));
    EXPECT_TRUE(contains(ns_gone, "NS")) << ns_gone;
    EXPECT_TRUE(contains(ns_gone, "apex")) << ns_gone;
    // With a replacement NS added in the same change, deleting the old one is fine.
    EXPECT_EQ(
        problem(change({rr(kApex, 0, "NS", "ns1")}, {rr(kApex, 3600, "NS", "ns9.example.net.")})),
        "");
}

TEST(CheckChange, OneSoaOnlyAndOnlyAtTheApex) {
    EXPECT_TRUE(contains(problem(change({}, {soa(11), soa(12)})), "more than one SOA"));
    Record below = soa(11);
    below.owner = wire("sub.example.com.");
    const std::string why = problem(change({}, {below}));
    EXPECT_TRUE(contains(why, "only be at the zone apex")) << why;
}

TEST(CheckChange, ProblemsAtUntouchedNamesAreNotItsBusiness) {
    std::vector<Record> broken = zone_records();
    broken.push_back(rr("alias.example.com.", 300, "TXT", "\"already broken\""));
    EXPECT_TRUE(check_change(change({}, {rr("x.example.com.", 60, "A", "192.0.2.3")}), broken));
    EXPECT_FALSE(
        check_change(change({}, {rr("alias.example.com.", 60, "A", "192.0.2.3")}), broken));
}

// --- decide_edits --------------------------------------------------------------------------

RecordEdit edit(RecordEdit::Kind kind, Record r, bool must_match = false, std::string where = "") {
    return RecordEdit{kind, std::move(r), must_match, std::move(where)};
}

Prerequisite prereq(Prerequisite::Kind kind, Record r, std::string where = "") {
    return Prerequisite{kind, std::move(r), std::move(where)};
}

EditScript script(std::vector<Prerequisite> prerequisites, std::vector<RecordEdit> edits) {
    return EditScript{wire(kApex), std::move(prerequisites), std::move(edits)};
}

using EK = RecordEdit::Kind;
using PK = Prerequisite::Kind;

TEST(DecideEdits, PrerequisitesGiveTheRfc2136Rcodes) {
    struct Case {
        Prerequisite p;
        uint16_t rcode;  // NOERROR: passes
    };
    const Record www = rr("www.example.com.", 0, "A", "192.0.2.80");
    const Record www81 = rr("www.example.com.", 0, "A", "192.0.2.81");
    const Record absent = rr("absent.example.com.", 0, "A", "192.0.2.1");
    const Case cases[] = {
        {prereq(PK::NameInUse, www), rcode::NOERROR},
        {prereq(PK::NameInUse, absent), rcode::NXDOMAIN},
        {prereq(PK::NameNotInUse, absent), rcode::NOERROR},
        {prereq(PK::NameNotInUse, www), rcode::YXDOMAIN},
        {prereq(PK::RrsetExists, www), rcode::NOERROR},
        {prereq(PK::RrsetExists, rr("www.example.com.", 0, "TXT", "\"x\"")), rcode::NXRRSET},
        {prereq(PK::RrsetAbsent, rr("www.example.com.", 0, "TXT", "\"x\"")), rcode::NOERROR},
        {prereq(PK::RrsetAbsent, www), rcode::YXRRSET},
        {prereq(PK::RrsetEquals, www), rcode::NXRRSET},  // only one of the two RRs
    };
    const RecordEdit add = edit(EK::Add, rr("new.example.com.", 60, "A", "192.0.2.5"));
    for (const Case& c : cases) {
        EditDecision d = decide_edits(script({c.p}, {add}), zone_records());
        if (c.rcode == rcode::NOERROR) {
            EXPECT_FALSE(d.rejection) << d.rejection->message;
            EXPECT_EQ(d.change.add.size(), 1u);
        } else {
            ASSERT_TRUE(d.rejection);
            EXPECT_EQ(d.rejection->kind, Rejection::Kind::PrerequisiteFailed);
            EXPECT_EQ(d.rejection->rcode, c.rcode) << d.rejection->message;
            EXPECT_TRUE(d.change.add.empty() && d.change.remove.empty());
        }
    }
    // The exact RRset, given as two RRs, in another order (RFC 2136 §3.2.5).
    EditDecision d =
        decide_edits(script({prereq(PK::RrsetEquals, www81), prereq(PK::RrsetEquals, www)}, {add}),
                     zone_records());
    EXPECT_FALSE(d.rejection) << d.rejection->message;
}

TEST(DecideEdits, CompareAndSetReplacesTheValue) {
    std::vector<Record> zone = zone_records();
    zone.push_back(rr("counter.example.com.", 60, "TXT", "\"7\""));
    const auto cas = [&](const std::string& from, const std::string& to) {
        return script({prereq(PK::RrsetEquals, rr("counter.example.com.", 0, "TXT", from))},
                      {edit(EK::DeleteRr, rr("counter.example.com.", 0, "TXT", from)),
                       edit(EK::Add, rr("counter.example.com.", 60, "TXT", to))});
    };
    EditDecision ok = decide_edits(cas("\"7\"", "\"8\""), zone);
    ASSERT_FALSE(ok.rejection) << ok.rejection->message;
    ASSERT_EQ(ok.change.remove.size(), 1u);
    ASSERT_EQ(ok.change.add.size(), 1u);
    EXPECT_EQ(rdata_to_text(rrtype::TXT, ok.change.add[0].rdata), "\"8\"");
    EditDecision stale = decide_edits(cas("\"6\"", "\"7\""), zone);
    ASSERT_TRUE(stale.rejection);
    EXPECT_EQ(stale.rejection->rcode, rcode::NXRRSET);
}

TEST(DecideEdits, EditsApplyInOrderAndSetReplacesTheRrset) {
    // add then delete the same record: nothing changes.
    EditDecision d = decide_edits(
        script({}, {edit(EK::Add, rr("tmp.example.com.", 60, "A", "192.0.2.5")),
                    edit(EK::DeleteRr, rr("tmp.example.com.", 0, "A", "192.0.2.5"), true)}),
        zone_records());
    ASSERT_FALSE(d.rejection) << d.rejection->message;
    EXPECT_TRUE(d.change.add.empty());
    EXPECT_TRUE(d.change.remove.empty());

    // set = delete RRset + add.
    d = decide_edits(script({}, {edit(EK::DeleteRrset, rr("www.example.com.", 0, "A", "192.0.2.1")),
                                 edit(EK::Add, rr("www.example.com.", 120, "A", "192.0.2.1"))}),
                     zone_records());
    ASSERT_FALSE(d.rejection) << d.rejection->message;
    EXPECT_EQ(d.change.remove.size(), 2u);
    ASSERT_EQ(d.change.add.size(), 1u);
    EXPECT_EQ(d.change.add[0].ttl, 120u);

    // An add into an RRset gives the whole RRset its TTL (RFC 2181 §5.2).
    d = decide_edits(script({}, {edit(EK::Add, rr("www.example.com.", 900, "A", "192.0.2.82"))}),
                     zone_records());
    ASSERT_FALSE(d.rejection);
    EXPECT_EQ(d.change.add.size(), 3u);
    for (const Record& r : d.change.add) {
        EXPECT_EQ(r.ttl, 900u);
    }

    // Replace a CNAME by data in one script: valid once both edits are applied.
    d = decide_edits(script({}, {edit(EK::Add, rr("alias.example.com.", 60, "A", "192.0.2.5")),
                                 edit(EK::DeleteRrset, rr("alias.example.com.", 0, "CNAME", "x"))}),
                     zone_records());
    EXPECT_FALSE(d.rejection) << d.rejection->message;
}

TEST(DecideEdits, DeletingNothingIsAnErrorOnlyWhenItMustMatch) {
    const Record absent = rr("absent.example.com.", 0, "A", "192.0.2.1");
    EditDecision d =
        decide_edits(script({}, {edit(EK::DeleteName, absent, true, "f:4")}), zone_records());
    ASSERT_TRUE(d.rejection);
    EXPECT_EQ(d.rejection->kind, Rejection::Kind::NoMatch);
    EXPECT_EQ(d.rejection->message.rfind("f:4: ", 0), 0u) << d.rejection->message;
    EXPECT_TRUE(contains(d.rejection->message, "absent.example.com.")) << d.rejection->message;
    d = decide_edits(
        script({}, {edit(EK::DeleteRr, rr("www.example.com.", 0, "A", "192.0.2.99"), true)}),
        zone_records());
    ASSERT_TRUE(d.rejection);
    d = decide_edits(script({}, {edit(EK::DeleteName, absent, false)}), zone_records());
    EXPECT_FALSE(d.rejection);
}

TEST(DecideEdits, DeletingEverythingAtTheApexKeepsSoaAndNs) {
    std::vector<Record> zone = zone_records();
    zone.push_back(rr(kApex, 300, "TXT", "\"apex text\""));
    EditDecision d =
        decide_edits(script({}, {edit(EK::DeleteName, rr(kApex, 0, "A", "1.2.3.4"), true)}), zone);
    ASSERT_FALSE(d.rejection) << d.rejection->message;
    ASSERT_EQ(d.change.remove.size(), 1u);
    EXPECT_EQ(d.change.remove[0].type, rrtype::TXT);
    // But deleting the NS RRset by type is refused.
    d = decide_edits(script({}, {edit(EK::DeleteRrset, rr(kApex, 0, "NS", "x."), true, "f:2")}),
                     zone);
    ASSERT_TRUE(d.rejection);
    EXPECT_EQ(d.rejection->kind, Rejection::Kind::Invalid);
    EXPECT_EQ(d.rejection->message.rfind("f:2: ", 0), 0u) << d.rejection->message;
}

TEST(DecideEdits, RuleBrokenByTheResultNamesTheLastEditAtTheName) {
    EditDecision d = decide_edits(
        script({}, {edit(EK::Add, rr("ok.example.com.", 60, "A", "192.0.2.5"), false, "f:1"),
                    edit(EK::Add, rr("alias.example.com.", 60, "TXT", "\"x\""), false, "f:2"),
                    edit(EK::Add, rr("ok2.example.com.", 60, "A", "192.0.2.6"), false, "f:3")}),
        zone_records());
    ASSERT_TRUE(d.rejection);
    EXPECT_EQ(d.rejection->kind, Rejection::Kind::Invalid);
    EXPECT_EQ(d.rejection->rcode, rcode::REFUSED);
    EXPECT_EQ(d.rejection->message.rfind("f:2: ", 0), 0u) << d.rejection->message;
    EXPECT_TRUE(d.change.add.size() <= 3u);

    // A second SOA added (not a replacement).
    d = decide_edits(script({}, {edit(EK::Add, soa(50), false, "f:9")}), zone_records());
    ASSERT_TRUE(d.rejection);
    EXPECT_TRUE(contains(d.rejection->message, "more than one SOA")) << d.rejection->message;
    // set of the SOA replaces it.
    d = decide_edits(script({}, {edit(EK::DeleteRrset, soa(50)), edit(EK::Add, soa(50))}),
                     zone_records());
    EXPECT_FALSE(d.rejection) << d.rejection->message;
}

// --- the store, checked ------------------------------------------------------------------

class CheckedStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "tidal-checked-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        path_ = dir_ + "/tidal.db";
        auto s = open();
        ASSERT_TRUE(s);
        std::vector<Record> zone = zone_records();
        zone.push_back(rr("counter.example.com.", 60, "TXT", "\"0\""));
        ASSERT_TRUE(s->replace_zone(wire(kApex), zone).ok());
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<store::ZoneStore> open() {
        auto s = store::ZoneStore::open(path_, store::ZoneStore::Mode::ReadWrite);
        EXPECT_TRUE(s.ok()) << s.error().message;
        return s.ok() ? std::move(s.value()) : nullptr;
    }

    std::string dir_;
    std::string path_;
};

TEST_F(CheckedStoreTest, ManyEditsAreOneChangeWithOneSerialBump) {
    auto s = open();
    auto outcome = s->apply_edits(
        script({}, {edit(EK::Add, rr("a.example.com.", 60, "A", "192.0.2.10")),
                    edit(EK::Add, rr("b.example.com.", 60, "A", "192.0.2.11")),
                    edit(EK::DeleteRrset, rr("www.example.com.", 0, "A", "192.0.2.1"), true)}),
        SerialPolicy::Increment);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    ASSERT_FALSE(outcome->rejection) << outcome->rejection->message;
    EXPECT_TRUE(outcome->update.applied);
    EXPECT_EQ(outcome->update.serial_before, 10u);
    EXPECT_EQ(outcome->update.serial_after, 11u);
    auto journal = s->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok() && journal.value());
    ASSERT_EQ(journal.value()->size(), 1u);
    EXPECT_EQ(journal.value()->front().added.size(), 3u);    // new SOA + 2 A
    EXPECT_EQ(journal.value()->front().removed.size(), 3u);  // old SOA + 2 A
}

TEST_F(CheckedStoreTest, RejectedEditsWriteNothing) {
    auto s = open();
    auto before = s->read_zone(wire(kApex));
    ASSERT_TRUE(before.ok());
    auto outcome =
        s->apply_edits(script({}, {edit(EK::Add, rr("a.example.com.", 60, "A", "192.0.2.10")),
                                   edit(EK::DeleteRrset, rr(kApex, 0, "NS", "x."), true)}),
                       SerialPolicy::Increment);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    ASSERT_TRUE(outcome->rejection);
    EXPECT_FALSE(outcome->update.applied);
    auto after = s->read_zone(wire(kApex));
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->records, before->records);
    EXPECT_EQ(after->info.serial, 10u);

    auto checked = s->apply_checked_change(change({}, {rr(kApex, 60, "CNAME", "www")}));
    ASSERT_TRUE(checked.ok());
    ASSERT_TRUE(checked->rejection);
    EXPECT_EQ(s->read_zone(wire(kApex))->records, before->records);
    checked = s->apply_checked_change(change({}, {rr("c.example.com.", 60, "A", "192.0.2.3")}));
    ASSERT_TRUE(checked.ok());
    EXPECT_FALSE(checked->rejection);
    EXPECT_EQ(checked->update.serial_after, 11u);
}

TEST_F(CheckedStoreTest, SerialPolicyUnixTime) {
    auto s = open();
    const auto now = static_cast<uint32_t>(std::time(nullptr));
    auto outcome =
        s->apply_edits(script({}, {edit(EK::Add, rr("t.example.com.", 60, "A", "192.0.2.3"))}),
                       SerialPolicy::UnixTime);
    ASSERT_TRUE(outcome.ok()) << outcome.error().message;
    EXPECT_GE(outcome->update.serial_after, now);
    EXPECT_LE(outcome->update.serial_after, now + 5);
}

// Threads with their own connections increment one counter by compare-and-set: every
// increment that was acknowledged is in the final value, none twice.
TEST_F(CheckedStoreTest, CompareAndSetUnderConcurrentWriters) {
    constexpr int kThreads = 4;
    constexpr int kIncrementsEach = 15;
    std::atomic<int> acknowledged{0};
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&] {
            auto s = open();
            if (!s) {
                ++errors;
                return;
            }
            int done = 0;
            for (int attempt = 0; attempt < 2000 && done < kIncrementsEach; ++attempt) {
                auto zone = s->read_zone(wire(kApex));
                if (!zone.ok()) {
                    ++errors;
                    return;
                }
                std::string value;
                for (const Record& r : zone->records) {
                    if (r.owner == wire("counter.example.com.")) {
                        value = rdata_to_text(r.type, r.rdata);
                    }
                }
                const int n = std::stoi(value.substr(1));
                const std::string from = "\"" + std::to_string(n) + "\"";
                const std::string to = "\"" + std::to_string(n + 1) + "\"";
                auto outcome = s->apply_edits(
                    script({prereq(PK::RrsetEquals, rr("counter.example.com.", 0, "TXT", from))},
                           {edit(EK::DeleteRr, rr("counter.example.com.", 0, "TXT", from)),
                            edit(EK::Add, rr("counter.example.com.", 60, "TXT", to))}),
                    SerialPolicy::Increment);
                if (!outcome.ok()) {
                    ++errors;
                    return;
                }
                if (!outcome->rejection) {
                    ++done;
                    ++acknowledged;
                }
            }
        });
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(acknowledged.load(), kThreads * kIncrementsEach);
    auto s = open();
    auto zone = s->read_zone(wire(kApex));
    ASSERT_TRUE(zone.ok());
    std::vector<std::string> values;
    for (const Record& r : zone->records) {
        if (r.owner == wire("counter.example.com.")) {
            values.push_back(rdata_to_text(r.type, r.rdata));
        }
    }
    ASSERT_EQ(values.size(), 1u);
    EXPECT_EQ(values[0], "\"" + std::to_string(acknowledged.load()) + "\"");
    // One serial per acknowledged increment.
    EXPECT_EQ(zone->info.serial, 10u + static_cast<uint32_t>(acknowledged.load()));
}

}  // namespace
}  // namespace tidal::zone
