// ZoneStore::apply_checked_change and ZoneStore::apply_edits: the zone rules and RFC 2136
// prerequisites checked inside the write transaction that applies the change.
#include <optional>
#include <string>
#include <vector>

#include "core/dns/constants.h"
#include "core/store/zone_store.h"
#include "core/zone/change_checks.h"

namespace tidal::store {

namespace {

// The RRs stored at names, read through the update's transaction.
Result<std::vector<Record>> records_at_names(ZoneReader& reader,
                                             const std::vector<std::string>& names) {
    std::vector<Record> records;
    for (const std::string& name : names) {
        auto at = reader.records_at(name);
        if (!at) {
            return at.error();
        }
        records.insert(records.end(), std::make_move_iterator(at->begin()),
                       std::make_move_iterator(at->end()));
    }
    return records;
}

}  // namespace

Result<CheckedOutcome> ZoneStore::apply_checked_change(const ZoneChange& change) {
    CheckedOutcome outcome;
    auto update =
        update_zone(change.zone, [&](ZoneReader& reader) -> Result<std::optional<ZoneChange>> {
            auto current = records_at_names(reader, zone::names_touched(change));
            if (!current) {
                return current.error();
            }
            ZoneChange checked = change;
            checked.zone = reader.zone().name;
            Status status = zone::check_change(checked, current.value());
            if (!status) {
                outcome.rejection = zone::Rejection{zone::Rejection::Kind::Invalid,
                                                    dns::rcode::REFUSED, status.message()};
                return std::optional<ZoneChange>();
            }
            return std::optional<ZoneChange>(std::move(checked));
        });
    if (!update) {
        return update.error();
    }
    outcome.update = update.value();
    return outcome;
}

Result<CheckedOutcome> ZoneStore::apply_edits(const zone::EditScript& script,
                                              zone::SerialPolicy policy) {
    CheckedOutcome outcome;
    auto update =
        update_zone(script.zone, [&](ZoneReader& reader) -> Result<std::optional<ZoneChange>> {
            auto current = records_at_names(reader, zone::names_touched(script));
            if (!current) {
                return current.error();
            }
            zone::EditDecision decision = zone::decide_edits(script, current.value());
            if (decision.rejection) {
                outcome.rejection = std::move(decision.rejection);
                return std::optional<ZoneChange>();
            }
            decision.change.zone = reader.zone().name;
            decision.change.serial_policy = policy;
            return std::optional<ZoneChange>(std::move(decision.change));
        });
    if (!update) {
        return update.error();
    }
    outcome.update = update.value();
    return outcome;
}

}  // namespace tidal::store
