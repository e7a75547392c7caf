// ZoneSetPublisher: a mutex-guarded pointer plus a generation counter readers poll without locking.
#include "core/snapshot/zone_set_publisher.h"

#include "core/snapshot/zone_set.h"

namespace tidal::snapshot {

ZoneSetPublisher::ZoneSetPublisher() : current_(std::make_shared<const ZoneSet>()) {}

void ZoneSetPublisher::publish(std::shared_ptr<const ZoneSet> zones) {
    {
        std::lock_guard lock(mutex_);
        current_ = std::move(zones);
    }
    generation_.fetch_add(1, std::memory_order_acq_rel);
}

std::shared_ptr<const ZoneSet> ZoneSetPublisher::current() const {
    std::lock_guard lock(mutex_);
    return current_;
}

}  // namespace tidal::snapshot
