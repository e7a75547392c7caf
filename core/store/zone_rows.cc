// Row-level access to the zones and records tables; callers hold the transaction.
#include "core/store/zone_rows.h"

#include <ctime>
#include <string>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/sqlite_util.h"

namespace tidal::store {

Result<std::optional<ZoneInfo>> select_zone(sqlite3* db, std::string_view apex) {
    auto stmt = Statement::prepare(db, "SELECT id, name, serial FROM zones WHERE name = ?1",
                                   "find zone " + dns::name_to_text(apex));
    if (!stmt) {
        return stmt.error();
    }
    Status bound = stmt->bind_blob(1, dns::name_lowered(apex));
    if (!bound) {
        return bound.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!row.value()) {
        return std::optional<ZoneInfo>();
    }
    ZoneInfo info;
    info.id = stmt->column_int(0);
    info.name = stmt->column_blob(1);
    info.serial = static_cast<uint32_t>(stmt->column_int(2));
    return std::optional<ZoneInfo>(std::move(info));
}

Result<std::vector<Record>> select_records(sqlite3* db, int64_t zone_id) {
    auto stmt = Statement::prepare(db,
                                   "SELECT owner, type, class, ttl, rdata FROM records "
                                   "WHERE zone_id = ?1 ORDER BY owner, type, rdata",
                                   "read records");
    if (!stmt) {
        return stmt.error();
    }
    Status bound = stmt->bind_int(1, zone_id);
    if (!bound) {
        return bound.error();
    }
    std::vector<Record> records;
    Status rows = stmt->for_each_row([&] {
        Record rr;
        rr.owner = stmt->column_blob(0);
        rr.type = static_cast<uint16_t>(stmt->column_int(1));
        rr.rclass = static_cast<uint16_t>(stmt->column_int(2));
        rr.ttl = static_cast<uint32_t>(stmt->column_int(3));
        rr.rdata = stmt->column_blob(4);
        records.push_back(std::move(rr));
    });
    if (!rows) {
        return rows.error();
    }
    return records;
}

Result<Record> select_soa(sqlite3* db, const ZoneInfo& zone) {
    auto stmt = Statement::prepare(db,
                                   "SELECT class, ttl, rdata FROM records "
                                   "WHERE zone_id = ?1 AND owner = ?2 AND type = ?3",
                                   "read SOA of " + dns::name_to_text(zone.name));
    if (!stmt) {
        return stmt.error();
    }
    Status bound = stmt->bind_int(1, zone.id);
    if (bound) {
        bound = stmt->bind_blob(2, zone.name);
    }
    if (bound) {
        bound = stmt->bind_int(3, dns::rrtype::SOA);
    }
    if (!bound) {
        return bound.error();
    }
    auto row = stmt->step();
    if (!row) {
        return row.error();
    }
    if (!row.value()) {
        return Error{"zone " + dns::name_to_text(zone.name) + " has no SOA record in the database"};
    }
    Record soa;
    soa.owner = zone.name;
    soa.type = dns::rrtype::SOA;
    soa.rclass = static_cast<uint16_t>(stmt->column_int(0));
    soa.ttl = static_cast<uint32_t>(stmt->column_int(1));
    soa.rdata = stmt->column_blob(2);
    return soa;
}

Result<int64_t> insert_zone(sqlite3* db, std::string_view apex, uint32_t serial,
                            const std::vector<Record>& records) {
    const std::string name = dns::name_lowered(apex);
    const std::string name_text = dns::name_to_text(name);
    auto zone_stmt = Statement::prepare(db,
                                        "INSERT INTO zones (name, name_text, serial, created, "
                                        "updated) VALUES (?1, ?2, ?3, ?4, ?4)",
                                        "create zone " + name_text);
    if (!zone_stmt) {
        return zone_stmt.error();
    }
    const auto now = static_cast<int64_t>(std::time(nullptr));
    Status status = zone_stmt->bind_blob(1, name);
    if (status) {
        status = zone_stmt->bind_text(2, name_text);
    }
    if (status) {
        status = zone_stmt->bind_int(3, serial);
    }
    if (status) {
        status = zone_stmt->bind_int(4, now);
    }
    if (status) {
        status = zone_stmt->run();
    }
    if (!status) {
        return status.error();
    }
    const int64_t zone_id = sqlite3_last_insert_rowid(db);

    auto rr_stmt = Statement::prepare(db,
                                      "INSERT OR IGNORE INTO records (zone_id, owner, type, class, "
                                      "ttl, rdata) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                                      "insert records of " + name_text);
    if (!rr_stmt) {
        return rr_stmt.error();
    }
    for (const Record& rr : records) {
        status = rr_stmt->bind_int(1, zone_id);
        if (status) {
            status = rr_stmt->bind_blob(2, rr.owner);
        }
        if (status) {
            status = rr_stmt->bind_int(3, rr.type);
        }
        if (status) {
            status = rr_stmt->bind_int(4, rr.rclass);
        }
        if (status) {
            status = rr_stmt->bind_int(5, rr.ttl);
        }
        if (status) {
            status = rr_stmt->bind_blob(6, rr.rdata);
        }
        if (status) {
            status = rr_stmt->run();
        }
        if (!status) {
            return status.error();
        }
        rr_stmt->reset();
    }
    return zone_id;
}

Status update_zone_serial(sqlite3* db, int64_t zone_id, uint32_t serial) {
    auto stmt = Statement::prepare(db, "UPDATE zones SET serial = ?1, updated = ?2 WHERE id = ?3",
                                   "update zone serial");
    if (!stmt) {
        return stmt.error();
    }
    Status status = stmt->bind_int(1, serial);
    if (status) {
        status = stmt->bind_int(2, static_cast<int64_t>(std::time(nullptr)));
    }
    if (status) {
        status = stmt->bind_int(3, zone_id);
    }
    if (status) {
        status = stmt->run();
    }
    return status;
}

Status check_records_for_zone(std::string_view apex, const std::vector<Record>& records,
                              std::string_view operation) {
    const std::string zone_text = dns::name_to_text(apex);
    for (const Record& rr : records) {
        const auto* data = reinterpret_cast<const uint8_t*>(rr.owner.data());
        if (dns::name_wire_length(data, rr.owner.size()) != rr.owner.size()) {
            return Error{std::string(operation) + ": malformed owner name in a record of zone " +
                         zone_text};
        }
        const std::string owner_text = dns::name_to_text(rr.owner);
        if (rr.owner != dns::name_lowered(rr.owner)) {
            return Error{std::string(operation) + ": owner " + owner_text + " is not lowercased"};
        }
        if (!dns::name_is_subdomain(rr.owner, apex)) {
            return Error{std::string(operation) + ": " + owner_text + " is outside zone " +
                         zone_text};
        }
        if (rr.rclass != dns::rrclass::IN) {
            return Error{std::string(operation) + ": " + owner_text + " has class " +
                         std::to_string(rr.rclass) + ", only IN is stored"};
        }
        if (rr.type == dns::rrtype::SOA && !dns::name_equal(rr.owner, apex)) {
            return Error{std::string(operation) + ": SOA at " + owner_text +
                         " is not at the apex of zone " + zone_text};
        }
    }
    return Status::success();
}

}  // namespace tidal::store
