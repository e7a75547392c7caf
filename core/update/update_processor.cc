// apply_update: ZoneStore::update_zone with a decision made of RFC 2136 §3.2 and §3.4.
#include "core/update/update_processor.h"

#include <optional>

#include "core/dns/constants.h"
#include "core/update/update_semantics.h"

namespace tidal::update {

Result<UpdateResult> apply_update(store::ZoneStore& store, const UpdateMessage& message,
                                  zone::SerialPolicy policy) {
    UpdateResult result;
    auto decide = [&](store::ZoneReader& reader) -> Result<std::optional<store::ZoneChange>> {
        auto verdict = check_prerequisites(message, reader);
        if (!verdict) {
            return verdict.error();
        }
        if (verdict->rcode != dns::rcode::NOERROR) {
            result.rcode = verdict->rcode;
            result.why = std::move(verdict->why);
            return std::optional<store::ZoneChange>();
        }
        auto plan = plan_update(message, reader);
        if (!plan) {
            return plan.error();
        }
        result.ignored = plan->ignored;
        result.removed = plan->change.remove.size();
        result.added = plan->change.add.size();
        if (plan->change.remove.empty() && plan->change.add.empty()) {
            return std::optional<store::ZoneChange>();  // nothing to change, nothing to bump
        }
        plan->change.serial_policy = policy;
        return std::optional<store::ZoneChange>(std::move(plan->change));
    };
    auto outcome = store.update_zone(message.zone, decide);
    if (!outcome) {
        return outcome.error();
    }
    if (!outcome->zone_found) {
        result.rcode = dns::rcode::SERVFAIL;
        result.why = "the zone has no data here";
        return result;
    }
    result.applied = outcome->applied;
    result.serial = outcome->serial_after;
    if (!result.applied) {
        result.removed = 0;
        result.added = 0;
    }
    return result;
}

}  // namespace tidal::update
