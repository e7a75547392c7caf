// check_prerequisites: RFC 2136 §3.2.5, evaluated inside the update's write transaction.
#include <map>
#include <utility>
#include <vector>

#include "core/dns/constants.h"
#include "core/dns/name.h"
#include "core/update/update_semantics.h"
#include "core/zone/rdata_canonical.h"
#include "core/zone/rr_text.h"

namespace tidal::update {

namespace {

// Reads each owner once per message.
class OwnerCache {
  public:
    explicit OwnerCache(store::ZoneReader& reader) : reader_(reader) {}

    Result<const std::vector<Record>*> at(const std::string& owner) {
        auto found = cache_.find(owner);
        if (found == cache_.end()) {
            auto records = reader_.records_at(owner);
            if (!records) {
                return records.error();
            }
            found = cache_.emplace(owner, std::move(records.value())).first;
        }
        return &found->second;
    }

  private:
    store::ZoneReader& reader_;
    std::map<std::string, std::vector<Record>> cache_;
};

bool has_type(const std::vector<Record>& records, uint16_t type) {
    for (const Record& rr : records) {
        if (rr.type == type) {
            return true;
        }
    }
    return false;
}

bool contains_rdata(const std::vector<std::string>& rdatas, uint16_t type,
                    const std::string& rdata) {
    for (const std::string& candidate : rdatas) {
        if (zone::same_rdata(type, candidate, rdata)) {
            return true;
        }
    }
    return false;
}

Verdict fail(uint16_t rcode, const UpdateRR& rr, const char* what) {
    return Verdict{rcode, "prerequisite " + dns::name_to_text(rr.owner) + " " +
                              zone::rrtype_to_text(rr.type) + ": " + what};
}

}  // namespace

Result<Verdict> check_prerequisites(const UpdateMessage& message, store::ZoneReader& reader) {
    OwnerCache cache(reader);
    // Value-dependent prerequisites (class IN) are gathered per RRset, then compared (§3.2.3).
    std::map<std::pair<std::string, uint16_t>, std::vector<std::string>> wanted;
    for (const UpdateRR& rr : message.prerequisites) {
        if (rr.rclass == dns::rrclass::IN) {
            wanted[{rr.owner, rr.type}].push_back(rr.rdata);
            continue;
        }
        auto records = cache.at(rr.owner);
        if (!records) {
            return records.error();
        }
        const std::vector<Record>& here = *records.value();
        const bool exists = rr.type == dns::rrtype::ANY ? !here.empty() : has_type(here, rr.type);
        if (rr.rclass == dns::rrclass::ANY && !exists) {
            return rr.type == dns::rrtype::ANY
                       ? fail(dns::rcode::NXDOMAIN, rr, "name is not in use")
                       : fail(dns::rcode::NXRRSET, rr, "RRset does not exist");
        }
        if (rr.rclass == dns::rrclass::NONE && exists) {
            return rr.type == dns::rrtype::ANY ? fail(dns::rcode::YXDOMAIN, rr, "name is in use")
                                               : fail(dns::rcode::YXRRSET, rr, "RRset exists");
        }
    }
    for (const auto& [key, rdatas] : wanted) {
        const auto& [owner, type] = key;
        auto records = cache.at(owner);
        if (!records) {
            return records.error();
        }
        std::vector<std::string> stored;
        for (const Record& rr : *records.value()) {
            if (rr.type == type) {
                stored.push_back(rr.rdata);
            }
        }
        // Equal as sets: every rdata asked for is stored and every stored one was asked for.
        bool equal = !stored.empty();
        for (const std::string& rdata : rdatas) {
            equal = equal && contains_rdata(stored, type, rdata);
        }
        for (const std::string& rdata : stored) {
            equal = equal && contains_rdata(rdatas, type, rdata);
        }
        if (!equal) {
            UpdateRR rr;
            rr.owner = owner;
            rr.type = type;
            return fail(dns::rcode::NXRRSET, rr, "RRset differs from the one required");
        }
    }
    return Verdict{};
}

}  // namespace tidal::update
