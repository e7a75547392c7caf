// Zone file reader and writer: every master-file feature, every check with its file:line, and
// import -> export -> import round trips. Expected wire data comes from ldns, not from our code.
#include <gtest/gtest.h>
#include <ldns/ldns.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rdata_canonical.h"
#include "core/zone/rr_text.h"
#include "core/zone/zone_file_reader.h"
#include "core/zone/zone_file_writer.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::zone {
namespace {

namespace fs = std::filesystem;
namespace rrtype = dns::rrtype;

std::string wire(const std::string& text) {
    auto name = dns::name_from_text(text);
    EXPECT_TRUE(name.ok()) << text;
    return name.ok() ? name.value() : std::string();
}

// Wire rdata as ldns encodes it from presentation format (an independent reference).
std::string ldns_rdata(const std::string& rr_text) {
    ldns_rr* rr = nullptr;
    EXPECT_EQ(ldns_rr_new_frm_str(&rr, rr_text.c_str(), 3600, nullptr, nullptr), LDNS_STATUS_OK)
        << rr_text;
    if (rr == nullptr) {
        return {};
    }
    ldns_buffer* buf = ldns_buffer_new(512);
    EXPECT_EQ(ldns_rr_rdata2buffer_wire(buf, rr), LDNS_STATUS_OK);
    std::string out(reinterpret_cast<const char*>(ldns_buffer_begin(buf)),
                    ldns_buffer_position(buf));
    ldns_buffer_free(buf);
    ldns_rr_free(rr);
    return out;
}

std::vector<Record> find(const ZoneFile& zone, const std::string& owner, uint16_t type) {
    std::vector<Record> out;
    const std::string key = dns::name_lowered(wire(owner));
    for (const Record& rr : zone.records) {
        if (rr.owner == key && rr.type == type) {
            out.push_back(rr);
        }
    }
    return out;
}

class ZoneFileTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "tidal-zonefile-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const fs::path path = fs::path(dir_) / name;
        fs::create_directories(path.parent_path());
        std::ofstream(path) << text;
        return path.string();
    }

    // A minimal valid zone head for example.com.
    static std::string head() {
        return "$ORIGIN example.com.\n$TTL 3600\n"
               "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n"
               "@ IN NS ns1\n"
               "ns1 IN A 192.0.2.1\n";
    }

    Result<ZoneFile> read(const std::string& text, const std::string& name = "z.zone") {
        return read_zone_file(write(name, text));
    }

    // Reads text expecting an error that starts with "path:line:" and contains words.
    void expect_error(const std::string& text, int line, const std::vector<std::string>& words) {
        const std::string path = write("bad.zone", text);
        auto zone = read_zone_file(path);
        ASSERT_FALSE(zone.ok()) << text;
        const std::string& message = zone.error().message;
        if (line > 0) {
            EXPECT_EQ(message.rfind(path + ":" + std::to_string(line) + ": ", 0), 0u) << message;
        } else {
            EXPECT_EQ(message.rfind(path + ": ", 0), 0u) << message;
        }
        for (const std::string& word : words) {
            EXPECT_NE(message.find(word), std::string::npos) << message << " lacks " << word;
        }
    }

    std::string dir_;
};

TEST_F(ZoneFileTest, ReadsDirectivesRelativeNamesAndMultiLineRecords) {
    auto zone = read(
        "; comment line\n"
        "$ORIGIN Example.COM.\n"
        "$TTL 1h\n"
        "@ IN SOA ns1 hostmaster ( ; split over lines\n"
        "   42 ; serial\n"
        "   3600 900 1209600 300 )\n"
        "  IN NS ns1\n"  // blank owner: the previous owner (the apex)
        "ns1 300 IN A 192.0.2.1\n"
        "www IN A 192.0.2.2\n"
        "    IN AAAA 2001:db8::2\n"  // blank owner: www
        "$ORIGIN sub\n"              // relative $ORIGIN: sub.example.com.
        "deep IN TXT \"x\"\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(zone->origin, wire("example.com."));
    EXPECT_TRUE(zone->warnings.empty());
    ASSERT_EQ(zone->records.size(), 6u);
    EXPECT_TRUE(std::is_sorted(zone->records.begin(), zone->records.end()));

    auto soa = find(zone.value(), "example.com.", rrtype::SOA);
    ASSERT_EQ(soa.size(), 1u);
    EXPECT_EQ(soa[0].ttl, 3600u);
    EXPECT_EQ(soa[0].rdata, ldns_rdata("x. IN SOA ns1.Example.COM. hostmaster.Example.COM. 42 "
                                       "3600 900 1209600 300"));
    EXPECT_EQ(find(zone.value(), "example.com.", rrtype::NS).size(), 1u);
    auto ns1 = find(zone.value(), "ns1.example.com.", rrtype::A);
    ASSERT_EQ(ns1.size(), 1u);
    EXPECT_EQ(ns1[0].ttl, 300u);
    EXPECT_EQ(ns1[0].rdata, ldns_rdata("x. IN A 192.0.2.1"));
    EXPECT_EQ(find(zone.value(), "www.example.com.", rrtype::AAAA).size(), 1u);
    auto deep = find(zone.value(), "deep.sub.example.com.", rrtype::TXT);
    ASSERT_EQ(deep.size(), 1u);
    EXPECT_EQ(deep[0].ttl, 3600u);
}

TEST_F(ZoneFileTest, OriginArgumentAppliesBeforeAnyOriginDirective) {
    auto zone = read_zone_file(
        write("o.zone", "$TTL 60\n@ SOA ns1 hm 7 1 1 1 1\n@ NS ns1\nns1 A 192.0.2.1\n"),
        wire("example.org."));
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(zone->origin, wire("example.org."));
    EXPECT_EQ(find(zone.value(), "ns1.example.org.", rrtype::A).size(), 1u);
}

TEST_F(ZoneFileTest, OwnersAreLowercasedAndEscapesHonoured) {
    auto zone = read(head() +
                     "WWW.Example.com. IN A 192.0.2.3\n"
                     "a\\.b IN A 192.0.2.4\n"
                     "\\065bc IN A 192.0.2.5\n"
                     "txt IN TXT \"semi;colon\" \"q\\\"uote\" \"sp  ace\" bare \\065\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(find(zone.value(), "www.example.com.", rrtype::A).size(), 1u);
    // "a\.b" is one label of three octets.
    const std::string dotted = std::string(
                                   "\x03"
                                   "a.b\x07"
                                   "example\x03"
                                   "com",
                                   16) +
                               '\0';
    bool found_dotted = false;
    for (const Record& rr : zone->records) {
        found_dotted |= rr.owner == dotted;
    }
    EXPECT_TRUE(found_dotted);
    EXPECT_EQ(find(zone.value(), "abc.example.com.", rrtype::A).size(), 1u);
    auto txt = find(zone.value(), "txt.example.com.", rrtype::TXT);
    ASSERT_EQ(txt.size(), 1u);
    EXPECT_EQ(txt[0].rdata, std::string("\x0asemi;colon\x06q\"uote\x07sp  ace\x04"
                                        "bare\x01"
                                        "A"));
}

TEST_F(ZoneFileTest, ClassMayComeBeforeTheTtl) {
    auto zone = read(head() + "a IN 300 A 192.0.2.9\nb 300 IN A 192.0.2.9\nc A 192.0.2.9\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(find(zone.value(), "a.example.com.", rrtype::A).at(0).ttl, 300u);
    EXPECT_EQ(find(zone.value(), "b.example.com.", rrtype::A).at(0).ttl, 300u);
    EXPECT_EQ(find(zone.value(), "c.example.com.", rrtype::A).at(0).ttl, 3600u);
}

TEST_F(ZoneFileTest, WithoutTtlDirectiveTheLastTtlOrSoaMinimumApplies) {
    auto zone = read(
        "$ORIGIN example.com.\n"
        "@ IN SOA ns1 hm 1 3600 900 1209600 120\n"  // no TTL at all: MINIMUM
        "@ IN NS ns1\n"                             // last TTL: 120
        "ns1 500 IN A 192.0.2.1\n"
        "ns2 IN A 192.0.2.2\n");  // last explicit: 500
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(find(zone.value(), "example.com.", rrtype::SOA).at(0).ttl, 120u);
    EXPECT_EQ(find(zone.value(), "example.com.", rrtype::NS).at(0).ttl, 120u);
    EXPECT_EQ(find(zone.value(), "ns2.example.com.", rrtype::A).at(0).ttl, 500u);
}

TEST_F(ZoneFileTest, UnknownTypesAndGenericRdata) {
    auto zone = read(head() +
                     "u IN TYPE65000 \\# 3 abcdef\n"
                     "u IN TYPE65000 \\# 0\n"
                     "g IN A \\# 4 c0000205\n"
                     "g IN TYPE1 192.0.2.6\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    auto unknown = find(zone.value(), "u.example.com.", 65000);
    ASSERT_EQ(unknown.size(), 2u);
    EXPECT_EQ(unknown[0].rdata, "");
    EXPECT_EQ(unknown[1].rdata, "\xab\xcd\xef");
    auto generic = find(zone.value(), "g.example.com.", rrtype::A);
    ASSERT_EQ(generic.size(), 2u);
    EXPECT_EQ(generic[0].rdata, ldns_rdata("x. IN A 192.0.2.5"));
    EXPECT_EQ(generic[1].rdata, ldns_rdata("x. IN A 192.0.2.6"));
}

TEST_F(ZoneFileTest, GenericRdataMustFitTheType) {
    expect_error(head() + "g IN A \\# 3 c00002\n", 6, {"A rdata"});
}

TEST_F(ZoneFileTest, IncludeIsRelativeToTheIncludingFileAndKeepsItsLines) {
    write("parts/hosts.inc", "$TTL 60\nh1 IN A 192.0.2.11\n\n@ IN TXT \"apex of include\"\n");
    auto zone = read(head() + "$INCLUDE parts/hosts.inc hosts\nafter IN A 192.0.2.12\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    auto h1 = find(zone.value(), "h1.hosts.example.com.", rrtype::A);
    ASSERT_EQ(h1.size(), 1u);
    EXPECT_EQ(h1[0].ttl, 60u);
    EXPECT_EQ(find(zone.value(), "hosts.example.com.", rrtype::TXT).size(), 1u);
    // The origin and $TTL of the included file end with it.
    auto after = find(zone.value(), "after.example.com.", rrtype::A);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_EQ(after[0].ttl, 3600u);

    // An error inside the included file names that file and its line.
    const std::string inc = write("parts/bad.inc", "ok IN A 192.0.2.1\n\nbad IN A 300.1.1.1\n");
    auto bad = read(head() + "$INCLUDE parts/bad.inc\n", "top.zone");
    ASSERT_FALSE(bad.ok());
    EXPECT_EQ(bad.error().message.rfind(inc + ":3: ", 0), 0u) << bad.error().message;
}

TEST_F(ZoneFileTest, IncludeLoopsAndMissingFilesAreErrors) {
    // The error is at the $INCLUDE that closes the loop.
    const std::string inc = write("loop.inc", "\n$INCLUDE loop.inc\n");
    auto loop = read(head() + "$INCLUDE loop.inc\n");
    ASSERT_FALSE(loop.ok());
    EXPECT_EQ(loop.error().message.rfind(inc + ":2: ", 0), 0u) << loop.error().message;
    EXPECT_NE(loop.error().message.find("loop"), std::string::npos) << loop.error().message;
    write("self.zone", head() + "$INCLUDE self.zone\n");
    auto self = read_zone_file(dir_ + "/self.zone");
    ASSERT_FALSE(self.ok());
    EXPECT_EQ(self.error().message.rfind(dir_ + "/self.zone:6: ", 0), 0u) << self.error().message;
    expect_error(head() + "\n$INCLUDE missing.inc\n", 7, {"missing.inc"});
}

TEST_F(ZoneFileTest, SyntaxErrorsNameTheLineWhereTheRecordStarts) {
    expect_error(head() + "x IN A 1.2.3\n", 6, {"A rdata"});
    expect_error(head() + "x IN MX (\n 10\n)\n", 6, {"MX"});
    expect_error(head() + "x IN A 192.0.2.1 extra\n", 6, {"superfluous"});
    expect_error(head() + "x IN FOO bar\n", 6, {"FOO"});
    expect_error(head() + "x IN TXT \"open\n", 6, {"unterminated"});
    expect_error(head() + "x IN TXT ( \"a\"\n\n", 6, {"("});
    expect_error(head() + "x IN A 192.0.2.1 )\n", 6, {")"});
    expect_error(head() + "$GENERATE 1-5 x$ A 192.0.2.$\n", 6, {"$GENERATE"});
    expect_error(head() + "x IN A\n", 6, {"A rdata"});
    expect_error(head() + "x 99999999999 IN A 192.0.2.1\n", 6, {"TTL"});
    expect_error(head() + "x IN ANY 192.0.2.1\n", 6, {"ANY"});
    expect_error(head() + "x IN A 192.0.2.1" + std::string(1, '\0') + "junk\n", 6, {"NUL"});
}

TEST_F(ZoneFileTest, RelativeNamesNeedAnOrigin) {
    expect_error("$TTL 1\nexample.com. IN NS ns1.example.com.\nwww IN A 192.0.2.1\n", 3,
                 {"relative", "www"});
    expect_error("$TTL 1\nexample.com. IN NS ns1\n", 2, {"relative", "NS"});
}

TEST_F(ZoneFileTest, ClassOtherThanInIsAnError) {
    expect_error(head() + "x CH TXT \"chaos\"\n", 6, {"CH", "IN"});
    expect_error(head() + "x 60 HS A 192.0.2.1\n", 6, {"HS"});
}

TEST_F(ZoneFileTest, NamesOver255OctetsAreErrors) {
    const std::string label(63, 'a');
    // 4 * 64 = 256 octets even without the origin.
    const std::string owner = label + "." + label + "." + label + "." + label;
    expect_error(head() + "\n" + owner + " IN A 192.0.2.1\n", 7, {"255"});
    expect_error(head() + "x IN CNAME " + owner + "\n", 6, {"CNAME"});
    // 255 octets alone, too long once example.com. is appended.
    const std::string fits = label + "." + label + "." + label + "." + std::string(61, 'b');
    expect_error(head() + fits + " IN A 192.0.2.1\n", 6, {"255"});
    expect_error(head() + "x IN CNAME " + fits + "\n", 6, {"255"});
    expect_error(head() + "x IN MX 10 " + fits + "\n", 6, {"255"});
    auto ok = read(head() + fits + ". IN CNAME x\n");
    EXPECT_TRUE(ok.ok()) << "an absolute name of 255 octets outside the zone is allowed";
}

TEST_F(ZoneFileTest, SoaChecks) {
    expect_error("$ORIGIN example.com.\n$TTL 1\n@ NS ns1\nns1 A 192.0.2.1\n", 0, {"no SOA"});
    expect_error(head() + "@ IN SOA ns2 hostmaster 2 3600 900 1209600 300\n", 6,
                 {"second SOA", ":3"});
    // An SOA away from the apex given by --origin.
    const std::string path = write("o.zone", head());
    auto zone = read_zone_file(path, wire("other.com."));
    ASSERT_FALSE(zone.ok());
    EXPECT_EQ(zone.error().message.rfind(path + ":3: ", 0), 0u) << zone.error().message;
    EXPECT_NE(zone.error().message.find("apex"), std::string::npos);
    // An exact duplicate of the SOA is only a duplicate.
    auto dup = read(head() + "@ IN SOA ns1 hostmaster 1 3600 900 1209600 300\n");
    ASSERT_TRUE(dup.ok()) << dup.error().message;
    EXPECT_EQ(find(dup.value(), "example.com.", rrtype::SOA).size(), 1u);
}

TEST_F(ZoneFileTest, ApexNeedsNs) {
    expect_error("$ORIGIN example.com.\n$TTL 1\n@ SOA ns1 hm 1 1 1 1 1\nsub NS ns1\n", 0,
                 {"no NS", "example.com."});
}

TEST_F(ZoneFileTest, CnameMustBeAlone) {
    expect_error(head() + "www IN A 192.0.2.1\nwww IN CNAME ns1\n", 7, {"CNAME", ":6"});
    expect_error(head() + "www IN CNAME ns1\nwww IN CNAME mail\n", 7, {"more than one CNAME"});
    expect_error(head() + "@ IN CNAME ns1\n", 6, {"CNAME"});
    // RRSIG and NSEC may stand beside a CNAME (RFC 4035 §2.5).
    auto zone = read(head() +
                     "www IN CNAME ns1\n"
                     "www IN NSEC ns1 CNAME RRSIG NSEC\n"
                     "www IN RRSIG CNAME 13 3 3600 20300101000000 20200101000000 12345 "
                     "example.com. AAAA\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(find(zone.value(), "www.example.com.", rrtype::CNAME).size(), 1u);
}

TEST_F(ZoneFileTest, RecordsOutsideTheZoneAreDroppedWithAWarning) {
    const std::string path = write("z.zone", head() +
                                                 "www.example.net. IN A 192.0.2.1\n"
                                                 "notexample.com. IN A 192.0.2.2\n");
    auto zone = read_zone_file(path);
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    ASSERT_EQ(zone->warnings.size(), 2u);
    EXPECT_EQ(zone->warnings[0],
              path + ":6: www.example.net. is outside zone example.com., dropped");
    EXPECT_EQ(zone->warnings[1],
              path + ":7: notexample.com. is outside zone example.com., dropped");
    EXPECT_EQ(zone->records.size(), 3u);
}

TEST_F(ZoneFileTest, DifferingTtlsInAnRrsetAreUnified) {
    const std::string path =
        write("z.zone", head() + "www 300 IN A 192.0.2.1\nwww 600 IN A 192.0.2.2\n");
    auto zone = read_zone_file(path);
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    ASSERT_EQ(zone->warnings.size(), 1u);
    EXPECT_EQ(zone->warnings[0].rfind(path + ":7: ", 0), 0u) << zone->warnings[0];
    EXPECT_NE(zone->warnings[0].find("600"), std::string::npos);
    for (const Record& rr : find(zone.value(), "www.example.com.", rrtype::A)) {
        EXPECT_EQ(rr.ttl, 300u);
    }
}

TEST_F(ZoneFileTest, ExactDuplicatesAreDroppedSilently) {
    auto zone = read(head() + "www IN A 192.0.2.1\nWWW IN A 192.0.2.1\nns1 IN A 192.0.2.1\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_TRUE(zone->warnings.empty());
    EXPECT_EQ(find(zone.value(), "www.example.com.", rrtype::A).size(), 1u);
    EXPECT_EQ(find(zone.value(), "ns1.example.com.", rrtype::A).size(), 1u);
}

TEST_F(ZoneFileTest, OccludedDataBelowADelegationIsKept) {
    auto zone = read(head() +
                     "child IN NS ns.child\nns.child IN A 192.0.2.7\n"
                     "x.child IN A 192.0.2.8\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_TRUE(zone->warnings.empty());
    EXPECT_EQ(find(zone.value(), "x.child.example.com.", rrtype::A).size(), 1u);
}

TEST_F(ZoneFileTest, LargeRrsetLoadsQuickly) {
    std::string text = head();
    for (int i = 0; i < 5000; ++i) {
        text += "big IN A 10." + std::to_string(i / 65536) + "." + std::to_string(i / 256 % 256) +
                "." + std::to_string(i % 256) + "\n";
    }
    const auto started = std::chrono::steady_clock::now();
    auto zone = read(text);
    const auto elapsed = std::chrono::steady_clock::now() - started;
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_EQ(find(zone.value(), "big.example.com.", rrtype::A).size(), 5000u);
    // Generous even under sanitizers; a quadratic algorithm takes far longer.
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 5000);
}

// Import -> export -> import gives the same records.
std::vector<Record> round_trip(const ZoneFile& zone, std::string* text_out = nullptr) {
    std::ostringstream out;
    EXPECT_TRUE(write_zone_file(zone.origin, zone.records, out).ok());
    if (text_out != nullptr) {
        *text_out = out.str();
    }
    auto again = read_zone_text(out.str(), "exported.zone");
    EXPECT_TRUE(again.ok()) << (again.ok() ? "" : again.error().message) << "\n" << out.str();
    return again.ok() ? again->records : std::vector<Record>{};
}

TEST_F(ZoneFileTest, FullExampleRoundTrips) {
    const std::string path =
        std::string(TIDAL_SOURCE_DIR) + "/tests/data/zonefiles/full.example.zone";
    auto zone = read_zone_file(path);
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    EXPECT_TRUE(zone->warnings.empty()) << zone->warnings.front();
    EXPECT_EQ(zone->origin, wire("full.example."));
    // Spot checks of features in the file.
    EXPECT_EQ(find(zone.value(), "full.example.", rrtype::HTTPS).size(), 1u);
    EXPECT_EQ(find(zone.value(), "svc.full.example.", rrtype::SVCB).size(), 1u);
    EXPECT_EQ(find(zone.value(), "unknown.full.example.", 65000).size(), 1u);
    EXPECT_EQ(find(zone.value(), "host1.hosts.full.example.", rrtype::A).size(), 1u);
    EXPECT_EQ(find(zone.value(), "ns.ds-child.full.example.", rrtype::A).size(), 1u);
    EXPECT_EQ(find(zone.value(), "txt.full.example.", rrtype::TXT).size(), 3u);

    std::string text;
    EXPECT_EQ(round_trip(zone.value(), &text), zone->records);
    // The SOA comes first, names are absolute, unknown types in RFC 3597 form.
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);
    EXPECT_EQ(line.rfind(";", 0), 0u);
    std::getline(lines, line);
    EXPECT_NE(line.find("\tSOA\t"), std::string::npos) << line;
    EXPECT_NE(text.find("unknown.full.example.\t3600\tIN\tTYPE65000\t\\# 3 abcdef"),
              std::string::npos)
        << text;
}

TEST_F(ZoneFileTest, OddRdataRoundTrips) {
    auto zone = read(head() +
                     "t IN TXT \"\\\\\" \"\\\"\" \";\" \"(\" \")\" \"\\000\\255\" \"\"\n"
                     "t2 IN TXT \"" +
                     std::string(255, 'x') +
                     "\"\n"
                     "c IN CAA 0 iodef \"mailto:a@example.com\"\n"
                     "e\\@\\$\\;\\(\\)\\\"\\\\ IN A 192.0.2.1\n"
                     "\\$dollar IN A 192.0.2.1\n"
                     "\\@ IN A 192.0.2.1\n"
                     "q IN CNAME a\\\"b\\;c\\ d.example.org.\n"
                     "x\\000y IN A 192.0.2.2\n"
                     "s IN SRV 0 0 0 .\n"
                     "n IN NAPTR 1 2 \"a\\\"b\" \"\" \"\\\\\" .\n"
                     "h IN HTTPS 0 target.example.\n"
                     "k IN TLSA 2 0 1 00ff\n");
    ASSERT_TRUE(zone.ok()) << zone.error().message;
    std::string text;
    EXPECT_EQ(round_trip(zone.value(), &text), zone->records) << text;
}

TEST_F(ZoneFileTest, WriterUsesRfc3597ForRdataLdnsCannotDecode) {
    Record bad;
    bad.owner = wire("x.example.com.");
    bad.type = rrtype::A;
    bad.ttl = 60;
    bad.rdata = std::string("\x01\x02\x03", 3);  // three octets are not an A record
    EXPECT_EQ(record_to_text(bad), "x.example.com.\t60\tIN\tA\t\\# 3 010203");
}

TEST_F(ZoneFileTest, CanonicalOrder) {
    // RFC 4034 §6.1 example order.
    const std::vector<std::string> ordered = {
        "example.",         "a.example.",      "yljkjljk.a.example.",
        "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
        "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
    for (size_t i = 0; i + 1 < ordered.size(); ++i) {
        EXPECT_TRUE(canonical_name_less(wire(ordered[i]), wire(ordered[i + 1])))
            << ordered[i] << " < " << ordered[i + 1];
        EXPECT_FALSE(canonical_name_less(wire(ordered[i + 1]), wire(ordered[i])));
    }
}

}  // namespace
}  // namespace tidal::zone

namespace tidal::test {
namespace {

TEST(RdataCanonical, NamesInsideRdataCompareWithoutCase) {
    const Record upper = record("example.test. 60 IN MX 20 Mail2.Example.TEST.");
    const Record lower = record("example.test. 60 IN MX 20 mail2.example.test.");
    EXPECT_NE(upper.rdata, lower.rdata);
    EXPECT_TRUE(zone::same_rdata(upper.type, upper.rdata, lower.rdata));
    // TXT is not a name: its case matters.
    const Record txt_a = record("example.test. 60 IN TXT \"Hello\"");
    const Record txt_b = record("example.test. 60 IN TXT \"hello\"");
    EXPECT_FALSE(zone::same_rdata(txt_a.type, txt_a.rdata, txt_b.rdata));
}

}  // namespace
}  // namespace tidal::test
