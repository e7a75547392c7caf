// Zone-level rules for master files: one SOA at the apex, NS at the apex, CNAME exclusivity,
// RRset TTLs, records outside the zone, duplicates.
#include "core/zone/zone_checks.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <unordered_set>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/zone/rr_text.h"

namespace tidal::zone {

namespace {

namespace rrtype = dns::rrtype;

class Checker {
  public:
    explicit Checker(ParsedZone parsed) : parsed_(std::move(parsed)) {}

    Result<ZoneFile> run(const std::optional<std::string>& origin) {
        Status status = find_apex(origin);
        if (status) {
            status = check_soa();
        }
        if (!status) {
            return status.error();
        }
        drop_outside_zone();
        normalize_rrsets();
        status = check_apex_ns();
        if (status) {
            status = check_cnames();
        }
        if (!status) {
            return status.error();
        }
        ZoneFile zone;
        zone.origin = apex_;
        zone.records.reserve(records_.size());
        for (ParsedRecord& parsed : records_) {
            zone.records.push_back(std::move(parsed.rr));
        }
        std::sort(zone.records.begin(), zone.records.end());
        zone.warnings = std::move(parsed_.warnings);
        return zone;
    }

  private:
    std::string where(const ParsedRecord& r) const {
        return parsed_.files[r.file] + ":" + std::to_string(r.line);
    }
    std::string top() const { return parsed_.files.front(); }
    std::string zone_text() const { return dns::name_to_text(apex_); }

    Status find_apex(const std::optional<std::string>& origin) {
        if (origin) {
            apex_ = dns::name_lowered(*origin);
            return Status::success();
        }
        for (const ParsedRecord& r : parsed_.records) {
            if (r.rr.type == rrtype::SOA) {
                apex_ = r.rr.owner;
                return Status::success();
            }
        }
        return Error{top() + ": no SOA record, so the zone apex is unknown"};
    }

    // Exactly one SOA, at the apex.
    Status check_soa() {
        const ParsedRecord* first = nullptr;
        for (const ParsedRecord& r : parsed_.records) {
            if (r.rr.type != rrtype::SOA) {
                continue;
            }
            if (r.rr.owner != apex_) {
                return Error{where(r) + ": SOA record for " + dns::name_to_text(r.rr.owner) +
                             " is not at the zone apex " + zone_text()};
            }
            if (first != nullptr && !same_rr(first->rr, r.rr)) {
                return Error{where(r) + ": second SOA record for " + zone_text() +
                             " (the first is at " + where(*first) + ")"};
            }
            if (first == nullptr) {
                first = &r;
            }
        }
        if (first == nullptr) {
            return Error{top() + ": zone " + zone_text() + " has no SOA record"};
        }
        return Status::success();
    }

    void drop_outside_zone() {
        records_.reserve(parsed_.records.size());
        for (ParsedRecord& r : parsed_.records) {
            if (!dns::name_is_subdomain(r.rr.owner, apex_)) {
                parsed_.warnings.push_back(where(r) + ": " + dns::name_to_text(r.rr.owner) +
                                           " is outside zone " + zone_text() + ", dropped");
                continue;
            }
            records_.push_back(std::move(r));
        }
        parsed_.records.clear();
    }

    // Per RRset, in file order: one TTL (RFC 2181 §5.2) and no exact duplicates.
    void normalize_rrsets() {
        std::stable_sort(
            records_.begin(), records_.end(), [](const ParsedRecord& a, const ParsedRecord& b) {
                return std::tie(a.rr.owner, a.rr.type) < std::tie(b.rr.owner, b.rr.type);
            });
        std::vector<ParsedRecord> kept;
        kept.reserve(records_.size());
        std::unordered_set<std::string_view> seen;
        size_t begin = 0;
        while (begin < records_.size()) {
            size_t end = begin + 1;
            while (end < records_.size() && records_[end].rr.owner == records_[begin].rr.owner &&
                   records_[end].rr.type == records_[begin].rr.type) {
                ++end;
            }
            const ParsedRecord& first = records_[begin];
            seen.clear();
            for (size_t i = begin; i < end; ++i) {
                ParsedRecord& r = records_[i];
                // RRSIG TTLs follow the RRsets they cover, which may differ (RFC 4034 §3).
                if (r.rr.ttl != first.rr.ttl && r.rr.type != rrtype::RRSIG) {
                    parsed_.warnings.push_back(
                        where(r) + ": TTL " + std::to_string(r.rr.ttl) + " of " +
                        dns::name_to_text(r.rr.owner) + " " + rrtype_to_text(r.rr.type) +
                        " differs from the RRset's TTL " + std::to_string(first.rr.ttl) + " (" +
                        where(first) + "), set to " + std::to_string(first.rr.ttl) +
                        " (RFC 2181 §5.2)");
                    r.rr.ttl = first.rr.ttl;
                }
                if (seen.insert(r.rr.rdata).second) {
                    kept.push_back(r);  // copied: seen points into records_
                }
            }
            begin = end;
        }
        records_ = std::move(kept);
    }

    Status check_apex_ns() {
        for (const ParsedRecord& r : records_) {
            if (r.rr.type == rrtype::NS && r.rr.owner == apex_) {
                return Status::success();
            }
        }
        return Error{top() + ": zone " + zone_text() + " has no NS record at the apex"};
    }

    // RFC 1034 §3.6.2: a CNAME is alone at its name (RFC 4035 §2.5 adds RRSIG and NSEC).
    Status check_cnames() {
        size_t begin = 0;
        while (begin < records_.size()) {
            size_t end = begin + 1;
            while (end < records_.size() && records_[end].rr.owner == records_[begin].rr.owner) {
                ++end;
            }
            const ParsedRecord* cname = nullptr;
            const ParsedRecord* other = nullptr;
            for (size_t i = begin; i < end; ++i) {
                const ParsedRecord& r = records_[i];
                if (r.rr.type == rrtype::CNAME) {
                    if (cname != nullptr) {
                        return Error{where(r) + ": more than one CNAME record at " +
                                     dns::name_to_text(r.rr.owner) + " (the first is at " +
                                     where(*cname) + ")"};
                    }
                    cname = &r;
                } else if (r.rr.type != rrtype::RRSIG && r.rr.type != rrtype::NSEC &&
                           other == nullptr) {
                    other = &r;
                }
            }
            if (cname != nullptr && other != nullptr) {
                return Error{where(*cname) + ": CNAME at " + dns::name_to_text(cname->rr.owner) +
                             " beside other data (" + rrtype_to_text(other->rr.type) + " at " +
                             where(*other) + "); a CNAME must be alone at its name (RFC 1034 " +
                             "§3.6.2)"};
            }
            begin = end;
        }
        return Status::success();
    }

    ParsedZone parsed_;
    std::string apex_;
    std::vector<ParsedRecord> records_;
};

}  // namespace

Result<ZoneFile> check_zone(ParsedZone parsed, const std::optional<std::string>& origin) {
    return Checker(std::move(parsed)).run(origin);
}

}  // namespace tidal::zone
