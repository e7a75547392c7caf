// ZoneStore::read_zone_delta: the names a zone's journal touched since a serial, and their RRs now.
#include <algorithm>
#include <string>

#include "core/store/journal.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_rows.h"
#include "core/store/zone_store.h"

namespace tidal::store {

namespace {

// Distinct owners in the journal rows of the zone from first_id on; at most limit + 1 of them, so
// the caller can tell "more than limit" without reading them all.
Result<std::vector<std::string>> journal_owners(sqlite3* db, int64_t zone_id, int64_t first_id,
                                                size_t limit) {
    auto stmt = Statement::prepare(db,
                                   "SELECT DISTINCT owner FROM journal_rrs WHERE journal_id IN "
                                   "(SELECT id FROM journal WHERE zone_id = ?1 AND id >= ?2) "
                                   "LIMIT ?3",
                                   "read journal owners");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, zone_id);
    if (status) {
        status = stmt->bind_int(2, first_id);
    }
    if (status) {
        status = stmt->bind_int(3, int64_t(limit) + 1);
    }
    if (!status) {
        return status.error();
    }
    std::vector<std::string> owners;
    status = stmt->for_each_row([&] { owners.push_back(stmt->column_blob(0)); });
    if (!status) {
        return status.error();
    }
    return owners;
}

}  // namespace

Result<std::optional<ZoneDelta>> ZoneStore::read_zone_delta(std::string_view apex,
                                                            uint32_t serial_from,
                                                            size_t max_owners) {
    using Delta = std::optional<ZoneDelta>;
    // One read transaction: the serial, the journal and the records are one committed version.
    auto txn = Transaction::begin(db_, Transaction::Kind::Read, "read zone changes");
    if (!txn) {
        return txn.error();
    }
    auto zone = select_existing_zone(db_, apex);
    if (!zone) {
        return zone.error();
    }
    ZoneDelta delta;
    delta.info = std::move(zone.value());
    auto chain = select_journal_chain(db_, delta.info.id, serial_from, delta.info.serial);
    if (!chain) {
        return chain.error();
    }
    if (!chain.value()) {
        return Delta();
    }
    if (!chain.value()->empty()) {
        auto owners = journal_owners(db_, delta.info.id, chain.value()->front().id, max_owners);
        if (!owners) {
            return owners.error();
        }
        if (owners.value().size() > max_owners) {
            return Delta();
        }
        delta.owners = std::move(owners.value());
        std::sort(delta.owners.begin(), delta.owners.end());
    }
    // The records_by_rr index serves this lookup: (zone_id, owner) is its prefix.
    auto by_owner = Statement::prepare(db_,
                                       "SELECT type, class, ttl, rdata FROM records "
                                       "WHERE zone_id = ?1 AND owner = ?2 ORDER BY type, rdata",
                                       "read records by owner");
    if (!by_owner) {
        return by_owner.error();
    }
    for (const std::string& owner : delta.owners) {
        by_owner->reset();
        Status status = by_owner->bind_int(1, delta.info.id);
        if (status) {
            status = by_owner->bind_blob(2, owner);
        }
        if (status) {
            status = by_owner->for_each_row([&] {
                Record rr;
                rr.owner = owner;
                rr.type = static_cast<uint16_t>(by_owner->column_int(0));
                rr.rclass = static_cast<uint16_t>(by_owner->column_int(1));
                rr.ttl = static_cast<uint32_t>(by_owner->column_int(2));
                rr.rdata = by_owner->column_blob(3);
                delta.records.push_back(std::move(rr));
            });
        }
        if (!status) {
            return status.error();
        }
    }
    if (Status status = txn->commit(); !status) {
        return status.error();
    }
    return Delta(std::move(delta));
}

}  // namespace tidal::store
