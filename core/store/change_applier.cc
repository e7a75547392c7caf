// The one write path's body: delete, insert, bump the SOA serial (RFC 1982), journal the diff.
#include "core/store/change_applier.h"

#include <spdlog/spdlog.h>

#include <ctime>
#include <optional>
#include <string>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/journal.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_rows.h"
#include "core/zone/rr_text.h"
#include "core/zone/serial_arith.h"
#include "core/zone/serial_policy.h"
#include "core/zone/soa_rdata.h"

namespace tidal::store {

namespace {

using zone::serial_gt;
using zone::set_soa_serial;
using zone::soa_serial;

// The prepared statements one change needs, compiled once per change.
struct ChangeStatements {
    Statement remove;   // DELETE ... RETURNING the stored class and TTL
    Statement lookup;   // the stored TTL of one RR
    Statement insert;   // a new RR
    Statement set_ttl;  // a stored RR's new TTL
    Statement set_soa;  // the SOA row's new rdata and TTL

    static Result<ChangeStatements> prepare(sqlite3* db) {
        ChangeStatements s;
        struct Item {
            Statement* target;
            const char* sql;
            const char* operation;
        };
        const Item items[] = {
            {&s.remove,
             "DELETE FROM records WHERE zone_id = ?1 AND owner = ?2 AND type = ?3 AND rdata = ?4 "
             "RETURNING class, ttl",
             "delete record"},
            {&s.lookup,
             "SELECT ttl FROM records WHERE zone_id = ?1 AND owner = ?2 AND type = ?3 AND "
             "rdata = ?4",
             "look up record"},
            {&s.insert,
             "INSERT INTO records (zone_id, owner, type, rdata, ttl, class) "
             "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
             "insert record"},
            {&s.set_ttl,
             "UPDATE records SET ttl = ?5 WHERE zone_id = ?1 AND owner = ?2 AND type = ?3 AND "
             "rdata = ?4",
             "update record TTL"},
            {&s.set_soa,
             "UPDATE records SET rdata = ?4, ttl = ?5 WHERE zone_id = ?1 AND owner = ?2 AND "
             "type = ?3",
             "update SOA"},
        };
        for (const Item& item : items) {
            auto stmt = Statement::prepare(db, item.sql, item.operation);
            if (!stmt) {
                return stmt.error();
            }
            *item.target = std::move(stmt.value());
        }
        return s;
    }
};

// Binds ?1 zone id, ?2 owner, ?3 type, ?4 rdata (and ?5 ttl, ?6 class when asked).
Status bind_rr(Statement& stmt, int64_t zone_id, const Record& rr, bool with_ttl, bool with_class) {
    Status status = stmt.bind_int(1, zone_id);
    if (status) {
        status = stmt.bind_blob(2, rr.owner);
    }
    if (status) {
        status = stmt.bind_int(3, rr.type);
    }
    if (status) {
        status = stmt.bind_blob(4, rr.rdata);
    }
    if (status && with_ttl) {
        status = stmt.bind_int(5, rr.ttl);
    }
    if (status && with_class) {
        status = stmt.bind_int(6, rr.rclass);
    }
    return status;
}

// The SOA rdata with its serial replaced, for comparisons that ignore the serial.
std::string without_serial(std::string rdata) {
    set_soa_serial(rdata, 0);
    return rdata;
}

// Deletes the RRs of remove that exist; records what was deleted, with its stored TTL. With
// must_exist set (a secondary applying its primary's difference), a missing RR is an Error
// that starts with must_exist.
Status apply_removals(ChangeStatements& s, int64_t zone_id, const std::vector<Record>& remove,
                      std::vector<Record>& removed, std::string_view must_exist = {}) {
    for (const Record& rr : remove) {
        if (rr.type == dns::rrtype::SOA) {
            continue;  // the SOA is replaced, never deleted (RFC 2136 §3.4.2.3 does the same)
        }
        Status status = bind_rr(s.remove, zone_id, rr, false, false);
        if (!status) {
            return status;
        }
        auto row = s.remove.step();
        if (!row) {
            return row.error();
        }
        if (row.value()) {
            Record gone = rr;
            gone.rclass = static_cast<uint16_t>(s.remove.column_int(0));
            gone.ttl = static_cast<uint32_t>(s.remove.column_int(1));
            status = s.remove.run();  // finish the statement
            if (!status) {
                return status;
            }
            removed.push_back(std::move(gone));
        } else if (!must_exist.empty()) {
            return Error{std::string(must_exist) + ": " + zone::record_to_text(rr) +
                         " is not in the zone"};
        }
        s.remove.reset();
    }
    return Status::success();
}

// Inserts the RRs of change.add (except the SOA); an RR stored with another TTL gets the new one
// (journaled as removed with the old TTL and added with the new one).
Status apply_additions(ChangeStatements& s, int64_t zone_id, const std::vector<Record>& add,
                       std::vector<Record>& removed, std::vector<Record>& added) {
    for (const Record& rr : add) {
        if (rr.type == dns::rrtype::SOA) {
            continue;
        }
        Status status = bind_rr(s.lookup, zone_id, rr, false, false);
        if (!status) {
            return status;
        }
        auto row = s.lookup.step();
        if (!row) {
            return row.error();
        }
        // A plain flag and value: GCC 12 at -O3 warns (falsely) on std::optional here.
        const bool stored = row.value();
        const uint32_t stored_ttl = stored ? static_cast<uint32_t>(s.lookup.column_int(0)) : 0;
        s.lookup.reset();
        if (stored && stored_ttl == rr.ttl) {
            continue;  // exact duplicate
        }
        Statement& write = stored ? s.set_ttl : s.insert;
        status = bind_rr(write, zone_id, rr, true, !stored);
        if (status) {
            status = write.run();
        }
        if (!status) {
            return status;
        }
        write.reset();
        if (stored) {
            Record old = rr;
            old.ttl = stored_ttl;
            removed.push_back(std::move(old));
        }
        added.push_back(rr);
    }
    return Status::success();
}

// The SOA given in the change, if any; Error when there is more than one.
Result<const Record*> soa_in(const ZoneChange& change) {
    const Record* found = nullptr;
    for (const Record& rr : change.add) {
        if (rr.type == dns::rrtype::SOA) {
            if (found != nullptr) {
                return Error{"change to zone " + dns::name_to_text(change.zone) +
                             " adds more than one SOA"};
            }
            if (!soa_serial(rr.rdata)) {
                return Error{"change to zone " + dns::name_to_text(change.zone) +
                             " adds a malformed SOA"};
            }
            found = &rr;
        }
    }
    return found;
}

}  // namespace

Result<uint32_t> apply_change_in_transaction(sqlite3* db, const ZoneInfo& zone,
                                             const ZoneChange& change) {
    const std::string zone_text = dns::name_to_text(zone.name);
    const std::string operation = "change to zone " + zone_text;
    Status status = check_records_for_zone(zone.name, change.remove, operation);
    if (status) {
        status = check_records_for_zone(zone.name, change.add, operation);
    }
    if (!status) {
        return status.error();
    }
    auto given_soa = soa_in(change);
    if (!given_soa) {
        return given_soa.error();
    }
    auto old_soa = select_soa(db, zone);
    if (!old_soa) {
        return old_soa.error();
    }
    const auto old_serial = soa_serial(old_soa->rdata);
    if (!old_serial) {
        return Error{"zone " + zone_text + ": the stored SOA is malformed"};
    }

    auto statements = ChangeStatements::prepare(db);
    if (!statements) {
        return statements.error();
    }
    std::vector<Record> removed;
    std::vector<Record> added;
    status = apply_removals(statements.value(), zone.id, change.remove, removed);
    if (status) {
        status = apply_additions(statements.value(), zone.id, change.add, removed, added);
    }
    if (!status) {
        return status.error();
    }

    // The new SOA: the one given, or the stored one; then the serial (RFC 1982 §3.1, §3.2).
    Record new_soa = given_soa.value() != nullptr ? *given_soa.value() : old_soa.value();
    const uint32_t wanted = *soa_serial(new_soa.rdata);
    const bool soa_content_changed =
        new_soa.ttl != old_soa->ttl ||
        without_serial(new_soa.rdata) != without_serial(old_soa->rdata);
    const bool serial_raised = given_soa.value() != nullptr && serial_gt(wanted, *old_serial);
    if (removed.empty() && added.empty() && !soa_content_changed && !serial_raised) {
        return *old_serial;  // nothing to do; the caller's commit writes nothing
    }
    uint32_t new_serial = wanted;
    if (!serial_raised) {
        new_serial = zone::next_serial(*old_serial, change.serial_policy, std::time(nullptr));
        if (given_soa.value() != nullptr) {
            spdlog::warn("zone {}: serial {} is not greater than the stored serial {}; using {}",
                         zone_text, wanted, *old_serial, new_serial);
        }
    }
    set_soa_serial(new_soa.rdata, new_serial);
    new_soa.owner = zone.name;

    status = bind_rr(statements->set_soa, zone.id, new_soa, true, false);
    if (status) {
        status = statements->set_soa.run();
    }
    if (status) {
        status = update_zone_serial(db, zone.id, new_serial);
    }
    if (!status) {
        return status.error();
    }

    JournalEntry entry;
    entry.serial_from = *old_serial;
    entry.serial_to = new_serial;
    entry.time = static_cast<int64_t>(std::time(nullptr));
    entry.removed.reserve(removed.size() + 1);
    entry.removed.push_back(old_soa.value());
    entry.removed.insert(entry.removed.end(), removed.begin(), removed.end());
    entry.added.reserve(added.size() + 1);
    entry.added.push_back(new_soa);
    entry.added.insert(entry.added.end(), added.begin(), added.end());
    status = insert_journal_entry(db, zone.id, entry);
    if (!status) {
        return status.error();
    }
    return new_serial;
}

Result<ExactChange> apply_exact_in_transaction(sqlite3* db, const ZoneInfo& zone,
                                               const std::vector<Record>& remove,
                                               const std::vector<Record>& add,
                                               const Record& new_soa, bool removals_must_exist) {
    const std::string zone_text = dns::name_to_text(zone.name);
    const std::string operation = "transfer into zone " + zone_text;
    Status status = check_records_for_zone(zone.name, remove, operation);
    if (status) {
        status = check_records_for_zone(zone.name, add, operation);
    }
    if (status) {
        status = check_records_for_zone(zone.name, {new_soa}, operation);
    }
    if (!status) {
        return status.error();
    }
    const auto new_serial = soa_serial(new_soa.rdata);
    if (new_soa.type != dns::rrtype::SOA || !new_serial) {
        return Error{operation + ": the new SOA is malformed"};
    }
    auto old_soa = select_soa(db, zone);
    if (!old_soa) {
        return old_soa.error();
    }
    const auto old_serial = soa_serial(old_soa->rdata);
    if (!old_serial) {
        return Error{"zone " + zone_text + ": the stored SOA is malformed"};
    }
    auto statements = ChangeStatements::prepare(db);
    if (!statements) {
        return statements.error();
    }
    ExactChange change;
    change.old_soa = std::move(old_soa.value());
    change.old_serial = *old_serial;
    status = apply_removals(statements.value(), zone.id, remove, change.removed,
                            removals_must_exist ? "RR to remove" : std::string_view());
    if (status) {
        status = apply_additions(statements.value(), zone.id, add, change.removed, change.added);
    }
    if (status) {
        // The primary's SOA as it is, serial included (RFC 1995 §4, RFC 5936 §2.2).
        status = bind_rr(statements->set_soa, zone.id, new_soa, true, false);
    }
    if (status) {
        status = statements->set_soa.run();
    }
    if (status) {
        status = update_zone_serial(db, zone.id, *new_serial);
    }
    if (!status) {
        return status.error();
    }
    return change;
}

}  // namespace tidal::store
