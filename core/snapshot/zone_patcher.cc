// patch_zone: replays the changed names of a ZoneDelta onto a copy of the published snapshot.
#include "core/snapshot/zone_patcher.h"

#include <algorithm>
#include <span>
#include <string_view>
#include <vector>

#include "core/dns/name.h"
#include "core/snapshot/zone_builder.h"

namespace tidal::snapshot {

namespace {

struct ChangedName {
    std::string_view owner;
    size_t labels = 0;
    std::span<const Record* const> records;  // what is stored at owner now; empty: nothing
};

// Whether the arena has grown enough past its compiled size (new blocks, replaced data left
// behind) that a fresh compile should reclaim it. Compiling costs in proportion to the zone, so
// it must stay rare: the allowance grows with the zone.
bool needs_compaction(const ZoneSnapshot& base) {
    return base.arena_bytes() > 2 * base.compiled_arena_bytes() + (size_t(4) << 20);
}

}  // namespace

std::optional<std::shared_ptr<const ZoneSnapshot>> patch_zone(const ZoneSnapshot& base,
                                                              const store::ZoneDelta& delta) {
    if (!base.loaded() || base.store_id() != delta.info.id) {
        return std::nullopt;
    }
    if (needs_compaction(base)) {
        return std::nullopt;
    }
    std::vector<const Record*> records;
    records.reserve(delta.records.size());
    for (const Record& rr : delta.records) {
        records.push_back(&rr);
    }
    std::vector<ChangedName> changed;
    changed.reserve(delta.owners.size());
    size_t at = 0;
    for (const std::string& owner : delta.owners) {
        if (!dns::name_is_subdomain(owner, base.apex())) {
            continue;  // never stored; never served
        }
        const size_t begin = at;
        while (at < records.size() && records[at]->owner == owner) {
            ++at;
        }
        changed.push_back({owner, dns::name_label_count(owner),
                           std::span<const Record* const>(records.data() + begin, at - begin)});
    }
    if (at != records.size()) {
        return std::nullopt;  // records not grouped as owners lists them: do it the safe way
    }
    // Ancestors before descendants, so a name's delegation point is known before its children's.
    std::stable_sort(
        changed.begin(), changed.end(),
        [](const ChangedName& a, const ChangedName& b) { return a.labels < b.labels; });

    ZoneBuilder builder(base, delta.info.serial);
    std::vector<uint32_t> touched;
    for (const ChangedName& name : changed) {
        const uint32_t existing = builder.snapshot().find_index(name.owner);
        const bool live =
            existing != kNoNode && (builder.snapshot().node(existing).flags & kNodeDead) == 0;
        if (name.records.empty() && !live) {
            continue;
        }
        auto placed = builder.set_records(name.owner, name.records);
        if (!placed || placed.value() == kNoNode || !builder.relink_cut(placed.value())) {
            return std::nullopt;
        }
        if (name.records.empty()) {
            builder.remove_if_empty(placed.value());
        } else {
            touched.push_back(placed.value());
        }
    }
    for (uint32_t index : touched) {
        builder.resolve_targets(index);
    }
    auto finished = builder.finish();
    if (!finished) {
        return std::nullopt;
    }
    return std::move(finished.value());
}

}  // namespace tidal::snapshot
