// ZoneStore as a secondary writes it: apply_axfr and apply_ixfr keep the primary's exact
// serials, journal what arrived, change nothing on failure; the sync_state table and its
// migration from a version-1 file.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/zone_store.h"
#include "core/zone/rr_text.h"
#include "core/zone/soa_rdata.h"

namespace tidal::store {
namespace {

namespace fs = std::filesystem;

std::string wire(const std::string& text) {
    auto name = dns::name_from_text(text);
    EXPECT_TRUE(name.ok()) << text;
    return name.ok() ? dns::name_lowered(name.value()) : std::string();
}

const std::string kApex = "example.org.";

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
    return rr(kApex, ttl, "SOA", "ns1 hostmaster " + std::to_string(serial) + " 3600 900 86400 60");
}

Record www_a() {
    return rr("www.example.org.", 300, "A", "192.0.2.80");
}

std::vector<Record> zone_at(uint32_t serial) {
    return {soa(serial), rr(kApex, 3600, "NS", "ns1"),
            rr("ns1.example.org.", 3600, "A", "192.0.2.1"), www_a()};
}

// The records sorted, for comparisons that ignore order.
std::vector<Record> sorted(std::vector<Record> records) {
    std::sort(records.begin(), records.end());
    return records;
}

class ZoneStoreTransferTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (fs::temp_directory_path() / "tidal-xfrstore-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
        path_ = dir_ + "/tidal.db";
        store_ = open(ZoneStore::Mode::ReadWrite);
        ASSERT_TRUE(store_);
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }

    std::unique_ptr<ZoneStore> open(ZoneStore::Mode mode) {
        auto store = ZoneStore::open(path_, mode);
        EXPECT_TRUE(store.ok()) << store.error().message;
        return store.ok() ? std::move(store.value()) : nullptr;
    }

    // Runs SQL on a separate raw connection (to inspect or to tamper with the file).
    int64_t sql_int(const std::string& sql) {
        sqlite3* db = nullptr;
        EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        sqlite3_stmt* stmt = nullptr;
        EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sql;
        int64_t value = -1;
        if (sqlite3_step(stmt) == SQLITE_ROW) {
            value = sqlite3_column_int64(stmt, 0);
        }
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return value;
    }
    void sql_exec(const std::string& sql) {
        sqlite3* db = nullptr;
        ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
        char* error = nullptr;
        EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
            << (error != nullptr ? error : "") << " in " << sql;
        sqlite3_free(error);
        sqlite3_close(db);
    }

    std::vector<Record> contents() {
        auto read = store_->read_zone(wire(kApex));
        EXPECT_TRUE(read.ok()) << read.error().message;
        return read.ok() ? read->records : std::vector<Record>{};
    }
    uint32_t serial() {
        auto zone = store_->find_zone(wire(kApex));
        EXPECT_TRUE(zone.ok() && zone.value());
        return zone.ok() && zone.value() ? zone.value()->serial : 0;
    }
    int64_t journal_rows() { return sql_int("SELECT count(*) FROM journal"); }

    std::string dir_;
    std::string path_;
    std::unique_ptr<ZoneStore> store_;
};

TEST_F(ZoneStoreTransferTest, AxfrCreatesTheZoneWithThePrimarySerialAndNoJournal) {
    auto stored = store_->apply_axfr(wire(kApex), zone_at(2024010101));
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored.value(), 2024010101u);
    EXPECT_EQ(serial(), 2024010101u);
    EXPECT_EQ(sorted(contents()), sorted(zone_at(2024010101)));
    EXPECT_EQ(journal_rows(), 0);
}

TEST_F(ZoneStoreTransferTest, AxfrStoresTheExactSerialAndJournalsTheRealDifference) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    // The primary went from 10 to 15 (several changes we never saw): www removed, mail added,
    // the NS TTL changed.
    std::vector<Record> next = {soa(15), rr(kApex, 7200, "NS", "ns1"),
                                rr("ns1.example.org.", 3600, "A", "192.0.2.1"),
                                rr("mail.example.org.", 300, "A", "192.0.2.25")};
    auto stored = store_->apply_axfr(wire(kApex), next);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored.value(), 15u);  // exactly the primary's, not 11
    EXPECT_EQ(serial(), 15u);
    EXPECT_EQ(sorted(contents()), sorted(next));

    auto journal = store_->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok() && journal.value());
    ASSERT_EQ(journal.value()->size(), 1u);
    const JournalEntry& entry = journal.value()->front();
    EXPECT_EQ(entry.serial_from, 10u);
    EXPECT_EQ(entry.serial_to, 15u);
    EXPECT_EQ(entry.removed.front(), soa(10));
    EXPECT_EQ(entry.added.front(), soa(15));
    EXPECT_EQ(sorted({entry.removed.begin() + 1, entry.removed.end()}),
              sorted({www_a(), rr(kApex, 3600, "NS", "ns1")}));
    EXPECT_EQ(
        sorted({entry.added.begin() + 1, entry.added.end()}),
        sorted({rr(kApex, 7200, "NS", "ns1"), rr("mail.example.org.", 300, "A", "192.0.2.25")}));
}

TEST_F(ZoneStoreTransferTest, IdenticalAxfrWritesNothing) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    const int64_t updated = sql_int("SELECT updated FROM zones");
    sql_exec("UPDATE zones SET updated = 1");  // a marker any write would overwrite
    auto stored = store_->apply_axfr(wire(kApex), zone_at(10));
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored.value(), 10u);
    EXPECT_EQ(sql_int("SELECT updated FROM zones"), 1) << "was " << updated;
    EXPECT_EQ(journal_rows(), 0);
}

TEST_F(ZoneStoreTransferTest, AxfrWithAnOlderSerialIsStoredAndClearsTheJournal) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    std::vector<Record> at20 = zone_at(20);
    at20.push_back(rr("new.example.org.", 60, "TXT", "\"v20\""));
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), at20).ok());
    ASSERT_EQ(journal_rows(), 1);

    // The primary was restored from a backup: serial 12, other contents.
    std::vector<Record> back = zone_at(12);
    back.push_back(rr("old.example.org.", 60, "TXT", "\"v12\""));
    auto stored = store_->apply_axfr(wire(kApex), back);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored.value(), 12u);
    EXPECT_EQ(serial(), 12u);
    EXPECT_EQ(sorted(contents()), sorted(back));
    EXPECT_EQ(journal_rows(), 0);
    EXPECT_EQ(sql_int("SELECT count(*) FROM journal_rrs"), 0);
    // No history reaches the new contents: an IXFR client must get the whole zone.
    auto journal = store_->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok());
    EXPECT_FALSE(journal.value());

    // The same serial with other contents also breaks the history.
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(13)).ok());
    ASSERT_EQ(journal_rows(), 1);
    std::vector<Record> same_serial = zone_at(13);
    same_serial.push_back(rr("extra.example.org.", 60, "A", "192.0.2.99"));
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), same_serial).ok());
    EXPECT_EQ(serial(), 13u);
    EXPECT_EQ(sorted(contents()), sorted(same_serial));
    EXPECT_EQ(journal_rows(), 0);
}

TEST_F(ZoneStoreTransferTest, AxfrRejectsBrokenZonesAndChangesNothing) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    const std::vector<Record> before = contents();

    std::vector<Record> two_soas = zone_at(11);
    two_soas.push_back(soa(12));
    auto result = store_->apply_axfr(wire(kApex), two_soas);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("more than one SOA"), std::string::npos)
        << result.error().message;

    std::vector<Record> outside = zone_at(11);
    outside.push_back(rr("www.example.net.", 60, "A", "192.0.2.1"));
    result = store_->apply_axfr(wire(kApex), outside);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("outside zone"), std::string::npos)
        << result.error().message;

    std::vector<Record> no_soa = zone_at(11);
    no_soa.erase(no_soa.begin());
    result = store_->apply_axfr(wire(kApex), no_soa);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("no SOA"), std::string::npos) << result.error().message;

    EXPECT_EQ(serial(), 10u);
    EXPECT_EQ(contents(), before);
    EXPECT_EQ(journal_rows(), 0);
}

// Two differences as a primary sends them: 10 -> 11 changes www's address, 11 -> 13 adds a
// name and changes a TTL (remove with the old TTL, add with the new one).
std::vector<JournalEntry> two_differences() {
    JournalEntry first;
    first.serial_from = 10;
    first.serial_to = 11;
    first.removed = {soa(10), www_a()};
    first.added = {soa(11), rr("www.example.org.", 300, "A", "192.0.2.81")};
    JournalEntry second;
    second.serial_from = 11;
    second.serial_to = 13;
    second.removed = {soa(11), rr("ns1.example.org.", 3600, "A", "192.0.2.1")};
    second.added = {soa(13), rr("ns1.example.org.", 600, "A", "192.0.2.1"),
                    rr("api.example.org.", 60, "AAAA", "2001:db8::1")};
    return {first, second};
}

TEST_F(ZoneStoreTransferTest, IxfrAppliesEveryDifferenceAndJournalsThemAsReceived) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    const auto diffs = two_differences();
    auto stored = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_TRUE(stored.ok()) << stored.error().message;
    EXPECT_EQ(stored.value(), 13u);
    EXPECT_EQ(serial(), 13u);
    const std::vector<Record> expected = {soa(13), rr(kApex, 3600, "NS", "ns1"),
                                          rr("ns1.example.org.", 600, "A", "192.0.2.1"),
                                          rr("www.example.org.", 300, "A", "192.0.2.81"),
                                          rr("api.example.org.", 60, "AAAA", "2001:db8::1")};
    EXPECT_EQ(sorted(contents()), sorted(expected));

    // This host can now serve the same differences to its own secondaries.
    auto journal = store_->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok() && journal.value());
    ASSERT_EQ(journal.value()->size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        const JournalEntry& got = (*journal.value())[i];
        EXPECT_EQ(got.serial_from, diffs[i].serial_from);
        EXPECT_EQ(got.serial_to, diffs[i].serial_to);
        EXPECT_EQ(got.removed, diffs[i].removed);
        EXPECT_EQ(got.added, diffs[i].added);
        EXPECT_GT(got.time, 0);
    }
    auto from11 = store_->read_journal(wire(kApex), 11);
    ASSERT_TRUE(from11.ok() && from11.value());
    EXPECT_EQ(from11.value()->size(), 1u);

    // An empty list changes nothing.
    stored = store_->apply_ixfr(wire(kApex), {});
    ASSERT_TRUE(stored.ok());
    EXPECT_EQ(stored.value(), 13u);
}

TEST_F(ZoneStoreTransferTest, IxfrThatDoesNotMatchOurHistoryChangesNothing) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    const std::vector<Record> before = contents();

    // The second difference removes an RR we do not have: the first must be rolled back too.
    auto diffs = two_differences();
    diffs[1].removed.push_back(rr("ghost.example.org.", 60, "A", "192.0.2.66"));
    auto result = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("ghost.example.org."), std::string::npos)
        << result.error().message;
    EXPECT_NE(result.error().message.find("difference 2"), std::string::npos)
        << result.error().message;
    EXPECT_EQ(serial(), 10u);
    EXPECT_EQ(contents(), before);
    EXPECT_EQ(journal_rows(), 0);

    // Starting from a serial we are not at.
    diffs = two_differences();
    diffs.erase(diffs.begin());
    result = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("the zone is at serial 10"), std::string::npos)
        << result.error().message;

    // Differences that do not chain (10 -> 11, then 12 -> 13).
    diffs = two_differences();
    diffs[1].serial_from = 12;
    diffs[1].removed[0] = soa(12);
    result = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("the zone is at serial 11"), std::string::npos)
        << result.error().message;

    // A difference whose serial goes backwards, and one whose SOAs contradict its serials.
    diffs = two_differences();
    diffs[0].serial_to = 9;
    diffs[0].added[0] = soa(9);
    result = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("does not increase"), std::string::npos)
        << result.error().message;
    diffs = two_differences();
    diffs[0].added[0] = soa(12);
    result = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_FALSE(result.ok());

    // A record outside the zone.
    diffs = two_differences();
    diffs[0].added.push_back(rr("www.example.net.", 60, "A", "192.0.2.1"));
    result = store_->apply_ixfr(wire(kApex), diffs);
    ASSERT_FALSE(result.ok());

    // A zone we do not have.
    result = store_->apply_ixfr(wire("other.example."), two_differences());
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.error().message.find("not stored"), std::string::npos)
        << result.error().message;

    EXPECT_EQ(serial(), 10u);
    EXPECT_EQ(contents(), before);
    EXPECT_EQ(journal_rows(), 0);
}

TEST_F(ZoneStoreTransferTest, ReadOnlyStoreRefusesTransfersButReadsState) {
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    auto reader = open(ZoneStore::Mode::ReadOnly);
    ASSERT_TRUE(reader);
    EXPECT_FALSE(reader->apply_axfr(wire(kApex), zone_at(11)).ok());
    EXPECT_FALSE(reader->apply_ixfr(wire(kApex), two_differences()).ok());
    SyncState state;
    state.zone = wire(kApex);
    EXPECT_FALSE(reader->save_sync_state(state).ok());
    auto none = reader->sync_state(wire(kApex));
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none.value());
}

TEST_F(ZoneStoreTransferTest, SyncStateRoundTrip) {
    SyncState state;
    state.zone = wire(kApex);
    state.last_check = 1700000000123;
    state.last_success = 1700000000100;
    state.last_attempt = 1700000000456;
    state.refresh_at = 1700000003600;
    state.retry_at = 1700000000900;
    state.expire_at = 1700086400000;
    state.expired = false;
    state.primary_serial = 0;  // a real serial, distinct from "unknown"
    state.primary_used = "ns1";
    state.last_error = "";
    ASSERT_TRUE(store_->save_sync_state(state).ok());

    SyncState other;
    other.zone = wire("Other.Example.");  // stored lowercased
    other.expired = true;
    other.last_error = "AXFR of other.example. from 192.0.2.1:53: timed out";
    ASSERT_TRUE(store_->save_sync_state(other).ok());

    // tidald reads it from a read-only connection, while tidal-sync keeps writing.
    auto reader = open(ZoneStore::Mode::ReadOnly);
    ASSERT_TRUE(reader);
    auto got = reader->sync_state(wire("EXAMPLE.org."));
    ASSERT_TRUE(got.ok()) << got.error().message;
    ASSERT_TRUE(got.value());
    EXPECT_EQ(*got.value(), state);

    auto all = reader->sync_states();
    ASSERT_TRUE(all.ok()) << all.error().message;
    ASSERT_EQ(all->size(), 2u);
    // Wire order: "\5other..." sorts before "\7example...".
    EXPECT_EQ((*all)[1], state);
    EXPECT_EQ((*all)[0].zone, wire("other.example."));
    EXPECT_TRUE((*all)[0].expired);
    EXPECT_FALSE((*all)[0].primary_serial);
    EXPECT_EQ((*all)[0].last_error, other.last_error);

    // Saving again replaces the row.
    state.expired = true;
    state.primary_serial.reset();
    state.last_error = "SOA query: no answer";
    ASSERT_TRUE(store_->save_sync_state(state).ok());
    got = reader->sync_state(wire(kApex));
    ASSERT_TRUE(got.ok() && got.value());
    EXPECT_EQ(*got.value(), state);

    ASSERT_TRUE(store_->delete_sync_state(wire(kApex)).ok());
    ASSERT_TRUE(store_->delete_sync_state(wire(kApex)).ok());  // nothing left: still fine
    got = reader->sync_state(wire(kApex));
    ASSERT_TRUE(got.ok());
    EXPECT_FALSE(got.value());
}

TEST_F(ZoneStoreTransferTest, Version1DatabaseIsMigrated) {
    // A version-1 file as the previous code left it: a zone with a journal, no sync_state.
    ASSERT_TRUE(store_->apply_axfr(wire(kApex), zone_at(10)).ok());
    ASSERT_TRUE(store_->apply_ixfr(wire(kApex), two_differences()).ok());
    const std::vector<Record> before = contents();
    store_.reset();
    sql_exec(
        "DROP TRIGGER journal_row_added; DROP TRIGGER journal_row_removed; "
        "ALTER TABLE zones DROP COLUMN journal_rows; ALTER TABLE zones DROP COLUMN journal_bytes; "
        "DROP TABLE sync_state; DROP TABLE transfer_peers; "
        "ALTER TABLE zones DROP COLUMN journal_max_changes; "
        "ALTER TABLE zones DROP COLUMN journal_max_size; ALTER TABLE journal DROP COLUMN bytes; "
        "PRAGMA user_version = 1;");
    ASSERT_EQ(sql_int("SELECT count(*) FROM sqlite_schema WHERE name = 'sync_state'"), 0);

    // tidald (read-only) cannot use it until a writer migrates it, and says why.
    auto old = ZoneStore::open(path_, ZoneStore::Mode::ReadOnly);
    ASSERT_FALSE(old.ok());
    EXPECT_NE(old.error().message.find("older"), std::string::npos) << old.error().message;

    store_ = open(ZoneStore::Mode::ReadWrite);
    ASSERT_TRUE(store_);
    EXPECT_EQ(sql_int("PRAGMA user_version"), 4);
    // v3 sized the journal rows it found, so trimming by size counts them.
    EXPECT_EQ(sql_int("SELECT count(*) FROM journal WHERE bytes = 0"), 0);
    // v4 totalled them per zone, and its triggers keep the totals from then on.
    EXPECT_EQ(sql_int("SELECT journal_rows FROM zones"), 2);
    EXPECT_EQ(sql_int("SELECT journal_bytes FROM zones"),
              sql_int("SELECT sum(bytes) FROM journal"));
    EXPECT_EQ(contents(), before);
    EXPECT_EQ(serial(), 13u);
    auto journal = store_->read_journal(wire(kApex), 10);
    ASSERT_TRUE(journal.ok() && journal.value());
    EXPECT_EQ(journal.value()->size(), 2u);
    SyncState state;
    state.zone = wire(kApex);
    state.last_success = 42;
    ASSERT_TRUE(store_->save_sync_state(state).ok());
    auto reader = open(ZoneStore::Mode::ReadOnly);
    ASSERT_TRUE(reader);
    auto got = reader->sync_state(wire(kApex));
    ASSERT_TRUE(got.ok() && got.value());
    EXPECT_EQ(got.value()->last_success, 42);
    JournalEntry next;
    next.serial_from = 13;
    next.serial_to = 14;
    next.removed = {soa(13)};
    next.added = {soa(14), rr("new.example.org.", 60, "A", "192.0.2.14")};
    ASSERT_TRUE(store_->apply_ixfr(wire(kApex), {next}).ok());
    EXPECT_EQ(sql_int("SELECT journal_rows FROM zones"), 3);
    EXPECT_EQ(sql_int("SELECT journal_bytes FROM zones"),
              sql_int("SELECT sum(bytes) FROM journal"));
}

}  // namespace
}  // namespace tidal::store
