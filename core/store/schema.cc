// Zone store schema: tables for zones, records and the IXFR journal, created by ordered migrations.
#include "core/store/schema.h"

#include <array>
#include <string>

#include "core/store/sqlite_util.h"

namespace tidal::store {

namespace {

// "TIDL": marks the file as a Tidal zone store (PRAGMA application_id), so that opening some
// other SQLite database fails instead of adding tables to it.
constexpr int64_t kApplicationId = 0x5449444C;

// Step N (1-based) takes the schema from version N-1 to N. Append new steps; never edit old ones.
//
// Layout:
//  zones     one row per zone; name is the lowercased wire apex, serial mirrors the SOA serial.
//  records   one row per RR; owner lowercased wire, rdata uncompressed wire. An RR's identity is
//            (owner, type, rdata) (RFC 2181 §5: the TTL belongs to the RRset), hence the UNIQUE
//            index, which is also the index that reads a zone in (owner, type, rdata) order.
//  journal   one row per change to an existing zone (serial_from -> serial_to), the IXFR history.
//  journal_rrs the RRs of one journal row in IXFR order (RFC 1995 §4): op 0 = removed, op 1 =
//            added; seq orders them. The old SOA is the first removed RR and the new SOA the first
//            added RR, so a journal row reads out directly as one IXFR difference sequence.
//  sync_state (version 2) one row per secondary zone, written by tidal-sync and read by tidald:
//            replication timers and freshness. Keyed by the lowercased wire apex, not by zones.id,
//            because a secondary zone has state (attempts, errors) before its first transfer.
//            Times are milliseconds since the Unix epoch, 0 = never / not set.
constexpr std::array<const char*, 4> kMigrations = {
    R"sql(
CREATE TABLE zones (
    id        INTEGER PRIMARY KEY,
    name      BLOB NOT NULL UNIQUE,
    name_text TEXT NOT NULL,
    serial    INTEGER NOT NULL,
    created   INTEGER NOT NULL,
    updated   INTEGER NOT NULL
);
CREATE TABLE records (
    zone_id INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
    owner   BLOB NOT NULL,
    type    INTEGER NOT NULL,
    class   INTEGER NOT NULL,
    ttl     INTEGER NOT NULL,
    rdata   BLOB NOT NULL
);
CREATE UNIQUE INDEX records_by_rr ON records(zone_id, owner, type, rdata);
CREATE TABLE journal (
    id          INTEGER PRIMARY KEY,
    zone_id     INTEGER NOT NULL REFERENCES zones(id) ON DELETE CASCADE,
    serial_from INTEGER NOT NULL,
    serial_to   INTEGER NOT NULL,
    time        INTEGER NOT NULL
);
CREATE INDEX journal_by_zone ON journal(zone_id, id);
CREATE TABLE journal_rrs (
    journal_id INTEGER NOT NULL REFERENCES journal(id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    op         INTEGER NOT NULL CHECK (op IN (0, 1)),
    owner      BLOB NOT NULL,
    type       INTEGER NOT NULL,
    class      INTEGER NOT NULL,
    ttl        INTEGER NOT NULL,
    rdata      BLOB NOT NULL,
    PRIMARY KEY (journal_id, seq)
) WITHOUT ROWID;
)sql",
    R"sql(
CREATE TABLE sync_state (
    zone           BLOB PRIMARY KEY,
    last_check     INTEGER NOT NULL DEFAULT 0,
    last_success   INTEGER NOT NULL DEFAULT 0,
    last_attempt   INTEGER NOT NULL DEFAULT 0,
    refresh_at     INTEGER NOT NULL DEFAULT 0,
    retry_at       INTEGER NOT NULL DEFAULT 0,
    expire_at      INTEGER NOT NULL DEFAULT 0,
    expired        INTEGER NOT NULL DEFAULT 0 CHECK (expired IN (0, 1)),
    primary_serial INTEGER,
    primary_used   TEXT NOT NULL DEFAULT '',
    last_error     TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
)sql",
    // v3: journal bounds per zone (set from the configuration), the size of each journal row so
    // trimming by size needs no scan of journal_rrs, and what each secondary last asked a
    // primary for (tidalctl status shows it).
    R"sql(
ALTER TABLE zones ADD COLUMN journal_max_changes INTEGER NOT NULL DEFAULT 1000;
ALTER TABLE zones ADD COLUMN journal_max_size INTEGER NOT NULL DEFAULT 67108864;
ALTER TABLE journal ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
UPDATE journal SET bytes = (SELECT COALESCE(SUM(length(owner) + length(rdata) + 10), 0)
                            FROM journal_rrs WHERE journal_id = journal.id);
CREATE TABLE transfer_peers (
    zone         BLOB NOT NULL,
    peer         TEXT NOT NULL,
    key          TEXT NOT NULL DEFAULT '',
    kind         TEXT NOT NULL,
    serial_asked INTEGER,
    serial_sent  INTEGER NOT NULL,
    time         INTEGER NOT NULL,
    PRIMARY KEY (zone, peer)
) WITHOUT ROWID;
)sql",
    // v4: each zone's journal totals (rows, bytes), kept by triggers on every insert and delete
    // (trims, zone deletion), so the trim after each change reads one row instead of scanning
    // the whole history: a change costs the same with 10 or 10,000 changes journaled.
    R"sql(
ALTER TABLE zones ADD COLUMN journal_rows INTEGER NOT NULL DEFAULT 0;
ALTER TABLE zones ADD COLUMN journal_bytes INTEGER NOT NULL DEFAULT 0;
UPDATE zones SET
    journal_rows = (SELECT count(*) FROM journal WHERE zone_id = zones.id),
    journal_bytes = (SELECT COALESCE(SUM(bytes), 0) FROM journal WHERE zone_id = zones.id);
CREATE TRIGGER journal_row_added AFTER INSERT ON journal BEGIN
    UPDATE zones SET journal_rows = journal_rows + 1, journal_bytes = journal_bytes + NEW.bytes
    WHERE id = NEW.zone_id;
END;
CREATE TRIGGER journal_row_removed AFTER DELETE ON journal BEGIN
    UPDATE zones SET journal_rows = journal_rows - 1, journal_bytes = journal_bytes - OLD.bytes
    WHERE id = OLD.zone_id;
END;
)sql",
};

Result<int64_t> pragma_int(sqlite3* db, const char* sql) {
    auto stmt = Statement::prepare(db, sql, sql);
    if (!stmt) {
        return stmt.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    return row.value() ? stmt->column_int(0) : 0;
}

std::string database_name(sqlite3* db) {
    const char* file = sqlite3_db_filename(db, "main");
    return (file != nullptr && *file != '\0') ? file : "(memory)";
}

// Rejects files that belong to another application or to a newer Tidal.
Status check_identity(sqlite3* db, int64_t version, int64_t application_id) {
    if (application_id != 0 && application_id != kApplicationId) {
        return Error{"database " + database_name(db) + ": not a Tidal zone store (application_id " +
                     std::to_string(application_id) + ")"};
    }
    if (version > current_schema_version()) {
        return Error{"database " + database_name(db) + ": schema version " +
                     std::to_string(version) + " is newer than this program's (" +
                     std::to_string(current_schema_version()) + "); upgrade Tidal"};
    }
    if (version == 0 && application_id == 0) {
        // A fresh file has no tables; a file with tables but no version is someone else's.
        auto tables = pragma_int(db, "SELECT count(*) FROM sqlite_schema");
        if (!tables) {
            return tables.error();
        }
        if (tables.value() != 0) {
            return Error{"database " + database_name(db) +
                         ": not a Tidal zone store (it has tables but no Tidal schema version)"};
        }
    }
    return Status::success();
}

// Every missing step in ONE write transaction, so a reader in another process sees either the old
// schema or the current one, never a half-built store.
Status run_steps(sqlite3* db) {
    auto txn = Transaction::begin(db, Transaction::Kind::Write, "schema migration");
    if (!txn) {
        return txn.error();
    }
    // Read again inside the write lock: another process may have migrated meanwhile.
    auto version = pragma_int(db, "PRAGMA user_version");
    if (!version) {
        return version.error();
    }
    auto application_id = pragma_int(db, "PRAGMA application_id");
    if (!application_id) {
        return application_id.error();
    }
    Status identity = check_identity(db, version.value(), application_id.value());
    if (!identity) {
        return identity;
    }
    if (version.value() >= current_schema_version()) {
        return Status::success();  // already done by someone else; the transaction rolls back
    }
    for (int step = int(version.value()) + 1; step <= current_schema_version(); ++step) {
        const std::string operation = "schema migration to version " + std::to_string(step);
        Status status = exec_sql(db, kMigrations[static_cast<size_t>(step - 1)], operation);
        if (!status) {
            return status;
        }
    }
    // PRAGMA values cannot be bound; these are integers we format ourselves.
    const std::string pragmas =
        "PRAGMA user_version = " + std::to_string(current_schema_version()) +
        "; PRAGMA application_id = " + std::to_string(kApplicationId);
    Status status = exec_sql(db, pragmas.c_str(), "schema migration");
    if (!status) {
        return status;
    }
    return txn->commit();
}

}  // namespace

int current_schema_version() {
    return static_cast<int>(kMigrations.size());
}

Status migrate_schema(sqlite3* db) {
    // The common case, an up-to-date file, needs no write lock.
    auto version = pragma_int(db, "PRAGMA user_version");
    if (!version) {
        return version.error();
    }
    if (version.value() == current_schema_version()) {
        return check_schema(db);
    }
    return run_steps(db);
}

Status check_schema(sqlite3* db) {
    // One read transaction: the version, the id and the table count from the same moment, or a
    // schema created in between reads as "tables but no version", a foreign file.
    auto txn = Transaction::begin(db, Transaction::Kind::Read, "check schema");
    if (!txn) {
        return txn.error();
    }
    auto version = pragma_int(db, "PRAGMA user_version");
    if (!version) {
        return version.error();
    }
    auto application_id = pragma_int(db, "PRAGMA application_id");
    if (!application_id) {
        return application_id.error();
    }
    Status identity = check_identity(db, version.value(), application_id.value());
    if (!identity) {
        return identity;
    }
    if (version.value() < current_schema_version()) {
        return Error{"database " + database_name(db) + ": schema version " +
                     std::to_string(version.value()) + " " + kAwaitingMigration + " (" +
                     std::to_string(current_schema_version()) +
                     "); open it once read-write (e.g. tidalctl zone list) to migrate"};
    }
    return txn->commit();
}

}  // namespace tidal::store
