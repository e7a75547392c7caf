// ZoneStore: schema and migrations, the one write path (serial bump, journal), replace_zone's
// difference, serial monotonicity, atomicity, and readers beside writers in other connections.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/commit_signal.h"
#include "core/store/schema.h"
#include "core/store/zone_store.h"
#include "core/util/store_change_watch.h"
#include "core/zone/rr_text.h"
#include "core/zone/soa_rdata.h"

namespace tidal::store {
namespace {

namespace fs = std::filesystem;
namespace rrtype = dns::rrtype;

std::string wire(const std::string& text) {
    auto name = dns::name_from_text(text);
    EXPECT_TRUE(name.ok()) << text;
    return name.ok() ? dns::name_lowered(name.value()) : std::string();
}

const std::string kApex = "example.com.";

// An RR of example.com. from "owner ttl TYPE rdata" pieces.
Record rr(const std::string& owner, uint32_t ttl, const std::string& type,
          const std::string& rdata) {
    Record out;
    out.owner = wire(owner);
    auto t = zone::rrtype_from_text(type);
    EXPECT_TRUE(t.ok()) << type;
    out.type = t.ok() ? t.value() : 0;
    out.ttl = ttl;
    auto data = zone::rdata_from_text(out.type, rdata, wire(kApex));
    EXPECT_TRUE(data.ok()) << rdata;
    out.rdata = data.ok() ? data.value() : std::string();
    return out;
}

Record soa(uint32_t serial, uint32_t ttl = 3600) {
    return rr(kApex, ttl, "SOA",
              "ns1 hostmaster " + std::to_string(serial) + " 3600 900 1209600 300");
}

std::vector<Record> base_zone(uint32_t serial) {
    return {soa(serial), rr(kApex, 3600, "NS", "ns1"),
            rr("ns1.example.com.", 3600, "A", "192.0.2.1"),
            rr("www.example.com.", 300, "A", "192.0.2.80")};
}

class ZoneStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "tidal-store-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        path_ = dir_ + "/db/tidal.db";  // the parent directory does not exist yet
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::unique_ptr<ZoneStore> open(ZoneStore::Mode mode = ZoneStore::Mode::ReadWrite) {
        auto store = ZoneStore::open(path_, mode);
        EXPECT_TRUE(store.ok()) << store.error().message;
        return store.ok() ? std::move(store.value()) : nullptr;
    }

    // A raw SQLite connection to inspect the file independently of ZoneStore.
    int64_t query_int(const std::string& sql) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open_v2(path_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
            << sqlite3_errmsg(db);
        int64_t value = -1;
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            value = sqlite3_column_int64(stmt, 0);
        }
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return value;
    }

    std::vector<Record> records(ZoneStore& store) {
        auto contents = store.read_zone(wire(kApex));
        EXPECT_TRUE(contents.ok()) << contents.error().message;
        return contents.ok() ? contents->records : std::vector<Record>{};
    }

    std::string dir_;
    std::string path_;
};

TEST_F(ZoneStoreTest, FreshFileIsMigratedToWalWithTheSchema) {
    auto store = open();
    ASSERT_TRUE(store);
    EXPECT_EQ(query_int("PRAGMA user_version"), store::current_schema_version());
    EXPECT_EQ(query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN "
                        "('zones', 'records', 'journal', 'journal_rrs')"),
              4);
    EXPECT_EQ(query_int("SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND "
                        "name = 'records_by_rr'"),
              1);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr), SQLITE_OK);
    ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
    EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "wal");
    sqlite3_finalize(stmt);
    sqlite3_close(db);

    // Opening again (already migrated) works and keeps the data.
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(5)).ok());
    store.reset();
    auto again = open();
    ASSERT_TRUE(again);
    EXPECT_EQ(records(*again).size(), 4u);
}

TEST_F(ZoneStoreTest, NewerSchemaAndForeignFilesAreRefused) {
    ASSERT_TRUE(open());
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    for (auto mode : {ZoneStore::Mode::ReadWrite, ZoneStore::Mode::ReadOnly}) {
        auto store = ZoneStore::open(path_, mode);
        ASSERT_FALSE(store.ok());
        EXPECT_NE(store.error().message.find("newer"), std::string::npos) << store.error().message;
        EXPECT_NE(store.error().message.find(path_), std::string::npos) << store.error().message;
    }

    // Not a database at all.
    const std::string junk = dir_ + "/junk.db";
    std::ofstream(junk) << std::string(4096, 'x');
    auto corrupt = ZoneStore::open(junk, ZoneStore::Mode::ReadWrite);
    ASSERT_FALSE(corrupt.ok());
    EXPECT_NE(corrupt.error().message.find(junk), std::string::npos) << corrupt.error().message;
    EXPECT_NE(corrupt.error().message.find("not a database"), std::string::npos)
        << corrupt.error().message;

    // Another application's SQLite file is left alone.
    const std::string other = dir_ + "/other.db";
    ASSERT_EQ(sqlite3_open(other.c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
    auto foreign = ZoneStore::open(other, ZoneStore::Mode::ReadWrite);
    ASSERT_FALSE(foreign.ok());
    EXPECT_NE(foreign.error().message.find("not a Tidal"), std::string::npos)
        << foreign.error().message;

    // Read-only needs an existing file.
    auto missing = ZoneStore::open(dir_ + "/missing.db", ZoneStore::Mode::ReadOnly);
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("missing.db"), std::string::npos);
}

TEST_F(ZoneStoreTest, NewZoneKeepsItsSerialAndHasNoJournal) {
    auto store = open();
    auto serial = store->replace_zone(wire(kApex), base_zone(2024010101));
    ASSERT_TRUE(serial.ok()) << serial.error().message;
    EXPECT_EQ(serial.value(), 2024010101u);
    auto info = store->find_zone(wire("EXAMPLE.com."));
    ASSERT_TRUE(info.ok());
    ASSERT_TRUE(info.value());
    EXPECT_EQ(info.value()->serial, 2024010101u);
    EXPECT_EQ(info.value()->name, wire(kApex));
    EXPECT_EQ(query_int("SELECT count(*) FROM journal"), 0);
    auto stored = records(*store);
    auto expected = base_zone(2024010101);
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(stored, expected);
    auto count = store->count_records(wire(kApex));
    ASSERT_TRUE(count.ok());
    EXPECT_EQ(count.value(), 4u);
    EXPECT_FALSE(store->create_zone(wire(kApex), base_zone(1)).ok()) << "create twice";

    // read_zone's order is Record's operator< order, octets above 127 included.
    ZoneChange change;
    change.zone = wire(kApex);
    change.add = {rr("\\200.example.com.", 1, "A", "192.0.2.1"),
                  rr("a.example.com.", 1, "TYPE300", "\\# 1 ff"),
                  rr("a.example.com.", 1, "TYPE300", "\\# 1 01"),
                  rr("\\001.example.com.", 1, "A", "192.0.2.1")};
    ASSERT_TRUE(store->apply_change(change).ok());
    auto sorted = records(*store);
    EXPECT_EQ(sorted.size(), 8u);
    EXPECT_TRUE(std::is_sorted(sorted.begin(), sorted.end()));
}

TEST_F(ZoneStoreTest, ApplyChangeBumpsTheSerialAndWritesTheJournal) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    ZoneChange change;
    change.zone = wire(kApex);
    change.remove.push_back(rr("www.example.com.", 0, "A", "192.0.2.80"));  // TTL ignored
    change.add.push_back(rr("www.example.com.", 300, "A", "192.0.2.81"));
    change.add.push_back(rr("mail.example.com.", 600, "MX", "10 mx.example.net."));
    auto serial = store->apply_change(change);
    ASSERT_TRUE(serial.ok()) << serial.error().message;
    EXPECT_EQ(serial.value(), 11u);

    auto stored = records(*store);
    const Record* stored_soa = nullptr;
    for (const Record& r : stored) {
        if (r.type == rrtype::SOA) {
            stored_soa = &r;
        }
    }
    ASSERT_NE(stored_soa, nullptr);
    EXPECT_EQ(zone::soa_serial(stored_soa->rdata), 11u);
    std::vector<Record> expected = {soa(11), rr(kApex, 3600, "NS", "ns1"),
                                    rr("ns1.example.com.", 3600, "A", "192.0.2.1"),
                                    rr("www.example.com.", 300, "A", "192.0.2.81"),
                                    rr("mail.example.com.", 600, "MX", "10 mx.example.net.")};
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(stored, expected);

    auto journal = store->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok()) << journal.error().message;
    ASSERT_TRUE(journal.value());
    ASSERT_EQ(journal.value()->size(), 1u);
    const JournalEntry& entry = journal.value()->front();
    EXPECT_EQ(entry.serial_from, 10u);
    EXPECT_EQ(entry.serial_to, 11u);
    ASSERT_EQ(entry.removed.size(), 2u);
    EXPECT_EQ(entry.removed[0], soa(10));
    EXPECT_EQ(entry.removed[1], rr("www.example.com.", 300, "A", "192.0.2.80"))
        << "the removed RR carries its stored TTL";
    ASSERT_EQ(entry.added.size(), 3u);
    EXPECT_EQ(entry.added[0], soa(11));
    EXPECT_EQ(entry.added[1], rr("www.example.com.", 300, "A", "192.0.2.81"));
    EXPECT_EQ(entry.added[2], rr("mail.example.com.", 600, "MX", "10 mx.example.net."));

    // A second change chains on; the journal from 10 now has two entries, from 11 one.
    ZoneChange ttl_change;
    ttl_change.zone = wire(kApex);
    ttl_change.add.push_back(rr("ns1.example.com.", 60, "A", "192.0.2.1"));  // TTL only
    ASSERT_EQ(store->apply_change(ttl_change).value(), 12u);
    auto chain = store->read_journal(wire(kApex), 10);
    ASSERT_TRUE(chain.ok() && chain.value());
    EXPECT_EQ(chain.value()->size(), 2u);
    const JournalEntry& second = chain.value()->back();
    ASSERT_EQ(second.removed.size(), 2u);
    EXPECT_EQ(second.removed[1].ttl, 3600u);
    ASSERT_EQ(second.added.size(), 2u);
    EXPECT_EQ(second.added[1].ttl, 60u);
    auto none = store->read_journal(wire(kApex), 12);
    ASSERT_TRUE(none.ok() && none.value());
    EXPECT_TRUE(none.value()->empty());
    auto unknown = store->read_journal(wire(kApex), 7);
    ASSERT_TRUE(unknown.ok());
    EXPECT_FALSE(unknown.value()) << "no journal from serial 7: AXFR";

    auto trimmed = store->trim_journal(wire(kApex), 1);
    ASSERT_TRUE(trimmed.ok());
    EXPECT_EQ(trimmed.value(), 1u);
    EXPECT_EQ(query_int("SELECT count(*) FROM journal_rrs"), 4);
    EXPECT_FALSE(store->read_journal(wire(kApex), 10).value());
}

TEST_F(ZoneStoreTest, ChangeThatAltersNothingWritesNothing) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    ZoneChange change;
    change.zone = wire(kApex);
    change.remove.push_back(rr("nothere.example.com.", 1, "A", "192.0.2.99"));
    change.add.push_back(rr("ns1.example.com.", 3600, "A", "192.0.2.1"));  // already there
    auto serial = store->apply_change(change);
    ASSERT_TRUE(serial.ok()) << serial.error().message;
    EXPECT_EQ(serial.value(), 10u);
    EXPECT_EQ(query_int("SELECT count(*) FROM journal"), 0);
}

TEST_F(ZoneStoreTest, SoaInTheChangeKeepsAGreaterSerial) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    ZoneChange change;
    change.zone = wire(kApex);
    change.add.push_back(soa(500));
    EXPECT_EQ(store->apply_change(change).value(), 500u);
    change.add = {soa(400), rr("x.example.com.", 1, "A", "192.0.2.5")};  // lower: 501
    EXPECT_EQ(store->apply_change(change).value(), 501u);
    change.add = {soa(501)};
    change.remove = {soa(501)};  // removing the SOA is ignored
    EXPECT_EQ(store->apply_change(change).value(), 501u) << "same SOA: no change";
    change.add = {soa(501, 7200)};  // only the SOA's TTL changes
    change.remove.clear();
    EXPECT_EQ(store->apply_change(change).value(), 502u);
}

TEST_F(ZoneStoreTest, SerialArithmeticWrapsAround) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(0xFFFFFFFFu)).ok());
    ZoneChange change;
    change.zone = wire(kApex);
    change.add.push_back(rr("x.example.com.", 1, "A", "192.0.2.5"));
    EXPECT_EQ(store->apply_change(change).value(), 0u);  // RFC 1982: 2^32-1 + 1 = 0
    change.add = {soa(5)};                               // 5 is greater than 0 in RFC 1982 terms
    EXPECT_EQ(store->apply_change(change).value(), 5u);
}

TEST_F(ZoneStoreTest, ReplaceZoneStoresOnlyTheDifference) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    const int64_t ns1_rowid = query_int(
        "SELECT rowid FROM records WHERE type = 1 AND ttl = 3600");  // ns1 A, unchanged below

    // Same content: nothing written, stored serial returned (even with a lower file serial).
    EXPECT_EQ(store->replace_zone(wire(kApex), base_zone(10)).value(), 10u);
    EXPECT_EQ(store->replace_zone(wire(kApex), base_zone(3)).value(), 10u);
    EXPECT_EQ(query_int("SELECT count(*) FROM journal"), 0);

    // www changes TTL, mail is new, the file's serial is greater: kept.
    auto next = base_zone(20);
    next[3].ttl = 900;
    next.push_back(rr("mail.example.com.", 3600, "A", "192.0.2.25"));
    EXPECT_EQ(store->replace_zone(wire(kApex), next).value(), 20u);
    EXPECT_EQ(query_int("SELECT rowid FROM records WHERE type = 1 AND ttl = 3600 AND "
                        "owner = x'036e7331076578616d706c6503636f6d00'"),
              ns1_rowid)
        << "an unchanged record is not rewritten";
    auto journal = store->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok() && journal.value());
    ASSERT_EQ(journal.value()->size(), 1u);
    const JournalEntry& entry = journal.value()->front();
    EXPECT_EQ(entry.removed.size(), 2u);  // old SOA, www with TTL 300
    EXPECT_EQ(entry.removed[1], rr("www.example.com.", 300, "A", "192.0.2.80"));
    EXPECT_EQ(entry.added.size(), 3u);  // new SOA, www with TTL 900, mail
    auto stored = records(*store);
    std::sort(next.begin(), next.end());
    EXPECT_EQ(stored, next);
}

TEST_F(ZoneStoreTest, SerialNeverGoesBackwards) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(100)).ok());
    auto changed = base_zone(50);  // older serial, different content
    changed.push_back(rr("new.example.com.", 60, "A", "192.0.2.7"));
    EXPECT_EQ(store->replace_zone(wire(kApex), changed).value(), 101u);
    auto same_serial = base_zone(101);
    EXPECT_EQ(store->replace_zone(wire(kApex), same_serial).value(), 102u)
        << "content differs again (new. removed), the serial is not greater: bump";
    for (const Record& r : records(*store)) {
        if (r.type == rrtype::SOA) {
            EXPECT_EQ(zone::soa_serial(r.rdata), 102u);
        }
    }
}

TEST_F(ZoneStoreTest, FailedChangeLeavesNothing) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    auto before = records(*store);
    ZoneChange change;
    change.zone = wire(kApex);
    change.remove.push_back(rr("www.example.com.", 0, "A", "192.0.2.80"));
    change.add.push_back(rr("ok.example.com.", 60, "A", "192.0.2.8"));
    change.add.push_back(rr("www.example.net.", 60, "A", "192.0.2.9"));  // outside the zone
    auto result = store->apply_change(change);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("outside"), std::string::npos) << result.error().message;
    EXPECT_EQ(records(*store), before);
    EXPECT_EQ(query_int("SELECT count(*) FROM journal"), 0);

    change.add = {soa(20), soa(21)};  // two SOAs
    EXPECT_FALSE(store->apply_change(change).ok());
    change.add = {rr("sub.example.com.", 60, "SOA", "a b 1 2 3 4 5")};  // SOA off the apex
    EXPECT_FALSE(store->apply_change(change).ok());
    EXPECT_EQ(records(*store), before);

    ZoneChange missing;
    missing.zone = wire("example.org.");
    auto no_zone = store->apply_change(missing);
    ASSERT_FALSE(no_zone.ok());
    EXPECT_NE(no_zone.error().message.find("not found"), std::string::npos);

    // replace_zone without an SOA, or with a record outside the zone, changes nothing either.
    auto no_soa = base_zone(30);
    no_soa.erase(no_soa.begin());
    EXPECT_FALSE(store->replace_zone(wire(kApex), no_soa).ok());
    auto outside = base_zone(30);
    outside.push_back(rr("x.example.org.", 1, "A", "192.0.2.1"));
    EXPECT_FALSE(store->replace_zone(wire(kApex), outside).ok());
    EXPECT_EQ(records(*store), before);
}

TEST_F(ZoneStoreTest, DeleteZoneRemovesRecordsAndJournal) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    ZoneChange change;
    change.zone = wire(kApex);
    change.add.push_back(rr("x.example.com.", 1, "A", "192.0.2.5"));
    ASSERT_TRUE(store->apply_change(change).ok());
    ASSERT_TRUE(store->delete_zone(wire(kApex)).ok());
    EXPECT_EQ(query_int("SELECT count(*) FROM records"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM journal"), 0);
    EXPECT_EQ(query_int("SELECT count(*) FROM journal_rrs"), 0);
    EXPECT_FALSE(store->find_zone(wire(kApex)).value());
    EXPECT_FALSE(store->delete_zone(wire(kApex)).ok());
    auto zones = store->list_zones();
    ASSERT_TRUE(zones.ok());
    EXPECT_TRUE(zones->empty());
}

TEST_F(ZoneStoreTest, ReadOnlyReaderWorksWhileAnotherConnectionWrites) {
    auto writer = open();
    ASSERT_TRUE(writer->replace_zone(wire(kApex), base_zone(10)).ok());
    auto reader = open(ZoneStore::Mode::ReadOnly);
    ASSERT_TRUE(reader);
    auto version = reader->data_version();
    ASSERT_TRUE(version.ok());

    // A third connection holds the write lock with an uncommitted change.
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw,
                           "BEGIN IMMEDIATE; UPDATE zones SET serial = 999; "
                           "DELETE FROM records WHERE type = 1;",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    const auto started = std::chrono::steady_clock::now();
    auto contents = reader->read_zone(wire(kApex));
    EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(1))
        << "a reader does not wait for the writer";
    ASSERT_TRUE(contents.ok()) << contents.error().message;
    EXPECT_EQ(contents->info.serial, 10u);
    EXPECT_EQ(contents->records.size(), 4u);
    ASSERT_EQ(sqlite3_exec(raw, "ROLLBACK", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);

    // A read-only store refuses writes.
    EXPECT_FALSE(reader->replace_zone(wire(kApex), base_zone(11)).ok());

    // A commit by the writer shows in the reader's data_version and reads.
    ZoneChange change;
    change.zone = wire(kApex);
    change.add.push_back(rr("x.example.com.", 1, "A", "192.0.2.5"));
    ASSERT_EQ(writer->apply_change(change).value(), 11u);
    EXPECT_NE(reader->data_version().value(), version.value());
    EXPECT_EQ(reader->read_zone(wire(kApex))->info.serial, 11u);
}

TEST_F(ZoneStoreTest, WritersWaitForEachOther) {
    auto first = open();
    ASSERT_TRUE(first->replace_zone(wire(kApex), base_zone(10)).ok());
    auto second = open();
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
    std::thread release([raw] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        sqlite3_exec(raw, "COMMIT", nullptr, nullptr, nullptr);
    });
    ZoneChange change;
    change.zone = wire(kApex);
    change.add.push_back(rr("x.example.com.", 1, "A", "192.0.2.5"));
    auto serial = second->apply_change(change);  // waits (busy timeout), then succeeds
    release.join();
    sqlite3_close(raw);
    ASSERT_TRUE(serial.ok()) << serial.error().message;
    EXPECT_EQ(serial.value(), 11u);
}

// One change that adds host<i>.example.com. A 192.0.2.<i>.
ZoneChange add_host(int i) {
    ZoneChange change;
    change.zone = wire(kApex);
    change.add.push_back(rr("host" + std::to_string(i) + ".example.com.", 300, "A",
                            "192.0.2." + std::to_string(i % 250)));
    return change;
}

TEST_F(ZoneStoreTest, JournalKeepsTheNewestChangesWithinItsBounds) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    ASSERT_TRUE(store->set_journal_limits(wire(kApex), JournalLimits{3, 1 << 20}).ok());
    for (int i = 1; i <= 5; ++i) {
        ASSERT_TRUE(store->apply_change(add_host(i)).ok());
    }
    auto usage = store->journal_usage(wire(kApex));
    ASSERT_TRUE(usage.ok()) << usage.error().message;
    EXPECT_EQ(usage->changes, 3u);
    EXPECT_EQ(usage->oldest_serial, 12u);
    EXPECT_GT(usage->bytes, 0u);
    // What remains still chains to the current serial: IXFR from 12, AXFR (nullopt) from 11.
    auto from12 = store->read_journal(wire(kApex), 12);
    ASSERT_TRUE(from12.ok() && from12.value());
    EXPECT_EQ(from12.value()->size(), 3u);
    EXPECT_FALSE(store->read_journal(wire(kApex), 11).value());
    EXPECT_EQ(query_int("SELECT count(*) FROM journal_rrs WHERE journal_id NOT IN "
                        "(SELECT id FROM journal)"),
              0);
}

TEST_F(ZoneStoreTest, JournalSizeBoundDropsOldestButKeepsTheNewest) {
    auto store = open();
    ASSERT_TRUE(store->replace_zone(wire(kApex), base_zone(10)).ok());
    for (int i = 1; i <= 4; ++i) {
        ASSERT_TRUE(store->apply_change(add_host(i)).ok());
    }
    auto before = store->journal_usage(wire(kApex));
    ASSERT_TRUE(before.ok());
    ASSERT_EQ(before->changes, 4u);
    // Room for about two entries: the two oldest go at once.
    const uint64_t two = before->bytes / 2 + 1;
    ASSERT_TRUE(store->set_journal_limits(wire(kApex), JournalLimits{1000, two}).ok());
    auto after = store->journal_usage(wire(kApex));
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->changes, 2u);
    EXPECT_LE(after->bytes, two);
    EXPECT_EQ(after->limits.max_size, two);
    // A bound smaller than any entry still keeps the newest one, for a secondary one behind.
    ASSERT_TRUE(store->set_journal_limits(wire(kApex), JournalLimits{1000, 1}).ok());
    ASSERT_TRUE(store->apply_change(add_host(5)).ok());
    EXPECT_EQ(store->journal_usage(wire(kApex))->changes, 1u);
    auto from14 = store->read_journal(wire(kApex), 14);
    ASSERT_TRUE(from14.ok() && from14.value());
    EXPECT_EQ(from14.value()->size(), 1u);
}

TEST_F(ZoneStoreTest, TransferPeersAreRecordedPerZoneAndPeer) {
    auto store = open();
    TransferPeer peer{wire(kApex), "192.0.2.2", "transfer", "IXFR", 10, 12, 1000};
    ASSERT_TRUE(store->save_transfer_peer(peer).ok());
    TransferPeer later = peer;
    later.serial_asked = 12;
    later.serial_sent = 15;
    later.time = 2000;
    ASSERT_TRUE(store->save_transfer_peer(later).ok());
    TransferPeer other{wire(kApex), "192.0.2.3", "", "AXFR", std::nullopt, 15, 2500};
    ASSERT_TRUE(store->save_transfer_peer(other).ok());
    auto peers = store->transfer_peers(wire(kApex));
    ASSERT_TRUE(peers.ok()) << peers.error().message;
    ASSERT_EQ(peers->size(), 2u);
    EXPECT_EQ(peers->at(0), later);
    EXPECT_EQ(peers->at(1), other);
    EXPECT_TRUE(store->transfer_peers(wire("example.net.")).value().empty());
}

// The daemons learn of a commit from the commit signal (store/commit_signal.h): a ZoneStore
// commit touches the file once the commit is readable, and StoreChangeWatch reports it; another
// program's write (here the sqlite3 API directly) is seen only when it closes the file, as a
// write to look at again.
TEST_F(ZoneStoreTest, CommitsSignalWatchersOnceVisible) {
    auto store = open();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->create_zone(wire(kApex), base_zone(1)).ok());
    StoreChangeWatch watch;
    ASSERT_TRUE(watch.open(path_));
    EXPECT_FALSE(watch.drain().any());

    ZoneChange change;
    change.zone = wire(kApex);
    change.add = {rr("new.example.com.", 300, "A", "192.0.2.9")};
    ASSERT_TRUE(store->apply_change(change).ok());
    StoreEvents events = watch.drain();
    EXPECT_TRUE(events.committed);
    EXPECT_FALSE(events.written);  // the WAL's own writes wake nobody
    EXPECT_FALSE(watch.drain().any());

    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open_v2(path_.c_str(), &raw, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    EXPECT_EQ(
        sqlite3_exec(raw, "UPDATE zones SET journal_max_changes = 7", nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(raw);
    events = watch.drain();
    EXPECT_TRUE(events.written);
    EXPECT_FALSE(events.committed);

    // Reads commit nothing and signal nothing.
    auto reader = open(ZoneStore::Mode::ReadOnly);
    ASSERT_TRUE(reader);
    EXPECT_EQ(records(*reader).size(), 5u);
    EXPECT_FALSE(watch.drain().any());
}

// A daemon that checkpoints in the background (tidal-sync) leaves the checkpoint of a full WAL
// to its checkpointer instead of copying it in the committing thread; ZoneStore::checkpoint()
// then copies it into the database file.
TEST_F(ZoneStoreTest, DeferredCheckpointsAreLeftToTheBackground) {
    auto store = open();
    ASSERT_TRUE(store);
    defer_checkpoints(true);
    (void)take_checkpoint_due();
    std::vector<Record> big = base_zone(1);
    for (int i = 0; i < 15000; ++i) {
        big.push_back(rr("h" + std::to_string(i) + ".example.com.", 300, "TXT",
                         "\"" + std::string(200, 'x') + std::to_string(i) + "\""));
    }
    ASSERT_TRUE(store->replace_zone(wire(kApex), big).ok());
    EXPECT_TRUE(take_checkpoint_due());
    EXPECT_FALSE(take_checkpoint_due());  // once per due checkpoint
    // The zone is all in the WAL: the commit did not copy it into the database file.
    EXPECT_LT(fs::file_size(path_), uintmax_t(1) << 20);
    EXPECT_GT(fs::file_size(path_ + "-wal"), uintmax_t(4) << 20);
    ASSERT_TRUE(store->checkpoint());
    EXPECT_GT(fs::file_size(path_), uintmax_t(4) << 20);
    EXPECT_EQ(records(*store).size(), big.size());
    defer_checkpoints(false);
}

}  // namespace
}  // namespace tidal::store
