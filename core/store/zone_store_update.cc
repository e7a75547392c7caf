// ZoneStore::update_zone: read the zone, decide, apply through the one write path, all in one
// write transaction (the compare-and-set that RFC 2136 prerequisites need).
#include <string>

#include "core/dns/name.h"
#include "core/store/change_applier.h"
#include "core/store/sqlite_util.h"
#include "core/store/zone_rows.h"
#include "core/store/zone_store.h"

namespace tidal::store {

namespace {

// Reads RRs of one zone by owner with a statement prepared once per update.
class TransactionReader : public ZoneReader {
  public:
    TransactionReader(ZoneInfo zone, Statement by_owner)
        : zone_(std::move(zone)), by_owner_(std::move(by_owner)) {}

    const ZoneInfo& zone() const override { return zone_; }

    Result<std::vector<Record>> records_at(std::string_view owner) override {
        by_owner_.reset();
        Status status = by_owner_.bind_int(1, zone_.id);
        if (status) {
            status = by_owner_.bind_blob(2, owner);
        }
        if (!status) {
            return status.error();
        }
        std::vector<Record> records;
        status = by_owner_.for_each_row([&] {
            Record rr;
            rr.owner = std::string(owner);
            rr.type = static_cast<uint16_t>(by_owner_.column_int(0));
            rr.rclass = static_cast<uint16_t>(by_owner_.column_int(1));
            rr.ttl = static_cast<uint32_t>(by_owner_.column_int(2));
            rr.rdata = by_owner_.column_blob(3);
            records.push_back(std::move(rr));
        });
        by_owner_.reset();
        if (!status) {
            return status.error();
        }
        return records;
    }

  private:
    ZoneInfo zone_;
    Statement by_owner_;
};

}  // namespace

Result<UpdateOutcome> ZoneStore::update_zone(std::string_view apex, const UpdateDecider& decide) {
    const std::string name = dns::name_lowered(apex);
    const std::string operation = "update zone " + dns::name_to_text(name);
    if (Status writable = require_writable(operation); !writable) {
        return writable.error();
    }
    auto txn = Transaction::begin(db_, Transaction::Kind::Write, operation);
    if (!txn) {
        return txn.error();
    }
    auto zone = select_zone(db_, name);
    if (!zone) {
        return zone.error();
    }
    UpdateOutcome outcome;
    if (!zone.value()) {
        return outcome;  // zone_found false; the transaction wrote nothing
    }
    outcome.zone_found = true;
    outcome.serial_before = zone.value()->serial;
    outcome.serial_after = outcome.serial_before;

    // The records_by_rr index serves this lookup: (zone_id, owner) is its prefix.
    auto by_owner = Statement::prepare(db_,
                                       "SELECT type, class, ttl, rdata FROM records "
                                       "WHERE zone_id = ?1 AND owner = ?2 ORDER BY type, rdata",
                                       operation + ": read records by owner");
    if (!by_owner) {
        return by_owner.error();
    }
    TransactionReader reader(*zone.value(), std::move(by_owner.value()));
    auto decided = decide(reader);
    if (!decided) {
        return decided.error();
    }
    if (!decided.value()) {
        return outcome;  // refused by decide: nothing written, the transaction rolls back
    }
    ZoneChange& change = *decided.value();
    change.zone = name;
    auto serial = apply_change_in_transaction(db_, *zone.value(), change);
    if (!serial) {
        return serial.error();
    }
    if (Status committed = txn->commit(); !committed) {
        return committed.error();
    }
    outcome.serial_after = serial.value();
    outcome.applied = outcome.serial_after != outcome.serial_before;
    return outcome;
}

}  // namespace tidal::store
