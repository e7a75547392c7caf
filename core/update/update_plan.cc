// plan_update: RFC 2136 §3.4.2 applied RR by RR to a copy of the touched names, then diffed.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/update/update_semantics.h"
#include "core/zone/rdata_canonical.h"
#include "core/zone/rr_text.h"
#include "core/zone/serial_arith.h"
#include "core/zone/soa_rdata.h"

namespace tidal::update {

namespace {

using Records = std::vector<Record>;

// Types allowed beside a CNAME (RFC 2181 §10.1, RFC 4035 §2.5).
bool cname_compatible(uint16_t type) {
    return type == dns::rrtype::RRSIG || type == dns::rrtype::NSEC;
}

// The names the update touches: their stored RRs and the RRs as the update leaves them.
class WorkingCopy {
  public:
    explicit WorkingCopy(store::ZoneReader& reader) : reader_(reader) {}

    Result<Records*> at(const std::string& owner) {
        auto found = current_.find(owner);
        if (found == current_.end()) {
            auto records = reader_.records_at(owner);
            if (!records) {
                return records.error();
            }
            initial_.emplace(owner, records.value());
            found = current_.emplace(owner, std::move(records.value())).first;
        }
        return &found->second;
    }

    // What turns the stored RRs into the current ones: RRs gone or whose TTL changed are
    // removed/added as the one write path expects (an RR with a new TTL goes in add only).
    void difference(store::ZoneChange& change) const {
        auto identity_less = [](const Record& a, const Record& b) {
            return std::tie(a.type, a.rdata) < std::tie(b.type, b.rdata);
        };
        for (const auto& [owner, now] : current_) {
            Records before = initial_.at(owner);
            Records after = now;
            std::sort(before.begin(), before.end(), identity_less);
            std::sort(after.begin(), after.end(), identity_less);
            size_t i = 0;
            size_t j = 0;
            while (i < before.size() || j < after.size()) {
                if (j == after.size() ||
                    (i < before.size() && identity_less(before[i], after[j]))) {
                    // The store replaces the SOA with the one in add: it is never removed.
                    if (before[i].type != dns::rrtype::SOA) {
                        change.remove.push_back(before[i]);
                    }
                    ++i;
                } else if (i == before.size() || identity_less(after[j], before[i])) {
                    change.add.push_back(after[j++]);
                } else {
                    if (before[i].ttl != after[j].ttl) {
                        change.add.push_back(after[j]);
                    }
                    ++i;
                    ++j;
                }
            }
        }
    }

  private:
    store::ZoneReader& reader_;
    std::map<std::string, Records> initial_;
    std::map<std::string, Records> current_;
};

// Removes the RRs matching pred; returns how many.
template <typename Pred>
size_t remove_if(Records& records, Pred pred) {
    const auto end = std::remove_if(records.begin(), records.end(), pred);
    const auto removed = static_cast<size_t>(records.end() - end);
    records.erase(end, records.end());
    return removed;
}

// §3.4.2.2: add one RR. Returns false when the RFC says to ignore it.
bool add_rr(Records& here, const UpdateRR& rr, const std::string& apex) {
    if (rr.type == dns::rrtype::SOA) {
        // Only the zone's own SOA is replaced, and only by a greater serial (RFC 1982).
        auto soa = std::find_if(here.begin(), here.end(),
                                [](const Record& r) { return r.type == dns::rrtype::SOA; });
        const auto new_serial = zone::soa_serial(rr.rdata);
        if (rr.owner != apex || soa == here.end() || !new_serial ||
            !zone::serial_gt(*new_serial, *zone::soa_serial(soa->rdata))) {
            return false;
        }
        soa->rdata = rr.rdata;
        soa->ttl = rr.ttl;
        return true;
    }
    const bool has_cname = std::any_of(
        here.begin(), here.end(), [](const Record& r) { return r.type == dns::rrtype::CNAME; });
    const bool has_other = std::any_of(here.begin(), here.end(), [](const Record& r) {
        return r.type != dns::rrtype::CNAME && !cname_compatible(r.type);
    });
    if (rr.type == dns::rrtype::CNAME) {
        if (has_other) {
            return false;  // a CNAME cannot join other data
        }
        // A name has one CNAME: the new one replaces it (kept if it is the same).
        remove_if(here, [&](const Record& r) {
            return r.type == dns::rrtype::CNAME &&
                   !zone::same_rdata(dns::rrtype::CNAME, r.rdata, rr.rdata);
        });
    } else if (has_cname && !cname_compatible(rr.type)) {
        return false;  // other data cannot join a CNAME
    }
    auto same = std::find_if(here.begin(), here.end(), [&](const Record& r) {
        return r.type == rr.type && zone::same_rdata(rr.type, r.rdata, rr.rdata);
    });
    if (same == here.end()) {
        Record record;
        record.owner = rr.owner;
        record.type = rr.type;
        record.rclass = dns::rrclass::IN;
        record.ttl = rr.ttl;
        record.rdata = rr.rdata;
        here.push_back(std::move(record));
    } else {
        same->ttl = rr.ttl;
    }
    // One TTL per RRset (RFC 2181 §5.2): the RRset takes the TTL of the RR added last. RRSIGs
    // keep their own TTLs (each follows the RRset it covers).
    if (rr.type != dns::rrtype::RRSIG) {
        for (Record& r : here) {
            if (r.type == rr.type) {
                r.ttl = rr.ttl;
            }
        }
    }
    return true;
}

// §3.4.2.3: delete an RRset (type T) or all RRsets (type ANY) of a name, except the apex
// SOA and NS. Returns false when nothing could be deleted by the rules.
bool delete_rrsets(Records& here, const UpdateRR& rr, const std::string& apex) {
    const bool at_apex = rr.owner == apex;
    if (rr.type == dns::rrtype::ANY) {
        remove_if(here, [&](const Record& r) {
            return !at_apex || (r.type != dns::rrtype::SOA && r.type != dns::rrtype::NS);
        });
        return true;
    }
    if (at_apex && (rr.type == dns::rrtype::SOA || rr.type == dns::rrtype::NS)) {
        return false;
    }
    remove_if(here, [&](const Record& r) { return r.type == rr.type; });
    return true;
}

// §3.4.2.4: delete one RR; never the SOA, never the apex's last NS.
bool delete_rr(Records& here, const UpdateRR& rr, const std::string& apex) {
    if (rr.type == dns::rrtype::SOA) {
        return false;
    }
    auto match = [&](const Record& r) {
        return r.type == rr.type && zone::same_rdata(rr.type, r.rdata, rr.rdata);
    };
    if (rr.type == dns::rrtype::NS && rr.owner == apex) {
        const auto ns_count = std::count_if(
            here.begin(), here.end(), [](const Record& r) { return r.type == dns::rrtype::NS; });
        if (ns_count <= 1 && std::any_of(here.begin(), here.end(), match)) {
            return false;
        }
    }
    remove_if(here, match);
    return true;
}

}  // namespace

Result<UpdatePlan> plan_update(const UpdateMessage& message, store::ZoneReader& reader) {
    UpdatePlan plan;
    WorkingCopy copy(reader);
    for (const UpdateRR& rr : message.updates) {
        auto here = copy.at(rr.owner);
        if (!here) {
            return here.error();
        }
        bool done = false;
        if (rr.rclass == dns::rrclass::IN) {
            done = add_rr(*here.value(), rr, message.zone);
        } else if (rr.rclass == dns::rrclass::ANY) {
            done = delete_rrsets(*here.value(), rr, message.zone);
        } else {
            done = delete_rr(*here.value(), rr, message.zone);
        }
        if (!done) {
            ++plan.ignored;
            spdlog::debug("update of zone {}: ignoring {} class {} {} (RFC 2136 §3.4.2)",
                          dns::name_to_text(message.zone), dns::name_to_text(rr.owner), rr.rclass,
                          zone::rrtype_to_text(rr.type));
        }
    }
    copy.difference(plan.change);
    return plan;
}

}  // namespace tidal::update
