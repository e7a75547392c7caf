// ZoneStore: journal bounds and usage, and the secondaries a primary has served (transfer_peers).
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "core/dns/name.h"
#include "core/store/journal.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_rows.h"
#include "core/store/zone_store.h"

namespace tidal::store {

namespace {

Result<ZoneInfo> existing_zone(sqlite3* db, std::string_view apex, const std::string& operation) {
    auto zone = select_zone(db, apex);
    if (!zone) {
        return zone.error();
    }
    if (!zone.value()) {
        return Error{operation + ": no zone " + dns::name_to_text(apex) + " in the database"};
    }
    return *zone.value();
}

}  // namespace

Status ZoneStore::set_journal_limits(std::string_view apex, const JournalLimits& limits) {
    const std::string operation = "set journal limits of " + dns::name_to_text(apex);
    Status status = require_writable(operation);
    if (!status) {
        return status;
    }
    auto usage = journal_usage(apex);
    if (!usage) {
        return usage.error();
    }
    if (usage->limits.max_changes == limits.max_changes &&
        usage->limits.max_size == limits.max_size) {
        return Status::success();  // the common case on every start: nothing to write
    }
    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = existing_zone(db_, apex, operation);
    if (!zone) {
        return zone.error();
    }
    auto stmt = Statement::prepare(
        db_, "UPDATE zones SET journal_max_changes = ?2, journal_max_size = ?3 WHERE id = ?1",
        operation);
    if (!stmt) {
        return stmt.error();
    }
    status = stmt->bind_int(1, zone->id);
    if (status) {
        status = stmt->bind_int(2, int64_t(std::min<uint64_t>(limits.max_changes, INT64_MAX)));
    }
    if (status) {
        status = stmt->bind_int(3, int64_t(std::min<uint64_t>(limits.max_size, INT64_MAX)));
    }
    if (status) {
        status = stmt->run();
    }
    if (!status) {
        return status;
    }
    auto trimmed = trim_journal_to(db_, zone->id, limits);
    if (!trimmed) {
        return trimmed.error();
    }
    return txn->commit();
}

Result<ZoneStore::JournalUsage> ZoneStore::journal_usage(std::string_view apex) {
    const std::string operation = "read journal usage of " + dns::name_to_text(apex);
    auto txn = Transaction::begin(db_, Transaction::Kind::Read, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = existing_zone(db_, apex, operation);
    if (!zone) {
        return zone.error();
    }
    auto stmt = Statement::prepare(
        db_,
        "SELECT z.journal_max_changes, z.journal_max_size, "
        "(SELECT count(*) FROM journal WHERE zone_id = z.id), "
        "(SELECT COALESCE(SUM(bytes), 0) FROM journal WHERE zone_id = z.id), "
        "(SELECT serial_from FROM journal WHERE zone_id = z.id ORDER BY id LIMIT 1), "
        "(SELECT count(*) FROM journal WHERE zone_id = z.id) = 0 "
        "FROM zones z WHERE z.id = ?1",
        operation);
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
    JournalUsage usage;
    if (row.value()) {
        usage.limits.max_changes = uint64_t(stmt->column_int(0));
        usage.limits.max_size = uint64_t(stmt->column_int(1));
        usage.changes = uint64_t(stmt->column_int(2));
        usage.bytes = uint64_t(stmt->column_int(3));
        if (stmt->column_int(5) == 0) {
            usage.oldest_serial = uint32_t(stmt->column_int(4));
        }
    }
    return usage;
}

Status ZoneStore::save_transfer_peer(const TransferPeer& peer) {
    const std::string operation = "record transfer peer of " + dns::name_to_text(peer.zone);
    Status status = require_writable(operation);
    if (!status) {
        return status;
    }
    auto stmt = Statement::prepare(db_,
                                   "INSERT OR REPLACE INTO transfer_peers (zone, peer, key, kind, "
                                   "serial_asked, serial_sent, time) "
                                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                                   operation);
    if (!stmt) {
        return stmt.error();
    }
    status = stmt->bind_blob(1, dns::name_lowered(peer.zone));
    if (status) {
        status = stmt->bind_text(2, peer.peer);
    }
    if (status) {
        status = stmt->bind_text(3, peer.key);
    }
    if (status) {
        status = stmt->bind_text(4, peer.kind);
    }
    if (status && peer.serial_asked) {
        status = stmt->bind_int(5, *peer.serial_asked);  // left unbound: NULL (AXFR)
    }
    if (status) {
        status = stmt->bind_int(6, peer.serial_sent);
    }
    if (status) {
        status = stmt->bind_int(7, peer.time);
    }
    if (status) {
        status = stmt->run();
    }
    return status;
}

Result<std::vector<TransferPeer>> ZoneStore::transfer_peers(std::string_view apex) {
    auto stmt = Statement::prepare(db_,
                                   "SELECT zone, peer, key, kind, serial_asked, serial_sent, time, "
                                   "serial_asked IS NULL FROM transfer_peers WHERE zone = ?1 "
                                   "ORDER BY peer",
                                   "read transfer peers of " + dns::name_to_text(apex));
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_blob(1, dns::name_lowered(apex));
    if (!status) {
        return status.error();
    }
    std::vector<TransferPeer> peers;
    status = stmt->for_each_row([&] {
        TransferPeer peer;
        peer.zone = stmt->column_blob(0);
        peer.peer = stmt->column_text(1);
        peer.key = stmt->column_text(2);
        peer.kind = stmt->column_text(3);
        if (stmt->column_int(7) == 0) {
            peer.serial_asked = uint32_t(stmt->column_int(4));
        }
        peer.serial_sent = uint32_t(stmt->column_int(5));
        peer.time = stmt->column_int(6);
        peers.push_back(std::move(peer));
    });
    if (!status) {
        return status.error();
    }
    return peers;
}

}  // namespace tidal::store
