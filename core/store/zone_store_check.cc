// ZoneStore::check: SQLite's own integrity checks plus Tidal's invariants, for `tidalctl db check`.
#include <sqlite3.h>

#include <string>

#include "core/dns/name.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_store.h"
#include "core/zone/soa_rdata.h"

namespace tidal::store {

namespace {

// Every row of a one-column text query, as lines.
Status collect(sqlite3* db, const char* sql, const std::string& what,
               std::vector<std::string>& out) {
    auto stmt = Statement::prepare(db, sql, what);
    if (!stmt) {
        return stmt.error();
    }
    return stmt->for_each_row([&] { out.push_back(what + ": " + stmt->column_text(0)); });
}

}  // namespace

Result<std::vector<std::string>> ZoneStore::check() {
    std::vector<std::string> problems;
    auto txn = Transaction::begin(db_, Transaction::Kind::Read, "check the database");
    if (!txn) {
        return txn.error();
    }
    // SQLite's page-level check: "ok", or one line per problem (a corrupt file).
    std::vector<std::string> integrity;
    if (Status status = collect(db_, "PRAGMA integrity_check", "integrity_check", integrity);
        !status) {
        return status.error();
    }
    if (!(integrity.size() == 1 && integrity.front() == "integrity_check: ok")) {
        problems.insert(problems.end(), integrity.begin(), integrity.end());
    }
    if (Status status = collect(db_,
                                "SELECT \"table \" || \"table\" || \" row \" || rowid || "
                                "\" refers to a missing \" || parent FROM pragma_foreign_key_check",
                                "foreign_key_check", problems);
        !status) {
        return status.error();
    }
    // Tidal's invariants: each zone has exactly one SOA, at its apex, whose serial is the zone's.
    auto zones = list_zones();
    if (!zones) {
        return zones.error();
    }
    for (const ZoneInfo& zone : zones.value()) {
        const std::string name = dns::name_to_text(zone.name);
        auto stmt = Statement::prepare(
            db_, "SELECT owner, rdata FROM records WHERE zone_id = ?1 AND type = 6", "read SOAs");
        if (!stmt) {
            return stmt.error();
        }
        if (Status bound = stmt->bind_int(1, zone.id); !bound) {
            return bound.error();
        }
        int count = 0;
        Status rows = stmt->for_each_row([&] {
            ++count;
            if (stmt->column_blob(0) != zone.name) {
                problems.push_back("zone " + name + ": an SOA below the apex");
            }
            const auto serial = zone::soa_serial(stmt->column_blob(1));
            if (!serial || *serial != zone.serial) {
                problems.push_back("zone " + name + ": the SOA serial does not match the zone's (" +
                                   std::to_string(zone.serial) + ")");
            }
        });
        if (!rows) {
            return rows.error();
        }
        if (count != 1) {
            problems.push_back("zone " + name + ": " + std::to_string(count) +
                               " SOA records (exactly one expected)");
        }
        // The journal must still lead to the current serial from its oldest entry.
        auto usage = journal_usage(zone.name);
        if (usage && usage->oldest_serial) {
            auto chain = read_journal(zone.name, *usage->oldest_serial);
            if (!chain || !chain.value()) {
                problems.push_back("zone " + name + ": the journal does not chain from serial " +
                                   std::to_string(*usage->oldest_serial) + " to " +
                                   std::to_string(zone.serial));
            }
        }
    }
    return problems;
}

}  // namespace tidal::store
