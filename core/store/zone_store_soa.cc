// ZoneStore::soa: the SOA alone, without reading the zone.
#include "core/dns/name.h"
#include "core/store/zone_rows.h"
#include "core/store/zone_store.h"

namespace tidal::store {

Result<Record> ZoneStore::soa(std::string_view apex) {
    auto zone = select_zone(db_, apex);
    if (!zone) {
        return zone.error();
    }
    if (!zone.value()) {
        return Error{"zone " + dns::name_to_text(apex) + " is not in the database"};
    }
    return select_soa(db_, *zone.value());
}

}  // namespace tidal::store
