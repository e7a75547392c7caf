// Compiles store records into a ZoneSnapshot: nodes (with empty non-terminals), cuts, wildcards,
// wire rdata in one arena, and the targets used for additional-section processing.
#include "core/snapshot/zone_compiler.h"

#include <algorithm>
#include <span>
#include <tuple>

#include "core/dns/name.h"
#include "core/snapshot/zone_builder.h"

namespace tidal::snapshot {

Result<std::shared_ptr<const ZoneSnapshot>> compile_zone(const store::ZoneContents& contents) {
    const std::string& apex = contents.info.name;
    std::vector<const Record*> records;
    records.reserve(contents.records.size());
    for (const Record& record : contents.records) {
        // The store keeps only in-zone records; anything else is ignored, never served.
        if (dns::name_is_subdomain(record.owner, apex)) {
            records.push_back(&record);
        }
    }
    auto by_owner_type = [](const Record* a, const Record* b) {
        return std::tie(a->owner, a->type, a->rdata) < std::tie(b->owner, b->type, b->rdata);
    };
    if (!std::is_sorted(records.begin(), records.end(), by_owner_type)) {
        std::sort(records.begin(), records.end(), by_owner_type);
    }

    ZoneBuilder builder(apex, contents.info.serial, contents.info.id);
    builder.ensure_node(apex);  // node 0
    for (size_t i = 0; i < records.size();) {
        size_t end = i;
        while (end < records.size() && records[end]->owner == records[i]->owner) {
            ++end;
        }
        auto placed = builder.set_records(
            records[i]->owner, std::span<const Record* const>(records.data() + i, end - i));
        if (!placed) {
            return placed.error();
        }
        i = end;
    }
    builder.link_cuts();
    const size_t count = builder.snapshot().node_count();
    for (uint32_t i = 0; i < count; ++i) {
        builder.resolve_targets(i);
    }
    return builder.finish();
}

std::shared_ptr<const ZoneSnapshot> unloaded_zone(std::string apex) {
    return std::make_shared<const ZoneSnapshot>(std::move(apex), 0, false);
}

}  // namespace tidal::snapshot
