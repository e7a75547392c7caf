// Zone compiler: empty non-terminals, delegation points, occluded data, wildcard links.
#include "core/snapshot/zone_compiler.h"

#include <gtest/gtest.h>

#include "core/snapshot/zone_lookup.h"
#include "tests/unit/dns_test_support.h"

namespace tidal::test {
namespace {

using snapshot::kNoNode;
using snapshot::LookupResult;

const char* kSoa = "z.test. 3600 IN SOA ns.z.test. h.z.test. 1 3600 600 86400 60";

TEST(ZoneCompiler, CreatesEmptyNonTerminals) {
    auto zone = compile("z.test.",
                        {kSoa, "z.test. 3600 IN NS ns.z.test.", "a.b.c.z.test. 60 IN A 192.0.2.1"});
    ASSERT_TRUE(zone);
    const auto* ent = zone->find(wire_name("b.c.z.test."));
    ASSERT_NE(ent, nullptr);
    EXPECT_EQ(ent->rrset_count, 0);
    EXPECT_NE(zone->find(wire_name("c.z.test.")), nullptr);
    EXPECT_EQ(zone->find(wire_name("x.c.z.test.")), nullptr);
    EXPECT_EQ(zone->node_count(), 4u);  // apex, c, b.c, a.b.c
}

TEST(ZoneCompiler, MarksCutsAndOccludedNames) {
    auto zone = compile(
        "z.test.",
        {kSoa, "z.test. 3600 IN NS ns.z.test.", "sub.z.test. 3600 IN NS ns.sub.z.test.",
         "ns.sub.z.test. 3600 IN A 192.0.2.1", "deeper.sub.z.test. 3600 IN NS ns.other.test."});
    ASSERT_TRUE(zone);
    const auto* cut = zone->find(wire_name("sub.z.test."));
    ASSERT_NE(cut, nullptr);
    EXPECT_EQ(cut->cut, zone->find_index(wire_name("sub.z.test.")));
    // A second NS below the first cut is occluded: it refers to the topmost cut.
    EXPECT_EQ(zone->find(wire_name("deeper.sub.z.test."))->cut, cut->cut);
    EXPECT_EQ(zone->apex_node().cut, kNoNode);
    auto found = snapshot::lookup(*zone, wire_name("ns.sub.z.test."), false);
    EXPECT_EQ(found.kind, LookupResult::Kind::Delegation);
    auto ds = snapshot::lookup(*zone, wire_name("sub.z.test."), true);
    EXPECT_EQ(ds.kind, LookupResult::Kind::Found);
}

TEST(ZoneCompiler, LinksWildcardsToTheirParent) {
    auto zone = compile("z.test.",
                        {kSoa, "z.test. 3600 IN NS ns.z.test.", "*.w.z.test. 60 IN A 192.0.2.9"});
    ASSERT_TRUE(zone);
    const auto* parent = zone->find(wire_name("w.z.test."));
    ASSERT_NE(parent, nullptr);
    ASSERT_NE(parent->wildcard, kNoNode);
    auto match = snapshot::lookup(*zone, wire_name("q.w.z.test."), false);
    EXPECT_EQ(match.kind, LookupResult::Kind::Wildcard);
    auto miss = snapshot::lookup(*zone, wire_name("q.z.test."), false);
    EXPECT_EQ(miss.kind, LookupResult::Kind::NxDomain);
}

TEST(ZoneCompiler, RejectsZoneWithoutSoa) {
    store::ZoneContents contents;
    contents.info.name = wire_name("z.test.");
    contents.records.push_back(record("z.test. 3600 IN NS ns.z.test."));
    auto compiled = snapshot::compile_zone(contents);
    ASSERT_FALSE(compiled.ok());
    EXPECT_NE(compiled.error().message.find("no SOA"), std::string::npos);
}

TEST(ZoneCompiler, LoadsRrsetOfThousandsOfRecords) {
    std::vector<std::string> rrs = {kSoa, "z.test. 3600 IN NS ns.z.test."};
    for (int i = 0; i < 5000; ++i) {
        rrs.push_back("many.z.test. 60 IN A 10." + std::to_string(i / 65536) + "." +
                      std::to_string((i / 256) % 256) + "." + std::to_string(i % 256));
    }
    auto zone = compile("z.test.", rrs);
    ASSERT_TRUE(zone);
    const auto* node = zone->find(wire_name("many.z.test."));
    ASSERT_NE(node, nullptr);
    EXPECT_EQ(zone->rrset(*node, 1)->count, 5000);
}

}  // namespace
}  // namespace tidal::test
