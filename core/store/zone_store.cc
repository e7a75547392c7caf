// ZoneStore: opens and migrates the SQLite file, reads zones, and funnels every write through
// apply_change's transaction.
#include "core/store/zone_store.h"

#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <system_error>
#include <tuple>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/change_applier.h"
#include "core/store/commit_signal.h"
#include "core/store/journal.h"
#include "core/store/schema.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_rows.h"
#include "core/zone/soa_rdata.h"

namespace tidal::store {

namespace {

// Writers wait this long for another process's write lock before giving up with SQLITE_BUSY.
constexpr int kBusyTimeoutMs = 5000;

Status create_parent_directory(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (parent.empty()) {
        return Status::success();
    }
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
        return Error{"database " + path + ": cannot create directory " + parent.string() + ": " +
                     ec.message()};
    }
    return Status::success();
}

// Reads one text value of a PRAGMA that returns a row (journal_mode).
Result<std::string> pragma_text(sqlite3* db, const char* sql) {
    auto stmt = Statement::prepare(db, sql, sql);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return row.value() ? stmt->column_text(0) : std::string();
}

Status configure_connection(sqlite3* db, ZoneStore::Mode mode) {
    if (sqlite3_busy_timeout(db, kBusyTimeoutMs) != SQLITE_OK) {
        return sqlite_error(db, "set busy timeout");
    }
    Status status = exec_sql(db, "PRAGMA foreign_keys = ON", "enable foreign keys");
    if (!status || mode == ZoneStore::Mode::ReadOnly) {
        return status;
    }
    // WAL: readers (tidald) never wait for the writer and the writer never waits for readers.
    auto journal_mode = pragma_text(db, "PRAGMA journal_mode = WAL");
    if (!journal_mode) {
        return journal_mode.error();
    }
    if (journal_mode.value() != "wal") {
        return Error{"database " + std::string(sqlite3_db_filename(db, "main")) +
                     ": cannot switch to WAL mode (journal_mode is " + journal_mode.value() + ")"};
    }
    // FULL: each commit is synced, so an acknowledged change survives a power loss.
    status = exec_sql(db, "PRAGMA synchronous = FULL", "set synchronous");
    if (status) {
        install_commit_signal(db);
    }
    return status;
}

// The one SOA of records, at apex; Error otherwise.
Result<uint32_t> soa_serial_of(std::string_view apex, const std::vector<Record>& records) {
    const Record* soa = nullptr;
    for (const Record& rr : records) {
        if (rr.type != dns::rrtype::SOA) {
            continue;
        }
        if (soa != nullptr && !same_rr(*soa, rr)) {
            return Error{"zone " + dns::name_to_text(apex) + " has more than one SOA record"};
        }
        soa = &rr;
    }
    if (soa == nullptr) {
        return Error{"zone " + dns::name_to_text(apex) + " has no SOA record"};
    }
    const auto serial = zone::soa_serial(soa->rdata);
    if (!serial) {
        return Error{"zone " + dns::name_to_text(apex) + ": malformed SOA rdata"};
    }
    return *serial;
}

// The change that turns stored into wanted: RRs to remove (gone or with another TTL) and RRs to
// add (new or with another TTL). The SOA of wanted is always in add; apply_change decides
// whether it changes anything.
ZoneChange difference(std::string_view apex, const std::vector<Record>& stored,
                      const std::vector<Record>& wanted) {
    using Key = std::tuple<const std::string&, uint16_t, const std::string&>;
    std::map<Key, uint32_t> stored_ttl;
    for (const Record& rr : stored) {
        stored_ttl.emplace(Key(rr.owner, rr.type, rr.rdata), rr.ttl);
    }
    std::map<Key, uint32_t> wanted_ttl;
    for (const Record& rr : wanted) {
        wanted_ttl.insert_or_assign(Key(rr.owner, rr.type, rr.rdata), rr.ttl);
    }
    ZoneChange change;
    change.zone = std::string(apex);
    for (const Record& rr : stored) {
        if (rr.type == dns::rrtype::SOA) {
            continue;
        }
        auto it = wanted_ttl.find(Key(rr.owner, rr.type, rr.rdata));
        if (it == wanted_ttl.end()) {
            change.remove.push_back(rr);
        }
    }
    for (const Record& rr : wanted) {
        if (rr.type == dns::rrtype::SOA) {
            change.add.push_back(rr);
            continue;
        }
        auto it = stored_ttl.find(Key(rr.owner, rr.type, rr.rdata));
        if (it == stored_ttl.end() || it->second != rr.ttl) {
            change.add.push_back(rr);  // a TTL change: apply_change updates it in place
        }
    }
    return change;
}

}  // namespace

std::string zone_not_found(std::string_view apex) {
    return "zone " + dns::name_to_text(apex) + " not found";
}

Result<ZoneInfo> select_existing_zone(sqlite3* db, std::string_view apex, std::string_view prefix) {
    auto zone = select_zone(db, apex);
    if (!zone) {
        return zone.error();
    }
    if (!zone.value()) {
        return Error{std::string(prefix) + (prefix.empty() ? "" : ": ") + zone_not_found(apex)};
    }
    return std::move(*zone.value());
}

ZoneStore::ZoneStore(sqlite3* db, Mode mode) : db_(db), mode_(mode) {}

ZoneStore::~ZoneStore() {
    detach_statement_cache(db_);  // finalizes the cached statements, so the close is complete
    sqlite3_close_v2(db_);
}

Result<std::unique_ptr<ZoneStore>> ZoneStore::open(const std::string& path, Mode mode) {
    if (mode == Mode::ReadWrite) {
        Status status = create_parent_directory(path);
        if (!status) {
            return status.error();
        }
    }
    const int flags = (mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY
                                              : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) |
                      SQLITE_OPEN_NOMUTEX;
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    // The object owns the handle from here on, even when opening failed.
    std::unique_ptr<ZoneStore> store(new ZoneStore(raw, mode));
    if (rc != SQLITE_OK) {
        return Error{"database " + path + ": cannot open " +
                     (mode == Mode::ReadOnly ? "read-only" : "read-write") + ": " +
                     (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc))};
    }
    sqlite3_extended_result_codes(raw, 1);
    attach_statement_cache(raw);
    Status status = configure_connection(raw, mode);
    if (status) {
        status = mode == Mode::ReadWrite ? migrate_schema(raw) : check_schema(raw);
    }
    if (!status) {
        return status.error();
    }
    return store;
}

Status ZoneStore::set_commit_sync(CommitSync sync) {
    return exec_sql(
        db_, sync == CommitSync::Full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL",
        "set synchronous");
}

Status ZoneStore::checkpoint() {
    Status status = require_writable("checkpoint");
    if (!status) {
        return status;
    }
    if (sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr) !=
        SQLITE_OK) {
        return sqlite_error(db_, "checkpoint");
    }
    return Status::success();
}

Status ZoneStore::require_writable(std::string_view operation) const {
    if (mode_ != Mode::ReadWrite) {
        return Error{std::string(operation) + ": database " + sqlite3_db_filename(db_, "main") +
                     " is open read-only"};
    }
    return Status::success();
}

Result<std::vector<ZoneInfo>> ZoneStore::list_zones() {
    auto stmt =
        Statement::prepare(db_, "SELECT id, name, serial FROM zones ORDER BY name", "list zones");
    if (!stmt) {
        return stmt.error();
    }
    std::vector<ZoneInfo> zones;
    Status rows = stmt->for_each_row([&] {
        zones.push_back({stmt->column_int(0), stmt->column_blob(1),
                         static_cast<uint32_t>(stmt->column_int(2))});
    });
    if (!rows) {
        return rows.error();
    }
    return zones;
}

Result<std::optional<ZoneInfo>> ZoneStore::find_zone(std::string_view apex) {
    return select_zone(db_, apex);
}

Result<uint64_t> ZoneStore::count_records(std::string_view apex) {
    auto txn = Transaction::begin(db_, Transaction::Kind::Read, "count records");
    if (!txn) {
        return txn.error();
    }
    auto zone = select_existing_zone(db_, apex);
    if (!zone) {
        return zone.error();
    }
    auto stmt =
        Statement::prepare(db_, "SELECT count(*) FROM records WHERE zone_id = ?1", "count records");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, zone->id);
    if (!status) {
        return status.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return static_cast<uint64_t>(stmt->column_int(0));
}

Result<ZoneContents> ZoneStore::read_zone(std::string_view apex) {
    // One read transaction: the zone row and its records are the same committed version.
    auto txn = Transaction::begin(db_, Transaction::Kind::Read, "read zone");
    if (!txn) {
        return txn.error();
    }
    auto zone = select_existing_zone(db_, apex);
    if (!zone) {
        return zone.error();
    }
    auto records = select_records(db_, zone->id);
    if (!records) {
        return records.error();
    }
    ZoneContents contents{std::move(zone.value()), std::move(records.value())};
    Status status = txn->commit();
    if (!status) {
        return status.error();
    }
    return contents;
}

Result<uint32_t> ZoneStore::replace_zone(std::string_view apex,
                                         const std::vector<Record>& records) {
    return write_zone(apex, records, false);
}

Result<uint32_t> ZoneStore::create_zone(std::string_view apex, const std::vector<Record>& records) {
    return write_zone(apex, records, true);
}

Result<uint32_t> ZoneStore::write_zone(std::string_view apex, const std::vector<Record>& records,
                                       bool must_be_new) {
    const std::string name = dns::name_lowered(apex);
    const std::string operation = "store zone " + dns::name_to_text(name);
    Status status = require_writable(operation);
    if (status) {
        status = check_records_for_zone(name, records, operation);
    }
    if (!status) {
        return status.error();
    }
    auto serial = soa_serial_of(name, records);
    if (!serial) {
        return serial.error();
    }
    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = select_zone(db_, name);
    if (!zone) {
        return zone.error();
    }
    uint32_t stored_serial = serial.value();
    if (!zone.value()) {
        auto id = insert_zone(db_, name, serial.value(), records);
        if (!id) {
            return id.error();
        }
    } else {
        if (must_be_new) {
            return Error{"zone " + dns::name_to_text(name) + " already exists"};
        }
        auto stored = select_records(db_, zone.value()->id);
        if (!stored) {
            return stored.error();
        }
        auto applied = apply_change_in_transaction(db_, *zone.value(),
                                                   difference(name, stored.value(), records));
        if (!applied) {
            return applied.error();
        }
        stored_serial = applied.value();
    }
    status = txn->commit();
    if (!status) {
        return status.error();
    }
    return stored_serial;
}

Result<uint32_t> ZoneStore::apply_change(const ZoneChange& change) {
    const std::string operation = "change to zone " + dns::name_to_text(change.zone);
    Status status = require_writable(operation);
    if (!status) {
        return status.error();
    }
    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = select_existing_zone(db_, change.zone, operation);
    if (!zone) {
        return zone.error();
    }
    auto serial = apply_change_in_transaction(db_, zone.value(), change);
    if (!serial) {
        return serial.error();
    }
    status = txn->commit();
    if (!status) {
        return status.error();
    }
    return serial.value();
}

Status ZoneStore::delete_zone(std::string_view apex) {
    const std::string operation = "delete zone " + dns::name_to_text(apex);
    Status status = require_writable(operation);
    if (!status) {
        return status;
    }
    auto stmt = Statement::prepare(db_, "DELETE FROM zones WHERE name = ?1", operation);
    if (!stmt) {
        return stmt.error();
    }
    status = stmt->bind_blob(1, dns::name_lowered(apex));
    if (status) {
        status = stmt->run();  // records and journal go with it (ON DELETE CASCADE)
    }
    if (!status) {
        return status;
    }
    if (sqlite3_changes(db_) == 0) {
        return Error{operation + ": " + zone_not_found(apex)};
    }
    return Status::success();
}

Result<std::optional<std::vector<JournalEntry>>> ZoneStore::read_journal(std::string_view apex,
                                                                         uint32_t serial_from) {
    auto txn = Transaction::begin(db_, Transaction::Kind::Read, "read journal");
    if (!txn) {
        return txn.error();
    }
    auto zone = select_existing_zone(db_, apex);
    if (!zone) {
        return zone.error();
    }
    return select_journal(db_, zone->id, serial_from, zone->serial);
}

Result<uint64_t> ZoneStore::trim_journal(std::string_view apex, uint64_t keep) {
    const std::string operation = "trim journal of " + dns::name_to_text(apex);
    Status status = require_writable(operation);
    if (!status) {
        return status.error();
    }
    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = select_existing_zone(db_, apex, operation);
    if (!zone) {
        return zone.error();
    }
    auto deleted = delete_old_journal_entries(db_, zone->id, keep);
    if (!deleted) {
        return deleted.error();
    }
    status = txn->commit();
    if (!status) {
        return status.error();
    }
    return deleted.value();
}

Result<uint64_t> ZoneStore::data_version() {
    auto stmt = Statement::prepare(db_, "PRAGMA data_version", "read data_version");
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return static_cast<uint64_t>(stmt->column_int(0));
}

}  // namespace tidal::store
