// ZoneStore's secondary writes: a zone received by AXFR or IXFR stored with the primary's exact
// serials, the difference journaled so this host can serve IXFR onward.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <ctime>
#include <string>
#include <tuple>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/store/change_applier.h"
#include "core/store/journal.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_rows.h"
#include "core/store/zone_store.h"
#include "core/zone/serial_arith.h"
#include "core/zone/soa_rdata.h"

namespace tidal::store {

namespace {

bool identity_less(const Record& a, const Record& b) {
    return std::tie(a.owner, a.type, a.rdata) < std::tie(b.owner, b.type, b.rdata);
}

// The one SOA of records (at the apex: check_records_for_zone ensured it); Error otherwise.
Result<const Record*> single_soa(std::string_view apex, const std::vector<Record>& records) {
    const Record* soa = nullptr;
    for (const Record& rr : records) {
        if (rr.type != dns::rrtype::SOA) {
            continue;
        }
        if (soa != nullptr && !same_rr(*soa, rr)) {
            return Error{"zone " + dns::name_to_text(apex) + " has more than one SOA record"};
        }
        if (soa == nullptr) {
            soa = &rr;
        }
    }
    if (soa == nullptr) {
        return Error{"zone " + dns::name_to_text(apex) + " has no SOA record"};
    }
    if (!zone::soa_serial(soa->rdata)) {
        return Error{"zone " + dns::name_to_text(apex) + ": malformed SOA rdata"};
    }
    return soa;
}

// Sorts records by identity (owner, type, rdata: the order of the records_by_rr index and of
// select_records) and drops repeated RRs, keeping the first one's TTL as insert_zone's INSERT OR
// IGNORE would. Inserting in index order also keeps SQLite's B-tree writes sequential, which
// matters for zones of millions of records.
void sort_unique(std::vector<Record>& records) {
    std::stable_sort(records.begin(), records.end(), identity_less);
    records.erase(std::unique(records.begin(), records.end(),
                              [](const Record& a, const Record& b) { return same_rr(a, b); }),
                  records.end());
}

// What turns stored into wanted (both sorted by identity), by one merge of the two lists; the
// SOA is left out (it is replaced separately): RRs to remove, and RRs to add (new ones, and stored
// ones whose TTL differs, which apply_exact_in_transaction updates in place).
void difference(const std::vector<Record>& stored, const std::vector<Record>& wanted,
                std::vector<Record>& remove, std::vector<Record>& add) {
    size_t i = 0;
    size_t j = 0;
    while (i < stored.size() || j < wanted.size()) {
        if (j == wanted.size() || (i < stored.size() && identity_less(stored[i], wanted[j]))) {
            if (stored[i].type != dns::rrtype::SOA) {
                remove.push_back(stored[i]);
            }
            ++i;
        } else if (i == stored.size() || identity_less(wanted[j], stored[i])) {
            if (wanted[j].type != dns::rrtype::SOA) {
                add.push_back(wanted[j]);
            }
            ++j;
        } else {
            if (wanted[j].type != dns::rrtype::SOA && wanted[j].ttl != stored[i].ttl) {
                add.push_back(wanted[j]);
            }
            ++i;
            ++j;
        }
    }
}

// Checks the shape of one IXFR difference (RFC 1995 §4) before anything is applied.
Status check_difference(const JournalEntry& diff, const std::string& where) {
    if (diff.removed.empty() || diff.removed.front().type != dns::rrtype::SOA ||
        diff.added.empty() || diff.added.front().type != dns::rrtype::SOA) {
        return Error{where + ": does not start its removed and added parts with an SOA"};
    }
    const auto from = zone::soa_serial(diff.removed.front().rdata);
    const auto to = zone::soa_serial(diff.added.front().rdata);
    if (!from || !to) {
        return Error{where + ": malformed SOA"};
    }
    if (*from != diff.serial_from || *to != diff.serial_to) {
        return Error{where + ": its SOAs carry serials " + std::to_string(*from) + " -> " +
                     std::to_string(*to)};
    }
    if (!zone::serial_gt(diff.serial_to, diff.serial_from)) {
        return Error{where + ": the serial does not increase"};
    }
    for (size_t k = 1; k < diff.removed.size(); ++k) {
        if (diff.removed[k].type == dns::rrtype::SOA) {
            return Error{where + ": a second SOA among the removed RRs"};
        }
    }
    for (size_t k = 1; k < diff.added.size(); ++k) {
        if (diff.added[k].type == dns::rrtype::SOA) {
            return Error{where + ": a second SOA among the added RRs"};
        }
    }
    return Status::success();
}

// Saves the replication state that goes with a transfer (when given) in its transaction, then
// commits: data and state reach tidald in one commit.
Status commit_transfer(ZoneStore& store, Transaction& txn, const SyncState* state) {
    Status status = state != nullptr ? store.save_sync_state(*state) : Status::success();
    return status ? txn.commit() : status;
}

}  // namespace

Result<uint32_t> ZoneStore::apply_axfr(std::string_view apex, std::vector<Record> records,
                                       const SyncState* state) {
    const std::string name = dns::name_lowered(apex);
    const std::string zone_text = dns::name_to_text(name);
    const std::string operation = "store transferred zone " + zone_text;
    Status status = require_writable(operation);
    if (status) {
        status = check_records_for_zone(name, records, operation);
    }
    if (!status) {
        return status.error();
    }
    auto soa = single_soa(name, records);
    if (!soa) {
        return soa.error();
    }
    const Record new_soa = *soa.value();
    const uint32_t new_serial = *zone::soa_serial(new_soa.rdata);
    sort_unique(records);

    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = select_zone(db_, name);
    if (!zone) {
        return zone.error();
    }
    if (!zone.value()) {
        auto id = insert_zone(db_, name, new_serial, records);
        if (!id) {
            return id.error();
        }
    } else {
        auto stored = select_records(db_, zone.value()->id);
        if (!stored) {
            return stored.error();
        }
        std::vector<Record> remove;
        std::vector<Record> add;
        difference(stored.value(), records, remove, add);
        stored.value().clear();
        auto old_soa = select_soa(db_, *zone.value());
        if (!old_soa) {
            return old_soa.error();
        }
        if (remove.empty() && add.empty() && old_soa.value() == new_soa) {
            if (state == nullptr) {
                return new_serial;  // nothing differs; the transaction writes nothing
            }
            status = commit_transfer(*this, *txn, state);  // the replication state alone
            if (!status) {
                return status.error();
            }
            return new_serial;
        }
        auto applied = apply_exact_in_transaction(db_, *zone.value(), remove, add, new_soa, false);
        if (!applied) {
            return applied.error();
        }
        if (zone::serial_gt(new_serial, applied->old_serial)) {
            JournalEntry entry;
            entry.serial_from = applied->old_serial;
            entry.serial_to = new_serial;
            entry.time = static_cast<int64_t>(std::time(nullptr));
            entry.removed.reserve(applied->removed.size() + 1);
            entry.removed.push_back(std::move(applied->old_soa));
            std::move(applied->removed.begin(), applied->removed.end(),
                      std::back_inserter(entry.removed));
            entry.added.reserve(applied->added.size() + 1);
            entry.added.push_back(new_soa);
            std::move(applied->added.begin(), applied->added.end(),
                      std::back_inserter(entry.added));
            status = insert_journal_entry(db_, zone.value()->id, entry);
        } else {
            // A downstream secondary at any journaled serial would get a difference that does
            // not lead to what we now hold: it must get the whole zone (RFC 1995 §4, AXFR-style).
            spdlog::warn(
                "zone {}: the transferred serial {} is not greater than the stored serial {}; "
                "storing it as received and clearing the zone's IXFR journal",
                zone_text, new_serial, applied->old_serial);
            auto cleared = delete_journal(db_, zone.value()->id);
            if (!cleared) {
                status = cleared.error();
            }
        }
        if (!status) {
            return status.error();
        }
    }
    status = commit_transfer(*this, *txn, state);
    if (!status) {
        return status.error();
    }
    return new_serial;
}

Result<uint32_t> ZoneStore::apply_ixfr(std::string_view apex,
                                       const std::vector<JournalEntry>& differences,
                                       const SyncState* state) {
    const std::string name = dns::name_lowered(apex);
    const std::string zone_text = dns::name_to_text(name);
    const std::string operation = "apply IXFR to zone " + zone_text;
    Status status = require_writable(operation);
    if (!status) {
        return status.error();
    }
    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = select_zone(db_, name);
    if (!zone) {
        return zone.error();
    }
    if (!zone.value()) {
        return Error{operation + ": zone " + zone_text + " is not stored here"};
    }
    uint32_t current = zone.value()->serial;
    for (size_t i = 0; i < differences.size(); ++i) {
        const JournalEntry& diff = differences[i];
        const std::string where = operation + ": difference " + std::to_string(i + 1) + " of " +
                                  std::to_string(differences.size()) + " (serial " +
                                  std::to_string(diff.serial_from) + " -> " +
                                  std::to_string(diff.serial_to) + ")";
        status = check_difference(diff, where);
        if (!status) {
            return status.error();
        }
        if (diff.serial_from != current) {
            return Error{where + ": the zone is at serial " + std::to_string(current)};
        }
        // removed[0] and added[0] are the SOAs: apply_exact_in_transaction skips SOA entries.
        auto applied = apply_exact_in_transaction(db_, *zone.value(), diff.removed, diff.added,
                                                  diff.added.front(), true);
        if (!applied) {
            return Error{where + ": " + applied.error().message};
        }
        JournalEntry entry = diff;
        entry.time = static_cast<int64_t>(std::time(nullptr));
        status = insert_journal_entry(db_, zone.value()->id, entry);
        if (!status) {
            return status.error();
        }
        current = diff.serial_to;
    }
    status = commit_transfer(*this, *txn, state);
    if (!status) {
        return status.error();
    }
    return current;
}

}  // namespace tidal::store
